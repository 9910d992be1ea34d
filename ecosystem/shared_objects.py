"""What every shared object has besides an opportunity: an owner, participants, counterparts
and links to the opportunities it concerns.

Joint solutions and co-funding plans are shared the way deals are: the owner invites active
partners, who accept or decline; accepted participants keep their own counterpart fields.
The state and checks live here; each aggregate declares its own events (the event-sourcing
library binds an event to the class that declares it), which call the `_record_*` methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from ecosystem.actors import Actor
from ecosystem.errors import Conflict, InvalidCommand, NotPermitted
from ecosystem.opportunities.domainmodel import ParticipantStatus
from ecosystem.opportunities.fields import checked
from ecosystem.partnerships.domainmodel import PARTNERSHIP_ENDED

E = TypeVar("E", bound=StrEnum)


@dataclass
class Member:
    """A party taking part in a shared object, in one role."""

    party_id: UUID
    role: str
    status: ParticipantStatus
    since: datetime


@dataclass(frozen=True)
class Link:
    """An opportunity this object concerns, and the party that linked it."""

    opportunity_id: UUID
    linked_by: UUID
    since: datetime


class SharedObject(Aggregate):
    """Participants, counterparts and links; subclasses add their events and their subject."""

    kind: ClassVar[str] = "object"  # as errors and views name it
    role_kind: ClassVar[type[StrEnum]] = StrEnum  # the roles participants take
    counterpart_fields: ClassVar[dict[str, Callable[[str, Any], Any]]] = {}

    def _start(self, owner_id: UUID, owner_role: str, when: datetime) -> None:
        self.owner_id = owner_id
        self.participants: dict[UUID, Member] = {
            owner_id: Member(owner_id, owner_role, ParticipantStatus.ACCEPTED, when)
        }
        self.counterparts: dict[UUID, dict[str, Any]] = {}
        self.links: dict[UUID, Link] = {}

    # --- who is who -------------------------------------------------------------------------

    def status_of(self, party_id: UUID) -> ParticipantStatus | None:
        member = self.participants.get(party_id)
        return member.status if member else None

    def role_of(self, party_id: UUID) -> str | None:
        member = self.participants.get(party_id)
        return member.role if member and member.status is ParticipantStatus.ACCEPTED else None

    def is_partner(self, party_id: UUID) -> bool:
        """Owner or accepted participant."""
        return self.status_of(party_id) is ParticipantStatus.ACCEPTED

    def is_invited(self, party_id: UUID) -> bool:
        return self.status_of(party_id) is ParticipantStatus.INVITED

    @property
    def involved_parties(self) -> set[UUID]:
        live = (ParticipantStatus.ACCEPTED, ParticipantStatus.INVITED)
        return {m.party_id for m in self.participants.values() if m.status in live}

    def accepted_in_role(self, role: str) -> list[UUID]:
        return [
            m.party_id
            for m in self.participants.values()
            if m.role == role and m.status is ParticipantStatus.ACCEPTED
        ]

    # --- checks the commands share ----------------------------------------------------------

    def check_invite(self, party_id: UUID, actor: Actor, partnership_active: bool) -> None:
        self.check_owner(actor, "invite partners")
        if party_id == self.owner_id:
            raise InvalidCommand("the owner cannot invite itself")
        if self.status_of(party_id) in (ParticipantStatus.INVITED, ParticipantStatus.ACCEPTED):
            raise InvalidCommand(f"that party is already invited to or part of this {self.kind}")
        if not partnership_active:
            raise Conflict(f"a {self.kind} is shared only with active partners")

    def check_invited(self, actor: Actor, verb: str) -> None:
        if not self.is_invited(actor.party_id):
            raise InvalidCommand(f"there is no pending invitation for your party to {verb}")

    def check_withdraw(self, party_id: UUID, actor: Actor) -> None:
        if actor.party_id not in (self.owner_id, party_id):
            raise NotPermitted("only the owner or that partner may withdraw a partner")
        if party_id == self.owner_id:
            raise InvalidCommand(f"the owner cannot withdraw from its own {self.kind}")
        if self.status_of(party_id) not in (ParticipantStatus.INVITED, ParticipantStatus.ACCEPTED):
            raise InvalidCommand(f"that party is not invited to or part of this {self.kind}")

    def check_owner(self, actor: Actor, what: str) -> None:
        if actor.party_id != self.owner_id:
            raise NotPermitted(f"only the owner may {what}")

    def check_partner(self, actor: Actor, what: str) -> None:
        if not self.is_partner(actor.party_id):
            raise NotPermitted(f"only participants who accepted may {what}")

    def check_link(self, opportunity_id: UUID, actor: Actor) -> None:
        self.check_partner(actor, "link opportunities")
        if opportunity_id in self.links:
            raise InvalidCommand(f"that opportunity is already linked to this {self.kind}")

    def check_unlink(self, opportunity_id: UUID, actor: Actor) -> None:
        self.check_partner(actor, "unlink opportunities")
        link = self.links.get(opportunity_id)
        unknown = InvalidCommand(f"that opportunity is not linked to this {self.kind}")
        if link is None:
            raise unknown
        if actor.party_id not in (link.linked_by, self.owner_id):
            refused = NotPermitted("only the party that made a link, or the owner, may remove it")
            raise refused.unless_hidden("links", unknown)

    def changed_counterpart(self, changes: dict[str, Any], actor: Actor) -> dict[str, Any]:
        """The changes that differ from the actor's counterpart fields now."""
        self.check_partner(actor, "keep counterpart fields")
        mine = self.counterparts.get(actor.party_id, {})
        return {path: v for path, v in changes.items() if mine.get(path) != v}

    # --- commands: the checks live here, the events in each object's class ----------------

    def invite(self, party_id: UUID, role: Any, actor: Actor, partnership_active: bool) -> None:
        self.check_changeable("invite partners")
        role = parsed(self.role_kind, role)
        self.check_invite(party_id, actor, partnership_active)
        self._partner_invited(party_id=party_id, role=role, actor=actor)

    def accept_invitation(self, actor: Actor) -> None:
        self.check_invited(actor, "accept")
        self.check_changeable("join it")
        self._invitation_accepted(actor=actor)

    def decline_invitation(self, reason: str, actor: Actor) -> None:
        self.check_invited(actor, "decline")
        self._invitation_declined(reason=reason, actor=actor)

    def withdraw(self, party_id: UUID, reason: str, actor: Actor) -> None:
        """The owner takes back an invitation or a participant leaves; the owner cannot."""
        self.check_withdraw(party_id, actor)
        self.check_may_leave(party_id)
        self._partner_withdrawn(party_id=party_id, reason=reason, actor=actor)

    def end_participation(self, party_id: UUID, actor: Actor) -> bool:
        """The owner's partnership with that party ended, and so does its part here, whatever
        the object still expects of it; False when it had none to end."""
        if party_id == self.owner_id or party_id not in self.involved_parties:
            return False
        self._partner_withdrawn(party_id=party_id, reason=PARTNERSHIP_ENDED, actor=actor)
        return True

    def link_opportunity(self, opportunity_id: UUID, actor: Actor) -> None:
        self.check_changeable("link opportunities")
        self.check_link(opportunity_id, actor)
        self._opportunity_linked(opportunity_id=opportunity_id, actor=actor)

    def unlink_opportunity(self, opportunity_id: UUID, actor: Actor) -> None:
        self.check_changeable("unlink opportunities")
        self.check_unlink(opportunity_id, actor)
        self._opportunity_unlinked(opportunity_id=opportunity_id, actor=actor)

    def update_counterpart(self, changes: dict[str, Any], actor: Actor) -> None:
        self.check_changeable("change counterpart fields")
        changed = self.changed_counterpart(checked(self.counterpart_fields, changes), actor)
        if changed:
            self._counterpart_updated(changes=changed, actor=actor)

    def check_changeable(self, what: str) -> None:
        """Refuse changes when the object's own state forbids them (a Retired solution)."""

    def check_may_leave(self, party_id: UUID) -> None:
        """Refuse to let a party go while the object still depends on it."""

    # --- the events each object declares (the library binds an event to its class) -------

    def _partner_invited(self, party_id: UUID, role: str, actor: Actor) -> None:
        raise NotImplementedError

    def _invitation_accepted(self, actor: Actor) -> None:
        raise NotImplementedError

    def _invitation_declined(self, reason: str, actor: Actor) -> None:
        raise NotImplementedError

    def _partner_withdrawn(self, party_id: UUID, reason: str, actor: Actor) -> None:
        raise NotImplementedError

    def _opportunity_linked(self, opportunity_id: UUID, actor: Actor) -> None:
        raise NotImplementedError

    def _opportunity_unlinked(self, opportunity_id: UUID, actor: Actor) -> None:
        raise NotImplementedError

    def _counterpart_updated(self, changes: dict[str, Any], actor: Actor) -> None:
        raise NotImplementedError

    # --- what the events record -------------------------------------------------------------

    def _record_invited(self, party_id: UUID, role: str, when: datetime | None) -> None:
        assert when is not None  # the library passes each event's own time
        self.participants[party_id] = Member(party_id, role, ParticipantStatus.INVITED, when)

    def _record_status(
        self, party_id: UUID, status: ParticipantStatus, when: datetime | None
    ) -> None:
        assert when is not None
        member = self.participants[party_id]
        member.status = status
        member.since = when

    def _record_counterpart(self, party_id: UUID, changes: dict[str, Any]) -> None:
        self.counterparts.setdefault(party_id, {}).update(changes)

    def _record_link(self, opportunity_id: UUID, party_id: UUID, when: datetime | None) -> None:
        assert when is not None
        self.links[opportunity_id] = Link(opportunity_id, party_id, when)


def parsed(kind: type[E], value: Any) -> E:
    """`value` as a member of `kind`, or a refusal naming the allowed values."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidCommand(f"{value!r} is not one of: {allowed}") from None
