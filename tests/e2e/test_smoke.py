"""A first walk through the API: two companies co-sell one deal."""

from __future__ import annotations

from tests.e2e.conftest import World


def test_two_companies_co_sell_one_deal(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    world.share(vendor)
    opp = world.shared(vendor, integrator)
    seen = world.client.get(f"/v1/opportunities/{opp['id']}", headers=integrator.headers)
    assert seen.status_code == 200
    assert seen.headers["ETag"] == f'"{seen.json()["version"]}"'
    assert seen.json()["expected_amount"] == {"amount": "1000.00", "currency": "EUR"}
