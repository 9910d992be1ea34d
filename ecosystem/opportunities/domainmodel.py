"""The SharedOpportunity aggregate: one deal, its participants, stages, notes and counterparts."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ecosystem.actors import Actor
from ecosystem.errors import Conflict, InvalidCommand, NotPermitted
from ecosystem.opportunities.fields import (
    CORE_DEFAULTS,
    CORE_FIELDS,
    COUNTERPART_FIELDS,
    Stage,
    checked,
)
from ecosystem.partnerships.domainmodel import PARTNERSHIP_ENDED


class PartnerRole(StrEnum):
    OWNER = "owner"
    CO_SELLER = "co_seller"
    RESELLER = "reseller"
    CLOUD_PROVIDER = "cloud_provider"


class ParticipantStatus(StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Outcome(StrEnum):
    WON = "won"
    LOST = "lost"


@dataclass
class Participant:
    party_id: UUID
    role: PartnerRole
    status: ParticipantStatus
    since: datetime


@dataclass(frozen=True)
class StageStay:
    """The deal entered `stage` at `since` (and stayed until the next stay began)."""

    stage: Stage
    since: datetime


@dataclass
class Note:
    note_id: UUID
    author: Actor
    text: str
    written_at: datetime


@dataclass(frozen=True)
class LinkedObject:
    """A joint solution or co-funding plan that concerns this deal, and who linked it."""

    object_id: UUID
    kind: str  # solution | funding_plan
    linked_by: UUID
    since: datetime


@dataclass
class Counterpart:
    """One participant's own fields on the deal: written only by that participant."""

    fields: dict[str, Any] = field(default_factory=dict)


