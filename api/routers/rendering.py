"""Turn a command's outcome into the response the caller may see (through the one redaction).

A retried request (same Idempotency-Key) writes nothing, and is answered exactly as a read of
the object by the same caller now: through the same function as the GET, under today's
policy and participation, so 404 once the caller may no longer see the object. The first
answer is never given again: it was rendered under a view the caller may have lost since.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from fastapi import Response

from api.deps import Caller
from ecosystem.opportunities.domainmodel import SharedOpportunity
from ecosystem.service import Written
from ecosystem.shared_objects import SharedObject

View = dict[str, Any] | Response
R = TypeVar("R")


def etag(version: int) -> str:
    return f'"{version}"'


def written_response(
    written: Written, response: Response, as_written: Callable[[], R], read_now: Callable[[], R]
) -> R:
    """What a change answers: `as_written` renders the version it wrote; a retried request
    gets `read_now`, the GET of the object by this caller (which raises NotFound, 404, when
    the caller may no longer see it)."""
    if not written.replayed:
        return as_written()
    answer = read_now()
    response.headers["Idempotent-Replayed"] = "true"
    return answer


def read_opportunity(caller: Caller, opportunity_id: UUID, response: Response) -> dict[str, Any]:
    """One deal as the caller may see it now (404 unless its party takes part); ETag set."""
    opportunity = caller.network.opportunity(caller.principal, opportunity_id)
    response.headers["ETag"] = etag(opportunity.version)
    view = caller.redaction().opportunity_view(caller.principal.party_id, opportunity)
    assert view is not None  # network.opportunity() already refused non-participants
    return view


def read_shared(
    caller: Caller, cls: type[SharedObject], object_id: UUID, response: Response
) -> dict[str, Any]:
    """One solution or plan as the caller may see it now (404 unless its party takes part)."""
    found = caller.network.shared(cls, caller.principal, object_id)
    response.headers["ETag"] = etag(found.version)
    view = caller.redaction().shared_view(caller.principal.party_id, found)
    assert view is not None  # shared() already refused non-participants
    return view


def _written_view(view: dict[str, Any] | None, written: Written, response: Response) -> View:
    """The view of the version a change wrote, with its ETag; 204 once the caller (having just
    left) may no longer see the object."""
    if view is None:
        return Response(status_code=204, headers=dict(response.headers))
    response.headers["ETag"] = etag(written.version)
    return view


def opportunity_response(caller: Caller, written: Written, response: Response) -> View:
    """The opportunity as of the written version, as the caller may see it; a caller that
    just withdrew from the deal may no longer see it, and gets 204."""

    def as_written() -> View:
        opportunity = caller.network.at_version(
            SharedOpportunity, written.object_id, written.version, "opportunity"
        )
        view = caller.redaction().opportunity_view(caller.principal.party_id, opportunity)
        return _written_view(view, written, response)

    def read_now() -> View:
        return read_opportunity(caller, written.object_id, response)

    return written_response(written, response, as_written, read_now)


def shared_response(
    caller: Caller, cls: type[SharedObject], written: Written, response: Response
) -> View:
    """The object as of the written version, as the caller may see it (204 once it may not);
    an id the change created is named in a header (Cosell-Request-Id and so on)."""

    def as_written() -> View:
        found = caller.network.at_version(cls, written.object_id, written.version, cls.kind)
        view = caller.redaction().shared_view(caller.principal.party_id, found)
        return _written_view(view, written, response)

    def read_now() -> View:
        return read_shared(caller, cls, written.object_id, response)

    view = written_response(written, response, as_written, read_now)
    if not isinstance(view, Response):
        for name, value in written.extra.items():
            response.headers[f"Cosell-{name.replace('_', '-').title()}"] = str(value)
    return view
