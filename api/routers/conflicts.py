"""Registration conflicts: the records of deals registered for your deals' customers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter

from api.deps import Caller, CallerDep, ExpectedVersion, IdempotencyDep
from api.schemas.conflicts import (
    ConflictDismissal,
    RegistrationConflictList,
    RegistrationConflictPublic,
)
from ecosystem.opportunities.conflicts import ConflictStatus, RegistrationConflictRecord
from ecosystem.service import Written
from policies.conflict_views import conflict_view

router = APIRouter(prefix="/v1/registration-conflicts", tags=["opportunities"])
OPTS: dict[str, Any] = {
    "response_model": RegistrationConflictPublic,
    "response_model_exclude_unset": True,
}


def _view(caller: Caller, record: RegistrationConflictRecord) -> dict[str, Any]:
    view = conflict_view(caller.redaction(), caller.principal.party_id, record)
    assert view is not None  # the network refuses anyone but the record's owner
    return view


def _written(caller: Caller, written: Written) -> dict[str, Any]:
    return _view(caller, caller.network.registration_conflict(caller.principal, written.object_id))


@router.get("", response_model=RegistrationConflictList, response_model_exclude_unset=True)
def list_conflicts(caller: CallerDep, status: ConflictStatus | None = None) -> dict[str, Any]:
    """Deals registered for your open deals' customers by parties that take part in them."""
    records = caller.network.registration_conflicts(caller.principal)
    chosen = [r for r in records if status is None or r.status is status]
    return {"items": [_view(caller, r) for r in chosen]}


@router.get("/{conflict_id}", **OPTS)
def get_conflict(conflict_id: UUID, caller: CallerDep) -> dict[str, Any]:
    """One registration conflict of your party's."""
    return _view(caller, caller.network.registration_conflict(caller.principal, conflict_id))


@router.post("/{conflict_id}/acknowledge", **OPTS)
def acknowledge(
    conflict_id: UUID, caller: CallerDep, version: ExpectedVersion, idempotency: IdempotencyDep
) -> dict[str, Any]:
    """Say you have seen the conflict and are working it out."""
    written = caller.network.acknowledge_conflict(
        caller.principal, conflict_id, version, idempotency
    )
    return _written(caller, written)


@router.post("/{conflict_id}/dismiss", **OPTS)
def dismiss(
    conflict_id: UUID,
    body: ConflictDismissal,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency: IdempotencyDep,
) -> dict[str, Any]:
    """Dismiss the conflict (the deals are not the same), with a reason."""
    written = caller.network.dismiss_conflict(
        caller.principal, conflict_id, body.reason, version, idempotency
    )
    return _written(caller, written)
