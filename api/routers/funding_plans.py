"""Co-funding plans: commitments, activities, fund requests and their answers, claims, payouts."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from api.deps import (
    CallerDep,
    ExpectedVersion,
    IdempotencyDep,
    RequiredVersion,
)
from api.routers.rendering import View, shared_response
from api.routers.shared_routes import OPTS, add_shared_routes
from api.schemas.funding import (
    ActivityCreate,
    Answer,
    ClaimCreate,
    Commitment,
    FundRequestCreate,
    InformationReply,
    PayoutCreate,
    PlanCounterpart,
    PlanCreate,
    PlanUpdate,
)
from ecosystem.funding.domainmodel import CoFundingPlan

router = APIRouter(prefix="/v1/funding-plans", tags=["funding plans"])
Plan = CoFundingPlan


@router.post("", status_code=status.HTTP_201_CREATED, **OPTS)
def create(
    body: PlanCreate, caller: CallerDep, idempotency: IdempotencyDep, response: Response
) -> View:
    """Create a co-funding plan in one currency; your party is its first funder."""
    written = caller.network.create_funding_plan(
        caller.principal, body.currency, body.changes(), idempotency
    )
    response.headers["Location"] = f"/v1/funding-plans/{written.object_id}"
    return shared_response(caller, Plan, written, response)


@router.patch("/{plan_id}", **OPTS)
def update(
    plan_id: UUID, body: PlanUpdate, version: RequiredVersion, caller: CallerDep,
    response: Response,
) -> View:  # fmt: skip
    """Change the plan's details (owner only); If-Match."""
    written = caller.network.update_funding_plan(caller.principal, plan_id, body.changes(), version)
    return shared_response(caller, Plan, written, response)


@router.post("/{plan_id}/commitments", **OPTS)
def commit(
    plan_id: UUID, body: Commitment, version: ExpectedVersion, caller: CallerDep,
    idempotency: IdempotencyDep, response: Response,
) -> View:  # fmt: skip
    """Set your party's total commitment (a funder; never below what it has approved)."""
    written = caller.network.commit_funds(
        caller.principal, plan_id, body.amount.to_money(), version, idempotency
    )
    return shared_response(caller, Plan, written, response)


@router.post("/{plan_id}/activities", **OPTS)
def add_activity(
    plan_id: UUID, body: ActivityCreate, version: ExpectedVersion, caller: CallerDep,
    idempotency: IdempotencyDep, response: Response,
) -> View:  # fmt: skip
    """Add a campaign, event or enablement with its budget and the funders' shares."""
    written = caller.network.add_activity(
        caller.principal, plan_id, body.kind, body.name, body.budget.to_money(),
        body.shares_by_party(), version, idempotency,
    )  # fmt: skip
    return shared_response(caller, Plan, written, response)


@router.post("/{plan_id}/requests", **OPTS)
def request_funds(
    plan_id: UUID, body: FundRequestCreate, version: ExpectedVersion, caller: CallerDep,
    idempotency: IdempotencyDep, response: Response,
) -> View:  # fmt: skip
    """Request funds for an activity (any participant); Cosell-Request-Id names the request."""
    written = caller.network.request_funds(
        caller.principal, plan_id, body.activity_id, body.amount.to_money(), body.description,
        version, idempotency,
    )  # fmt: skip
    return shared_response(caller, Plan, written, response)


@router.post("/{plan_id}/requests/{request_id}/approve", **OPTS)
def approve(
    plan_id: UUID, request_id: UUID, version: ExpectedVersion, caller: CallerDep,
    idempotency: IdempotencyDep, response: Response,
) -> View:  # fmt: skip
    """Approve your party's portion of a request (a funder whose money it draws on)."""
    written = caller.network.approve_request(
        caller.principal, plan_id, request_id, version, idempotency
    )
    return shared_response(caller, Plan, written, response)


@router.post("/{plan_id}/requests/{request_id}/reject", **OPTS)
def reject(
    plan_id: UUID, request_id: UUID, body: Answer, version: ExpectedVersion, caller: CallerDep,
    idempotency: IdempotencyDep, response: Response,
) -> View:  # fmt: skip
    """Reject a request, with a reason (a funder whose money it draws on)."""
    written = caller.network.reject_request(
        caller.principal, plan_id, request_id, body.reason, version, idempotency
    )
    return shared_response(caller, Plan, written, response)


@router.post("/{plan_id}/requests/{request_id}/questions", **OPTS)
def ask(
    plan_id: UUID, request_id: UUID, body: Answer, version: ExpectedVersion, caller: CallerDep,
    idempotency: IdempotencyDep, response: Response,
) -> View:  # fmt: skip
    """Ask for more information before deciding, with a reason."""
    written = caller.network.ask_for_information(
        caller.principal, plan_id, request_id, body.reason, version, idempotency
    )
    return shared_response(caller, Plan, written, response)


@router.post("/{plan_id}/requests/{request_id}/information", **OPTS)
def provide_information(
    plan_id: UUID, request_id: UUID, body: InformationReply, version: ExpectedVersion,
    caller: CallerDep, idempotency: IdempotencyDep, response: Response,
) -> View:  # fmt: skip
    """Answer a question on your request (the funders then approve it anew)."""
    amount = body.amount.to_money() if body.amount is not None else None
    written = caller.network.provide_information(
        caller.principal, plan_id, request_id, body.reply, amount, version, idempotency
    )
    return shared_response(caller, Plan, written, response)


@router.post("/{plan_id}/requests/{request_id}/claims", **OPTS)
def claim(
    plan_id: UUID, request_id: UUID, body: ClaimCreate, version: ExpectedVersion,
    caller: CallerDep, idempotency: IdempotencyDep, response: Response,
) -> View:  # fmt: skip
    """Claim approved funds with proofs of execution (names and SHA-256 of documents)."""
    proofs = [p.model_dump() for p in body.proofs]
    written = caller.network.claim_funds(
        caller.principal, plan_id, request_id, body.amount.to_money(), proofs, version,
        idempotency,
    )  # fmt: skip
    return shared_response(caller, Plan, written, response)


@router.post("/{plan_id}/claims/{claim_id}/payouts", **OPTS)
def pay(
    plan_id: UUID, claim_id: UUID, body: PayoutCreate, version: ExpectedVersion,
    caller: CallerDep, idempotency: IdempotencyDep, response: Response,
) -> View:  # fmt: skip
    """Record a payout against a claim (a funder whose money the claim draws on)."""
    written = caller.network.record_payout(
        caller.principal, plan_id, claim_id, body.amount.to_money(), body.reference, version,
        idempotency,
    )  # fmt: skip
    return shared_response(caller, Plan, written, response)


add_shared_routes(router, Plan, PlanCounterpart)
