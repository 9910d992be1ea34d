"""Lists of joint solutions and co-funding plans, and return-on-funds KPIs, read from each
company's read model: only what it may see, paged, kept current as links, participants and
policies change, and equal to a rebuild."""

from __future__ import annotations

from typing import Any

from api.bootstrap import read_model_store
from ecosystem.actors import Role
from projections import rebuild
from tests.e2e.conftest import Caller, World

PLANS = "/v1/funding-plans"
SOLUTIONS = "/v1/solutions"


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def companies(world: World) -> tuple[Caller, Caller, Caller]:
    roles = (Role.ADMIN, Role.PARTNER_MANAGER, Role.SALES)
    a, b, c = (world.company(*roles) for _ in range(3))
    world.partners(a, b)
    world.partners(a, c)
    return a, b, c


def plan_with(world: World, owner: Caller, funder: Caller, partner: Caller) -> str:
    """A plan of owner's with a second funder and a partner, both accepted."""
    client = world.client
    plan = ok(
        client.post(PLANS, json={"name": "MDF", "currency": "EUR"}, headers=owner.headers), 201
    )
    for guest, role in ((funder, "funder"), (partner, "partner")):
        body = {"party_id": guest.party_id, "role": role}
        ok(client.post(f"{PLANS}/{plan['id']}/invitations", json=body, headers=owner.headers))
        ok(
            client.post(
                f"{PLANS}/{plan['id']}/invitations/{guest.party_id}/accept", headers=guest.headers
            )
        )
    return str(plan["id"])


def listed(world: World, caller: Caller, path: str = PLANS, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = ok(world.client.get(path, params=params, headers=caller.headers))[
        "items"
    ]
    return items


def test_each_party_lists_only_the_plans_it_is_involved_in_with_its_own_view(world: World) -> None:
    a, b, c = companies(world)
    outsider = world.company()
    world.partners(a, outsider)
    plan = plan_with(world, a, b, c)
    etag = world.client.get(f"{PLANS}/{plan}", headers=b.headers).headers["ETag"]
    notes = {"budget_notes": "secret pot B-7"}
    ok(world.client.patch(f"{PLANS}/{plan}/counterpart", json=notes,
                          headers={**b.headers, "If-Match": etag}))  # fmt: skip
    assert [p["id"] for p in listed(world, b)] == [plan]
    assert "secret pot B-7" in str(listed(world, b))
    for other in (a, c):
        assert [p["id"] for p in listed(world, other)] == [plan]
        assert "secret pot B-7" not in str(listed(world, other))
    assert listed(world, outsider) == []
    assert listed(world, a, relation="partner") == []
    assert [p["id"] for p in listed(world, c, relation="partner")] == [plan]


def test_plans_are_listed_a_page_at_a_time_newest_change_first(world: World) -> None:
    a, b, c = companies(world)
    plans = [plan_with(world, a, b, c) for _ in range(5)]
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ok(world.client.get(PLANS, params=params, headers=a.headers))
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(plans))
    bad = world.client.get(PLANS, params={"cursor": "nonsense"}, headers=a.headers)
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("application/problem+json")


def test_a_link_is_listed_only_to_parties_of_the_deal_and_follows_them(world: World) -> None:
    a, b, c = companies(world)
    plan = plan_with(world, a, b, c)
    deal = world.opportunity(a)
    ok(world.client.post(f"{PLANS}/{plan}/links", json={"opportunity_id": deal["id"]},
                         headers=a.headers))  # fmt: skip
    assert [link["opportunity_id"] for link in listed(world, a)[0]["links"]] == [deal["id"]]
    assert listed(world, b)[0]["links"] == []  # b does not take part in the deal
    body = {"party_id": b.party_id, "role": "co_seller"}
    ok(world.client.post(f"/v1/opportunities/{deal['id']}/invitations", json=body,
                         headers=a.headers))  # fmt: skip
    accept = f"/v1/opportunities/{deal['id']}/invitations/{b.party_id}/accept"
    ok(world.client.post(accept, headers=b.headers))
    assert [link["opportunity_id"] for link in listed(world, b)[0]["links"]] == [deal["id"]]
    withdraw = f"/v1/opportunities/{deal['id']}/invitations/{b.party_id}/withdraw"
    world.client.post(withdraw, headers=b.headers)
    assert listed(world, b)[0]["links"] == []


