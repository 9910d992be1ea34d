"""Parties (the directory), their users, tokens, and the caller's own identity."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from api.deps import CurrentPrincipal, IdempotencyDep, NetworkDep
from api.schemas.parties import (
    IssuedTokenPublic,
    Me,
    PartyCreate,
    PartyPublic,
    TokenCreate,
    UserCreate,
    UserPublic,
    UserWithToken,
)

router = APIRouter(prefix="/v1", tags=["parties"])


@router.post("/parties", status_code=status.HTTP_201_CREATED, response_model=PartyPublic)
def register_party(
    body: PartyCreate,
    network: NetworkDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
    response: Response,
) -> PartyPublic:
    """Register a company on the network (network administrators only)."""
    written = network.register_party(
        principal, body.name, body.website_domain, body.kind, body.network_operator, idempotency
    )
    response.headers["Location"] = f"/v1/parties/{written.object_id}"
    return PartyPublic.of(network.party(written.object_id))


@router.get("/parties", response_model=list[PartyPublic])
def list_parties(network: NetworkDep, principal: CurrentPrincipal) -> list[PartyPublic]:
    """The network directory: every party's public entry."""
    return [PartyPublic.of(party) for party in network.parties()]


@router.get("/parties/{party_id}", response_model=PartyPublic)
def get_party(party_id: UUID, network: NetworkDep, principal: CurrentPrincipal) -> PartyPublic:
    """One party's public directory entry."""
    return PartyPublic.of(network.party(party_id))


@router.post(
    "/parties/{party_id}/users", status_code=status.HTTP_201_CREATED, response_model=UserWithToken
)
def add_user(
    party_id: UUID,
    body: UserCreate,
    network: NetworkDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> UserWithToken:
    """Add a user with roles to a party; the response shows the user's first token once."""
    written, issued = network.add_user(
        principal, party_id, body.name, body.email, body.roles, idempotency
    )
    token = None
    if issued is not None:
        token = IssuedTokenPublic(token_id=str(issued.token_id), token=issued.token)
    return UserWithToken(user=UserPublic.of(network.user(written.object_id)), token=token)


@router.get("/parties/{party_id}/users", response_model=list[UserPublic])
def list_users(
    party_id: UUID, network: NetworkDep, principal: CurrentPrincipal
) -> list[UserPublic]:
    """The users of your own party (party administrators)."""
    return [UserPublic.of(user) for user in network.users_of(principal, party_id)]


@router.post(
    "/users/{user_id}/tokens", status_code=status.HTTP_201_CREATED, response_model=IssuedTokenPublic
)
def issue_token(
    user_id: UUID,
    network: NetworkDep,
    principal: CurrentPrincipal,
    body: TokenCreate | None = None,
) -> IssuedTokenPublic:
    """Issue another token for a user (yourself, or a user of your party as its admin)."""
    _, issued = network.issue_token(principal, user_id, body.label if body else "")
    return IssuedTokenPublic(token_id=str(issued.token_id), token=issued.token)


@router.delete("/users/{user_id}/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(
    user_id: UUID, token_id: UUID, network: NetworkDep, principal: CurrentPrincipal
) -> Response:
    """Revoke a token; it stops working at once."""
    network.revoke_token(principal, user_id, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me, tags=["me"])
def me(network: NetworkDep, principal: CurrentPrincipal) -> Me:
    """Who the token in this request acts as: user, party and roles."""
    user = network.user(principal.actor.user_id)
    party = network.party(principal.party_id)
    return Me(
        user=UserPublic.of(user),
        party=PartyPublic.of(party),
        network_admin=principal.network_admin,
    )
