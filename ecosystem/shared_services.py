"""Services every shared object offers: read (404 to outsiders), invite, answer, withdraw,
link opportunities and keep counterpart fields; each change is load -> decide -> save."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from ecosystem.actors import Capability, Principal
from ecosystem.errors import CosellError, NotFound
from ecosystem.opportunities.application import OpportunityCommands
from ecosystem.opportunities.domainmodel import SharedOpportunity
from ecosystem.service import Idempotency, Written, check_version
from ecosystem.shared_objects import SharedObject
from ecosystem.sharing.access import refusal_for

S = TypeVar("S", bound=SharedObject)
LINK_KINDS = {"solution": "solution", "funding plan": "funding_plan"}


class SharedObjectCommands(OpportunityCommands):
    def shared(
        self, cls: type[S], principal: Principal, object_id: UUID, version: int | None = None
    ) -> S:
        """The object, if the caller's party is involved in it; otherwise NotFound."""
        principal.require(Capability.READ)
        found = self.load(cls, object_id, cls.kind)
        if principal.party_id not in found.involved_parties:
            raise NotFound(f"no {cls.kind} with id {object_id}")
        if version is not None and version != found.version:
            return self.at_version(cls, object_id, version, cls.kind)
        return found

    def involved_in(self, object_id: UUID) -> frozenset[UUID]:
        """The parties involved in a deal, solution or plan now (none for an unknown id)."""
        if not self.exists(object_id):
            return frozenset()
        found: Any = self.repository.get(object_id)
        return frozenset(getattr(found, "involved_parties", ()))

    def shared_for(self, cls: type[S], principal: Principal, created: str) -> list[S]:
        """Every object of `cls` the caller's party is involved in, oldest first (a scan)."""
        principal.require(Capability.READ)
        party = principal.party_id
        ids: dict[UUID, None] = {}
        for e in self.events_of(cls, created, "PartnerInvited"):
            if party in (getattr(e, "owner_id", None), getattr(e, "party_id", None)):
                ids[e.originator_id] = None
        found = (self.load(cls, i, cls.kind) for i in ids)
        return [o for o in found if party in o.involved_parties]

    def shared_history(self, cls: type[S], principal: Principal, object_id: UUID) -> list[Any]:
        self.shared(cls, principal, object_id)
        return list(self.events.get(object_id))

    def change_shared(
        self,
        cls: type[S],
        principal: Principal,
        object_id: UUID,
        expected_version: int | None,
        act: Callable[[S], Sequence[Aggregate] | None],
        idempotency: Idempotency | None,
        capability: Capability = Capability.SELL,
        added: dict[str, UUID] | None = None,
    ) -> Written:
        """Run one command; `added` names the ids of what it adds (kept for retries too)."""

        def attempt() -> tuple[Sequence[Aggregate], Written]:
            found = self.shared(cls, principal, object_id)  # 404 comes before 403
            principal.require(capability)
            check_version(found, expected_version)
            try:
                others = act(found) or ()
            except CosellError as refused:
                kind = LINK_KINDS[cls.kind]
                raise refusal_for(
                    refused, self.read_grants, principal.party_id, found, kind
                ) from None
            return [found, *others], Written(found.id, found.version, dict(added or {}))

        return self.execute(attempt, idempotency, principal)

    # --- participants -----------------------------------------------------------------------

    def invite_to(
        self, cls: type[S], principal: Principal, object_id: UUID, party_id: UUID, role: str,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        def act(found: S) -> list[Aggregate]:
            if principal.party_id == found.owner_id != party_id:
                self.party(party_id)  # an unknown party is 404, like any unknown id
            partnership = self.sharing_partnership(found.owner_id, party_id)
            active = partnership is not None
            found.invite(party_id, role, principal.actor, partnership_active=active)
            assert partnership is not None  # the invitation needs an active partnership
            partnership.record_sharing(found.id, found.owner_id, principal.actor)
            return [partnership]

        return self.change_shared(cls, principal, object_id, expected_version, act, idempotency)

    def accept_for(
        self, cls: type[S], principal: Principal, object_id: UUID,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        def act(found: S) -> None:
            found.accept_invitation(principal.actor)

        return self.change_shared(cls, principal, object_id, expected_version, act, idempotency)

    def decline_for(
        self, cls: type[S], principal: Principal, object_id: UUID, reason: str = "",
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        def act(found: S) -> None:
            found.decline_invitation(reason, principal.actor)

        return self.change_shared(cls, principal, object_id, expected_version, act, idempotency)

    def withdraw_from(
        self, cls: type[S], principal: Principal, object_id: UUID, party_id: UUID,
        reason: str = "", expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        def act(found: S) -> None:
            found.withdraw(party_id, reason, principal.actor)

        return self.change_shared(cls, principal, object_id, expected_version, act, idempotency)

    def update_shared_counterpart(
        self, cls: type[S], principal: Principal, object_id: UUID, changes: dict[str, Any],
        expected_version: int | None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        def act(found: S) -> None:
            found.update_counterpart(changes, principal.actor)

        return self.change_shared(cls, principal, object_id, expected_version, act, idempotency)

    # --- links: recorded on both sides, in one transaction ----------------------------------

    def link_opportunity(
        self, cls: type[S], principal: Principal, object_id: UUID, opportunity_id: UUID,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        """Link a deal the caller's party takes part in to this solution or plan."""

        def act(found: S) -> list[Aggregate]:
            deal = self._linkable(principal, opportunity_id)
            found.link_opportunity(opportunity_id, principal.actor)
            deal.link(found.id, LINK_KINDS[cls.kind], principal.actor)
            return [deal]

        return self.change_shared(cls, principal, object_id, expected_version, act, idempotency)

    def unlink_opportunity(
        self, cls: type[S], principal: Principal, object_id: UUID, opportunity_id: UUID,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        def act(found: S) -> list[Aggregate]:
            found.unlink_opportunity(opportunity_id, principal.actor)
            deal = self.load(SharedOpportunity, opportunity_id, "opportunity")
            deal.unlink(found.id, principal.actor)
            return [deal]

        return self.change_shared(cls, principal, object_id, expected_version, act, idempotency)

    def _linkable(self, principal: Principal, opportunity_id: UUID) -> SharedOpportunity:
        """The deal, if the caller's party takes part in it; as unknown to anyone else."""
        try:
            deal = self.opportunity(principal, opportunity_id)
        except NotFound:
            raise NotFound(f"no opportunity with id {opportunity_id} to link") from None
        if not deal.is_partner(principal.party_id):
            raise NotFound(f"no opportunity with id {opportunity_id} to link")
        return deal