class SharedOpportunity(Aggregate):
    """A deal registered by its owner and co-sold with invited, accepted partners."""

    @event("Registered")
    def __init__(self, owner_id: UUID, fields: dict[str, Any], actor: Actor) -> None:
        self.owner_id = owner_id
        self.fields: dict[str, Any] = {**copy.deepcopy(CORE_DEFAULTS), **fields}
        self.stage = Stage.PROSPECT
        self.stage_history = [StageStay(Stage.PROSPECT, self.created_on)]
        self.closing_reason = ""
        self.participants = {
            owner_id: Participant(
                owner_id, PartnerRole.OWNER, ParticipantStatus.ACCEPTED, self.created_on
            )
        }
        self.notes: list[Note] = []
        self.counterparts: dict[UUID, Counterpart] = {}
        self.links: dict[UUID, LinkedObject] = {}
        self.erased_subjects: set[UUID] = set()

    @classmethod
    def register(cls, owner_id: UUID, fields: dict[str, Any], actor: Actor) -> SharedOpportunity:
        missing = {"title", "customer.name"} - set(fields)
        if missing:
            raise InvalidCommand(f"missing fields: {', '.join(sorted(missing))}")
        return cls(owner_id=owner_id, fields=checked(CORE_FIELDS, fields), actor=actor)

    # --- who is who -------------------------------------------------------------------------

    def status_of(self, party_id: UUID) -> ParticipantStatus | None:
        participant = self.participants.get(party_id)
        return participant.status if participant else None

    def is_partner(self, party_id: UUID) -> bool:
        """Owner or accepted partner: a full participant."""
        return self.status_of(party_id) is ParticipantStatus.ACCEPTED

    def is_invited(self, party_id: UUID) -> bool:
        return self.status_of(party_id) is ParticipantStatus.INVITED

    @property
    def involved_parties(self) -> set[UUID]:
        """Parties with a live stake: the owner, accepted partners and pending invitees."""
        live = (ParticipantStatus.ACCEPTED, ParticipantStatus.INVITED)
        return {p.party_id for p in self.participants.values() if p.status in live}

    @property
    def is_open(self) -> bool:
        return self.stage.is_open

    # --- core details -----------------------------------------------------------------------

    def update_details(
        self, changes: dict[str, Any], actor: Actor, granted: frozenset[str] = frozenset()
    ) -> None:
        """Change core fields: the owner any, an accepted partner those it was granted."""
        changes = checked(CORE_FIELDS, changes)
        if actor.party_id != self.owner_id:
            self._check_partner(actor, "change the deal's details")
            refused = sorted(set(changes) - granted)
            if refused:
                raise NotPermitted(
                    "your party may change only the fields the owner granted it; "
                    f"not granted: {', '.join(refused)}"
                )
        self._check_open("change its details")
        changed = {path: v for path, v in changes.items() if self.fields.get(path) != v}
        if changed:
            self._details_updated(changes=changed, actor=actor)

    @event("DetailsUpdated")
    def _details_updated(self, changes: dict[str, Any], actor: Actor) -> None:
        self.fields.update(changes)

    # --- participants -----------------------------------------------------------------------

    def invite(
        self, party_id: UUID, role: PartnerRole, actor: Actor, partnership_active: bool
    ) -> None:
        """Invite a party; `partnership_active` says whether owner and party are partners."""
        self._check_owner(actor, "invite partners")
        self._check_open("invite partners")
        role = _parsed(PartnerRole, role)
        if role is PartnerRole.OWNER:
            raise InvalidCommand("a partner cannot be invited as owner")
        if party_id == self.owner_id:
            raise InvalidCommand("the owner cannot invite itself")
        if self.status_of(party_id) in (ParticipantStatus.INVITED, ParticipantStatus.ACCEPTED):
            raise InvalidCommand("that party is already invited to or part of this opportunity")
        if not partnership_active:
            raise Conflict("opportunities are shared only with active partners")
        self._partner_invited(party_id=party_id, role=PartnerRole(role), actor=actor)

    @event("PartnerInvited")
    def _partner_invited(
        self, party_id: UUID, role: PartnerRole, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        assert timestamp is not None  # the library passes each event's own time
        self.participants[party_id] = Participant(
            party_id, PartnerRole(role), ParticipantStatus.INVITED, timestamp
        )

    def accept_invitation(self, actor: Actor) -> None:
        self._check_invited(actor, "accept")
        self._check_open("join it")
        self._invitation_accepted(actor=actor)

    @event("InvitationAccepted")
    def _invitation_accepted(self, actor: Actor, timestamp: datetime | None = None) -> None:
        self._set_status(actor.party_id, ParticipantStatus.ACCEPTED, timestamp)

    def decline_invitation(self, reason: str, actor: Actor) -> None:
        self._check_invited(actor, "decline")
        self._invitation_declined(reason=reason, actor=actor)

    @event("InvitationDeclined")
    def _invitation_declined(
        self, reason: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self._set_status(actor.party_id, ParticipantStatus.DECLINED, timestamp)

    def withdraw(self, party_id: UUID, reason: str, actor: Actor) -> None:
        """The owner takes back an invitation or a partner leaves; the owner cannot leave."""
        if actor.party_id not in (self.owner_id, party_id):
            raise NotPermitted("only the owner or that partner may withdraw a partner")
        if party_id == self.owner_id:
            raise InvalidCommand("the owner cannot withdraw from its own opportunity")
        if self.status_of(party_id) not in (ParticipantStatus.INVITED, ParticipantStatus.ACCEPTED):
            raise InvalidCommand("that party is not invited to or part of this opportunity")
        self._partner_withdrawn(party_id=party_id, reason=reason, actor=actor)

    def end_participation(self, party_id: UUID, actor: Actor) -> bool:
        """The owner's partnership with that party ended, and so does its part in the deal;
        False when it had none to end."""
        if party_id == self.owner_id or party_id not in self.involved_parties:
            return False
        self._partner_withdrawn(party_id=party_id, reason=PARTNERSHIP_ENDED, actor=actor)
        return True

    @event("PartnerWithdrawn")
    def _partner_withdrawn(
        self, party_id: UUID, reason: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self._set_status(party_id, ParticipantStatus.WITHDRAWN, timestamp)

    def _set_status(
        self, party_id: UUID, status: ParticipantStatus, timestamp: datetime | None
    ) -> None:
        assert timestamp is not None
        participant = self.participants[party_id]
        participant.status = status
        participant.since = timestamp

    # --- stages -----------------------------------------------------------------------------

    def change_stage(self, stage: Stage, reopen: bool, actor: Actor) -> None:
        self._check_owner(actor, "change the stage")
        stage = _parsed(Stage, stage)
        if not stage.is_open:
            raise InvalidCommand(f"use close to move a deal to {stage}")
        if stage == self.stage:
            raise InvalidCommand(f"the opportunity is already in {stage}")
        going_back = not self.is_open or stage.rank < self.stage.rank
        if going_back and not reopen:
            raise InvalidCommand(
                f"moving from {self.stage} back to {stage} needs an explicit reopen"
            )
        self._stage_changed(from_stage=self.stage, stage=stage, reopened=going_back, actor=actor)

    @event("StageChanged")
    def _stage_changed(
        self, from_stage: Stage, stage: Stage, reopened: bool, actor: Actor,
        timestamp: datetime | None = None,
    ) -> None:  # fmt: skip
        assert timestamp is not None
        self.stage = Stage(stage)
        self.stage_history.append(StageStay(self.stage, timestamp))
        self.closing_reason = ""

    def close(self, outcome: Outcome, reason: str, actor: Actor) -> None:
        self._check_owner(actor, "close the opportunity")
        self._check_open("close it again")
        outcome = _parsed(Outcome, outcome)
        if outcome is Outcome.LOST and not reason.strip():
            raise InvalidCommand("a lost opportunity needs a reason")
        self._closed(from_stage=self.stage, outcome=outcome, reason=reason.strip(), actor=actor)

    @event("Closed")
    def _closed(
        self, from_stage: Stage, outcome: Outcome, reason: str, actor: Actor,
        timestamp: datetime | None = None,
    ) -> None:  # fmt: skip
        assert timestamp is not None
        self.stage = Stage.LAUNCHED if Outcome(outcome) is Outcome.WON else Stage.CLOSED_LOST
        self.stage_history.append(StageStay(self.stage, timestamp))
        self.closing_reason = reason

    # --- what participants write ------------------------------------------------------------

    def add_note(self, note_id: UUID, text: str, actor: Actor) -> None:
        self._check_partner(actor, "write notes")
        text = CORE_FIELDS["next_steps"]("text", text)
        if not text:
            raise InvalidCommand("a note must not be empty")
        self._note_added(note_id=note_id, text=text, actor=actor)

    @event("NoteAdded")
    def _note_added(
        self, note_id: UUID, text: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        assert timestamp is not None
        self.notes.append(Note(note_id, actor, text, timestamp))

    def update_counterpart(self, changes: dict[str, Any], actor: Actor) -> None:
        self._check_partner(actor, "keep counterpart fields")
        changes = checked(COUNTERPART_FIELDS, changes)
        mine = self.counterparts.get(actor.party_id, Counterpart()).fields
        changed = {path: v for path, v in changes.items() if mine.get(path) != v}
        if changed:
            self._counterpart_updated(changes=changed, actor=actor)

    @event("CounterpartUpdated")
    def _counterpart_updated(self, changes: dict[str, Any], actor: Actor) -> None:
        self.counterparts.setdefault(actor.party_id, Counterpart()).fields.update(changes)

    # --- links to solutions and plans -------------------------------------------------------

    def link(self, object_id: UUID, kind: str, actor: Actor) -> None:
        """Record that a solution or plan concerns this deal (the other side records it too)."""
        self._check_partner(actor, "link it to a solution or plan")
        if object_id in self.links:
            raise InvalidCommand(f"that {kind} is already linked to this opportunity")
        self._linked(object_id=object_id, kind=kind, actor=actor)

    @event("Linked")
    def _linked(
        self, object_id: UUID, kind: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        assert timestamp is not None
        self.links[object_id] = LinkedObject(object_id, kind, actor.party_id, timestamp)

    def unlink(self, object_id: UUID, actor: Actor) -> None:
        if object_id in self.links:  # the other side decides who may unlink
            self._unlinked(object_id=object_id, actor=actor)

    @event("Unlinked")
    def _unlinked(self, object_id: UUID, actor: Actor) -> None:
        del self.links[object_id]

    # --- erasure ----------------------------------------------------------------------------

    def erase_personal_data(self, subjects: list[UUID], actor: Actor) -> None:
        """Record that these data subjects' personal data was erased (their keys are deleted):
        from now on no view shows it, whatever still holds a key. Nothing personal is kept."""
        fresh = sorted(set(subjects) - self.erased_subjects)
        if fresh:
            self._personal_data_erased(subjects=fresh, actor=actor)

    @event("PersonalDataErased")
    def _personal_data_erased(self, subjects: list[UUID], actor: Actor) -> None:
        self.erased_subjects.update(subjects)

    # --- checks -----------------------------------------------------------------------------

    def _check_owner(self, actor: Actor, what: str) -> None:
        if actor.party_id != self.owner_id:
            raise NotPermitted(f"only the owner may {what}")

    def _check_partner(self, actor: Actor, what: str) -> None:
        if not self.is_partner(actor.party_id):
            raise NotPermitted(f"only participants who accepted may {what}")

    def _check_open(self, what: str) -> None:
        if not self.is_open:  # won or lost is told only to a party that may see the stage
            refused = InvalidCommand(
                f"the opportunity is closed ({self.stage}); reopen it to {what}"
            )
            generic = InvalidCommand(f"the opportunity is closed; it must be reopened to {what}")
            raise refused.unless_hidden("stage", generic)

    def _check_invited(self, actor: Actor, verb: str) -> None:
        if not self.is_invited(actor.party_id):
            raise InvalidCommand(f"there is no pending invitation for your party to {verb}")


E = TypeVar("E", bound=StrEnum)


def _parsed(kind: type[E], value: Any) -> E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise InvalidCommand(f"{value!r} is not one of: {allowed}") from None
