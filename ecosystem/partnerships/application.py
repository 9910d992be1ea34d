"""Partnership services: propose, answer and end the dual opt-in between two parties."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from uuid import UUID

from eventsourcing.domain import Aggregate

from ecosystem.actors import Capability, Principal
from ecosystem.errors import InvalidCommand, NotFound
from ecosystem.parties.application import PartyCommands
from ecosystem.partnerships.domainmodel import Partnership, partnership_id
from ecosystem.service import Idempotency, Written


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
        act: Callable[[Partnership], None] = lambda p: p.end(reason[:500], principal.actor)  # noqa: E731
        return self._answer(principal, pair_id, act, idempotency)

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
        pair_id = partnership_id(party_a, party_b)
        return self.exists(pair_id) and self.load(Partnership, pair_id, "partnership").is_active

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
