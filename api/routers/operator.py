"""The network operator's acts on a party: suspend, reinstate, and the company's record of them."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from api.deps import CurrentPrincipal, IdempotencyDep, NetworkDep
from api.schemas.operator import OperatorActPublic
from api.schemas.parties import PartyPublic

router = APIRouter(prefix="/v1/parties/{party_id}", tags=["parties"])


@router.post("/suspend", response_model=PartyPublic)
def suspend(
    party_id: UUID, network: NetworkDep, principal: CurrentPrincipal, idempotency: IdempotencyDep
) -> PartyPublic:
    """Suspend a party: its users' tokens stop working (network administrators only)."""
    network.suspend_party(principal, party_id, idempotency)
    return PartyPublic.of(network.party(party_id))


@router.post("/reinstate", response_model=PartyPublic)
def reinstate(
    party_id: UUID, network: NetworkDep, principal: CurrentPrincipal, idempotency: IdempotencyDep
) -> PartyPublic:
    """Lift a party's suspension (network administrators only)."""
    network.reinstate_party(principal, party_id, idempotency)
    return PartyPublic.of(network.party(party_id))


@router.get("/operator-acts", response_model=list[OperatorActPublic])
def operator_acts(
    party_id: UUID, network: NetworkDep, principal: CurrentPrincipal
) -> list[OperatorActPublic]:
    """Every act of the network operator on your party and its users (admins, auditors)."""
    return [OperatorActPublic.of(act) for act in network.operator_acts(principal, party_id)]
