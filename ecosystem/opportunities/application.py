"""Opportunity services: share, work and close deals; read them back (registering is in
`registration`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from ecosystem.actors import Capability, Principal
from ecosystem.errors import CosellError, NotFound
from ecosystem.opportunities.domainmodel import Outcome, PartnerRole, SharedOpportunity
from ecosystem.opportunities.fields import Stage
from ecosystem.opportunities.registration import RegistrationCommands
from ecosystem.service import Idempotency, Written, check_version
from ecosystem.sharing.access import NoWriteGrants, WriteGrants, refusal_for

Act = Callable[[SharedOpportunity], None]


class OpportunityCommands(RegistrationCommands):
    write_grants: WriteGrants = NoWriteGrants()  # the composition root wires in the policies

    def update_opportunity(
        self,
        principal: Principal,
        opportunity_id: UUID,
        changes: dict[str, Any],
        expected_version: int | None,
        idempotency: Idempotency | None = None,
    ) -> Written:
        def act(opportunity: SharedOpportunity) -> list[Aggregate]:
            granted = frozenset[str]()
            if principal.party_id != opportunity.owner_id:
                granted = self.write_grants.writable(principal.party_id, opportunity)
            opportunity.update_details(changes, principal.actor, granted)
            indexes = self._customer_indexes(opportunity)
            for index in indexes:
                index.file(opportunity.id)
            return list(indexes)

        return self._change(principal, opportunity_id, expected_version, act, idempotency)

    def invite_partner(
        self,
        principal: Principal,
        opportunity_id: UUID,
        party_id: UUID,
        role: PartnerRole,
        expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Written:
        def act(opportunity: SharedOpportunity) -> list[Aggregate]:
            if principal.party_id == opportunity.owner_id != party_id:
                self.party(party_id)  # an unknown party is 404, like any unknown id
            partnership = self.sharing_partnership(opportunity.owner_id, party_id)
            active = partnership is not None
            opportunity.invite(party_id, role, principal.actor, partnership_active=active)
            assert partnership is not None  # the invitation needs an active partnership
            partnership.record_sharing(opportunity.id, opportunity.owner_id, principal.actor)
            return [partnership]

        return self._change(principal, opportunity_id, expected_version, act, idempotency)

    def accept_invitation(
        self, principal: Principal, opportunity_id: UUID, expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        act = _plain(lambda o: o.accept_invitation(principal.actor))
        return self._change(principal, opportunity_id, expected_version, act, idempotency)

    def decline_invitation(
        self, principal: Principal, opportunity_id: UUID, reason: str = "",
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        act = _plain(lambda o: o.decline_invitation(reason, principal.actor))
        return self._change(principal, opportunity_id, expected_version, act, idempotency)

    def withdraw_partner(
        self, principal: Principal, opportunity_id: UUID, party_id: UUID, reason: str = "",
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        act = _plain(lambda o: o.withdraw(party_id, reason, principal.actor))
        return self._change(principal, opportunity_id, expected_version, act, idempotency)

    def change_stage(
        self, principal: Principal, opportunity_id: UUID, stage: Stage, reopen: bool = False,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        act = _plain(lambda o: o.change_stage(stage, reopen, principal.actor))
        return self._change(principal, opportunity_id, expected_version, act, idempotency)

    def close_opportunity(
        self, principal: Principal, opportunity_id: UUID, outcome: Outcome, reason: str = "",
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        act = _plain(lambda o: o.close(outcome, reason, principal.actor))
        return self._change(principal, opportunity_id, expected_version, act, idempotency)

    def add_note(
        self, principal: Principal, opportunity_id: UUID, text: str,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        act = _plain(lambda o: o.add_note(uuid4(), text, principal.actor))
        return self._change(principal, opportunity_id, expected_version, act, idempotency)

    def update_counterpart(
        self, principal: Principal, opportunity_id: UUID, changes: dict[str, Any],
        expected_version: int | None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        act = _plain(lambda o: o.update_counterpart(changes, principal.actor))
        return self._change(principal, opportunity_id, expected_version, act, idempotency)

    # --- reads ------------------------------------------------------------------------------

    def opportunity(
        self, principal: Principal, opportunity_id: UUID, version: int | None = None
    ) -> SharedOpportunity:
        """The opportunity, if the caller's party is involved in it; otherwise NotFound."""
        principal.require(Capability.READ)
        opportunity = self.load(SharedOpportunity, opportunity_id, "opportunity")
        if principal.party_id not in opportunity.involved_parties:
            raise NotFound(f"no opportunity with id {opportunity_id}")
        if version is not None and version != opportunity.version:
            return self.at_version(SharedOpportunity, opportunity_id, version, "opportunity")
        return opportunity

    def opportunities_for(self, principal: Principal) -> list[SharedOpportunity]:
        """Every opportunity the caller's party is involved in, oldest first."""
        principal.require(Capability.READ)
        party = principal.party_id
        ids: dict[UUID, None] = {}
        for e in self.events_of(SharedOpportunity, "Registered", "PartnerInvited"):
            if party in (getattr(e, "owner_id", None), getattr(e, "party_id", None)):
                ids[e.originator_id] = None
        found = (self.load(SharedOpportunity, i, "opportunity") for i in ids)
        return [o for o in found if party in o.involved_parties]

    def history(self, principal: Principal, opportunity_id: UUID) -> list[Any]:
        self.opportunity(principal, opportunity_id)
        return list(self.events.get(opportunity_id))

    # --- helpers ----------------------------------------------------------------------------

    def _change(
        self,
        principal: Principal,
        opportunity_id: UUID,
        expected_version: int | None,
        act: Callable[[SharedOpportunity], list[Aggregate]],
        idempotency: Idempotency | None,
    ) -> Written:
        def attempt() -> tuple[Sequence[Aggregate], Written]:
            opportunity = self.opportunity(principal, opportunity_id)  # 404 comes before 403
            principal.require(Capability.SELL)
            check_version(opportunity, expected_version)
            try:
                others = act(opportunity)
            except CosellError as refused:
                grants, party = self.read_grants, principal.party_id
                raise refusal_for(refused, grants, party, opportunity, "opportunity") from None
            return [opportunity, *others], Written(opportunity.id, opportunity.version)

        return self.execute(attempt, idempotency, principal)


def _plain(act: Act) -> Callable[[SharedOpportunity], list[Aggregate]]:
    def run(opportunity: SharedOpportunity) -> list[Aggregate]:
        act(opportunity)
        return []

    return run
