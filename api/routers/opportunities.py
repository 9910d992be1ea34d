"""Shared opportunities: register, read, change, invite, stage, notes, close and history."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from api.deps import (
    CallerDep,
    ExpectedVersion,
    IdempotencyDep,
    ReadAfter,
    ReadModelsDep,
    RequiredVersion,
)
from api.problems import BadRequest
from api.routers.rendering import View, opportunity_response, read_opportunity
from api.schemas.opportunities import (
    Closing,
    CounterpartUpdate,
    EventHistory,
    InvitationCreate,
    ListFilters,
    NoteCreate,
    OpportunityCreate,
    OpportunityPage,
    OpportunityPublic,
    OpportunityUpdate,
    Reason,
    StageChange,
)
from ecosystem.actors import Capability
from projections import OpportunityQuery

router = APIRouter(prefix="/v1/opportunities", tags=["opportunities"])
OPTS: dict[str, Any] = {"response_model": OpportunityPublic, "response_model_exclude_unset": True}


@router.post("", status_code=status.HTTP_201_CREATED, **OPTS)
def register(
    body: OpportunityCreate,
    caller: CallerDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> View:
    """Register a deal; 409 if you take part in an open deal for the customer and may see why."""
    written = caller.network.register_opportunity(
        caller.principal, body.changes(), body.override_conflicts, idempotency
    )
    response.headers["Location"] = f"/v1/opportunities/{written.object_id}"
    return opportunity_response(caller, written, response)


@router.get("", response_model=OpportunityPage, response_model_exclude_unset=True)
def list_opportunities(
    caller: CallerDep,
    read_models: ReadModelsDep,
    at: ReadAfter,
    response: Response,
    filters: Annotated[ListFilters, Query()],
) -> dict[str, Any]:
    """The deals your party is involved in, from its read model: filtered, sorted, paged."""
    caller.principal.require(Capability.READ)
    query = OpportunityQuery(**filters.query_fields())
    items, cursor, position = read_models.opportunities(caller.principal.party_id, query, at.needed)
    at.stamp(response, position)
    return {"items": items, "next_cursor": cursor}


@router.get("/{opportunity_id}", **OPTS)
def get_opportunity(opportunity_id: UUID, caller: CallerDep, response: Response) -> View:
    """One deal as you may see it; the ETag is its version, for If-Match on changes."""
    return read_opportunity(caller, opportunity_id, response)


@router.patch("/{opportunity_id}", **OPTS)
def update(
    opportunity_id: UUID,
    body: OpportunityUpdate,
    version: RequiredVersion,
    caller: CallerDep,
    response: Response,
) -> View:
    """Change the deal's details (the owner, or a partner on fields granted write); If-Match."""
    written = caller.network.update_opportunity(
        caller.principal, opportunity_id, body.changes(), version
    )
    return opportunity_response(caller, written, response)


@router.patch("/{opportunity_id}/counterpart", **OPTS)
def update_counterpart(
    opportunity_id: UUID,
    body: CounterpartUpdate,
    version: RequiredVersion,
    caller: CallerDep,
    response: Response,
) -> View:
    """Change your own party's counterpart fields (CRM reference, forecast, internal notes)."""
    written = caller.network.update_counterpart(
        caller.principal, opportunity_id, body.changes(), version
    )
    return opportunity_response(caller, written, response)


@router.post("/{opportunity_id}/invitations", **OPTS)
def invite(
    opportunity_id: UUID,
    body: InvitationCreate,
    version: ExpectedVersion,
    caller: CallerDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> View:
    """Invite an active partner to the deal with a role (owner only)."""
    written = caller.network.invite_partner(
        caller.principal, opportunity_id, body.party_id, body.role, version, idempotency
    )
    return opportunity_response(caller, written, response)


@router.post("/{opportunity_id}/invitations/{party_id}/accept", **OPTS)
def accept_invitation(
    opportunity_id: UUID,
    party_id: UUID,
    version: ExpectedVersion,
    caller: CallerDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> View:
    """Accept your party's invitation; you then see the deal as a partner."""
    _check_own_party(caller.principal.party_id, party_id)
    written = caller.network.accept_invitation(
        caller.principal, opportunity_id, version, idempotency
    )
    return opportunity_response(caller, written, response)


@router.post("/{opportunity_id}/invitations/{party_id}/decline", **OPTS)
def decline_invitation(
    opportunity_id: UUID,
    party_id: UUID,
    version: ExpectedVersion,
    caller: CallerDep,
    idempotency: IdempotencyDep,
    response: Response,
    body: Reason | None = None,
) -> View:
    """Decline your party's invitation; the deal is then hidden from you."""
    _check_own_party(caller.principal.party_id, party_id)
    written = caller.network.decline_invitation(
        caller.principal, opportunity_id, _reason(body), version, idempotency
    )
    return opportunity_response(caller, written, response)


@router.post("/{opportunity_id}/invitations/{party_id}/withdraw", **OPTS)
def withdraw(
    opportunity_id: UUID,
    party_id: UUID,
    version: ExpectedVersion,
    caller: CallerDep,
    idempotency: IdempotencyDep,
    response: Response,
    body: Reason | None = None,
) -> View:
    """The owner withdraws a partner, or a partner leaves the deal (then 204)."""
    written = caller.network.withdraw_partner(
        caller.principal, opportunity_id, party_id, _reason(body), version, idempotency
    )
    return opportunity_response(caller, written, response)


@router.post("/{opportunity_id}/stage", **OPTS)
def change_stage(
    opportunity_id: UUID,
    body: StageChange,
    version: ExpectedVersion,
    caller: CallerDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> View:
    """Move the deal forward; moving back, or out of a closed stage, needs reopen."""
    written = caller.network.change_stage(
        caller.principal, opportunity_id, body.stage, body.reopen, version, idempotency
    )
    return opportunity_response(caller, written, response)


@router.post("/{opportunity_id}/notes", **OPTS)
def add_note(
    opportunity_id: UUID,
    body: NoteCreate,
    version: ExpectedVersion,
    caller: CallerDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> View:
    """Write a note on the deal (any participant who accepted)."""
    written = caller.network.add_note(
        caller.principal, opportunity_id, body.text, version, idempotency
    )
    return opportunity_response(caller, written, response)


@router.post("/{opportunity_id}/close", **OPTS)
def close(
    opportunity_id: UUID,
    body: Closing,
    version: ExpectedVersion,
    caller: CallerDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> View:
    """Close the deal as won (Launched) or lost (Closed Lost, with a reason)."""
    written = caller.network.close_opportunity(
        caller.principal, opportunity_id, body.outcome, body.reason, version, idempotency
    )
    return opportunity_response(caller, written, response)


@router.get("/{opportunity_id}/events", response_model=EventHistory)
def history(opportunity_id: UUID, caller: CallerDep) -> dict[str, Any]:
    """The deal's events as far as your party could see each when it happened, oldest first."""
    opportunity = caller.network.opportunity(caller.principal, opportunity_id)
    events = caller.network.history(caller.principal, opportunity_id)
    seen = caller.redaction().history(caller.principal.party_id, opportunity, events)
    return {"opportunity_id": str(opportunity_id), "events": [s.view for s in seen]}


def _reason(body: Reason | None) -> str:
    return body.reason if body is not None else ""


def _check_own_party(caller: UUID, party_id: UUID) -> None:
    if caller != party_id:
        raise BadRequest("you can answer only your own party's invitation")
