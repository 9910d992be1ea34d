"""Joint solutions over HTTP: propose, build with partners, sign off, validate, publish, retire."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response

LISTING = "https://marketplace.example/listings/lakehouse-guard"


@dataclass
class Solution:
    """A solution of builder A (its owner), with builder B and integrator C."""

    world: World
    a: Caller
    b: Caller
    c: Caller
    id: str = ""
    component: str = ""
    deal: str = ""

    def send(
        self, who: Caller, route: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        method, _, tail = route.partition(" ")
        url = f"/v1/solutions/{self.id}{tail.format(**vars(self))}"
        headers = {**who.headers, **(headers or {})}
        return self.world.client.request(method, url, json=body, headers=headers)

    def do(self, who: Caller, route: str, body: Any = None) -> Any:
        response = self.send(who, route, body)
        assert response.status_code == 200, response.text
        return response.json()

    def patch(self, who: Caller, body: Any) -> Response:
        etag = self.send(who, "GET ").headers["ETag"]
        return self.send(who, "PATCH ", body, {"If-Match": etag})


def proposed(world: World, partners: bool = True) -> Solution:
    """A's solution; with partners, builder B and integrator C have joined it."""
    solution = Solution(world, world.company(), world.company(), world.company())
    body = {"name": "Lakehouse Guard", "summary": "Governed analytics",
            "use_cases": ["data sharing"], "target_industries": ["Retail"]}  # fmt: skip
    created = world.client.post("/v1/solutions", json=body, headers=solution.a.headers)
    assert created.status_code == 201, created.text
    solution.id = created.json()["id"]
    joining = ((solution.b, "builder"), (solution.c, "integrator")) if partners else ()
    for party, role in joining:
        world.partners(solution.a, party)
        solution.do(solution.a, "POST /invitations", {"party_id": party.party_id, "role": role})
        solution.do(party, f"POST /invitations/{party.party_id}/accept")
    return solution


def alone(world: World) -> Solution:
    return proposed(world, partners=False)


def in_development(world: World, partners: bool = True) -> Solution:
    solution = proposed(world, partners)
    solution.do(solution.a, "POST /lifecycle", {"to": "In Development"})
    return solution


def half_signed(world: World) -> Solution:
    solution = in_development(world)
    solution.do(solution.a, "POST /sign-off")
    return solution


def validated_alone(world: World) -> Solution:
    solution = in_development(world, partners=False)
    solution.do(solution.a, "POST /sign-off")
    solution.do(solution.a, "POST /lifecycle", {"to": "Validated"})
    return solution


def with_component(world: World) -> Solution:
    solution = proposed(world)
    view = solution.do(solution.b, "POST /components", {"name": "Connector"})
    solution.component = view["components"][0]["component_id"]
    return solution


def linked(world: World, partners: bool = False) -> Solution:
    solution = proposed(world, partners)
    solution.deal = world.opportunity(solution.a)["id"]
    solution.do(solution.a, "POST /links", {"opportunity_id": solution.deal})
    return solution


