"""Parties' signing keys: register, list, revoke, and require signed commands."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from api.deps import CurrentPrincipal, IdempotencyDep, NetworkDep
from api.schemas.signing import (
    SigningKeyCreate,
    SigningKeyPublic,
    SigningPublic,
    SigningRequirement,
)
from ecosystem.errors import NotFound
from ecosystem.network import Network

router = APIRouter(prefix="/v1/parties/{party_id}", tags=["signing keys"])


@router.post("/keys", status_code=status.HTTP_201_CREATED, response_model=SigningKeyPublic)
def register_key(
    party_id: UUID,
    body: SigningKeyCreate,
    network: NetworkDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
    response: Response,
) -> SigningKeyPublic:
    """Register a public key your party's users sign commands with (your party's admins)."""
    _, key_id = network.register_signing_key(
        principal, party_id, body.public_key, body.label, idempotency
    )
    response.headers["Location"] = f"/v1/parties/{party_id}/keys/{key_id}"
    return _key(network, party_id, key_id)


@router.get("/keys", response_model=list[SigningKeyPublic])
def list_keys(
    party_id: UUID, network: NetworkDep, principal: CurrentPrincipal
) -> list[SigningKeyPublic]:
    """A party's signing keys, active and revoked: public, so anyone can check its acts."""
    return [SigningKeyPublic.of(k) for k in network.signing_keys(principal, party_id)]


@router.post("/keys/{key_id}/revoke", response_model=SigningKeyPublic)
def revoke_key(
    party_id: UUID, key_id: str, network: NetworkDep, principal: CurrentPrincipal
) -> SigningKeyPublic:
    """Revoke a signing key: commands signed with it are refused from now on."""
    network.revoke_signing_key(principal, party_id, key_id)
    return _key(network, party_id, key_id)


@router.put("/signing", response_model=SigningPublic)
def require_signatures(
    party_id: UUID, body: SigningRequirement, network: NetworkDep, principal: CurrentPrincipal
) -> SigningPublic:
    """Require (or stop requiring) that every command of your party's users is signed."""
    network.require_signatures(principal, party_id, body.required)
    party = network.party(party_id)
    keys = [SigningKeyPublic.of(k) for k in party.signing_keys.values()]
    return SigningPublic(party_id=str(party_id), required=party.signatures_required, keys=keys)


def _key(network: Network, party_id: UUID, key_id: str) -> SigningKeyPublic:
    key = network.party(party_id).signing_keys.get(key_id)
    if key is None:
        raise NotFound(f"no signing key {key_id} for this party")
    return SigningKeyPublic.of(key)
