"""Partnerships over HTTP: the dual opt-in that every act of sharing hangs on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ecosystem.actors import Role
from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response


def propose(world: World, proposer: Caller, partner: Caller) -> Response:
    return world.client.post(
        "/v1/partnerships", json={"party_id": partner.party_id}, headers=proposer.headers
    )


def proposed(world: World, proposer: Caller, partner: Caller) -> str:
    response = propose(world, proposer, partner)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def answer(world: World, caller: Caller, partnership_id: str, verb: str) -> Response:
    body = {"reason": "the programme ended"} if verb == "end" else None
    return world.client.post(
        f"/v1/partnerships/{partnership_id}/{verb}", json=body, headers=caller.headers
    )


def status_of(world: World, caller: Caller, partnership_id: str) -> str:
    response = world.client.get(f"/v1/partnerships/{partnership_id}", headers=caller.headers)
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def my_partnerships(world: World, caller: Caller) -> list[dict[str, Any]]:
    response = world.client.get("/v1/partnerships", headers=caller.headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def invite(world: World, owner: Caller, partner: Caller) -> Response:
    opportunity = world.opportunity(owner)
    return world.client.post(
        f"/v1/opportunities/{opportunity['id']}/invitations",
        json={"party_id": partner.party_id},
        headers=owner.headers,
    )


def assert_problem(response: Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


def test_a_proposal_becomes_active_when_the_proposed_party_accepts(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    response = propose(world, vendor, integrator)
    assert response.status_code == 201, response.text
    partnership = response.json()
    assert response.headers["Location"] == f"/v1/partnerships/{partnership['id']}"
    assert partnership["status"] == "proposed"
    assert partnership["proposer_id"] == vendor.party_id
    assert partnership["partner_id"] == integrator.party_id
    accepted = answer(world, integrator, partnership["id"], "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "active"
    assert accepted.json()["version"] > partnership["version"]
    assert status_of(world, vendor, partnership["id"]) == "active"
    assert invite(world, vendor, integrator).status_code == 200


def test_a_partner_manager_may_manage_partnerships(world: World) -> None:
    vendor, integrator = world.company(Role.PARTNER_MANAGER), world.company(Role.PARTNER_MANAGER)
    partnership_id = proposed(world, vendor, integrator)
    assert answer(world, integrator, partnership_id, "accept").status_code == 200


def test_only_the_proposed_party_may_accept(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    partnership_id = proposed(world, vendor, integrator)
    refused = answer(world, vendor, partnership_id, "accept")
    assert_problem(refused, 422)
    assert "invited party" in refused.json()["detail"]
    assert status_of(world, integrator, partnership_id) == "proposed"
    assert invite(world, vendor, integrator).status_code == 409


def test_the_proposed_party_may_decline_and_then_nothing_is_shared(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    partnership_id = proposed(world, vendor, integrator)
    declined = answer(world, integrator, partnership_id, "decline")
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert_problem(answer(world, integrator, partnership_id, "accept"), 422)
    assert status_of(world, vendor, partnership_id) == "declined"
    assert invite(world, vendor, integrator).status_code == 409


def test_either_party_may_end_an_active_partnership_and_sharing_stops(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    partnership_id = world.partners(vendor, integrator)
    ended = answer(world, integrator, partnership_id, "end")
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "ended"
    assert status_of(world, vendor, partnership_id) == "ended"
    assert_problem(answer(world, vendor, partnership_id, "end"), 422)
    refused = invite(world, vendor, integrator)
    assert_problem(refused, 409)


def test_a_partnership_ends_without_a_reason(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    partnership_id = world.partners(vendor, integrator)
    ended = world.client.post(f"/v1/partnerships/{partnership_id}/end", headers=vendor.headers)
    assert ended.status_code == 200, ended.text
    assert ended.json()["status"] == "ended"


def test_the_proposer_may_withdraw_its_proposal_by_ending_it(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    partnership_id = proposed(world, vendor, integrator)
    assert answer(world, vendor, partnership_id, "end").json()["status"] == "ended"
    assert_problem(answer(world, integrator, partnership_id, "accept"), 422)


def test_an_ended_partnership_may_be_proposed_again_by_either_party(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    partnership_id = world.partners(vendor, integrator)
    answer(world, vendor, partnership_id, "end")
    again = propose(world, integrator, vendor)
    assert again.status_code == 201, again.text
    assert again.json()["id"] == partnership_id
    assert again.json()["status"] == "proposed"
    assert again.json()["proposer_id"] == integrator.party_id
    assert answer(world, vendor, partnership_id, "accept").json()["status"] == "active"


def test_proposing_again_while_proposed_or_active_conflicts(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    partnership_id = proposed(world, vendor, integrator)
    assert_problem(propose(world, vendor, integrator), 409)
    assert_problem(propose(world, integrator, vendor), 409)
    assert status_of(world, vendor, partnership_id) == "proposed"
    answer(world, integrator, partnership_id, "accept")
    assert_problem(propose(world, vendor, integrator), 409)
    assert_problem(propose(world, integrator, vendor), 409)
    assert status_of(world, vendor, partnership_id) == "active"
    assert len(my_partnerships(world, vendor)) == 1


def test_a_party_cannot_partner_with_itself(world: World) -> None:
    vendor = world.company()
    assert_problem(propose(world, vendor, vendor), 422)
    assert my_partnerships(world, vendor) == []


def test_proposing_to_an_unknown_party_is_not_found(world: World) -> None:
    vendor = world.company()
    unknown = {"party_id": "00000000-0000-4000-8000-000000000000"}
    assert_problem(world.client.post("/v1/partnerships", json=unknown, headers=vendor.headers), 404)
    assert my_partnerships(world, vendor) == []


def test_a_third_party_cannot_see_or_answer_someone_else_s_partnership(world: World) -> None:
    vendor, integrator, outsider = world.company(), world.company(), world.company()
    partnership_id = proposed(world, vendor, integrator)
    path = f"/v1/partnerships/{partnership_id}"
    assert_problem(world.client.get(path, headers=outsider.headers), 404)
    for verb in ("accept", "decline", "end"):
        assert_problem(answer(world, outsider, partnership_id, verb), 404)
    assert status_of(world, vendor, partnership_id) == "proposed"
    assert my_partnerships(world, outsider) == []


def test_the_list_shows_only_my_partnerships(world: World) -> None:
    vendor, integrator, cloud, outsider = (world.company() for _ in range(4))
    with_integrator = world.partners(vendor, integrator)
    with_cloud = proposed(world, cloud, vendor)
    elsewhere = world.partners(integrator, cloud)
    listed = {p["id"]: p["status"] for p in my_partnerships(world, vendor)}
    assert listed == {with_integrator: "active", with_cloud: "proposed"}
    assert elsewhere not in {p["id"] for p in my_partnerships(world, vendor)}
    assert my_partnerships(world, outsider) == []


def test_sales_users_may_not_manage_partnerships(world: World) -> None:
    vendor, integrator = world.company(Role.SALES), world.company()
    integrator_sales = world.user(integrator.party_id, Role.SALES)
    assert_problem(propose(world, vendor, integrator), 403)
    assert my_partnerships(world, integrator) == []
    partnership_id = proposed(world, integrator, world.company())
    assert_problem(answer(world, integrator_sales, partnership_id, "end"), 403)
    assert status_of(world, integrator, partnership_id) == "proposed"
    sales_partner_id = proposed(world, world.company(), integrator)
    for verb in ("accept", "decline"):
        assert_problem(answer(world, integrator_sales, sales_partner_id, verb), 403)
    assert status_of(world, integrator, sales_partner_id) == "proposed"
    assert len(my_partnerships(world, integrator_sales)) == 2  # sales may still read them
