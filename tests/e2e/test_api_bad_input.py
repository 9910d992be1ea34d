"""Bad input is answered with a clear 4xx problem and writes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from ecosystem.actors import Role
from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
DEAL: dict[str, Any] = {
    "title": "Data platform",
    "customer": {"name": "Acme", "website_domain": "acme.example", "country": "DE"},
    "expected_amount": {"amount": "1000.00", "currency": "EUR"},
    "target_close_date": "2027-03-31",
}


def money(amount: Any, currency: Any = "EUR") -> dict[str, Any]:
    return {"expected_amount": {"amount": amount, "currency": currency}}


def customer(**parts: Any) -> dict[str, Any]:
    return {"customer": {**DEAL["customer"], **parts}}


# Each class of bad input, as the part of a deal's body that is wrong.
BAD_DETAILS: dict[str, dict[str, Any]] = {
    "currency of four letters": money("10.00", "EURO"),
    "currency that does not exist": money("10.00", "XXZ"),
    "currency in lower case": money("10.00", "eur"),
    "negative amount": money("-1.00"),
    "cents below the euro's two places": money("1.001"),
    "decimals on yen": money("1.5", "JPY"),
    "amount that is not a number": money("lots"),
    "infinite amount": money("Infinity"),
    "amount of nineteen digits": money("1" * 19),
    "amount without currency": {"expected_amount": {"amount": "10.00"}},
    "thirtieth of February": {"target_close_date": "2026-02-30"},
    "date in words": {"target_close_date": "tomorrow"},
    "date in day/month/year": {"target_close_date": "31/03/2027"},
    "date last century": {"target_close_date": "1999-12-31"},
    "title of 201 characters": {"title": "x" * 201},
    "blank title": {"title": "   "},
    "customer name of 201 characters": customer(name="n" * 201),
    "industry of 201 characters": customer(industry="i" * 201),
    "next steps of 5001 characters": {"next_steps": "s" * 5001},
    "product name of 201 characters": {"products": ["p" * 201]},
    "fifty-one contacts": customer(contacts=[{"name": f"C {i}"} for i in range(51)]),
    "country by name": customer(country="Germany"),
    "country in lower case": customer(country="de"),
    "website that is not a domain": customer(website_domain="not a domain"),
    "unknown top-level field": {"priority": "high"},
    "unknown field in customer": customer(ceo="Jane Doe"),
    "unknown field in amount": {"expected_amount": {"amount": "1.00", "currency": "EUR", "fx": 1}},
    "unknown field in a contact": customer(contacts=[{"name": "Dana", "mobile": "+49"}]),
    "title as a number": {"title": 123},
    "customer as text": {"customer": "Acme"},
    "products as text": {"products": "Lakehouse"},
    "amount as text with currency": {"expected_amount": "1000 EUR"},
    "contacts as one object": customer(contacts={"name": "Dana"}),
    "stage sent as a detail": {"stage": "Committed"},
}


def opportunities(world: World, caller: Caller) -> list[dict[str, Any]]:
    response = world.client.get("/v1/opportunities", headers=caller.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def read(world: World, caller: Caller, deal_id: str) -> tuple[dict[str, Any], list[Any]]:
    """The deal and its history, to compare before and after a refused command."""
    seen = world.client.get(f"/v1/opportunities/{deal_id}", headers=caller.headers)
    events = world.client.get(f"/v1/opportunities/{deal_id}/events", headers=caller.headers)
    assert seen.status_code == events.status_code == 200
    return seen.json(), events.json()["events"]


def register(world: World, caller: Caller, body: Any = DEAL) -> Response:
    return world.client.post("/v1/opportunities", json=body, headers=caller.headers)


def registered(world: World, caller: Caller) -> str:
    response = register(world, caller)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def assert_problem(response: Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    assert isinstance(problem["detail"], str) and problem["detail"].strip()


# --- registering ------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", BAD_DETAILS.values(), ids=BAD_DETAILS.keys())
def test_a_bad_registration_is_refused_with_422_and_writes_nothing(
    world: World, bad: dict[str, Any]
) -> None:
    vendor = world.company()
    refused = register(world, vendor, {**DEAL, **bad})
    assert_problem(refused, 422)
    assert opportunities(world, vendor) == []
    # nothing half-written either: the corrected request meets no phantom conflict
    assert register(world, vendor).status_code == 201


@pytest.mark.parametrize(
    "body",
    [{"customer": DEAL["customer"]}, {"title": "Data platform"}, {**DEAL, "customer": {}}, []],
    ids=["no title", "no customer", "customer without a name", "a list, not an object"],
)
def test_a_registration_missing_what_it_needs_is_refused(world: World, body: Any) -> None:
    vendor = world.company()
    assert_problem(register(world, vendor, body), 422)
    assert opportunities(world, vendor) == []


def test_a_body_that_is_not_json_is_refused(world: World) -> None:
    vendor = world.company()
    refused = world.client.post(
        "/v1/opportunities",
        content=b'{"title": "Data platform",',
        headers={**vendor.headers, "Content-Type": "application/json"},
    )
    assert_problem(refused, 422)
    assert opportunities(world, vendor) == []


def test_a_refusal_names_the_field_that_is_wrong(world: World) -> None:
    vendor = world.company()
    refused = register(world, vendor, {**DEAL, **customer(ceo="Jane Doe")})
    assert "ceo" in refused.json()["detail"]
    assert refused.json()["errors"][0]["location"] == ["body", "customer", "ceo"]
    too_precise = register(world, vendor, {**DEAL, **money("1.001")})
    assert "EUR" in too_precise.json()["detail"]


# --- changing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        *BAD_DETAILS.values(),
        {"title": None},
        {"customer": None},
        customer(name=None),
    ],
    ids=[*BAD_DETAILS.keys(), "title set to null", "customer set to null", "customer name null"],
)
def test_a_bad_change_is_refused_with_422_and_writes_nothing(
    world: World, bad: dict[str, Any]
) -> None:
    vendor = world.company()
    deal_id = registered(world, vendor)
    before = read(world, vendor, deal_id)
    headers = {**vendor.headers, "If-Match": f'"{before[0]["version"]}"'}
    refused = world.client.patch(f"/v1/opportunities/{deal_id}", json=bad, headers=headers)
    assert_problem(refused, 422)
    assert read(world, vendor, deal_id) == before


COMMANDS: dict[str, tuple[str, Any]] = {
    "unknown stage": ("/stage", {"stage": "Won"}),
    "stage in lower case": ("/stage", {"stage": "qualified"}),
    "stage as a number": ("/stage", {"stage": 2}),
    "reopen that is not a yes or no": ("/stage", {"stage": "Qualified", "reopen": "sometimes"}),
    "stage missing": ("/stage", {}),
    "outcome that is neither won nor lost": ("/close", {"outcome": "draw"}),
    "closing reason of 5001 characters": ("/close", {"outcome": "lost", "reason": "r" * 5001}),
    "note of 5001 characters": ("/notes", {"text": "n" * 5001}),
    "note as a number": ("/notes", {"text": 42}),
    "note with an unknown field": ("/notes", {"text": "hi", "private": True}),
    "invitee that is not an id": ("/invitations", {"party_id": "bluebridge"}),
    "invitation as owner": ("/invitations", {"party_id": "{partner}", "role": "owner"}),
    "unknown partner role": ("/invitations", {"party_id": "{partner}", "role": "boss"}),
}


@pytest.mark.parametrize(("tail", "body"), COMMANDS.values(), ids=COMMANDS.keys())
def test_a_bad_command_on_a_deal_is_refused_with_422_and_writes_nothing(
    world: World, tail: str, body: dict[str, Any]
) -> None:
    vendor, partner = world.company(), world.company()
    world.partners(vendor, partner)
    deal_id = registered(world, vendor)
    before = read(world, vendor, deal_id)
    body = {k: partner.party_id if v == "{partner}" else v for k, v in body.items()}
    path = f"/v1/opportunities/{deal_id}{tail}"
    refused = world.client.post(path, json=body, headers=vendor.headers)
    assert_problem(refused, 422)
    assert read(world, vendor, deal_id) == before


@pytest.mark.parametrize(
    "bad",
    [
        {"forecast_amount": {"amount": "5.00", "currency": "EURO"}},
        {"forecast_amount": {"amount": "-5.00", "currency": "EUR"}},
        {"forecast_amount": {"amount": "5", "currency": "XXZ"}},
        {"crm_reference": "c" * 201},
        {"title": "Not a counterpart field"},
    ],
    ids=["bad currency", "negative", "unknown currency", "long CRM reference", "core field"],
)
def test_bad_counterpart_fields_are_refused_and_write_nothing(
    world: World, bad: dict[str, Any]
) -> None:
    vendor = world.company()
    deal_id = registered(world, vendor)
    before = read(world, vendor, deal_id)
    headers = {**vendor.headers, "If-Match": f'"{before[0]["version"]}"'}
    refused = world.client.patch(
        f"/v1/opportunities/{deal_id}/counterpart", json=bad, headers=headers
    )
    assert_problem(refused, 422)
    assert read(world, vendor, deal_id) == before


@pytest.mark.parametrize(
    "params",
    [{"stage": "Won"}, {"relation": "friend"}, {"sort": "stage"}, {"limit": 0}, {"limit": 201}],
    ids=["unknown stage", "unknown relation", "unknown sort", "limit zero", "limit too big"],
)
def test_a_bad_list_query_is_refused_with_422(world: World, params: dict[str, Any]) -> None:
    vendor = world.company()
    refused = world.client.get("/v1/opportunities", params=params, headers=vendor.headers)
    assert_problem(refused, 422)


# --- malformed headers ------------------------------------------------------------------------


def test_malformed_if_match_and_idempotency_key_are_refused_with_400(world: World) -> None:
    vendor = world.company()
    deal_id = registered(world, vendor)
    before = read(world, vendor, deal_id)
    not_an_etag = world.client.patch(
        f"/v1/opportunities/{deal_id}",
        json={"title": "Renamed"},
        headers={**vendor.headers, "If-Match": "yesterday's version"},
    )
    assert_problem(not_an_etag, 400)
    assert read(world, vendor, deal_id) == before
    too_long = world.client.post(
        "/v1/opportunities", json=DEAL, headers={**vendor.headers, "Idempotency-Key": "k" * 256}
    )
    assert_problem(too_long, 400)
    assert [o["id"] for o in opportunities(world, vendor)] == [deal_id]


# --- the wrong caller, the wrong object -------------------------------------------------------


def test_a_token_of_another_party_finds_no_deal(world: World) -> None:
    vendor, stranger = world.company(), world.company()
    deal_id = registered(world, vendor)
    before = read(world, vendor, deal_id)
    path = f"/v1/opportunities/{deal_id}"
    assert_problem(world.client.get(path, headers=stranger.headers), 404)
    changed = world.client.patch(
        path, json={"title": "Hijacked"}, headers={**stranger.headers, "If-Match": '"1"'}
    )
    assert_problem(changed, 404)
    assert read(world, vendor, deal_id) == before


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.SECURITY_ADMIN])
def test_a_role_that_may_only_read_cannot_register_or_change_deals(
    world: World, role: Role
) -> None:
    vendor = world.company()
    reader = world.user(vendor.party_id, role)
    deal_id = registered(world, vendor)
    before = read(world, vendor, deal_id)
    assert_problem(register(world, reader, {**DEAL, "title": "Audit deal"}), 403)
    changed = world.client.patch(
        f"/v1/opportunities/{deal_id}",
        json={"title": "Audited"},
        headers={**reader.headers, "If-Match": f'"{before[0]["version"]}"'},
    )
    assert_problem(changed, 403)
    assert read(world, vendor, deal_id) == before
    assert [o["id"] for o in opportunities(world, reader)] == [deal_id]


def test_an_unknown_opportunity_is_a_404_problem(world: World) -> None:
    vendor = world.company()
    path = f"/v1/opportunities/{UNKNOWN_ID}"
    for response in (
        world.client.get(path, headers=vendor.headers),
        world.client.get(f"{path}/events", headers=vendor.headers),
        world.client.post(f"{path}/notes", json={"text": "hi"}, headers=vendor.headers),
        world.client.patch(
            path, json={"title": "x"}, headers={**vendor.headers, "If-Match": '"1"'}
        ),
    ):
        assert_problem(response, 404)
        assert response.json()["title"] == "Not found"


def test_an_opportunity_id_that_is_not_an_id_is_refused_with_422(world: World) -> None:
    vendor = world.company()
    assert_problem(world.client.get("/v1/opportunities/deal-42", headers=vendor.headers), 422)


def test_an_unknown_path_is_a_404_problem(world: World) -> None:
    vendor = world.company()
    assert_problem(world.client.get("/v1/deals", headers=vendor.headers), 404)
