"""Shared opportunities: register, read, change, invite, stage, notes, close and history."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from api.deps import CallerDep, ExpectedVersion, IdempotencyDep, RequiredVersion
from api.problems import BadRequest
from api.routers.rendering import etag, opportunity_response
from api.schemas.opportunities import (
    Closing,
    CounterpartUpdate,
    EventHistory,
    InvitationCreate,
    NoteCreate,
    OpportunityCreate,
    OpportunityPage,
    OpportunityPublic,
    OpportunityUpdate,
    Reason,
    StageChange,
)
from ecosystem.opportunities.fields import Stage

router = APIRouter(prefix="/v1/opportunities", tags=["opportunities"])
View = dict[str, Any] | Response
OPTS: dict[str, Any] = {"response_model": OpportunityPublic, "response_model_exclude_unset": True}


@router.post("", status_code=status.HTTP_201_CREATED, **OPTS)
def register(
    body: OpportunityCreate,
    caller: CallerDep,
    idempotency: IdempotencyDep,
    response: Response,
) -> View:
    """Register a deal; 409 if an open deal for the same customer already involves you."""
    written = caller.network.register_opportunity(
        caller.principal, body.changes(), body.override_conflicts, idempotency
    )
    response.headers["Location"] = f"/v1/opportunities/{written.object_id}"
    return opportunity_response(caller, written, response)


@router.get("", response_model=OpportunityPage, response_model_exclude_unset=True)
def list_opportunities(
    caller: CallerDep,
    stage: Annotated[Stage | None, Query(description="Only deals in this stage.")] = None,
    relation: Annotated[
        Literal["owned", "partner", "invited"] | None,
        Query(description="owned: you registered it; partner: you accepted; invited: pending."),
    ] = None,
    sort: Literal["created_at", "-created_at", "updated_at", "-updated_at"] = "-updated_at",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The deals your party is involved in, as you may see them; filtered, sorted, paged."""
    party = caller.principal.party_id
    found = caller.network.opportunities_for(caller.principal)
    if relation == "owned":
        found = [o for o in found if o.owner_id == party]
    elif relation == "partner":
        found = [o for o in found if o.owner_id != party and o.is_partner(party)]
    elif relation == "invited":
        found = [o for o in found if o.is_invited(party)]
    redaction = caller.redaction()
    # Filter and sort on the views, never on the state: a hidden stage must not be findable.
    views = [v for v in (redaction.opportunity_view(party, o) for o in found) if v is not None]
    if stage is not None:
        views = [v for v in views if v.get("stage") == stage]
    key = sort.removeprefix("-")
    views.sort(key=lambda v: (_moment(v.get(key)), v["id"]), reverse=sort.startswith("-"))
    start = _offset(cursor)
    items = views[start : start + limit]
    more = start + limit < len(views)
    return {
        "items": [item for item in items if item is not None],
        "next_cursor": _cursor(start + limit) if more else None,
    }


@router.get("/{opportunity_id}", **OPTS)
def get_opportunity(opportunity_id: UUID, caller: CallerDep, response: Response) -> View:
    """One deal as you may see it; the ETag is its version, for If-Match on changes."""
    opportunity = caller.network.opportunity(caller.principal, opportunity_id)
    response.headers["ETag"] = etag(opportunity.version)
    view = caller.redaction().opportunity_view(caller.principal.party_id, opportunity)
    assert view is not None  # network.opportunity() already refused non-participants
    return view


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
    """The deal's recorded events, oldest first, each redacted as you may see it."""
    opportunity = caller.network.opportunity(caller.principal, opportunity_id)
    redaction = caller.redaction()
    views = (
        redaction.event_view(caller.principal.party_id, opportunity, e)
        for e in caller.network.history(caller.principal, opportunity_id)
    )
    return {"opportunity_id": str(opportunity_id), "events": [v for v in views if v is not None]}


def _moment(value: str | None) -> datetime:
    """A view's timestamp for sorting; invitees see none, and those sort first."""
    return datetime.fromisoformat(value) if value else datetime.min.replace(tzinfo=UTC)


def _reason(body: Reason | None) -> str:
    return body.reason if body is not None else ""


def _check_own_party(caller: UUID, party_id: UUID) -> None:
    if caller != party_id:
        raise BadRequest("you can answer only your own party's invitation")


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor.encode()).decode().removeprefix("o:"))
    except ValueError:
        raise BadRequest("the cursor is not one this API returned") from None


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()
