"""The Partnership aggregate: one per pair of parties, proposed by one and accepted by the other."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ecosystem.actors import SYSTEM_ID, Actor
from ecosystem.errors import Conflict, InvalidCommand
from ecosystem.keys import key_id

# The reason recorded when each side's part in the other's objects ends with a partnership.
PARTNERSHIP_ENDED = "partnership ended"


class PartnershipStatus(StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    DECLINED = "declined"
    ENDED = "ended"


def partnership_id(party_a: UUID, party_b: UUID) -> UUID:
    low, high = sorted((party_a, party_b))
    return key_id("partnership", f"{low}:{high}")


class Partnership(Aggregate):
    """Sharing happens only between parties whose partnership is active."""

    @event("Proposed")
    def __init__(self, proposer_id: UUID, partner_id: UUID, actor: Actor) -> None:
        self._proposed(proposer_id, partner_id)

    @staticmethod
    def create_id(proposer_id: UUID, partner_id: UUID, actor: Actor) -> UUID:
        return partnership_id(proposer_id, partner_id)

    def _proposed(self, proposer_id: UUID, partner_id: UUID) -> None:
        self.proposer_id = proposer_id
        self.partner_id = partner_id
        self.status = PartnershipStatus.PROPOSED
        # Each object one side shared with the other while active (object id -> its owner):
        # what the end withdraws each side from.
        self.shared: dict[UUID, UUID] = {}

    @property
    def parties(self) -> tuple[UUID, UUID]:
        return (self.proposer_id, self.partner_id)

    @property
    def is_active(self) -> bool:
        return self.status is PartnershipStatus.ACTIVE

    def other_party(self, party_id: UUID) -> UUID:
        return self.partner_id if party_id == self.proposer_id else self.proposer_id

    def propose_again(self, proposer_id: UUID, actor: Actor) -> None:
        if self.status in (PartnershipStatus.PROPOSED, PartnershipStatus.ACTIVE):
            raise Conflict(f"a partnership between these parties is already {self.status}")
        self._reproposed(
            proposer_id=proposer_id, partner_id=self.other_party(proposer_id), actor=actor
        )

    @event("Reproposed")
    def _reproposed(self, proposer_id: UUID, partner_id: UUID, actor: Actor) -> None:
        self._proposed(proposer_id, partner_id)

    def accept(self, actor: Actor) -> None:
        self._check_answerable_by(actor.party_id, "accept")
        self._accepted(actor=actor)

    @event("Accepted")
    def _accepted(self, actor: Actor) -> None:
        self.status = PartnershipStatus.ACTIVE

    def decline(self, actor: Actor) -> None:
        self._check_answerable_by(actor.party_id, "decline")
        self._declined(actor=actor)

    @event("Declined")
    def _declined(self, actor: Actor) -> None:
        self.status = PartnershipStatus.DECLINED

    def end(self, reason: str, actor: Actor) -> None:
        if actor.party_id not in self.parties and not actor.is_system:
            raise InvalidCommand("only one of the two parties may end a partnership")
        if self.status not in (PartnershipStatus.PROPOSED, PartnershipStatus.ACTIVE):
            raise InvalidCommand(f"the partnership is already {self.status}")
        self._ended(reason=reason, actor=actor)

    @event("Ended")
    def _ended(self, reason: str, actor: Actor) -> None:
        self.status = PartnershipStatus.ENDED
        self.shared = {}

    def record_sharing(self, object_id: UUID, owner_id: UUID, actor: Actor) -> None:
        """One side invites the other to an object it owns. Recorded here, in the same
        transaction as the invitation, so an invitation and the end of the partnership that
        race both write this aggregate and only one of them is saved."""
        if not self.is_active:
            raise Conflict("objects are shared only with active partners")
        if owner_id not in self.parties:
            raise InvalidCommand("only one of the two parties shares its objects here")
        # Both parties see this aggregate whole (audit bundles): it names the sharing party
        # only; which of its users invited is a fact of the object, shown there as it may be.
        by_party = Actor(party_id=actor.party_id, user_id=SYSTEM_ID)
        self._object_shared(object_id=object_id, owner_id=owner_id, actor=by_party)

    @event("ObjectShared")
    def _object_shared(self, object_id: UUID, owner_id: UUID, actor: Actor) -> None:
        self.shared[object_id] = owner_id

    def _check_answerable_by(self, party_id: UUID, verb: str) -> None:
        if self.status is not PartnershipStatus.PROPOSED:
            raise InvalidCommand(
                f"only a proposed partnership can be answered; it is {self.status}"
            )
        if party_id != self.partner_id:
            raise InvalidCommand(f"only the invited party may {verb} the proposal")


# The events after which a partnership is active: it is shared across only while active, so
# the newest event of a partnership says whether it is active without replaying the rest.
ACTIVE_AFTER: tuple[type[Aggregate.Event], ...] = (
    Partnership.Accepted,  # type: ignore[attr-defined]
    Partnership.ObjectShared,  # type: ignore[attr-defined]
)
