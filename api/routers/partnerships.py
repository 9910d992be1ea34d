"""Partnerships: propose, accept, decline and end the dual opt-in between two parties."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from api.deps import CurrentPrincipal, IdempotencyDep, NetworkDep
from api.schemas.partnerships import PartnershipCreate, PartnershipEnd, PartnershipPublic
from ecosystem.actors import Principal
from ecosystem.network import Network
from ecosystem.service import Written

router = APIRouter(prefix="/v1/partnerships", tags=["partnerships"])


def _view(network: Network, principal: Principal, written: Written) -> PartnershipPublic:
    return PartnershipPublic.of(network.partnership(principal, written.object_id))


@router.post("", status_code=status.HTTP_201_CREATED, response_model=PartnershipPublic)
def propose(
    body: PartnershipCreate,
    network: NetworkDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
    response: Response,
) -> PartnershipPublic:
    """Propose a partnership to another party; it becomes active when that party accepts."""
    written = network.propose_partnership(principal, body.party_id, idempotency)
    response.headers["Location"] = f"/v1/partnerships/{written.object_id}"
    return _view(network, principal, written)


@router.get("", response_model=list[PartnershipPublic])
def list_partnerships(network: NetworkDep, principal: CurrentPrincipal) -> list[PartnershipPublic]:
    """Your party's partnerships, in every status."""
    return [PartnershipPublic.of(p) for p in network.partnerships_of(principal)]


@router.get("/{partnership_id}", response_model=PartnershipPublic)
def get_partnership(
    partnership_id: UUID, network: NetworkDep, principal: CurrentPrincipal
) -> PartnershipPublic:
    """One partnership of your party."""
    return PartnershipPublic.of(network.partnership(principal, partnership_id))


@router.post("/{partnership_id}/accept", response_model=PartnershipPublic)
def accept(
    partnership_id: UUID,
    network: NetworkDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> PartnershipPublic:
    """Accept a partnership proposed to your party."""
    written = network.accept_partnership(principal, partnership_id, idempotency)
    return _view(network, principal, written)


@router.post("/{partnership_id}/decline", response_model=PartnershipPublic)
def decline(
    partnership_id: UUID,
    network: NetworkDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> PartnershipPublic:
    """Decline a partnership proposed to your party."""
    written = network.decline_partnership(principal, partnership_id, idempotency)
    return _view(network, principal, written)


@router.post("/{partnership_id}/end", response_model=PartnershipPublic)
def end(
    partnership_id: UUID,
    network: NetworkDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
    body: PartnershipEnd | None = None,
) -> PartnershipPublic:
    """End an active partnership, or withdraw a proposal; either party may."""
    written = network.end_partnership(
        principal, partnership_id, body.reason if body else "", idempotency
    )
    return _view(network, principal, written)
