"""Erasing a person's personal data: their key is deleted, and each deal records the erasure.

A data subject is found by the email or phone their contact entries were recorded with, or
by the name of entries with neither (see `sealing.identities_of`). Every deal whose history
holds them records `PersonalDataErased` (the subject's random id, nothing personal) in one
transaction; then the key is deleted. A crash in between leaves views already showing the
data as erased; erasing again completes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ecosystem.actors import Capability, Principal
from ecosystem.audit.sealing import Sealed, identity_of
from ecosystem.errors import InvalidCommand, NotFound
from ecosystem.opportunities.application import OpportunityCommands
from ecosystem.opportunities.domainmodel import SharedOpportunity
from ecosystem.service import Written


@dataclass(frozen=True)
class Erasure:
    """Whose keys were deleted, which deals recorded it, and where the log then stood."""

    subjects: list[UUID]
    opportunities: list[UUID]
    position: int


class ErasureCommands(OpportunityCommands):
    def erase_personal_data(
        self, principal: Principal, email: str = "", phone: str = "", name: str = ""
    ) -> Erasure:
        """Erase everything sealed under any of the person's identities (network admins)."""
        principal.require(Capability.ERASE_PERSONAL_DATA)
        given = [
            identity_of("", email, "") if email.strip() else "",
            identity_of("", "", phone) if any(c.isdigit() for c in phone) else "",
            identity_of(name, "", "") if name.strip() else "",
        ]
        identities = [i for i in given if i]
        if not identities:
            raise InvalidCommand("name the person to erase by email, phone or name")
        store = self.personal_data.store
        subjects = sorted({s for s in map(store.find, identities) if s is not None})
        if not subjects:
            raise NotFound("no personal data is held for a person with that email, phone or name")
        holders = self._holding(set(subjects))
        position = self.log_position
        if holders:

            def attempt() -> tuple[Sequence[Aggregate], Written]:
                deals = [self.load(SharedOpportunity, i, "opportunity") for i in holders]
                for deal in deals:
                    deal.erase_personal_data(subjects, principal.actor)
                return deals, Written(holders[0], deals[0].version)

            position = self.execute(attempt, principal=principal).position
        for subject in subjects:
            store.destroy(subject)
        return Erasure(subjects, holders, position)

    def _holding(self, subjects: set[UUID]) -> list[UUID]:
        """The deals whose recorded history holds any of the subjects' sealed data."""
        holders: dict[UUID, None] = {}
        for event in self.events_of(SharedOpportunity, "Registered", "DetailsUpdated"):
            values: dict[str, Any] = getattr(event, "fields", None) or event.changes
            for contact in values.get("customer.contacts") or ():
                parts = (contact.name, contact.email, contact.phone)
                if any(isinstance(p, Sealed) and p.subject in subjects for p in parts):
                    holders[event.originator_id] = None
        return list(holders)
