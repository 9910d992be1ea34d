"""Partnership services: propose, answer and end the dual opt-in between two parties."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, cast
from uuid import UUID

from eventsourcing.domain import Aggregate

from ecosystem.actors import Actor, Capability, Principal
from ecosystem.errors import InvalidCommand, NotFound
from ecosystem.parties.application import PartyCommands
from ecosystem.partnerships.domainmodel import ACTIVE_AFTER, Partnership, partnership_id
from ecosystem.service import Idempotency, Written


class Participation(Protocol):
    """A shared object as the end of a partnership sees it (deals, solutions and plans)."""

    def end_participation(self, party_id: UUID, actor: Actor) -> bool: ...


class PartnershipCommands(PartyCommands):
    def propose_partnership(
        self, principal: Principal, partner_id: UUID, idempotency: Idempotency | None = None
    ) -> Written:
        principal.require(Capability.MANAGE_PARTNERSHIPS)
        if partner_id == principal.party_id:
            raise InvalidCommand("a party cannot partner with itself")
        self.party(partner_id)
        pair_id = partnership_id(principal.party_id, partner_id)

        def attempt() -> tuple[Sequence[Aggregate], Written]:
            if self.exists(pair_id):
                partnership = self.load(Partnership, pair_id, "partnership")
                partnership.propose_again(principal.party_id, principal.actor)
            else:
                partnership = Partnership(principal.party_id, partner_id, principal.actor)
            return [partnership], Written(partnership.id, partnership.version)

        return self.execute(attempt, idempotency, principal)

    def accept_partnership(
        self, principal: Principal, pair_id: UUID, idempotency: Idempotency | None = None
    ) -> Written:
        return self._answer(principal, pair_id, lambda p: p.accept(principal.actor), idempotency)

    def decline_partnership(
        self, principal: Principal, pair_id: UUID, idempotency: Idempotency | None = None
    ) -> Written:
        return self._answer(principal, pair_id, lambda p: p.decline(principal.actor), idempotency)

    def end_partnership(
        self,
        principal: Principal,
        pair_id: UUID,
        reason: str = "",
        idempotency: Idempotency | None = None,
    ) -> Written:
        """End it; each side's part in the objects the other shared with it ends with it, in
        the same transaction (a `PartnerWithdrawn` with the reason "partnership ended")."""

        def attempt() -> tuple[Sequence[Aggregate], Written]:
            partnership = self.partnership(principal, pair_id)  # 404 comes before 403
            principal.require(Capability.MANAGE_PARTNERSHIPS)
            shared = dict(partnership.shared)
            partnership.end(reason[:500], principal.actor)
            ended: list[Aggregate] = []
            for object_id, owner_id in shared.items():
                found: Participation = self.repository.get(object_id)
                if found.end_participation(partnership.other_party(owner_id), principal.actor):
                    ended.append(cast(Aggregate, found))
            return [partnership, *ended], Written(partnership.id, partnership.version)

        return self.execute(attempt, idempotency, principal)

    def partnership(self, principal: Principal, pair_id: UUID) -> Partnership:
        """A partnership, seen only by its two parties."""
        partnership = self.load(Partnership, pair_id, "partnership")
        if principal.party_id not in partnership.parties and not principal.actor.is_system:
            raise NotFound(f"no partnership with id {pair_id}")
        return partnership

    def partnerships_of(self, principal: Principal) -> list[Partnership]:
        ids = {e.originator_id for e in self.events_of(Partnership, "Proposed")}
        found = (self.load(Partnership, i, "partnership") for i in ids)
        mine = [p for p in found if principal.party_id in p.parties]
        return sorted(mine, key=lambda p: p.created_on)

    def is_active_partnership(self, party_a: UUID, party_b: UUID) -> bool:
        """Whether the two are active partners now: one row read, no replay."""
        newest = self.recorder.select_events(partnership_id(party_a, party_b), desc=True, limit=1)
        return bool(newest) and isinstance(self.mapper.to_domain_event(newest[0]), ACTIVE_AFTER)

    def was_active_partnership(self, party_a: UUID, party_b: UUID, at: datetime) -> bool:
        """Whether the two were active partners at `at`."""
        events: list[Any] = list(self.events.get(partnership_id(party_a, party_b)))
        then = [e for e in events if e.timestamp <= at]
        return bool(then) and isinstance(then[-1], ACTIVE_AFTER)

    def sharing_partnership(self, owner_id: UUID, party_id: UUID) -> Partnership | None:
        """The owner's active partnership with the party, which an invitation is recorded on;
        None when there is none."""
        pair_id = partnership_id(owner_id, party_id)
        if owner_id == party_id or not self.exists(pair_id):
            return None
        partnership = self.load(Partnership, pair_id, "partnership")
        return partnership if partnership.is_active else None

    def _answer(
        self,
        principal: Principal,
        pair_id: UUID,
        act: Callable[[Partnership], None],
        idempotency: Idempotency | None,
    ) -> Written:
        def attempt() -> tuple[Sequence[Aggregate], Written]:
            partnership = self.partnership(principal, pair_id)  # 404 comes before 403
            principal.require(Capability.MANAGE_PARTNERSHIPS)
            act(partnership)
            return [partnership], Written(partnership.id, partnership.version)

        return self.execute(attempt, idempotency, principal)
