"""The routes every shared object has besides its own: read, history, invitations, links and
counterpart fields. Built once per object type, so the checks live in one place."""

# No `from __future__ import annotations`: FastAPI reads each route's types at definition,
# and the counterpart schema differs per object type.
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response

from api.deps import (
    CallerDep,
    ExpectedVersion,
    IdempotencyDep,
    ReadAfter,
    ReadModelsDep,
    RequiredVersion,
)
from api.problems import BadRequest
from api.routers.rendering import View, read_shared, shared_response
from api.schemas.opportunities import Reason
from api.schemas.shared import (
    LinkCreate,
    SharedEventHistory,
    SharedFilters,
    SharedInvitation,
    SharedPage,
    SharedPublic,
)
from ecosystem.actors import Capability
from ecosystem.shared_objects import SharedObject
from policies.shared_views import OBJECT_TYPES

OPTS: dict[str, Any] = {"response_model": SharedPublic, "response_model_exclude_unset": True}


def add_shared_routes(router: APIRouter, cls: type[SharedObject], counterpart: Any) -> None:
    """The list, GET one, its events, invitations, links and counterpart fields, for `cls`."""
    noun = cls.kind
    object_type = OBJECT_TYPES[cls]

    @router.get("", response_model=SharedPage, response_model_exclude_unset=True)
    def list_objects(
        caller: CallerDep, read_models: ReadModelsDep, at: ReadAfter, response: Response,
        filters: Annotated[SharedFilters, Query()],
    ) -> dict[str, Any]:  # fmt: skip
        """Those your party is invited to or takes part in, from its read model, newest first."""
        caller.principal.require(Capability.READ)
        items, cursor, position = read_models.shared(
            caller.principal.party_id, object_type, filters.relation, filters.limit,
            filters.cursor, at.needed,
        )  # fmt: skip
        at.stamp(response, position)
        return {"items": items, "next_cursor": cursor}

    @router.get("/{object_id}", summary=f"Read one {noun}", **OPTS)
    def read(object_id: UUID, caller: CallerDep, response: Response) -> View:
        """One object as you may see it; the ETag is its version, for If-Match on changes."""
        return read_shared(caller, cls, object_id, response)

    @router.get("/{object_id}/events", response_model=SharedEventHistory)
    def history(object_id: UUID, caller: CallerDep) -> dict[str, Any]:
        """Its events as far as your party could see each when it happened, oldest first."""
        found = caller.network.shared(cls, caller.principal, object_id)
        events = caller.network.shared_history(cls, caller.principal, object_id)
        seen = caller.redaction().history(caller.principal.party_id, found, events)
        return {"object_id": str(object_id), "events": [s.view for s in seen]}

    @router.post("/{object_id}/invitations", **OPTS)
    def invite(
        object_id: UUID, body: SharedInvitation, version: ExpectedVersion, caller: CallerDep,
        idempotency: IdempotencyDep, response: Response,
    ) -> View:  # fmt: skip
        """Invite an active partner with a role (owner only)."""
        written = caller.network.invite_to(
            cls, caller.principal, object_id, body.party_id, body.role, version, idempotency
        )
        return shared_response(caller, cls, written, response)

    @router.post("/{object_id}/invitations/{party_id}/accept", **OPTS)
    def accept(
        object_id: UUID, party_id: UUID, version: ExpectedVersion, caller: CallerDep,
        idempotency: IdempotencyDep, response: Response,
    ) -> View:  # fmt: skip
        """Accept your party's invitation."""
        _check_own_party(caller.principal.party_id, party_id)
        written = caller.network.accept_for(cls, caller.principal, object_id, version, idempotency)
        return shared_response(caller, cls, written, response)

    @router.post("/{object_id}/invitations/{party_id}/decline", **OPTS)
    def decline(
        object_id: UUID, party_id: UUID, version: ExpectedVersion, caller: CallerDep,
        idempotency: IdempotencyDep, response: Response, body: Reason | None = None,
    ) -> View:  # fmt: skip
        """Decline your party's invitation; the object is then hidden from you."""
        _check_own_party(caller.principal.party_id, party_id)
        written = caller.network.decline_for(
            cls, caller.principal, object_id, _reason(body), version, idempotency
        )
        return shared_response(caller, cls, written, response)

    @router.post("/{object_id}/invitations/{party_id}/withdraw", **OPTS)
    def withdraw(
        object_id: UUID, party_id: UUID, version: ExpectedVersion, caller: CallerDep,
        idempotency: IdempotencyDep, response: Response, body: Reason | None = None,
    ) -> View:  # fmt: skip
        """The owner withdraws a participant, or a participant leaves (then 204)."""
        written = caller.network.withdraw_from(
            cls, caller.principal, object_id, party_id, _reason(body), version, idempotency
        )
        return shared_response(caller, cls, written, response)

    @router.post("/{object_id}/links", **OPTS)
    def link(
        object_id: UUID, body: LinkCreate, version: ExpectedVersion, caller: CallerDep,
        idempotency: IdempotencyDep, response: Response,
    ) -> View:  # fmt: skip
        """Link a deal you take part in; both sides record the link."""
        written = caller.network.link_opportunity(
            cls, caller.principal, object_id, body.opportunity_id, version, idempotency
        )
        return shared_response(caller, cls, written, response)

    @router.delete("/{object_id}/links/{opportunity_id}", **OPTS)
    def unlink(
        object_id: UUID, opportunity_id: UUID, version: ExpectedVersion, caller: CallerDep,
        idempotency: IdempotencyDep, response: Response,
    ) -> View:  # fmt: skip
        """Remove a link (the party that made it, or the owner)."""
        written = caller.network.unlink_opportunity(
            cls, caller.principal, object_id, opportunity_id, version, idempotency
        )
        return shared_response(caller, cls, written, response)

    @router.patch("/{object_id}/counterpart", **OPTS)
    def update_counterpart(
        object_id: UUID, body: counterpart, version: RequiredVersion, caller: CallerDep,
        response: Response,
    ) -> View:  # fmt: skip
        """Change your own party's counterpart fields (private unless your policy shares them)."""
        written = caller.network.update_shared_counterpart(
            cls, caller.principal, object_id, body.changes(), version
        )
        return shared_response(caller, cls, written, response)


def _reason(body: Reason | None) -> str:
    return body.reason if body is not None else ""


def _check_own_party(caller: UUID, party_id: UUID) -> None:
    if caller != party_id:
        raise BadRequest("you can answer only your own party's invitation")
