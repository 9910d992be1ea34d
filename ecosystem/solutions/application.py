"""Joint solution services: propose, build, sign off, publish and retire solutions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from ecosystem.actors import Capability, Principal
from ecosystem.service import Idempotency, Written
from ecosystem.shared_services import SharedObjectCommands
from ecosystem.solutions.domainmodel import JointSolution


class SolutionCommands(SharedObjectCommands):
    def propose_solution(
        self, principal: Principal, fields: dict[str, Any], role: str = "builder",
        idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        principal.require(Capability.SELL)

        def attempt() -> tuple[Sequence[Aggregate], Written]:
            solution = JointSolution.propose(principal.party_id, role, fields, principal.actor)
            return [solution], Written(solution.id, solution.version)

        return self.execute(attempt, idempotency, principal)

    def solution(
        self, principal: Principal, solution_id: UUID, version: int | None = None
    ) -> JointSolution:
        return self.shared(JointSolution, principal, solution_id, version)

    def solutions_for(self, principal: Principal) -> list[JointSolution]:
        return self.shared_for(JointSolution, principal, "Proposed")

    def update_solution(
        self, principal: Principal, solution_id: UUID, changes: dict[str, Any],
        expected_version: int | None,
    ) -> Written:  # fmt: skip
        def act(solution: JointSolution) -> None:
            solution.update_details(changes, principal.actor)

        return self.change_shared(
            JointSolution, principal, solution_id, expected_version, act, None
        )

    def sign_off_solution(
        self, principal: Principal, solution_id: UUID, expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        def act(solution: JointSolution) -> None:
            solution.sign_off(principal.actor)

        return self.change_shared(
            JointSolution, principal, solution_id, expected_version, act, idempotency
        )

    def move_solution(
        self, principal: Principal, solution_id: UUID, to: str,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        def act(solution: JointSolution) -> None:
            solution.move(to, principal.actor)

        return self.change_shared(
            JointSolution, principal, solution_id, expected_version, act, idempotency
        )

    def add_component(
        self, principal: Principal, solution_id: UUID, values: dict[str, Any],
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        component_id = uuid4()

        def act(solution: JointSolution) -> None:
            solution.add_component(component_id, values, principal.actor)

        return self.change_shared(
            JointSolution, principal, solution_id, expected_version, act, idempotency,
            added={"component_id": component_id},
        )  # fmt: skip

    def remove_component(
        self, principal: Principal, solution_id: UUID, component_id: UUID,
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        def act(solution: JointSolution) -> None:
            solution.remove_component(component_id, principal.actor)

        return self.change_shared(
            JointSolution, principal, solution_id, expected_version, act, idempotency
        )