def test_a_policy_change_re_projects_the_solutions_it_affects(world: World) -> None:
    a, b, _ = companies(world)
    made = ok(world.client.post(SOLUTIONS, json={"name": "Joint", "summary": "Edge AI"},
                                headers=a.headers), 201)  # fmt: skip
    body = {"party_id": b.party_id, "role": "integrator"}
    ok(world.client.post(f"{SOLUTIONS}/{made['id']}/invitations", json=body, headers=a.headers))
    accept = f"{SOLUTIONS}/{made['id']}/invitations/{b.party_id}/accept"
    ok(world.client.post(accept, headers=b.headers))
    assert listed(world, b, SOLUTIONS)[0]["summary"] == "Edge AI"
    admin = world.security_admin(a)
    hide = {"viewer": "partners", "preset": "hidden", "object_type": "solution"}
    ok(world.client.post("/v1/policies/presets", json=hide, headers=admin.headers))
    (seen,) = listed(world, b, SOLUTIONS)
    assert "summary" not in seen and "name" not in seen
    assert listed(world, a, SOLUTIONS)[0]["summary"] == "Edge AI"


def test_return_on_funds_counts_what_each_company_may_see(world: World) -> None:
    a, b, c = companies(world)
    world.partners(b, c)  # b's commitment reaches c only while they are partners
    plan = plan_with(world, a, b, c)
    client = world.client
    for funder, amount in ((a, "600.00"), (b, "400.00")):
        ok(client.post(f"{PLANS}/{plan}/commitments", json={"amount": eur(amount)},
                       headers=funder.headers))  # fmt: skip
    shares = [{"party_id": a.party_id, "percent": "50"}, {"party_id": b.party_id, "percent": "50"}]
    activity = {"kind": "event", "name": "Summit", "budget": eur("800.00"), "shares": shares}
    added = ok(client.post(f"{PLANS}/{plan}/activities", json=activity, headers=a.headers))
    body = {"activity_id": added["activities"][0]["activity_id"], "amount": eur("300.00")}
    request_id = client.post(f"{PLANS}/{plan}/requests", json=body, headers=c.headers).headers[
        "Cosell-Request-Id"
    ]
    for funder in (a, b):
        ok(client.post(f"{PLANS}/{plan}/requests/{request_id}/approve", headers=funder.headers))
    proof = {"name": "photos.zip", "sha256": "0" * 64}
    claim = {"amount": eur("250.00"), "proofs": [proof]}
    claimed = client.post(f"{PLANS}/{plan}/requests/{request_id}/claims", json=claim,
                          headers=c.headers)  # fmt: skip
    claim_id = claimed.headers["Cosell-Claim-Id"]
    ok(client.post(f"{PLANS}/{plan}/claims/{claim_id}/payouts", json={"amount": eur("125.00")},
                   headers=a.headers))  # fmt: skip
    deal = world.opportunity(c, expected_amount=eur("9000.00"))
    ok(client.post(f"{PLANS}/{plan}/links", json={"opportunity_id": deal["id"]}, headers=c.headers))
    figures = {
        who: ok(client.get("/v1/kpis/funding", headers=caller.headers))["figures"]["plans"][0]
        for who, caller in (("a", a), ("c", c))
    }
    for who in ("a", "c"):
        assert (figures[who]["committed"], figures[who]["approved"]) == ("1000.00", "300.00")
        assert (figures[who]["claimed"], figures[who]["paid"]) == ("250.00", "125.00")
    assert figures["a"]["committed_by_you"] == "600.00"
    assert figures["c"]["influenced_pipeline"] == [{"currency": "EUR", "amount": "9000.00"}]
    assert figures["a"]["influenced_pipeline"] == []  # a does not take part in c's deal


def test_a_rebuild_of_solutions_and_plans_equals_the_incremental_read_models(world: World) -> None:
    a, b, c = companies(world)
    plan_with(world, a, b, c)
    ok(world.client.post(SOLUTIONS, json={"name": "Joint"}, headers=a.headers), 201)
    world.client.get(PLANS, headers=a.headers)  # the read models have caught up
    store = read_model_store(world.network)
    position, before, count = store.digest()
    rebuilt = rebuild(world.network, store)
    assert (rebuilt.position, rebuilt.digest) == (position, before)
    assert store.digest()[1:] == (before, count)
