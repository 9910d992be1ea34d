"""The JointSolution aggregate: a solution several partners build, validate and publish."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from ecosystem.actors import Actor
from ecosystem.errors import InvalidCommand, NotPermitted
from ecosystem.opportunities.domainmodel import ParticipantStatus
from ecosystem.opportunities.fields import checked
from ecosystem.shared_objects import SharedObject, parsed
from ecosystem.solutions.fields import (
    COMPONENT_FIELDS,
    COUNTERPART_FIELDS,
    SOLUTION_DEFAULTS,
    SOLUTION_FIELDS,
    Lifecycle,
)


class SolutionRole(StrEnum):
    BUILDER = "builder"
    INTEGRATOR = "integrator"
    RESELLER = "reseller"
    CLOUD_PROVIDER = "cloud_provider"


@dataclass
class Component:
    """A part of the solution, owned by the party that contributes it."""

    component_id: UUID
    contributor: UUID
    name: str
    description: str


# The moves the owner may make; Retired can be reached from anywhere but itself.
MOVES: dict[Lifecycle, tuple[Lifecycle, ...]] = {
    Lifecycle.PROPOSED: (Lifecycle.IN_DEVELOPMENT,),
    Lifecycle.IN_DEVELOPMENT: (Lifecycle.VALIDATED,),
    Lifecycle.VALIDATED: (Lifecycle.PUBLISHED, Lifecycle.IN_DEVELOPMENT),
    Lifecycle.PUBLISHED: (Lifecycle.IN_DEVELOPMENT,),
    Lifecycle.RETIRED: (),
}


class JointSolution(SharedObject):
    """A solution proposed by its owner and built with invited, accepted contributors."""

    kind = "solution"
    role_kind = SolutionRole
    counterpart_fields = COUNTERPART_FIELDS

    @event("Proposed")
    def __init__(
        self, owner_id: UUID, owner_role: SolutionRole, fields: dict[str, Any], actor: Actor
    ) -> None:
        self._start(owner_id, SolutionRole(owner_role), self.created_on)
        self.fields: dict[str, Any] = {**copy.deepcopy(SOLUTION_DEFAULTS), **fields}
        self.lifecycle = Lifecycle.PROPOSED
        self.sign_offs: dict[UUID, datetime] = {}
        self.components: dict[UUID, Component] = {}

    @classmethod
    def propose(
        cls, owner_id: UUID, owner_role: Any, fields: dict[str, Any], actor: Actor
    ) -> JointSolution:
        if "name" not in fields:
            raise InvalidCommand("missing fields: name")
        role = parsed(SolutionRole, owner_role)
        return cls(owner_id, role, checked(SOLUTION_FIELDS, fields), actor)

    @property
    def is_live(self) -> bool:
        return self.lifecycle is not Lifecycle.RETIRED

    def builders(self) -> list[UUID]:
        return self.accepted_in_role(SolutionRole.BUILDER)

    # --- core details -----------------------------------------------------------------------

    def update_details(self, changes: dict[str, Any], actor: Actor) -> None:
        self.check_owner(actor, "change the solution's details")
        self.check_changeable("change its details")
        changes = checked(SOLUTION_FIELDS, changes)
        changed = {path: v for path, v in changes.items() if self.fields.get(path) != v}
        if changed:
            self._details_updated(changes=changed, actor=actor)

    @event("DetailsUpdated")
    def _details_updated(self, changes: dict[str, Any], actor: Actor) -> None:
        self.fields.update(changes)

    # --- participants -----------------------------------------------------------------------

    @event("PartnerInvited")
    def _partner_invited(
        self, party_id: UUID, role: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self._record_invited(party_id, SolutionRole(role), timestamp)

    @event("InvitationAccepted")
    def _invitation_accepted(self, actor: Actor, timestamp: datetime | None = None) -> None:
        self._record_status(actor.party_id, ParticipantStatus.ACCEPTED, timestamp)

    @event("InvitationDeclined")
    def _invitation_declined(
        self, reason: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self._record_status(actor.party_id, ParticipantStatus.DECLINED, timestamp)

    @event("PartnerWithdrawn")
    def _partner_withdrawn(
        self, party_id: UUID, reason: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self._record_status(party_id, ParticipantStatus.WITHDRAWN, timestamp)
        self.sign_offs.pop(party_id, None)

    # --- lifecycle --------------------------------------------------------------------------

    def sign_off(self, actor: Actor) -> None:
        """A builder declares the solution ready for validation."""
        if self.role_of(actor.party_id) != SolutionRole.BUILDER:
            raise NotPermitted("only builders who accepted may sign off the solution")
        if self.lifecycle is not Lifecycle.IN_DEVELOPMENT:
            raise InvalidCommand("a solution is signed off while it is In Development")
        if actor.party_id in self.sign_offs:
            raise InvalidCommand("your party has already signed off this solution")
        self._signed_off(actor=actor)

    @event("SignedOff")
    def _signed_off(self, actor: Actor, timestamp: datetime | None = None) -> None:
        assert timestamp is not None
        self.sign_offs[actor.party_id] = timestamp

    def move(self, to: Any, actor: Actor) -> None:
        """Move along the lifecycle (owner only); Validated needs every builder's sign-off."""
        self.check_owner(actor, "move the solution along its lifecycle")
        to = parsed(Lifecycle, to)
        self.check_changeable(f"move it to {to}")
        if to is not Lifecycle.RETIRED and to not in MOVES[self.lifecycle]:
            allowed = ", ".join((*MOVES[self.lifecycle], Lifecycle.RETIRED))
            raise InvalidCommand(
                f"a solution in {self.lifecycle} can move to: {allowed}; not to {to}"
            )
        if to is Lifecycle.VALIDATED:
            if not self.builders():
                raise InvalidCommand("a solution is Validated only when it has a builder")
            missing = [b for b in self.builders() if b not in self.sign_offs]
            if missing:
                raise InvalidCommand(
                    "a solution is Validated only when every builder has signed off; "
                    f"waiting for {len(missing)} builder(s)"
                )
        if to is Lifecycle.PUBLISHED and not self.fields.get("listing.url"):
            raise InvalidCommand("a solution is Published with a listing.url")
        self._moved(from_stage=self.lifecycle, to=to, actor=actor)

    @event("Moved")
    def _moved(self, from_stage: str, to: str, actor: Actor) -> None:
        self.lifecycle = Lifecycle(to)
        if self.lifecycle is Lifecycle.IN_DEVELOPMENT:
            self.sign_offs = {}  # back in development: sign off again what is built next

    # --- components -------------------------------------------------------------------------

    def add_component(self, component_id: UUID, values: dict[str, Any], actor: Actor) -> None:
        self.check_partner(actor, "contribute components")
        self.check_changeable("add components")
        if component_id in self.components:
            raise InvalidCommand(f"the solution already has a component {component_id}")
        values = checked(COMPONENT_FIELDS, values)
        if "name" not in values:
            raise InvalidCommand("a component needs a name")
        self._component_added(
            component_id=component_id,
            name=values["name"],
            description=values.get("description", ""),
            actor=actor,
        )

    @event("ComponentAdded")
    def _component_added(
        self, component_id: UUID, name: str, description: str, actor: Actor
    ) -> None:
        self.components[component_id] = Component(component_id, actor.party_id, name, description)

    def remove_component(self, component_id: UUID, actor: Actor) -> None:
        self.check_changeable("remove components")
        unknown = InvalidCommand(f"the solution has no component {component_id}")
        component = self.components.get(component_id)
        if component is None:
            raise unknown
        if component.contributor != actor.party_id:  # as unknown to whoever may not see it
            refused = NotPermitted("only the party that contributed a component may remove it")
            raise refused.unless_hidden("components", unknown, component.contributor)
        self._component_removed(component_id=component_id, actor=actor)

    @event("ComponentRemoved")
    def _component_removed(self, component_id: UUID, actor: Actor) -> None:
        del self.components[component_id]

    # --- links and counterparts -------------------------------------------------------------

    @event("OpportunityLinked")
    def _opportunity_linked(
        self, opportunity_id: UUID, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self._record_link(opportunity_id, actor.party_id, timestamp)

    @event("OpportunityUnlinked")
    def _opportunity_unlinked(self, opportunity_id: UUID, actor: Actor) -> None:
        del self.links[opportunity_id]

    @event("CounterpartUpdated")
    def _counterpart_updated(self, changes: dict[str, Any], actor: Actor) -> None:
        self._record_counterpart(actor.party_id, changes)

    def check_changeable(self, what: str) -> None:
        if not self.is_live:
            raise InvalidCommand(f"the solution is Retired; it is too late to {what}")
