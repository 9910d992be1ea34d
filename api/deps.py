"""Request dependencies: the network, the caller, If-Match, Idempotency-Key and read-after."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.consistency import CALLER_PARTY, READ_AFTER, TOKEN, ConsistencyTokens
from api.problems import BadRequest, PreconditionRequired
from api.read_waits import ReadWaits
from ecosystem.actors import Principal
from ecosystem.audit.requests import HEADER, SignedRequest, parse_header, request_document
from ecosystem.errors import Unauthenticated
from ecosystem.network import Network
from ecosystem.service import Idempotency
from policies import PolicyDecisions, Redaction
from projections import ReadModels

_bearer = HTTPBearer(auto_error=False, description="A user token, shown once when issued.")
_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,12})"?\s*$')


def get_network(request: Request) -> Network:
    network: Network = request.app.state.network
    return network


NetworkDep = Annotated[Network, Depends(get_network)]


def get_policies(request: Request) -> PolicyDecisions:
    decisions: PolicyDecisions = request.app.state.policies
    return decisions


PoliciesDep = Annotated[PolicyDecisions, Depends(get_policies)]


async def get_principal(
    request: Request,
    network: NetworkDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller a bearer token stands for; with the request it signed, if it signed one
    (checked, against its party's keys, when the command runs)."""
    if credentials is None:
        raise Unauthenticated("send a bearer token: Authorization: Bearer <token>")
    principal = await run_in_threadpool(network.authenticate, credentials.credentials)
    setattr(request.state, CALLER_PARTY, principal.party_id)  # whose token a change answers
    header = request.headers.get(HEADER)
    if header is None or request.method in ("GET", "HEAD", "OPTIONS"):
        return principal
    return replace(principal, signed=await signed_request(request, header, principal))


async def signed_request(request: Request, header: str, principal: Principal) -> SignedRequest:
    """What the caller signed: this request, as docs/audit.md describes it."""
    key_id, signed_at, nonce, signature = parse_header(header)
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    document = request_document(
        method=request.method, path=path, body=await request.body(), nonce=nonce,
        if_match=request.headers.get("if-match"),
        idempotency_key=request.headers.get("idempotency-key"),
        party_id=principal.party_id, user_id=principal.actor.user_id, key_id=key_id,
        signed_at=signed_at,
    )  # fmt: skip
    return SignedRequest(document, signature)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def get_read_models(request: Request) -> ReadModels:
    read_models: ReadModels = request.app.state.read_models
    return read_models


ReadModelsDep = Annotated[ReadModels, Depends(get_read_models)]


@dataclass(frozen=True)
class Caller:
    """Who asks, the network asked, and the policies every answer is redacted under."""

    network: Network
    principal: Principal
    policies: PolicyDecisions

    def redaction(self) -> Redaction:
        """The one redaction function, under the policy in force now."""
        return self.policies.redaction()


def get_caller(network: NetworkDep, principal: CurrentPrincipal, policies: PoliciesDep) -> Caller:
    return Caller(network, principal, policies)


CallerDep = Annotated[Caller, Depends(get_caller)]


def _parse_etag(value: str) -> int:
    match = _ETAG.match(value)
    if match is None:
        raise BadRequest('If-Match must be the ETag of a read, such as "3"')
    return int(match.group(1))


def optional_version(
    if_match: Annotated[str | None, Header(description="ETag of the version you expect.")] = None,
) -> int | None:
    return None if if_match is None else _parse_etag(if_match)


def required_version(
    if_match: Annotated[str | None, Header(description="ETag of the version you change.")] = None,
) -> int:
    if if_match is None:
        raise PreconditionRequired(
            "this change needs an If-Match header with the ETag of the version you read"
        )
    return _parse_etag(if_match)


ExpectedVersion = Annotated[int | None, Depends(optional_version)]
RequiredVersion = Annotated[int, Depends(required_version)]


async def get_idempotency(
    request: Request,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[
        str | None,
        Header(description="Send the same key again to retry safely: nothing new is written."),
    ] = None,
) -> Idempotency | None:
    if idempotency_key is None:
        return None
    if not 1 <= len(idempotency_key) <= 255:
        raise BadRequest("an Idempotency-Key is 1 to 255 characters")
    body = await request.body()
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True) if body else ""
    except ValueError:
        canonical = body.decode("utf-8", "replace")
    request_line = f"{request.method} {request.url.path}\n{canonical}"
    fingerprint = hashlib.sha256(request_line.encode()).hexdigest()
    return Idempotency(principal.actor.user_id, idempotency_key, fingerprint)


IdempotencyDep = Annotated[Idempotency | None, Depends(get_idempotency)]


@dataclass(frozen=True)
class ReadPoint:
    """What a read-model read must reflect (the read models are there already), and the
    token its answer carries."""

    needed: int
    party_id: UUID
    tokens: ConsistencyTokens

    def stamp(self, response: Response, position: int) -> None:
        response.headers[TOKEN] = self.tokens.issue(self.party_id, position)


async def read_after(
    request: Request,
    caller: CallerDep,
    cosell_read_after: Annotated[
        str | None,
        Header(
            description=f"The {TOKEN} of your last change: the read waits until your read "
            "model reflects it (up to a few seconds; 503 if it does not).",
        ),
    ] = None,
    cosell_min_position: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> ReadPoint:
    """Wait, on the event loop, until the read models reflect what the caller names and the
    newest sharing-policy and partnership changes in force, so no list shows what a policy or
    an ended partnership now hides."""
    if cosell_min_position is not None:
        raise BadRequest(
            f"Cosell-Min-Position is no longer read: send the {TOKEN} of your change "
            f"as {READ_AFTER}"
        )
    tokens: ConsistencyTokens = request.app.state.tokens
    party = caller.principal.party_id
    asked = tokens.position(party, cosell_read_after) if cosell_read_after else 0
    await run_in_threadpool(caller.policies.refresh)
    needed = max(asked, caller.policies.position, caller.policies.partnership_position)
    waits: ReadWaits = request.app.state.read_waits
    await waits.reach(caller.principal.actor.user_id, needed)
    return ReadPoint(needed, party, tokens)


ReadAfter = Annotated[ReadPoint, Depends(read_after)]
