"""Registration conflicts: a deal registered for the customer of an open deal the registrant
already takes part in.

The registrant is told (409) only of earlier deals where it may see the field that matched
(the customer's name or website domain); telling it of any other would answer a guess at a
value it may not see. Those registrations go ahead, and a `RegistrationConflictRecord` tells
the earlier deal's owner instead, who acknowledges or dismisses it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ecosystem.actors import Actor
from ecosystem.errors import Conflict, InvalidCommand, NotFound
from ecosystem.names import normalise_company_name

# A customer key's kind, and the deal field it is taken from (the leaf a policy governs).
KEY_FIELDS = {"name": "customer.name", "domain": "customer.website_domain"}


def customer_keys(fields: dict[str, Any]) -> list[str]:
    """The keys a deal is filed under: its normalised customer name and website domain."""
    name = normalise_company_name(fields["customer.name"])
    keys = [f"name:{name}"] if name else []
    if fields.get("customer.website_domain"):
        keys.append(f"domain:{fields['customer.website_domain']}")
    return keys


def matched_fields(keys: set[str], fields: dict[str, Any]) -> list[str]:
    """The fields of an earlier deal (by its details) whose keys are among `keys`."""
    return sorted(KEY_FIELDS[key.split(":", 1)[0]] for key in keys & set(customer_keys(fields)))


class RegistrationConflict(Conflict):
    """The caller already takes part in an open opportunity for the same customer."""

    def __init__(self, conflicting: list[UUID]) -> None:
        ids = ", ".join(str(i) for i in conflicting)
        super().__init__(
            "your party already takes part in an open opportunity for this customer "
            f"({ids}); work that one, or register again with override_conflicts set"
        )
        self.conflicting = conflicting


class ConflictStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    DISMISSED = "dismissed"


class RegistrationConflictRecord(Aggregate):
    """A registration that matched an open deal of the owner's, for the owner to act on.

    `registered_id` and the registrant (the event's actor) belong to the new deal, which is
    the registrant's: views show them to the owner only once it takes part in that deal.
    """

    @event("Recorded")
    def __init__(
        self, opportunity_id: UUID, owner_id: UUID, registered_id: UUID, matched: list[str],
        actor: Actor,
    ) -> None:  # fmt: skip
        self.opportunity_id = opportunity_id
        self.owner_id = owner_id
        self.registered_id = registered_id
        self.registrant_id = actor.party_id
        self.matched = list(matched)
        self.status = ConflictStatus.OPEN
        self.reason = ""
        self.answered_by: UUID | None = None  # the owner's user who last acted on it

    def acknowledge(self, actor: Actor) -> None:
        """The owner has seen the conflict and works it out with the registrant."""
        self._check_owner(actor)
        if self.status is not ConflictStatus.OPEN:
            raise InvalidCommand(f"the conflict is {self.status}; only an open one is acknowledged")
        self._acknowledged(actor=actor)

    @event("Acknowledged")
    def _acknowledged(self, actor: Actor) -> None:
        self.status = ConflictStatus.ACKNOWLEDGED
        self.answered_by = actor.user_id

    def dismiss(self, reason: str, actor: Actor) -> None:
        """The owner sees no conflict here (another site of the customer, say)."""
        self._check_owner(actor)
        if self.status is ConflictStatus.DISMISSED:
            raise InvalidCommand("the conflict is already dismissed")
        self._dismissed(reason=reason.strip(), actor=actor)

    @event("Dismissed")
    def _dismissed(self, reason: str, actor: Actor) -> None:
        self.status = ConflictStatus.DISMISSED
        self.reason = reason
        self.answered_by = actor.user_id

    def _check_owner(self, actor: Actor) -> None:
        if actor.party_id != self.owner_id:  # nobody else may know the record exists
            raise NotFound(f"no registration conflict with id {self.id}")
