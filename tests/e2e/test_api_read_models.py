"""The deal list over HTTP, read from each company's read model: filters, sorts, cursor pages,
consistency tokens and read-your-writes, and that no filter finds what the caller may not see."""

from __future__ import annotations

import base64
import time
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.bootstrap import read_model_store
from api.consistency import READ_AFTER, TOKEN
from api.settings import Settings
from ecosystem.network import Network
from projections import OpportunityProjector
from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response

LIST = "/v1/opportunities"
SORTS = ("created_at", "updated_at", "target_close_date", "expected_amount", "title", "customer")


def money(amount: str, currency: str) -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def customer(name: str, domain: str) -> dict[str, str]:
    return {"name": name, "website_domain": domain}


def get(world: World, caller: Caller, headers: dict[str, str] | None = None, **params: Any) -> Any:
    return world.client.get(LIST, params=params, headers={**caller.headers, **(headers or {})})


def listed(world: World, caller: Caller, **params: Any) -> list[str]:
    """The ids of one page of the caller's list."""
    response = get(world, caller, **params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def found(world: World, caller: Caller, **params: Any) -> set[str]:
    """The ids the caller's list holds under these filters (each id listed once)."""
    ids = listed(world, caller, limit=200, **params)
    assert len(ids) == len(set(ids)), f"an item is listed twice: {ids}"
    return set(ids)


def walk(world: World, caller: Caller, between: Any = None, **params: Any) -> list[str]:
    """Every id, page by page with limit=2; `between(page_number)` may act between pages."""
    ids: list[str] = []
    cursor = None
    for page in range(100):
        query: dict[str, Any] = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        response = get(world, caller, **query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= 2
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return ids
        if between is not None:
            between(page)
    raise AssertionError("the pages never ended")


def post(world: World, caller: Caller, deal: dict[str, Any], tail: str, body: Any = None) -> Any:
    response = world.client.post(f"{LIST}/{deal['id']}{tail}", json=body, headers=caller.headers)
    assert response.status_code in (200, 204), response.text
    return response


def invite(world: World, owner: Caller, deal: dict[str, Any], partner: Caller) -> None:
    post(world, owner, deal, "/invitations", {"party_id": partner.party_id, "role": "co_seller"})


def join(world: World, owner: Caller, deal: dict[str, Any], partner: Caller) -> None:
    invite(world, owner, deal, partner)
    post(world, partner, deal, f"/invitations/{partner.party_id}/accept")


def deny(world: World, owner: Caller, *fields: str) -> None:
    """The owner's security admin hides these fields of its deals from its partners."""
    admin = world.security_admin(owner)
    for field in fields:
        rule = {"viewer": "partners", "field": field, "effect": "deny"}
        added = world.client.post("/v1/policies/rules", json=rule, headers=admin.headers)
        assert added.status_code == 201, added.text


def assert_problem(response: Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- a catalogue of one vendor's deals, with ties on every sortable value ---------------------

CATALOGUE: dict[str, dict[str, Any]] = {
    "lakehouse": {
        "title": "Data Lakehouse",
        "customer": customer("ACME Corp", "acme.example"),
        "expected_amount": money("250000.00", "EUR"),
        "target_close_date": "2027-03-31",
    },
    "crm": {
        "title": "crm rollout",
        "customer": customer("Brightwater Bank", "brightwater.example"),
        "expected_amount": money("900.00", "EUR"),
        "target_close_date": "2026-12-15",
    },
    "edge": {
        "title": "Edge Platform",
        "customer": customer("acme corp", "acme-labs.example"),
        "expected_amount": money("10000.00", "EUR"),
        "target_close_date": "2026-12-15",
        "override_conflicts": True,
    },
    "warehouse": {
        "title": "data lakehouse",
        "customer": customer("Zephyr Retail", "zephyr.example"),
        "expected_amount": money("10000", "USD"),
    },
    "analytics": {
        "title": "Analytics",
        "customer": customer("Platinum Foods", "platinum.example"),
        "expected_amount": None,
        "target_close_date": "2026-06-30",
    },
}
# Ascending order as groups of names; within a group (equal values) the id decides.
# A value missing from a deal sorts first ascending, last descending.
ASCENDING = {
    "created_at": [["lakehouse"], ["crm"], ["edge"], ["warehouse"], ["analytics"]],
    "updated_at": [["lakehouse"], ["edge"], ["analytics"], ["crm"], ["warehouse"]],
    "target_close_date": [["warehouse"], ["analytics"], ["crm", "edge"], ["lakehouse"]],
    "expected_amount": [["analytics"], ["crm"], ["edge", "warehouse"], ["lakehouse"]],
    "title": [["analytics"], ["crm"], ["lakehouse", "warehouse"], ["edge"]],
    "customer": [["lakehouse", "edge"], ["crm"], ["analytics"], ["warehouse"]],
}


def catalogue(world: World, vendor: Caller) -> dict[str, str]:
    """The vendor's five deals by name; crm, then warehouse, changed last (in that order)."""
    deals = {name: world.opportunity(vendor, **body) for name, body in CATALOGUE.items()}
    post(world, vendor, deals["crm"], "/stage", {"stage": "Qualified"})
    post(world, vendor, deals["warehouse"], "/notes", {"text": "Call on Monday."})
    return {name: deal["id"] for name, deal in deals.items()}


def in_order(groups: list[list[str]], ids: dict[str, str]) -> list[str]:
    return [i for group in groups for i in sorted(ids[name] for name in group)]


def test_each_sort_orders_both_ways_with_the_id_breaking_ties(world: World) -> None:
    vendor = world.company()
    ids = catalogue(world, vendor)
    for sort in SORTS:
        ascending = in_order(ASCENDING[sort], ids)
        assert listed(world, vendor, sort=sort) == ascending, sort
        assert listed(world, vendor, sort=f"-{sort}") == ascending[::-1], sort
    assert listed(world, vendor) == in_order(ASCENDING["updated_at"], ids)[::-1]  # the default


def test_pages_of_two_walk_every_item_once_in_each_sort_order(world: World) -> None:
    vendor = world.company()
    ids = catalogue(world, vendor)
    for sort in SORTS:
        ascending = in_order(ASCENDING[sort], ids)
        assert walk(world, vendor, sort=sort) == ascending, sort
        assert walk(world, vendor, sort=f"-{sort}") == ascending[::-1], sort


# --- filters ---------------------------------------------------------------------------------


@pytest.fixture
def market(world: World) -> dict[str, Any]:
    """`me` owns the catalogue (lakehouse Qualified, edge won, partner B on lakehouse, C
    invited to crm), partners on a deal of P (who shares everything) and is invited to Q's."""
    me, b, c, p, q = (world.company() for _ in range(5))
    for other in (b, c, p, q):
        world.partners(me, other)
    deals = {name: world.opportunity(me, **body) for name, body in CATALOGUE.items()}
    post(world, me, deals["lakehouse"], "/stage", {"stage": "Qualified"})
    join(world, me, deals["lakehouse"], b)
    invite(world, me, deals["crm"], c)
    post(world, me, deals["edge"], "/close", {"outcome": "won"})
    world.share(p, "full")
    deals["migration"] = world.opportunity(
        p, title="Platform migration", customer=customer("Northwind Traders", "northwind.example"),
        expected_amount=money("5000.00", "GBP"), target_close_date="2026-09-30",
    )  # fmt: skip
    join(world, p, deals["migration"], me)
    deals["audit"] = world.opportunity(
        q, title="Security audit", customer=customer("Globex", "globex.example"),
        expected_amount=money("100.00", "EUR"), target_close_date="2026-12-01",
    )  # fmt: skip
    invite(world, q, deals["audit"], me)
    ids = {name: deal["id"] for name, deal in deals.items()}
    return {"me": me, "b": b, "c": c, "p": p, "q": q, "ids": ids}


FILTERS: list[tuple[dict[str, Any], set[str]]] = [
    ({}, {"lakehouse", "crm", "edge", "warehouse", "analytics", "migration", "audit"}),
    ({"stage": "Prospect"}, {"crm", "warehouse", "analytics", "migration", "audit"}),
    ({"stage": "Qualified"}, {"lakehouse"}),
    ({"stage": "Launched"}, {"edge"}),
    ({"stage": "Committed"}, set()),
    ({"relation": "owned"}, {"lakehouse", "crm", "edge", "warehouse", "analytics"}),
    ({"relation": "partner"}, {"migration"}),
    ({"relation": "invited"}, {"audit"}),
    ({"relation": "owned", "stage": "Prospect"}, {"crm", "warehouse", "analytics"}),
    ({"customer": "acme corp"}, {"lakehouse", "edge"}),
    ({"customer": "ACME CORP"}, {"lakehouse", "edge"}),
    ({"customer": "Northwind Traders"}, {"migration"}),
    ({"customer": "acme"}, set()),  # the whole name, not a part of it
    ({"q": "lakehouse"}, {"lakehouse", "warehouse"}),
    ({"q": "PLATFORM"}, {"edge", "migration"}),
    ({"q": "wind"}, {"migration"}),  # in the customer's name
    ({"q": "platinum"}, {"analytics"}),
    ({"q": "audit"}, {"audit"}),
    ({"q": "%"}, set()),  # a LIKE wildcard is only a character
    ({"q": "_"}, set()),
    ({"close_from": "2026-12-15"}, {"lakehouse", "crm", "edge"}),
    ({"close_to": "2026-12-15"}, {"crm", "edge", "analytics", "migration"}),
    ({"close_from": "2026-09-30", "close_to": "2026-12-15"}, {"crm", "edge", "migration"}),
    ({"close_from": "2027-04-01"}, set()),
    ({"currency": "EUR"}, {"lakehouse", "crm", "edge"}),
    ({"currency": "USD"}, {"warehouse"}),
    ({"currency": "GBP"}, {"migration"}),
    ({"currency": "JPY"}, set()),
    ({"amount_min": "1000", "currency": "EUR"}, {"lakehouse", "edge"}),  # 900 < 1000 < 10000
    ({"amount_max": "10000", "currency": "EUR"}, {"crm", "edge"}),
    ({"amount_min": "900", "amount_max": "900.00", "currency": "EUR"}, {"crm"}),
    ({"amount_min": "10000", "currency": "USD"}, {"warehouse"}),
    ({"amount_min": "0", "currency": "GBP"}, {"migration"}),
]


def test_every_filter_returns_exactly_the_deals_that_match(
    world: World, market: dict[str, Any]
) -> None:
    me, ids = market["me"], market["ids"]
    for params, names in FILTERS:
        assert found(world, me, **params) == {ids[n] for n in names}, params
    by_amount = walk(world, me, currency="EUR", sort="-expected_amount")  # filters, sorts, pages
    assert by_amount == [ids["lakehouse"], ids["edge"], ids["crm"]]


def test_owner_and_partner_filters_name_the_companies_involved(
    world: World, market: dict[str, Any]
) -> None:
    me, ids = market["me"], market["ids"]
    owned = {ids[n] for n in CATALOGUE}
    assert found(world, me, owner=me.party_id) == owned
    assert found(world, me, owner=market["p"].party_id) == {ids["migration"]}
    assert found(world, me, owner=market["q"].party_id) == {ids["audit"]}
    assert found(world, me, owner=market["b"].party_id) == set()
    assert found(world, me, partner=market["b"].party_id) == {ids["lakehouse"]}
    assert found(world, me, partner=market["c"].party_id) == {ids["crm"]}  # invited counts
    assert found(world, me, partner=market["p"].party_id) == set()  # P owns, is no partner


# --- pages while deals are added -------------------------------------------------------------


def test_deals_added_between_pages_are_never_listed_twice(world: World) -> None:
    vendor = world.company()
    first = [world.opportunity(vendor)["id"] for _ in range(5)]
    added: list[str] = []

    def add(page: int) -> None:
        added.append(world.opportunity(vendor)["id"])

    assert walk(world, vendor, add, sort="created_at") == first + added
    assert len(added) >= 3
    before = list(added)
    newest_first = walk(world, vendor, add, sort="-created_at")
    # New deals sort before the cursor: this walk does not see them, and repeats nothing.
    assert newest_first == (first + before)[::-1]


def test_a_deal_added_behind_the_cursor_is_skipped_and_one_ahead_is_listed(world: World) -> None:
    vendor = world.company()
    names = ["Bravo", "Delta", "Foxtrot", "Hotel"]
    titled = {n: world.opportunity(vendor, title=n)["id"] for n in names}

    def add(page: int) -> None:
        if page == 0:  # after Bravo and Delta
            titled["Alpha"] = world.opportunity(vendor, title="Alpha")["id"]
            titled["Golf"] = world.opportunity(vendor, title="Golf")["id"]

    walked = walk(world, vendor, add, sort="title")
    assert walked == [titled[n] for n in ("Bravo", "Delta", "Foxtrot", "Golf", "Hotel")]


# --- refusals --------------------------------------------------------------------------------


def test_a_cursor_from_another_sort_is_refused_with_400(world: World) -> None:
    vendor = world.company()
    for _ in range(3):
        world.opportunity(vendor)
    page = get(world, vendor, sort="created_at", limit=1).json()
    assert page["next_cursor"]
    for other in ("-created_at", "title", "-updated_at"):
        assert_problem(get(world, vendor, sort=other, cursor=page["next_cursor"]), 400)
    assert_problem(get(world, vendor, cursor=page["next_cursor"]), 400)  # default -updated_at
    assert get(world, vendor, sort="created_at", cursor=page["next_cursor"]).status_code == 200


GARBAGE_CURSORS = [
    "garbage", "!!", "a", b64(b"{}"), b64(b"null"), b64(b"[1, 2]"),
    b64(b'["created_at", 1, "x"]'), b64(b"\xff\xfe\xfd"), b64(b'["created_at", "x"]'),
]  # fmt: skip


def test_a_cursor_this_api_did_not_return_is_refused_with_400(world: World) -> None:
    vendor = world.company()
    world.opportunity(vendor)
    for cursor in GARBAGE_CURSORS:
        assert_problem(get(world, vendor, sort="created_at", cursor=cursor), 400)


def test_an_amount_range_without_a_currency_is_refused_with_400(world: World) -> None:
    vendor = world.company()
    unbounded: list[dict[str, Any]] = [
        {"amount_min": "1"}, {"amount_max": "1"}, {"amount_min": "1", "amount_max": "2"},
    ]  # fmt: skip
    for params in unbounded:
        assert_problem(get(world, vendor, **params), 400)


def test_an_unknown_query_parameter_is_refused_with_422(world: World) -> None:
    vendor = world.company()
    unknown: list[dict[str, Any]] = [{"colour": "red"}, {"text": "acme"}, {"page": "2"}]
    for params in unknown:
        assert_problem(get(world, vendor, **params), 422)


# --- nothing hidden is ever found ------------------------------------------------------------


def test_no_filter_matches_a_value_the_owner_hides_from_the_caller(world: World) -> None:
    owner, partner = world.company(), world.company()
    world.partners(owner, partner)
    world.share(owner, "full")
    deal = world.opportunity(
        owner, title="Quantum Ledger", customer=customer("Orbit Freight", "orbit.example"),
        expected_amount=money("70000.00", "EUR"), target_close_date="2027-01-15",
    )  # fmt: skip
    post(world, owner, deal, "/stage", {"stage": "Qualified"})
    join(world, owner, deal, partner)
    revealing: list[dict[str, Any]] = [
        {"q": "quantum"},
        {"amount_min": "60000", "currency": "EUR"},
        {"amount_max": "80000", "currency": "EUR"},
        {"currency": "EUR"},
        {"close_from": "2027-01-01", "close_to": "2027-01-31"},
        {"close_to": "2027-12-31"},
        {"stage": "Qualified"},
    ]
    for params in revealing:  # while shared, each filter finds the deal
        assert found(world, partner, **params) == {deal["id"]}, params

    deny(world, owner, "title", "expected_amount", "target_close_date", "stage")
    # No token: the list still waits for the policy change in force, by itself.
    stale_ok = {READ_AFTER: ""}
    seen = get(world, partner, stale_ok).json()["items"]
    assert [item["id"] for item in seen] == [deal["id"]]
    hidden = {"title", "expected_amount", "target_close_date", "stage", "stage_history"}
    assert not hidden & set(seen[0])
    for params in revealing:
        response = get(world, partner, stale_ok, limit=200, **params)
        assert response.status_code == 200, response.text
        assert response.json()["items"] == [], params
    for stage in ("Prospect", "Committed"):
        assert found(world, partner, stage=stage) == set()
    assert found(world, partner, customer="orbit freight") == {deal["id"]}  # still shared
    assert found(world, owner, q="quantum", stage="Qualified") == {deal["id"]}


def test_a_partner_never_finds_an_amount_or_close_date_the_default_policy_keeps(
    world: World,
) -> None:
    owner, partner = world.company(), world.company()
    world.partners(owner, partner)
    deal = world.opportunity(owner, target_close_date="2026-10-01")  # 1000.00 EUR
    join(world, owner, deal, partner)
    assert found(world, partner) == {deal["id"]}
    assert found(world, partner, amount_min="0", currency="EUR") == set()
    assert found(world, partner, currency="EUR") == set()
    assert found(world, partner, close_from="2000-01-01") == set()
    assert walk(world, partner, sort="expected_amount") == [deal["id"]]


def test_non_participants_never_see_a_deal_in_their_list(world: World) -> None:
    owner, partner, stranger, decliner = (world.company() for _ in range(4))
    world.partners(owner, partner)
    world.partners(owner, decliner)
    world.share(owner, "full")
    deal = world.opportunity(owner, title="Secret Merger")
    join(world, owner, deal, partner)
    invite(world, owner, deal, decliner)
    post(world, decliner, deal, f"/invitations/{decliner.party_id}/decline")
    for outsider in (stranger, decliner):
        assert found(world, outsider) == set()
        assert found(world, outsider, owner=owner.party_id) == set()
        assert found(world, outsider, q="secret") == set()
        assert found(world, outsider, partner=partner.party_id) == set()


def test_a_withdrawn_partner_s_list_loses_the_deal(world: World) -> None:
    owner, partner = world.company(), world.company()
    world.partners(owner, partner)
    kept = world.opportunity(owner)
    dropped = world.opportunity(owner, title="Dropped by owner")
    left = world.opportunity(owner, title="Left by partner")
    for deal in (kept, dropped, left):
        join(world, owner, deal, partner)
    assert found(world, partner) == {kept["id"], dropped["id"], left["id"]}
    post(world, owner, dropped, f"/invitations/{partner.party_id}/withdraw")
    post(world, partner, left, f"/invitations/{partner.party_id}/withdraw")
    assert found(world, partner) == {kept["id"]}
    assert found(world, partner, q="dropped") == set()
    assert found(world, partner, q="left by") == set()
    assert found(world, partner, relation="partner") == {kept["id"]}
    assert found(world, owner, partner=partner.party_id) == {kept["id"]}


# --- consistency tokens and read-your-writes -------------------------------------------------


def test_a_change_and_a_list_answer_with_tokens_that_name_no_position(world: World) -> None:
    vendor = world.company()
    created = world.client.post(
        LIST, json={"title": "Fresh", "customer": {"name": "Fresh Co"}}, headers=vendor.headers
    )
    assert created.status_code == 201, created.text
    response = get(world, vendor, {READ_AFTER: created.headers[TOKEN]})
    assert response.status_code == 200, response.text
    assert "position" not in response.json()
    for token in (created.headers[TOKEN], response.headers[TOKEN]):
        assert not token.isdigit() and len(token) >= 40


def test_a_change_s_token_sent_back_makes_the_next_list_include_it(world: World) -> None:
    vendor = world.company()
    for title in ("One", "Two", "Three"):
        created = world.client.post(
            LIST, json={"title": title, "customer": {"name": f"{title} Ltd"}},
            headers=vendor.headers,
        )  # fmt: skip
        assert created.status_code == 201, created.text
        asked = {READ_AFTER: created.headers[TOKEN]}
        response = get(world, vendor, asked, q=title)
        assert response.status_code == 200, response.text
        assert [item["id"] for item in response.json()["items"]] == [created.json()["id"]]


def test_a_token_beyond_the_log_head_answers_400_at_once(network: Network) -> None:
    app = create_app(Settings(read_wait_seconds=2), network=network)
    with TestClient(app, raise_server_exceptions=False) as client:
        vendor = World(network, client).company()
        token = app.state.tokens.issue(UUID(vendor.party_id), network.log_position + 1_000_000)
        for path in (LIST, "/v1/kpis", "/v1/kpis/pipeline"):
            started = time.monotonic()
            response = client.get(path, headers={READ_AFTER: token, **vendor.headers})
            assert_problem(response, 400)
            assert time.monotonic() - started < 1.0


def test_without_a_projector_a_read_of_my_write_waits_and_then_refuses(network: Network) -> None:
    """The token is what guards the read: nothing projects, so the write cannot show; the 503
    says when to retry and names no position."""
    app = create_app(Settings(read_wait_seconds=0.2, run_projections=False), network=network)
    with TestClient(app, raise_server_exceptions=False) as client:
        world = World(network, client)
        vendor = world.company()
        deal = client.post(
            LIST, json={"title": "Pending", "customer": {"name": "Pending Inc"}},
            headers=vendor.headers,
        )  # fmt: skip
        asked = {READ_AFTER: deal.headers[TOKEN], **vendor.headers}
        for path in (LIST, "/v1/kpis", "/v1/kpis/pipeline"):
            started = time.monotonic()
            response = client.get(path, headers=asked)
            waited = time.monotonic() - started
            assert_problem(response, 503)
            assert int(response.headers["Retry-After"]) >= 1
            assert "position" not in response.json()
            assert not any(ch.isdigit() for ch in response.json()["detail"])
            assert 0.2 <= waited < 3.0, waited
        OpportunityProjector(network, read_model_store(network)).catch_up()
        response = client.get(LIST, headers=asked)
        assert response.status_code == 200, response.text
        assert [item["id"] for item in response.json()["items"]] == [deal.json()["id"]]


def test_a_list_waits_for_the_newest_policy_change_even_when_asked_for_nothing(
    network: Network,
) -> None:
    """Nothing projects here, so a read that did not wait for the policy would show the
    amount the owner has just hidden; it must refuse instead, until the projector catches up."""
    app = create_app(Settings(read_wait_seconds=0.2, run_projections=False), network=network)
    projector = OpportunityProjector(network, read_model_store(network))
    with TestClient(app, raise_server_exceptions=False) as client:
        world = World(network, client)
        owner, partner = world.company(), world.company()
        world.partners(owner, partner)
        world.share(owner, "full")
        deal = world.opportunity(owner)
        join(world, owner, deal, partner)
        projector.catch_up()
        asked_nothing = {READ_AFTER: "", **partner.headers}
        before = client.get(LIST, headers=asked_nothing)
        assert before.status_code == 200, before.text
        assert before.json()["items"][0]["expected_amount"] == money("1000.00", "EUR")

        deny(world, owner, "expected_amount")
        for path in (LIST, "/v1/kpis"):
            assert_problem(client.get(path, headers=asked_nothing), 503)
        projector.catch_up()
        after = client.get(LIST, headers=asked_nothing)
        assert after.status_code == 200, after.text
        assert "expected_amount" not in after.json()["items"][0]
