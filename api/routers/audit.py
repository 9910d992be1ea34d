"""Audit: checkpoints and proofs, auditors' histories, past states, access and bundles, and
the erasure of personal data."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status

from api.deps import CurrentPrincipal, NetworkDep
from api.problems import BadRequest
from api.schemas.audit import (
    AccessAnswer,
    AuditHistory,
    AuditState,
    CheckpointPublic,
    ConsistencyProof,
    ErasureCreate,
    ErasurePublic,
    InclusionProof,
    NetworkKeyPublic,
)
from api.schemas.common import Moment, Position
from ecosystem.actors import Capability, Principal
from ecosystem.audit.checkpoints import b64, key_id_of, raw_public_key
from ecosystem.errors import NotFound
from projections.audit.auditor import Auditor
from projections.audit.checkpoints import Checkpoints

router = APIRouter(prefix="/v1/audit", tags=["audit"])


def get_auditor(request: Request) -> Auditor:
    auditor: Auditor = request.app.state.auditor
    return auditor


AuditorDep = Annotated[Auditor, Depends(get_auditor)]


def _checkpoints(auditor: Auditor, principal: Principal) -> Checkpoints:
    principal.require(Capability.READ)
    return auditor.checkpoints


@router.get("/key", response_model=NetworkKeyPublic)
def network_key(auditor: AuditorDep, principal: CurrentPrincipal) -> NetworkKeyPublic:
    """The network's public key, which signs every checkpoint (keep it to verify bundles)."""
    key = _checkpoints(auditor, principal).public_key()
    return NetworkKeyPublic(key_id=key_id_of(key), public_key=b64(raw_public_key(key)))


@router.get("/checkpoints", response_model=list[CheckpointPublic])
def list_checkpoints(auditor: AuditorDep, principal: CurrentPrincipal) -> list[Any]:
    """Every signed checkpoint, oldest first: keep any of them to detect a later rewrite."""
    return [c.as_json() for c in _checkpoints(auditor, principal).all()]


@router.get("/checkpoints/latest", response_model=CheckpointPublic)
def latest_checkpoint(auditor: AuditorDep, principal: CurrentPrincipal) -> Any:
    """The newest signed checkpoint."""
    latest = _checkpoints(auditor, principal).latest()
    if latest is None:
        raise NotFound("no checkpoint has been signed yet")
    return latest.as_json()


@router.post("/checkpoints", response_model=CheckpointPublic)
def sign_checkpoint(auditor: AuditorDep, principal: CurrentPrincipal, response: Response) -> Any:
    """Sign a checkpoint of the log as it is now (auditors and network admins)."""
    if not principal.network_admin:
        principal.require(Capability.AUDIT)
    store = _checkpoints(auditor, principal)
    before = store.latest()
    signed = store.sign()
    if signed is None:
        raise NotFound("nothing is recorded yet")
    if before is None or signed.size != before.size:
        response.status_code = status.HTTP_201_CREATED
    return signed.as_json()


@router.get("/consistency", response_model=ConsistencyProof)
def consistency(
    auditor: AuditorDep,
    principal: CurrentPrincipal,
    first: Annotated[
        Position, Query(ge=1, description="The size of the older checkpoint (1 or more).")
    ],
    second: Annotated[Position | None, Query(description="A newer size (default: latest).")] = None,
) -> ConsistencyProof:
    """Proof that the log at `second` extends the log at `first`: nothing before was changed."""
    store = _checkpoints(auditor, principal)
    latest = store.latest()
    second = second if second is not None else (latest.size if latest else 0)
    if store.at_size(second) is None:
        raise NotFound(f"no checkpoint of size {second}")
    if first > second:
        raise BadRequest("the first size must not exceed the second")
    proof = store.tree(second).consistency_proof(first, second)
    return ConsistencyProof(first=first, second=second, proof=[h.hex() for h in proof])


@router.get("/inclusion", response_model=InclusionProof)
def inclusion(
    auditor: AuditorDep,
    principal: CurrentPrincipal,
    leaf_index: Annotated[Position, Query()],
    size: Annotated[Position, Query(ge=1, description="A checkpoint's size.")],
) -> InclusionProof:
    """Proof that a leaf is in the tree a checkpoint signed."""
    store = _checkpoints(auditor, principal)
    if store.at_size(size) is None:
        raise NotFound(f"no checkpoint of size {size}")
    if leaf_index >= size:
        raise BadRequest(f"leaf {leaf_index} is not among the first {size}")
    tree = store.tree(size)
    proof = [h.hex() for h in tree.inclusion_proof(leaf_index, size)]
    return InclusionProof(leaf_index=leaf_index, size=size, leaf=tree.leaf(leaf_index).hex(),
                          proof=proof)  # fmt: skip


@router.get("/objects/{object_id}/events", response_model=AuditHistory)
def history(object_id: UUID, auditor: AuditorDep, principal: CurrentPrincipal) -> Any:
    """Who did what when: the object's events as your company may see them (auditors)."""
    return auditor.history(principal, object_id)


@router.get("/objects/{object_id}/state", response_model=AuditState)
def state(
    object_id: UUID,
    auditor: AuditorDep,
    principal: CurrentPrincipal,
    version: Annotated[Position | None, Query(ge=1)] = None,
    at: Annotated[Moment | None, Query(description="An ISO 8601 time with its offset.")] = None,
) -> Any:
    """The object as it stood at a version or a moment, as your company may see it."""
    return auditor.state(principal, object_id, version, at)


@router.get("/objects/{object_id}/access", response_model=AccessAnswer)
def access(
    object_id: UUID,
    auditor: AuditorDep,
    principal: CurrentPrincipal,
    field: Annotated[str, Query(max_length=100, description="A policy field, such as title.")],
    at: Annotated[Moment, Query(description="An ISO 8601 time with its offset.")],
    owner: Annotated[UUID | None, Query(description="Whose data (default: the owner).")] = None,
) -> Any:
    """Who could read a field of the object at a moment, under the policy then in force."""
    return auditor.access(principal, object_id, field, at, owner)


@router.get("/bundle")
def bundle(
    auditor: AuditorDep,
    principal: CurrentPrincipal,
    response: Response,
    known: Annotated[
        list[Position] | None,
        Query(max_length=100, description="Sizes of checkpoints you kept."),
    ] = None,
) -> dict[str, Any]:
    """Everything your company takes part in, with the proofs to verify it offline:
    `cosell audit verify BUNDLE` (auditors)."""
    principal.require(Capability.AUDIT)
    for size in sorted(set(known or ())):
        # Checkpoints are public: naming one that does not exist is the caller's mistake to
        # hear about, not something to leave out of the bundle without a word.
        if auditor.checkpoints.at_size(size) is None:
            raise NotFound(f"no checkpoint of size {size}: `known` names checkpoints you kept")
    found = auditor.bundle(principal, known)
    size = found["checkpoint"]["size"]
    name = f"cosell-audit-{principal.party_id}-{size}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return found


@router.post("/erasures", response_model=ErasurePublic)
def erase(body: ErasureCreate, network: NetworkDep, principal: CurrentPrincipal) -> Any:
    """Erase a person's personal data everywhere: their key is deleted, the deals that held
    it record the erasure (network admins). The response repeats nothing personal."""
    erased = network.erase_personal_data(
        principal, body.email or "", body.phone or "", body.name or ""
    )
    return ErasurePublic(
        subjects_erased=len(erased.subjects),
        opportunities=[str(i) for i in erased.opportunities],
    )
