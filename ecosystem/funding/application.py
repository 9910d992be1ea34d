"""Co-funding plan services: commit funds, add activities, request, approve, claim and pay."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from ecosystem.actors import Capability, Principal
from ecosystem.funding.domainmodel import CoFundingPlan
from ecosystem.service import Idempotency, Written
from ecosystem.shared_services import SharedObjectCommands
from ecosystem.sharing.access import may_read

PlanAct = Callable[[CoFundingPlan], None]


class FundingCommands(SharedObjectCommands):
    def create_funding_plan(
        self, principal: Principal, currency: str, fields: dict[str, Any],
        idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        principal.require(Capability.MANAGE_FUNDS)

        def attempt() -> tuple[Sequence[Aggregate], Written]:
            plan = CoFundingPlan.create(principal.party_id, currency, fields, principal.actor)
            return [plan], Written(plan.id, plan.version)

        return self.execute(attempt, idempotency, principal)

    def funding_plan(
        self, principal: Principal, plan_id: UUID, version: int | None = None
    ) -> CoFundingPlan:
        return self.shared(CoFundingPlan, principal, plan_id, version)

    def funding_plans_for(self, principal: Principal) -> list[CoFundingPlan]:
        return self.shared_for(CoFundingPlan, principal, "Created")

    def change_plan(
        self, principal: Principal, plan_id: UUID, act: PlanAct, expected_version: int | None,
        idempotency: Idempotency | None, capability: Capability = Capability.MANAGE_FUNDS,
        **added: UUID,
    ) -> Written:  # fmt: skip
        """Run one plan command; money decisions need a funds manager, requests a seller.
        `added` names the ids of what the command adds, returned again on a retry."""
        return self.change_shared(
            CoFundingPlan, principal, plan_id, expected_version, act, idempotency, capability,
            added,
        )  # fmt: skip

    def funders_seen_by(self, party_id: UUID, plan: CoFundingPlan) -> set[UUID]:
        """The funders a party may know of: all, if it may see the plan's participants;
        otherwise itself and the owner (who is always one, and always shown)."""
        funders = set(plan.funders())
        if may_read(self.read_grants, party_id, plan, "funding_plan", "participants"):
            return funders
        return funders & {party_id, plan.owner_id}

    def update_funding_plan(
        self, principal: Principal, plan_id: UUID, changes: dict[str, Any],
        expected_version: int | None,
    ) -> Written:  # fmt: skip
        act: PlanAct = lambda p: p.update_details(changes, principal.actor)  # noqa: E731
        return self.change_plan(principal, plan_id, act, expected_version, None)

    def commit_funds(
        self, principal: Principal, plan_id: UUID, amount: Any,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        act: PlanAct = lambda p: p.commit_funds(amount, principal.actor)  # noqa: E731
        return self.change_plan(principal, plan_id, act, expected_version, idempotency)

    def add_activity(
        self, principal: Principal, plan_id: UUID, kind: str, name: str, budget: Any,
        shares: dict[UUID, Any], expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        activity_id = uuid4()
        act: PlanAct = lambda p: p.add_activity(  # noqa: E731
            activity_id, kind, name, budget, shares, principal.actor,
            self.funders_seen_by(principal.party_id, p),
        )  # fmt: skip
        return self.change_plan(
            principal, plan_id, act, expected_version, idempotency, activity_id=activity_id
        )

    def request_funds(
        self, principal: Principal, plan_id: UUID, activity_id: UUID, amount: Any,
        description: str, expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        request_id = uuid4()
        act: PlanAct = lambda p: p.request_funds(  # noqa: E731
            request_id, activity_id, amount, description, principal.actor
        )
        return self.change_plan(
            principal,
            plan_id,
            act,
            expected_version,
            idempotency,
            Capability.SELL,
            request_id=request_id,
        )

    def approve_request(
        self, principal: Principal, plan_id: UUID, request_id: UUID,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        act: PlanAct = lambda p: p.approve(request_id, principal.actor)  # noqa: E731
        return self.change_plan(principal, plan_id, act, expected_version, idempotency)

    def reject_request(
        self, principal: Principal, plan_id: UUID, request_id: UUID, reason: str,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        act: PlanAct = lambda p: p.reject(request_id, reason, principal.actor)  # noqa: E731
        return self.change_plan(principal, plan_id, act, expected_version, idempotency)

    def ask_for_information(
        self, principal: Principal, plan_id: UUID, request_id: UUID, reason: str,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        act: PlanAct = lambda p: p.ask_for_information(request_id, reason, principal.actor)  # noqa: E731
        return self.change_plan(principal, plan_id, act, expected_version, idempotency)

    def provide_information(
        self, principal: Principal, plan_id: UUID, request_id: UUID, reply: str,
        amount: Any = None, expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        act: PlanAct = lambda p: p.provide_information(  # noqa: E731
            request_id, reply, amount, principal.actor
        )
        return self.change_plan(
            principal, plan_id, act, expected_version, idempotency, Capability.SELL
        )

    def claim_funds(
        self, principal: Principal, plan_id: UUID, request_id: UUID, amount: Any,
        proofs: list[dict[str, str]], expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        claim_id = uuid4()
        act: PlanAct = lambda p: p.claim(  # noqa: E731
            request_id, claim_id, amount, proofs, principal.actor
        )
        return self.change_plan(
            principal,
            plan_id,
            act,
            expected_version,
            idempotency,
            Capability.SELL,
            claim_id=claim_id,
        )

    def record_payout(
        self, principal: Principal, plan_id: UUID, claim_id: UUID, amount: Any, reference: str,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        payout_id = uuid4()
        act: PlanAct = lambda p: p.pay(  # noqa: E731
            claim_id, payout_id, amount, reference, principal.actor
        )
        return self.change_plan(
            principal, plan_id, act, expected_version, idempotency, payout_id=payout_id
        )
