"""Joint solutions: propose, list, change, sign off, move along the lifecycle, components."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response, status

from api.deps import (
    CallerDep,
    ExpectedVersion,
    IdempotencyDep,
    RequiredVersion,
)
from api.routers.rendering import View, shared_response
from api.routers.shared_routes import OPTS, add_shared_routes
from api.schemas.solutions import (
    ComponentCreate,
    LifecycleMove,
    SolutionCounterpart,
    SolutionCreate,
    SolutionUpdate,
)
from ecosystem.solutions.domainmodel import JointSolution

router = APIRouter(prefix="/v1/solutions", tags=["solutions"])


@router.post("", status_code=status.HTTP_201_CREATED, **OPTS)
def propose(
    body: SolutionCreate, caller: CallerDep, idempotency: IdempotencyDep, response: Response
) -> View:
    """Propose a joint solution; your party owns it in the role you name (builder by default)."""
    written = caller.network.propose_solution(
        caller.principal, body.changes(), body.role, idempotency
    )
    response.headers["Location"] = f"/v1/solutions/{written.object_id}"
    return shared_response(caller, JointSolution, written, response)


@router.patch("/{solution_id}", **OPTS)
def update(
    solution_id: UUID, body: SolutionUpdate, version: RequiredVersion, caller: CallerDep,
    response: Response,
) -> View:  # fmt: skip
    """Change the solution's details (owner only); If-Match."""
    written = caller.network.update_solution(caller.principal, solution_id, body.changes(), version)
    return shared_response(caller, JointSolution, written, response)


@router.post("/{solution_id}/sign-off", **OPTS)
def sign_off(
    solution_id: UUID, version: ExpectedVersion, caller: CallerDep, idempotency: IdempotencyDep,
    response: Response,
) -> View:  # fmt: skip
    """A builder signs the solution off while it is In Development."""
    written = caller.network.sign_off_solution(caller.principal, solution_id, version, idempotency)
    return shared_response(caller, JointSolution, written, response)


@router.post("/{solution_id}/lifecycle", **OPTS)
def move(
    solution_id: UUID, body: LifecycleMove, version: ExpectedVersion, caller: CallerDep,
    idempotency: IdempotencyDep, response: Response,
) -> View:  # fmt: skip
    """Move the solution along its lifecycle (owner only; Validated needs every builder)."""
    written = caller.network.move_solution(
        caller.principal, solution_id, body.to, version, idempotency
    )
    return shared_response(caller, JointSolution, written, response)


@router.post("/{solution_id}/components", **OPTS)
def add_component(
    solution_id: UUID, body: ComponentCreate, version: ExpectedVersion, caller: CallerDep,
    idempotency: IdempotencyDep, response: Response,
) -> View:  # fmt: skip
    """Contribute a component; your party owns it (Cosell-Component-Id names it)."""
    written = caller.network.add_component(
        caller.principal, solution_id, body.model_dump(), version, idempotency
    )
    return shared_response(caller, JointSolution, written, response)


@router.delete("/{solution_id}/components/{component_id}", **OPTS)
def remove_component(
    solution_id: UUID, component_id: UUID, version: ExpectedVersion, caller: CallerDep,
    idempotency: IdempotencyDep, response: Response,
) -> View:  # fmt: skip
    """Remove a component your party contributed."""
    written = caller.network.remove_component(
        caller.principal, solution_id, component_id, version, idempotency
    )
    return shared_response(caller, JointSolution, written, response)


add_shared_routes(router, JointSolution, SolutionCounterpart)
