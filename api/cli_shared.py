"""`cosell solutions …` and `cosell funding-plans …`: read and work shared objects from a shell.

Each command authenticates with a user token (`--token` or COSELL_TOKEN), obeys the same rules
as the API, and prints JSON redacted exactly as the API would show it to the caller's party.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import typer

from api.bootstrap import policies_of
from api.cli_keys import KeyFile, Signing
from api.cli_policy import Token, _run
from ecosystem.actors import Principal
from ecosystem.funding.domainmodel import CoFundingPlan
from ecosystem.network import Network
from ecosystem.shared_objects import SharedObject
from ecosystem.solutions.domainmodel import JointSolution
from ecosystem.solutions.fields import Lifecycle

solutions = typer.Typer(help="Joint solutions: list, show, history, sign off, move.")
funding_plans = typer.Typer(help="Co-funding plans: list, show, history, approve, reject.")
Id = Annotated[UUID, typer.Argument(help="The object's id.")]


def _view(network: Network, principal: Principal, found: SharedObject) -> Any:
    return policies_of(network).redaction().shared_view(principal.party_id, found)


def _history(network: Network, principal: Principal, cls: type[SharedObject], id_: UUID) -> Any:
    found = network.shared(cls, principal, id_)
    redaction = policies_of(network).redaction()
    events = network.shared_history(cls, principal, id_)
    return [s.view for s in redaction.history(principal.party_id, found, events)]


@solutions.command("list")
def list_solutions(token: Token) -> None:
    """The joint solutions your party is invited to or takes part in."""
    _run(token, lambda n, p: [_view(n, p, s) for s in n.solutions_for(p)])


@solutions.command("show")
def show_solution(solution: Id, token: Token) -> None:
    """One joint solution as your party may see it."""
    _run(token, lambda n, p: _view(n, p, n.solution(p, solution)))


@solutions.command("history")
def solution_history(solution: Id, token: Token) -> None:
    """A solution's events, oldest first, as your party may see them."""
    _run(token, lambda n, p: _history(n, p, JointSolution, solution))


@solutions.command("sign-off")
def sign_off(solution: Id, token: Token, key: KeyFile = None) -> None:
    """Sign the solution off as one of its builders."""

    def command(network: Network, principal: Principal) -> Any:
        network.sign_off_solution(principal, solution)
        return _view(network, principal, network.solution(principal, solution))

    _run(token, command, Signing(key, "POST", f"/v1/solutions/{solution}/sign-off"))


@solutions.command("move")
def move(
    solution: Id, to: Annotated[Lifecycle, typer.Option(help="The next stage.")], token: Token,
    key: KeyFile = None,
) -> None:  # fmt: skip
    """Move the solution along its lifecycle (the owner)."""

    def command(network: Network, principal: Principal) -> Any:
        network.move_solution(principal, solution, to)
        return _view(network, principal, network.solution(principal, solution))

    signing = Signing(key, "POST", f"/v1/solutions/{solution}/lifecycle", {"to": str(to)})
    _run(token, command, signing)


@funding_plans.command("list")
def list_plans(token: Token) -> None:
    """The co-funding plans your party is invited to or takes part in."""
    _run(token, lambda n, p: [_view(n, p, s) for s in n.funding_plans_for(p)])


@funding_plans.command("show")
def show_plan(plan: Id, token: Token) -> None:
    """One co-funding plan as your party may see it."""
    _run(token, lambda n, p: _view(n, p, n.funding_plan(p, plan)))


@funding_plans.command("history")
def plan_history(plan: Id, token: Token) -> None:
    """A plan's events, oldest first, as your party may see them."""
    _run(token, lambda n, p: _history(n, p, CoFundingPlan, plan))


@funding_plans.command("approve")
def approve(
    plan: Id, request: Annotated[UUID, typer.Argument(help="The fund request.")], token: Token,
    key: KeyFile = None,
) -> None:  # fmt: skip
    """Approve your party's portion of a fund request."""

    def command(network: Network, principal: Principal) -> Any:
        network.approve_request(principal, plan, request)
        return _view(network, principal, network.funding_plan(principal, plan))

    _run(
        token, command, Signing(key, "POST", f"/v1/funding-plans/{plan}/requests/{request}/approve")
    )


@funding_plans.command("reject")
def reject(
    plan: Id,
    request: Annotated[UUID, typer.Argument(help="The fund request.")],
    reason: Annotated[str, typer.Option(help="Why the request is rejected.")],
    token: Token,
    key: KeyFile = None,
) -> None:
    """Reject a fund request, with a reason."""

    def command(network: Network, principal: Principal) -> Any:
        network.reject_request(principal, plan, request, reason)
        return _view(network, principal, network.funding_plan(principal, plan))

    path = f"/v1/funding-plans/{plan}/requests/{request}/reject"
    _run(token, command, Signing(key, "POST", path, {"reason": reason}))
