"""Retried POSTs with an Idempotency-Key: one write, the first answer again, nothing more."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from api.app import create_app
from api.settings import Settings
from ecosystem.network import Network
from tests.consistent import ConsistentClient
from tests.e2e.conftest import Caller, World

RETRIES = 5
ROUNDS = 8  # concurrent retries interleave differently each time; several rounds show it
DEAL = {
    "title": "Fleet renewal",
    "customer": {"name": "Acme GmbH", "website_domain": "acme.example"},
    "expected_amount": {"amount": "25000.00", "currency": "EUR"},
}


@pytest.fixture
def world(network: Network) -> Iterator[World]:
    app = create_app(Settings(), network=network)
    with ConsistentClient(app, network, raise_server_exceptions=False) as client:
        yield World(network, client)


def keyed(caller: Caller, key: str) -> dict[str, str]:
    return {**caller.headers, "Idempotency-Key": key}


def at_once(count: int, send: Any) -> list[Any]:
    """Send the same request from `count` threads released together."""
    start = threading.Barrier(count)

    def run(_: int) -> Any:
        start.wait()
        return send()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def owned(world: World, caller: Caller) -> list[str]:
    listed = world.client.get("/v1/opportunities", headers=caller.headers)
    assert listed.status_code == 200, listed.text
    return [item["id"] for item in listed.json()["items"]]


def event_types(world: World, caller: Caller, opportunity_id: str) -> list[str]:
    history = world.client.get(f"/v1/opportunities/{opportunity_id}/events", headers=caller.headers)
    assert history.status_code == 200, history.text
    return [event["type"] for event in history.json()["events"]]


def assert_one_answer_given_again(responses: list[Any], status: int) -> None:
    """All responses are the first one; exactly the retries say they were replayed."""
    assert [r.status_code for r in responses] == [status] * len(responses), [
        r.text for r in responses
    ]
    assert all(r.json() == responses[0].json() for r in responses)
    assert len({r.headers["ETag"] for r in responses}) == 1
    replayed = [r.headers.get("Idempotent-Replayed") for r in responses]
    assert sorted(replayed, key=str) == [None] + ["true"] * (len(responses) - 1)


# --- registering a deal ---------------------------------------------------------------------


def test_a_registration_retried_with_one_key_registers_one_deal(world: World) -> None:
    vendor = world.company()

    responses = [
        world.client.post("/v1/opportunities", json=DEAL, headers=keyed(vendor, "reg-1"))
        for _ in range(RETRIES)
    ]

    assert_one_answer_given_again(responses, 201)
    assert "Idempotent-Replayed" not in responses[0].headers
    deal = responses[0].json()["id"]
    assert {r.headers["Location"] for r in responses} == {f"/v1/opportunities/{deal}"}
    assert owned(world, vendor) == [deal]
    assert event_types(world, vendor, deal) == ["Registered"]


def test_a_registration_sent_from_five_threads_with_one_key_registers_one_deal(
    world: World,
) -> None:
    vendor = world.company()
    for round_ in range(ROUNDS):
        body = {**DEAL, "customer": {"name": f"Acme {round_}"}}

        responses = at_once(
            RETRIES,
            lambda body=body, key=f"reg-{round_}": world.client.post(
                "/v1/opportunities", json=body, headers=keyed(vendor, key)
            ),
        )

        assert_one_answer_given_again(responses, 201)
        deal = responses[0].json()["id"]
        assert deal in owned(world, vendor)
        assert event_types(world, vendor, deal) == ["Registered"]
    assert len(owned(world, vendor)) == ROUNDS


def test_a_key_sent_again_with_another_body_is_refused_and_writes_nothing(
    world: World,
) -> None:
    vendor = world.company()
    first = world.client.post("/v1/opportunities", json=DEAL, headers=keyed(vendor, "reg-1"))
    assert first.status_code == 201, first.text
    other = {"title": "Something else", "customer": {"name": "Globex"}}

    reused = world.client.post("/v1/opportunities", json=other, headers=keyed(vendor, "reg-1"))

    assert reused.status_code == 422
    assert reused.headers["content-type"] == "application/problem+json"
    assert "Idempotency-Key" in reused.json()["detail"]
    assert owned(world, vendor) == [first.json()["id"]]
    assert event_types(world, vendor, first.json()["id"]) == ["Registered"]
    # Globex was never filed under the vendor: registering it without a key is no conflict.
    fresh = world.client.post("/v1/opportunities", json=other, headers=vendor.headers)
    assert fresh.status_code == 201, fresh.text


def test_a_key_is_the_senders_own_so_other_users_may_send_the_same_one(world: World) -> None:
    vendor, integrator = world.company(), world.company()

    mine = world.client.post("/v1/opportunities", json=DEAL, headers=keyed(vendor, "shared"))
    theirs = world.client.post("/v1/opportunities", json=DEAL, headers=keyed(integrator, "shared"))

    assert (mine.status_code, theirs.status_code) == (201, 201), (mine.text, theirs.text)
    assert "Idempotent-Replayed" not in mine.headers
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert owned(world, vendor) == [mine.json()["id"]]
    assert owned(world, integrator) == [theirs.json()["id"]]


def test_two_users_of_one_party_may_send_the_same_key(world: World) -> None:
    vendor = world.company()
    colleague = world.user(vendor.party_id)
    other = {"title": "Second deal", "customer": {"name": "Globex"}}

    mine = world.client.post("/v1/opportunities", json=DEAL, headers=keyed(vendor, "k"))
    theirs = world.client.post("/v1/opportunities", json=other, headers=keyed(colleague, "k"))

    assert (mine.status_code, theirs.status_code) == (201, 201), (mine.text, theirs.text)
    assert "Idempotent-Replayed" not in theirs.headers
    assert sorted(owned(world, vendor)) == sorted([mine.json()["id"], theirs.json()["id"]])


# --- commands on an existing deal -----------------------------------------------------------


def test_a_note_retried_with_one_key_is_added_once(world: World) -> None:
    vendor = world.company()
    deal = world.opportunity(vendor)["id"]
    note = {"text": "Buyer asked for a demo next week"}

    responses = [
        world.client.post(f"/v1/opportunities/{deal}/notes", json=note, headers=keyed(vendor, "n"))
        for _ in range(RETRIES)
    ]

    assert_one_answer_given_again(responses, 200)
    assert [n["text"] for n in responses[-1].json()["notes"]] == [note["text"]]
    assert event_types(world, vendor, deal) == ["Registered", "NoteAdded"]


@pytest.mark.parametrize("if_match", [None, '"1"'])
def test_a_note_sent_from_five_threads_with_one_key_is_added_once(
    world: World, if_match: str | None
) -> None:
    vendor = world.company()
    for round_ in range(ROUNDS):
        deal = world.opportunity(vendor)["id"]
        headers = keyed(vendor, f"n-{round_}") | ({"If-Match": if_match} if if_match else {})
        note = {"text": f"Buyer asked for demo {round_}"}

        responses = at_once(
            RETRIES,
            lambda deal=deal, note=note, headers=headers: world.client.post(
                f"/v1/opportunities/{deal}/notes", json=note, headers=headers
            ),
        )

        assert_one_answer_given_again(responses, 200)
        assert event_types(world, vendor, deal) == ["Registered", "NoteAdded"]


def test_a_retry_after_later_changes_answers_as_a_read_now_and_writes_nothing(
    world: World,
) -> None:
    vendor = world.company()
    deal = world.opportunity(vendor)["id"]
    url = f"/v1/opportunities/{deal}/notes"
    first = world.client.post(url, json={"text": "First call"}, headers=keyed(vendor, "n1"))
    later = world.client.post(url, json={"text": "Second call"}, headers=vendor.headers)
    assert (first.status_code, later.status_code) == (200, 200)

    retried = world.client.post(url, json={"text": "First call"}, headers=keyed(vendor, "n1"))

    read = world.client.get(f"/v1/opportunities/{deal}", headers=vendor.headers)
    assert retried.status_code == 200
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json() == read.json() == later.json()
    assert retried.headers["ETag"] == read.headers["ETag"] == later.headers["ETag"]
    assert event_types(world, vendor, deal) == ["Registered", "NoteAdded", "NoteAdded"]


# --- adding a user --------------------------------------------------------------------------


def test_adding_a_user_retried_with_one_key_adds_one_user_and_shows_the_token_once(
    world: World,
) -> None:
    admin = world.company()
    url = f"/v1/parties/{admin.party_id}/users"
    body = {"name": "Robin", "email": "robin@vendor.example", "roles": ["sales"]}

    responses = [
        world.client.post(url, json=body, headers=keyed(admin, "u1")) for _ in range(RETRIES)
    ]

    assert [r.status_code for r in responses] == [201] * RETRIES, [r.text for r in responses]
    first, *retries = (r.json() for r in responses)
    assert first["token"] is not None
    assert all(r["user"] == first["user"] and r["token"] is None for r in retries)
    users = world.client.get(url, headers=admin.headers).json()
    assert sorted(u["id"] for u in users) == sorted([admin.user_id, first["user"]["id"]])
    robin = {"Authorization": f"Bearer {first['token']['token']}"}
    assert world.client.get("/v1/me", headers=robin).json()["user"]["id"] == first["user"]["id"]