def refuse(
    solution: Solution, who: Caller, route: str, body: Any, status: int, says: str,
    headers: dict[str, str] | None = None,
) -> None:  # fmt: skip
    """The command is answered with a problem saying `says`, and nothing is written."""
    before = solution.world.network.log_position
    response = solution.send(who, route, body, headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert says in response.json()["detail"]
    assert solution.world.network.log_position == before


def test_partners_build_sign_off_validate_publish_and_retire_a_solution(world: World) -> None:
    solution = in_development(world)
    a, b, c = solution.a, solution.b, solution.c
    world.partners(b, c)  # each sees the other's component only while they are partners
    for who, name in ((a, "Policy engine"), (b, "Connector"), (c, "Deployment runbook")):
        solution.do(who, "POST /components", {"name": name, "description": f"{name} v1"})
    for builder in (a, b):
        solution.do(builder, "POST /sign-off")
    assert solution.do(a, "POST /lifecycle", {"to": "Validated"})["lifecycle"] == "Validated"
    listing = {"url": LISTING, "pricing_model": "subscription", "regions": ["EU"]}
    assert solution.patch(a, {"listing": listing}).status_code == 200
    assert solution.do(a, "POST /lifecycle", {"to": "Published"})["lifecycle"] == "Published"
    deal = world.opportunity(b)["id"]
    solution.do(b, "POST /links", {"opportunity_id": deal})

    views = {name: solution.do(who, "GET ") for name, who in (("a", a), ("b", b), ("c", c))}
    for view in views.values():
        assert view["lifecycle"] == "Published"
        assert view["listing"] == listing
        contributed = {x["contributor"]: x["name"] for x in view["components"]}
        assert contributed == {
            a.party_id: "Policy engine",
            b.party_id: "Connector",
            c.party_id: "Deployment runbook",
        }
        assert {s["party_id"] for s in view["sign_offs"]} == {a.party_id, b.party_id}
    assert [views[n]["invitation"]["role"] for n in "abc"] == ["builder", "builder", "integrator"]
    assert views["b"]["links"][0]["opportunity_id"] == deal
    assert views["a"]["links"] == views["c"]["links"] == []
    seen = world.client.get(f"/v1/opportunities/{deal}", headers=b.headers).json()
    assert [(x["object_id"], x["kind"]) for x in seen["links"]] == [(solution.id, "solution")]

    retired = solution.do(a, "POST /lifecycle", {"to": "Retired"})
    assert retired["lifecycle"] == "Retired"
    moves = [e["data"] for e in solution.do(c, "GET /events")["events"] if e["type"] == "Moved"]
    assert [m["to"] for m in moves] == [
        "In Development", "Validated", "Published", "Retired"
    ]  # fmt: skip


def test_nothing_changes_once_a_solution_is_retired(world: World) -> None:
    solution = linked(world, partners=True)
    added = solution.do(solution.b, "POST /components", {"name": "Connector"})
    solution.component = added["components"][0]["component_id"]
    another_deal = world.opportunity(solution.a)["id"]
    solution.do(solution.a, "POST /lifecycle", {"to": "Retired"})
    etag = {"If-Match": solution.send(solution.a, "GET ").headers["ETag"]}
    too_late = "the solution is Retired; it is too late to"
    for who, route, body, headers in (
        (solution.a, "PATCH ", {"name": "Revived"}, etag),
        (solution.b, "POST /components", {"name": "Late"}, None),
        (solution.b, "DELETE /components/{component}", None, None),
        (solution.a, "POST /links", {"opportunity_id": another_deal}, None),
        (solution.a, "POST /lifecycle", {"to": "In Development"}, None),
        (solution.a, "POST /lifecycle", {"to": "Retired"}, None),
    ):
        refuse(solution, who, route, body, 422, too_late, headers)


def test_a_company_outside_the_solution_gets_404_on_reads_and_commands(world: World) -> None:
    solution = alone(world)
    outsider = world.company()
    for route, body in (
        ("GET ", None),
        ("GET /events", None),
        ("POST /components", {"name": "Trojan"}),
    ):
        refuse(solution, outsider, route, body, 404, f"no solution with id {solution.id}")
    assert solution.id not in world.client.get("/v1/solutions", headers=outsider.headers).text


class Bad(NamedTuple):
    stage: Callable[[World], Solution]
    who: str
    route: str
    body: Callable[[Solution], Any] | Any
    status: int
    says: str
    needs_version: bool = False


MOVE = "POST /lifecycle"
BAD: dict[str, Bad] = {
    "Validated before every builder signed off": Bad(
        half_signed, "a", MOVE, {"to": "Validated"}, 422,
        "Validated only when every builder has signed off; waiting for 1 builder(s)"),
    "sign-off by the integrator": Bad(
        in_development, "c", "POST /sign-off", None, 403,
        "only builders who accepted may sign off the solution"),
    "move from Proposed straight to Published": Bad(
        alone, "a", MOVE, {"to": "Published"}, 422,
        "a solution in Proposed can move to: In Development, Retired; not to Published"),
    "Published without a listing url": Bad(
        validated_alone, "a", MOVE, {"to": "Published"}, 422,
        "a solution is Published with a listing.url"),
    "listing url over http": Bad(
        alone, "a", "PATCH ", {"listing": {"url": "http://marketplace.example/x"}}, 422,
        "listing.url must be an https:// address", needs_version=True),
    "move by a builder that is not the owner": Bad(
        proposed, "b", MOVE, {"to": "In Development"}, 403,
        "only the owner may move the solution along its lifecycle"),
    "removal of another party's component": Bad(
        with_component, "c", "DELETE /components/{component}", None, 403,
        "only the party that contributed a component may remove it"),
    "invitation of a company that is not a partner": Bad(
        alone, "a", "POST /invitations", lambda s: {"party_id": s.b.party_id, "role": "builder"},
        409, "a solution is shared only with active partners"),
    "component with an unknown field": Bad(
        alone, "a", "POST /components", {"name": "Connector", "owner": "me"}, 422,
        "body.owner: Extra inputs are not permitted"),
    "link to a deal the caller does not take part in": Bad(
        alone, "a", "POST /links", lambda s: {"opportunity_id": s.world.opportunity(s.b)["id"]},
        404, "no opportunity with id"),
    "second link to the same deal": Bad(
        linked, "a", "POST /links", lambda s: {"opportunity_id": s.deal}, 422,
        "that opportunity is already linked to this solution"),
}  # fmt: skip


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_a_bad_command_is_refused_with_a_clear_problem_and_writes_nothing(
    world: World, bad: Bad
) -> None:
    solution = bad.stage(world)
    who: Caller = getattr(solution, bad.who)
    body = bad.body(solution) if callable(bad.body) else bad.body
    etag = solution.send(who, "GET ").headers["ETag"] if bad.needs_version else None
    headers = {"If-Match": etag} if etag else None
    refuse(solution, who, bad.route, body, bad.status, bad.says, headers)
