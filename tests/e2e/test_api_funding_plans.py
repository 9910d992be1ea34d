"""Co-funding plans over HTTP: two funders and a partner commit, request, approve, claim and pay."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest

from ecosystem.actors import Role
from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
PROOF = {"name": "webinar-invoice.pdf", "sha256": "ab" * 32}
B_NOTES = "B keeps 2k EUR in reserve for Q4"


def eur(amount: str, currency: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


@dataclass
class Plan:
    """A plan of funder A (its owner), funder B and partner C, and the ids made so far."""

    world: World
    a: Caller
    b: Caller
    c: Caller
    id: str = ""
    activity: str = ""
    request: str = ""
    claim: str = ""

    def send(
        self, who: Caller, route: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        method, _, tail = route.partition(" ")
        url = f"/v1/funding-plans/{self.id}{tail.format(**vars(self))}"
        headers = {**who.headers, **(headers or {})}
        return self.world.client.request(method, url, json=body, headers=headers)

    def do(self, who: Caller, route: str, body: Any = None, named: str = "") -> Any:
        response = self.send(who, route, body)
        assert response.status_code == 200, response.text
        return response.headers[f"Cosell-{named}-Id"] if named else response.json()

    def view(self, who: Caller) -> Any:
        return self.do(who, "GET ")

    def text_for(self, who: Caller) -> str:
        """Everything `who` can read about the plan: its view, its history and the list."""
        listed = self.world.client.get("/v1/funding-plans", headers=who.headers)
        return self.send(who, "GET ").text + self.send(who, "GET /events").text + listed.text


def activity(plan: Plan, budget: Any = None, **percents: str) -> dict[str, Any]:
    percents = percents or {"a": "60", "b": "40"}
    shares = [{"party_id": getattr(plan, p).party_id, "percent": v} for p, v in percents.items()]
    return {"kind": "campaign", "name": "Webinars", "budget": budget or eur("5000.00"),
            "shares": shares}  # fmt: skip


def funded(world: World) -> Plan:
    """A commits 6000, B 4000; one 5000 EUR campaign that A pays 60% of and B 40%."""
    plan = Plan(world, world.company(), world.company(), world.company())
    world.partners(plan.a, plan.b)
    world.partners(plan.a, plan.c)
    body = {"name": "FY27 data push", "currency": "EUR", "objective": "DACH pipeline"}
    created = world.client.post("/v1/funding-plans", json=body, headers=plan.a.headers)
    assert created.status_code == 201, created.text
    plan.id = created.json()["id"]
    for party, role in ((plan.b, "funder"), (plan.c, "partner")):
        plan.do(plan.a, "POST /invitations", {"party_id": party.party_id, "role": role})
        plan.do(party, f"POST /invitations/{party.party_id}/accept")
    plan.do(plan.a, "POST /commitments", {"amount": eur("6000.00")})
    plan.do(plan.b, "POST /commitments", {"amount": eur("4000.00")})
    plan.activity = plan.do(plan.a, "POST /activities", activity(plan), "Activity")
    return plan


def ask(plan: Plan, amount: str = "1000.00", currency: str = "EUR") -> dict[str, Any]:
    return {"activity_id": plan.activity, "amount": eur(amount, currency), "description": "Q1"}


def requested(world: World) -> Plan:
    plan = funded(world)
    plan.request = plan.do(plan.c, "POST /requests", ask(plan), "Request")
    return plan


def half_approved(world: World) -> Plan:
    plan = requested(world)
    plan.do(plan.a, "POST /requests/{request}/approve")
    return plan


def approved(world: World) -> Plan:
    plan = half_approved(world)
    plan.do(plan.b, "POST /requests/{request}/approve")
    return plan


def claimed(world: World) -> Plan:
    plan = approved(world)
    body = {"amount": eur("800.00"), "proofs": [PROOF]}
    plan.claim = plan.do(plan.c, "POST /requests/{request}/claims", body, "Claim")
    return plan


def short_of_funds(world: World) -> Plan:
    """B lowers its commitment to 300 EUR; C then asks for 1000 (400 of it B's)."""
    plan = funded(world)
    plan.do(plan.b, "POST /commitments", {"amount": eur("300.00")})
    plan.request = plan.do(plan.c, "POST /requests", ask(plan), "Request")
    return plan


def claim(amount: str, currency: str = "EUR", sha256: str = "ab" * 32) -> dict[str, Any]:
    return {"amount": eur(amount, currency), "proofs": [{"name": "proof.pdf", "sha256": sha256}]}


def refuse(
    plan: Plan, who: Caller, route: str, body: Any, status: int, says: str,
    headers: dict[str, str] | None = None,
) -> None:  # fmt: skip
    """The command is answered with a problem saying `says`, and nothing is written."""
    before = plan.world.network.log_position
    response = plan.send(who, route, body, headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert says in response.json()["detail"]
    assert plan.world.network.log_position == before


def test_three_companies_fund_request_approve_claim_pay_and_link_a_deal(world: World) -> None:
    plan = claimed(world)
    a, b, c = plan.a, plan.b, plan.c
    for funder, cut in ((a, "480.00"), (b, "320.00")):
        body = {"amount": eur(cut), "reference": "PO-1"}
        assert plan.do(funder, "POST /claims/{claim}/payouts", body, "Payout")
    deal = world.opportunity(c)
    plan.do(c, "POST /links", {"opportunity_id": deal["id"]})
    admin = world.security_admin(a)
    rule = {"viewer": f"party:{c.party_id}", "object_type": "funding_plan",
            "field": "counterparts.budget_notes", "action": "read", "effect": "allow"}  # fmt: skip
    assert world.client.post("/v1/policies/rules", json=rule, headers=admin.headers).is_success
    for party, notes in ((a, "A's share comes from the Q1 MDF pot"), (b, B_NOTES)):
        etag = plan.send(party, "GET ").headers["ETag"]
        response = plan.send(
            party, "PATCH /counterpart", {"budget_notes": notes}, {"If-Match": etag}
        )
        assert response.status_code == 200, response.text

    views = {name: plan.view(who) for name, who in (("a", a), ("b", b), ("c", c))}
    assert [views[n]["invitation"]["role"] for n in "abc"] == ["funder", "funder", "partner"]
    for name, who, left in (("a", a, "5400.00"), ("b", b, "3600.00")):
        own = {m["party_id"]: m for m in views[name]["commitments"]}
        assert own[who.party_id]["left"] == eur(left)
    assert all("left" not in m for m in views["c"]["commitments"])
    for view in views.values():
        (request,) = view["requests"]
        assert request["status"] == "approved"
        assert {p["party_id"]: p["amount"]["amount"] for p in request["portions"]} == {
            a.party_id: "600.00",
            b.party_id: "400.00",
        }
        assert view["claims"][0]["paid"] == eur("800.00")
        assert view["claims"][0]["proofs"] == [PROOF]
        assert len(view["payouts"]) == 2
    assert views["c"]["links"][0]["opportunity_id"] == deal["id"]
    assert views["a"]["links"] == views["b"]["links"] == []
    assert views["a"]["counterparts"].keys() == {a.party_id}
    assert views["b"]["counterparts"].keys() == {b.party_id}
    assert views["c"]["counterparts"].keys() == {a.party_id}
    assert B_NOTES not in plan.text_for(a) + plan.text_for(c)
    assert B_NOTES in plan.text_for(b)
    seen = world.client.get(f"/v1/opportunities/{deal['id']}", headers=c.headers).json()
    assert seen["links"] == [
        {"object_id": plan.id, "kind": "funding_plan", "linked_by": c.party_id,
         "since": seen["links"][0]["since"]}
    ]  # fmt: skip


def test_a_question_clears_approvals_until_the_funders_approve_the_new_amount(
    world: World,
) -> None:
    plan = half_approved(world)
    plan.do(plan.b, "POST /requests/{request}/questions", {"reason": "Which audience?"})
    (asked,) = plan.view(plan.c)["requests"]
    assert asked["status"] == "more_info_needed"
    assert asked["answers"][0]["text"] == "Which audience?"
    reply = {"reply": "CIOs in DACH; one webinar fewer", "amount": eur("900.00")}
    (answered,) = plan.do(plan.c, "POST /requests/{request}/information", reply)["requests"]
    assert answered["status"] == "submitted" and answered["approvals"] == []
    assert answered["amount"] == eur("900.00")
    plan.do(plan.a, "POST /requests/{request}/approve")
    final = plan.do(plan.b, "POST /requests/{request}/approve")
    assert final["requests"][0]["status"] == "approved"
    left = {
        funder.party_id: m["left"]["amount"]
        for funder in (plan.a, plan.b)
        for m in plan.view(funder)["commitments"]
        if "left" in m
    }
    assert left == {plan.a.party_id: "5460.00", plan.b.party_id: "3640.00"}


def test_a_rejection_releases_the_budget_for_a_new_request(world: World) -> None:
    plan = funded(world)
    plan.request = plan.do(plan.c, "POST /requests", ask(plan, "5000.00"), "Request")
    refuse(plan, plan.c, "POST /requests", ask(plan, "1.00"), 422, "over budget")
    plan.do(plan.a, "POST /requests/{request}/reject", {"reason": "Too much for one quarter"})
    assert plan.do(plan.c, "POST /requests", ask(plan, "5000.00"), "Request")
    statuses = [r["status"] for r in plan.view(plan.c)["requests"]]
    assert sorted(statuses) == ["rejected", "submitted"]


def test_a_replayed_request_with_the_same_idempotency_key_records_one_request(
    world: World,
) -> None:
    plan = funded(world)
    key = {"Idempotency-Key": "c-request-1"}
    first = plan.send(plan.c, "POST /requests", ask(plan), key)
    assert first.status_code == 200, first.text
    before = world.network.log_position
    again = plan.send(plan.c, "POST /requests", ask(plan), key)
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Cosell-Request-Id"] == first.headers["Cosell-Request-Id"]
    assert again.json()["version"] == first.json()["version"]
    assert world.network.log_position == before
    assert len(plan.view(plan.c)["requests"]) == 1


def test_every_amount_in_another_currency_is_refused(world: World) -> None:
    plan = claimed(world)
    usd = eur("10.00", "USD")
    for who, route, body, what in (
        (plan.a, "POST /commitments", {"amount": usd}, "a commitment"),
        (plan.a, "POST /activities", activity(plan, usd), "an activity's budget"),
        (plan.c, "POST /requests", ask(plan, "10.00", "USD"), "a request"),
        (plan.c, CLAIM, claim("10.00", "USD"), "a claim"),
        (plan.a, PAY, {"amount": usd}, "a payout"),
    ):
        says = f"{what} is in USD, but this plan is in EUR; a plan never mixes currencies"
        refuse(plan, who, route, body, 422, says)


def test_claims_never_exceed_the_approved_amount_alone_or_together(world: World) -> None:
    plan = approved(world)
    says = "claims never exceed the approved amount: {} EUR of 1000.00 EUR is left"
    refuse(plan, plan.c, CLAIM, claim("1000.01"), 422, says.format("1000.00"))
    plan.do(plan.c, CLAIM, claim("800.00"))
    refuse(plan, plan.c, CLAIM, claim("200.01"), 422, says.format("200.00"))
    assert len(plan.view(plan.c)["claims"]) == 1


def test_users_without_the_role_for_a_command_get_403(world: World) -> None:
    plan = requested(world)
    sales = world.user(plan.b.party_id, Role.SALES)
    auditor = world.user(plan.c.party_id, Role.AUDITOR)
    needs = "this needs one of the roles: admin, partner_manager"
    refuse(plan, sales, APPROVE, None, 403, needs)
    refuse(plan, auditor, "POST /requests", ask(plan), 403, f"{needs}, sales")


def test_a_company_outside_the_plan_gets_404_on_reads_and_commands(world: World) -> None:
    plan = funded(world)
    outsider = world.company()
    for route, body in (("GET ", None), ("GET /events", None), ("POST /requests", ask(plan))):
        refuse(plan, outsider, route, body, 404, f"no funding plan with id {plan.id}")
    assert plan.id not in world.client.get("/v1/funding-plans", headers=outsider.headers).text


class Bad(NamedTuple):
    stage: Callable[[World], Plan]
    who: str
    route: str
    body: Callable[[Plan], Any] | Any
    status: int
    says: str
    if_match: str | None = None


CLAIM = "POST /requests/{request}/claims"
PAY = "POST /claims/{claim}/payouts"
APPROVE = "POST /requests/{request}/approve"
BAD: dict[str, Bad] = {
    "request above the activity's budget left": Bad(
        approved, "c", "POST /requests", lambda p: ask(p, "4000.01"), 422,
        "over budget: it asks for more than is left"),
    "payout above the claim": Bad(
        claimed, "a", PAY, {"amount": eur("800.01")}, 422,
        "payouts never exceed the claim: 800.00 EUR of 800.00 EUR is left"),
    "request of zero": Bad(
        funded, "c", "POST /requests", lambda p: ask(p, "0.00"), 422,
        "a request must be greater than zero"),
    "negative request": Bad(
        funded, "c", "POST /requests", lambda p: ask(p, "-1.00"), 422,
        "body.amount.amount: Value error, an amount is a plain decimal string"),
    "approval by the partner, who funds nothing": Bad(
        requested, "c", APPROVE, None, 403, "only a funder whose money the request draws on"),
    "second approval by the same funder": Bad(
        half_approved, "a", APPROVE, None, 409, "already approved this request"),
    "approval beyond what the funder has left": Bad(
        short_of_funds, "b", APPROVE, None, 422,
        "approving would draw 400.00 EUR of your party's funds, but only 300.00 EUR"),
    "activity shares adding up to 90": Bad(
        funded, "a", "POST /activities", lambda p: activity(p, a="60", b="30"), 422,
        "the funders' shares of an activity must add up to exactly 100"),
    "activity share for the partner": Bad(
        funded, "a", "POST /activities", lambda p: activity(p, a="50", b="30", c="20"), 422,
        "is not a funder who accepted this plan"),
    "claim on a request not yet approved": Bad(
        half_approved, "c", CLAIM, claim("100.00"), 422,
        "the request is submitted; only approved funds are claimed"),
    "claim by a funder instead of the requester": Bad(
        approved, "a", CLAIM, claim("100.00"), 403,
        "only the party that made the request may claim against it"),
    "proof with a bad sha256": Bad(
        approved, "c", CLAIM, claim("100.00", sha256="0x12"), 422,
        "body.proofs.0.sha256: String should match pattern"),
    "rejection without a reason": Bad(
        requested, "a", "POST /requests/{request}/reject", {"reason": " "}, 422,
        "a reason is required"),
    "approval of an unknown request": Bad(
        funded, "a", f"POST /requests/{UNKNOWN_ID}/approve", None, 422,
        f"the plan has no fund request {UNKNOWN_ID}"),
    "change with a stale If-Match": Bad(
        funded, "a", "PATCH ", {"name": "Renamed"}, 412, "not at the expected version 1",
        '"1"'),
    "change without If-Match": Bad(
        funded, "a", "PATCH ", {"name": "Renamed"}, 428, "needs an If-Match header"),
}  # fmt: skip


@pytest.mark.parametrize("bad", BAD.values(), ids=BAD.keys())
def test_a_bad_command_is_refused_with_a_clear_problem_and_writes_nothing(
    world: World, bad: Bad
) -> None:
    plan = bad.stage(world)
    body = bad.body(plan) if callable(bad.body) else bad.body
    headers = {"If-Match": bad.if_match} if bad.if_match else None
    refuse(plan, getattr(plan, bad.who), bad.route, body, bad.status, bad.says, headers)
