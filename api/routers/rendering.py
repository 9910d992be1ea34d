"""Turn a command's outcome into the response the caller may see (through the one redaction)."""

from __future__ import annotations

from typing import Any

from fastapi import Response

from api.deps import Caller
from ecosystem.opportunities.domainmodel import SharedOpportunity
from ecosystem.service import Written


def etag(version: int) -> str:
    return f'"{version}"'


def opportunity_response(
    caller: Caller, written: Written, response: Response
) -> dict[str, Any] | Response:
    """The opportunity as of the written version, as the caller may see it.

    A retried request (same Idempotency-Key) renders the first result again. A caller that
    just withdrew from the deal may no longer see it, and gets 204.
    """
    opportunity = caller.network.at_version(
        SharedOpportunity, written.object_id, written.version, "opportunity"
    )
    view = caller.redaction().opportunity_view(caller.principal.party_id, opportunity)
    if written.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    if view is None:
        return Response(status_code=204, headers=dict(response.headers))
    response.headers["ETag"] = etag(written.version)
    return view
