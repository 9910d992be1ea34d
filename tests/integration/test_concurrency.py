"""Concurrent writers: one winner per version, no lost or doubled events, one deal per customer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from uuid import UUID

import pytest

from api.app import create_app
from api.settings import Settings
from ecosystem.actors import OPERATOR, Principal, Role
from ecosystem.errors import VersionMismatch
from ecosystem.network import Network
from ecosystem.opportunities.conflicts import RegistrationConflict
from ecosystem.parties.domainmodel import PartyKind
from ecosystem.service import Written
from tests.consistent import ConsistentClient
from tests.e2e.conftest import Caller, World

T = TypeVar("T")

WRITERS = 20
ROUNDS = 6


def race(count: int, command: Callable[[int], T]) -> list[T | Exception]:
    """Run `command(i)` for i in range(count) on as many threads, released together."""
    start = threading.Barrier(count)

    def run(i: int) -> T | Exception:
        start.wait()
        try:
            return command(i)
        except Exception as error:  # the outcome under test, kept for the assertions
            return error

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


def seller(network: Network) -> Principal:
    party = network.register_party(OPERATOR, "Vendor", "vendor.example", PartyKind.ISV).object_id
    _, issued = network.add_user(OPERATOR, party, "Sam", "sam@vendor.example", [Role.SALES])
    assert issued is not None
    return network.authenticate(issued.token)


def register(network: Network, principal: Principal, customer: str = "Acme") -> Written:
    return network.register_opportunity(principal, {"title": "Deal", "customer.name": customer})


def event_versions(network: Network, opportunity_id: UUID) -> list[int]:
    return [e.originator_version for e in network.events.get(opportunity_id)]


def event_types(network: Network, opportunity_id: UUID) -> list[str]:
    return [type(e).__name__ for e in network.events.get(opportunity_id)]


# --- through the Network application --------------------------------------------------------


def test_of_twenty_writers_holding_one_version_exactly_one_wins_each_round(
    network: Network,
) -> None:
    sam = seller(network)
    deal = register(network, sam).object_id
    for round_ in range(ROUNDS):
        version = network.opportunity(sam, deal).version

        def update(i: int, version: int = version, round_: int = round_) -> Written:
            changes = {"title": f"Round {round_}, writer {i}"}
            return network.update_opportunity(sam, deal, changes, expected_version=version)

        outcomes = race(WRITERS, update)

        winners = [o for o in outcomes if isinstance(o, Written)]
        losers = [o for o in outcomes if isinstance(o, VersionMismatch)]
        assert len(winners) == 1, outcomes
        assert len(losers) == WRITERS - 1, outcomes
        assert winners[0].version == version + 1
        assert {(lost.expected, lost.actual) for lost in losers} == {(version, version + 1)}
        winner = outcomes.index(winners[0])
        title = network.opportunity(sam, deal).fields["title"]
        assert title == f"Round {round_}, writer {winner}"

    assert event_versions(network, deal) == list(range(1, ROUNDS + 2))
    assert event_types(network, deal) == ["Registered"] + ["DetailsUpdated"] * ROUNDS


def test_one_party_registering_one_customer_from_many_threads_gets_one_deal(
    network: Network,
) -> None:
    sam = seller(network)

    outcomes = race(8, lambda i: register(network, sam, customer="Acme GmbH"))

    winners = [o for o in outcomes if isinstance(o, Written)]
    refused = [o for o in outcomes if isinstance(o, RegistrationConflict)]
    assert len(winners) == 1, outcomes
    assert len(refused) == 7, outcomes
    assert all(r.conflicting == [winners[0].object_id] for r in refused)
    assert [o.id for o in network.opportunities_for(sam)] == [winners[0].object_id]


def test_every_concurrent_registration_of_different_customers_is_kept(network: Network) -> None:
    sam = seller(network)

    outcomes = race(8, lambda i: register(network, sam, customer=f"Customer {i}"))

    assert all(isinstance(o, Written) for o in outcomes), outcomes
    kept = {o.id for o in network.opportunities_for(sam)}
    assert kept == {o.object_id for o in outcomes if isinstance(o, Written)}
    assert len(kept) == 8


# --- through HTTP ---------------------------------------------------------------------------


@pytest.fixture
def world(network: Network) -> Iterator[World]:
    app = create_app(Settings(), network=network)
    with ConsistentClient(app, network, raise_server_exceptions=False) as client:
        yield World(network, client)


def test_of_twenty_patches_with_one_if_match_exactly_one_succeeds_each_round(
    world: World,
) -> None:
    vendor = world.company()
    deal = world.opportunity(vendor)["id"]
    for round_ in range(ROUNDS):
        read = world.client.get(f"/v1/opportunities/{deal}", headers=vendor.headers)
        version = int(read.headers["ETag"].strip('"'))

        def patch(i: int, etag: str = read.headers["ETag"], round_: int = round_) -> Any:
            return world.client.patch(
                f"/v1/opportunities/{deal}",
                json={"next_steps": f"Round {round_}, writer {i}"},
                headers={**vendor.headers, "If-Match": etag},
            )

        responses = race(WRITERS, patch)

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] + [412] * (WRITERS - 1), [r.text for r in responses]
        (ok,) = (r for r in responses if r.status_code == 200)
        assert ok.headers["ETag"] == f'"{version + 1}"'
        for refused in (r for r in responses if r.status_code == 412):
            assert refused.headers["content-type"] == "application/problem+json"

    events = world.client.get(f"/v1/opportunities/{deal}/events", headers=vendor.headers).json()
    assert [e["version"] for e in events["events"]] == list(range(1, ROUNDS + 2))
    assert [e["type"] for e in events["events"]] == ["Registered"] + ["DetailsUpdated"] * ROUNDS


def test_concurrent_registrations_of_one_customer_over_http_answer_409_but_once(
    world: World,
) -> None:
    vendor = world.company()
    body = {"title": "Deal", "customer": {"name": "Acme GmbH", "website_domain": "acme.example"}}

    responses = race(
        8, lambda i: world.client.post("/v1/opportunities", json=body, headers=vendor.headers)
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7, [r.text for r in responses]
    (created,) = (r.json() for r in responses if r.status_code == 201)
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["conflicting_opportunities"] == [created["id"]]
    listed = world.client.get("/v1/opportunities", headers=vendor.headers).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]


def test_writers_of_different_deals_do_not_get_in_each_others_way(world: World) -> None:
    vendor = world.company()
    deals = [world.opportunity(vendor)["id"] for _ in range(8)]

    def patch(i: int) -> Any:
        return world.client.patch(
            f"/v1/opportunities/{deals[i]}",
            json={"next_steps": "Call the buyer"},
            headers={**vendor.headers, "If-Match": '"1"'},
        )

    responses = race(8, patch)

    assert [r.status_code for r in responses] == [200] * 8, [r.text for r in responses]
    assert {r.headers["ETag"] for r in responses} == {'"2"'}


def test_a_stranger_racing_the_owner_is_told_the_deal_does_not_exist_and_writes_nothing(
    world: World,
) -> None:
    vendor, stranger = world.company(), world.company()
    deal = world.opportunity(vendor)["id"]
    callers: list[Caller] = [vendor, stranger] * 4

    def patch(i: int) -> Any:
        return world.client.patch(
            f"/v1/opportunities/{deal}",
            json={"next_steps": f"Step {i}"},
            headers={**callers[i].headers, "If-Match": '"1"'},
        )

    responses = race(8, patch)

    from_stranger = [r.status_code for i, r in enumerate(responses) if callers[i] is stranger]
    from_vendor = sorted(r.status_code for i, r in enumerate(responses) if callers[i] is vendor)
    assert from_stranger == [404] * 4
    assert from_vendor == [200, 412, 412, 412]
    history = world.network.events.get(UUID(deal))
    assert [type(e).__name__ for e in history] == ["Registered", "DetailsUpdated"]
