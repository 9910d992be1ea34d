"""Shared opportunities over HTTP: register, read, change, share, work, close and replay a deal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from ecosystem.actors import Role
from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response

ACME = {
    "name": "ACME, Inc.",
    "website_domain": "acme.example",
    "industry": "Retail",
    "country": "DE",
    "contacts": [{"name": "Dana Weiss", "email": "dana@acme.example", "title": "CIO"}],
}
INVITATION_SUMMARY = {
    "id", "version", "owner_party_id", "title", "stage", "customer", "expected_close_quarter",
    "invitation",
}  # fmt: skip
SUMMARY_EVENT_FIELDS = {
    "title", "owner_party_id", "customer.industry", "customer.country", "stage",
    "participants",  # only the invitee's own invitation
}  # fmt: skip


def url(opportunity: dict[str, Any], tail: str = "") -> str:
    return f"/v1/opportunities/{opportunity['id']}{tail}"


def read(world: World, caller: Caller, opportunity: dict[str, Any]) -> dict[str, Any]:
    response = world.client.get(url(opportunity), headers=caller.headers)
    assert response.status_code == 200, response.text
    assert response.headers["ETag"] == f'"{response.json()["version"]}"'
    seen: dict[str, Any] = response.json()
    return seen


def history(world: World, caller: Caller, opportunity: dict[str, Any]) -> list[dict[str, Any]]:
    response = world.client.get(url(opportunity, "/events"), headers=caller.headers)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def listed(world: World, caller: Caller, **params: Any) -> list[dict[str, Any]]:
    response = world.client.get("/v1/opportunities", params=params, headers=caller.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def post(
    world: World, caller: Caller, opportunity: dict[str, Any], tail: str, body: Any
) -> Response:
    return world.client.post(url(opportunity, tail), json=body, headers=caller.headers)


def patch(
    world: World, caller: Caller, opportunity: dict[str, Any], body: Any, tail: str = ""
) -> Response:
    headers = {**caller.headers, "If-Match": f'"{opportunity["version"]}"'}
    return world.client.patch(url(opportunity, tail), json=body, headers=headers)


def invite(world: World, owner: Caller, opportunity: dict[str, Any], party: Caller) -> Response:
    return post(world, owner, opportunity, "/invitations", {"party_id": party.party_id})


def answer(world: World, party: Caller, opportunity: dict[str, Any], verb: str) -> Response:
    body = None if verb == "accept" else {"reason": "no capacity"}
    return post(world, party, opportunity, f"/invitations/{party.party_id}/{verb}", body)


def register(world: World, caller: Caller, customer: dict[str, Any], **extra: Any) -> Response:
    body = {"title": "Data platform", "customer": customer, **extra}
    return world.client.post("/v1/opportunities", json=body, headers=caller.headers)


def assert_problem(response: Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


# --- register and read ------------------------------------------------------------------------


def test_registering_a_deal_answers_201_with_its_location_and_etag(world: World) -> None:
    vendor = world.company()
    created = register(
        world, vendor, ACME, expected_amount={"amount": "250000.00", "currency": "EUR"},
        target_close_date="2027-03-31", products=["Lakehouse"], next_steps="Workshop",
    )  # fmt: skip
    assert created.status_code == 201, created.text
    deal = created.json()
    assert created.headers["Location"] == f"/v1/opportunities/{deal['id']}"
    assert created.headers["ETag"] == f'"{deal["version"]}"'
    assert deal["owner_party_id"] == vendor.party_id
    assert deal["stage"] == "Prospect"
    assert deal["customer"]["name"] == "ACME, Inc."
    assert deal["customer"]["contacts"][0]["email"] == "dana@acme.example"
    assert deal["expected_amount"] == {"amount": "250000.00", "currency": "EUR"}
    assert deal["target_close_date"] == "2027-03-31"
    assert deal["expected_close_quarter"] == "2027-Q1"
    [owner] = deal["participants"]
    assert owner["party_id"] == vendor.party_id
    assert (owner["role"], owner["status"]) == ("owner", "accepted")
    again = world.client.get(created.headers["Location"], headers=vendor.headers)
    assert again.json() == deal
    assert again.headers["ETag"] == created.headers["ETag"]


def test_a_retried_registration_with_the_same_idempotency_key_writes_nothing_new(
    world: World,
) -> None:
    vendor = world.company()
    body = {"title": "Data platform", "customer": ACME}
    headers = {**vendor.headers, "Idempotency-Key": "register-acme-1"}
    first = world.client.post("/v1/opportunities", json=body, headers=headers)
    retried = world.client.post("/v1/opportunities", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert retried.status_code == 201, retried.text
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["id"] == first.json()["id"]
    assert ids(listed(world, vendor)) == [first.json()["id"]]
    other = {**body, "title": "Another deal"}
    reused = world.client.post("/v1/opportunities", json=other, headers=headers)
    assert_problem(reused, 422)
    assert "Idempotency-Key" in reused.json()["detail"]
    assert ids(listed(world, vendor)) == [first.json()["id"]]


def test_the_list_filters_by_stage_and_by_my_relation_to_the_deal(world: World) -> None:
    me, partner, inviter = world.company(), world.company(), world.company()
    owned = world.opportunity(me)
    qualified = world.opportunity(me)
    post(world, me, qualified, "/stage", {"stage": "Qualified"})
    as_partner = world.shared(partner, me)
    as_invitee = world.shared(inviter, me, accept=False)
    everything = {owned["id"], qualified["id"], as_partner["id"], as_invitee["id"]}
    assert set(ids(listed(world, me))) == everything
    assert set(ids(listed(world, me, relation="owned"))) == {owned["id"], qualified["id"]}
    assert ids(listed(world, me, relation="partner")) == [as_partner["id"]]
    assert ids(listed(world, me, relation="invited")) == [as_invitee["id"]]
    assert ids(listed(world, me, stage="Qualified")) == [qualified["id"]]
    assert ids(listed(world, me, stage="Qualified", relation="partner")) == []


def test_the_list_sorts_by_creation_or_by_last_change(world: World) -> None:
    vendor = world.company()
    first, second, third = (world.opportunity(vendor) for _ in range(3))
    created = [first["id"], second["id"], third["id"]]
    assert ids(listed(world, vendor, sort="created_at")) == created
    assert ids(listed(world, vendor, sort="-created_at")) == created[::-1]
    post(world, vendor, first, "/notes", {"text": "The customer called back."})
    assert ids(listed(world, vendor)) == [first["id"], third["id"], second["id"]]
    assert ids(listed(world, vendor, sort="updated_at")) == [second["id"], third["id"], first["id"]]


def test_the_list_pages_with_a_cursor_until_there_is_no_next_page(world: World) -> None:
    vendor = world.company()
    registered = [world.opportunity(vendor)["id"] for _ in range(5)]
    pages, cursor = [], None
    while True:
        params = {"limit": 2, "sort": "created_at", **({"cursor": cursor} if cursor else {})}
        response = world.client.get("/v1/opportunities", params=params, headers=vendor.headers)
        assert response.status_code == 200, response.text
        pages.append(ids(response.json()["items"]))
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert pages == [registered[0:2], registered[2:4], registered[4:5]]
    bad = world.client.get("/v1/opportunities", params={"cursor": "!!"}, headers=vendor.headers)
    assert_problem(bad, 400)


# --- change ---------------------------------------------------------------------------------


def test_the_owner_changes_the_deal_with_if_match_and_gets_a_new_etag(world: World) -> None:
    vendor = world.company()
    deal = world.opportunity(vendor)
    changes = {"title": "Bigger deal", "customer": {"industry": "Retail"}}
    changed = patch(world, vendor, deal, changes)
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == deal["version"] + 1
    assert changed.headers["ETag"] == f'"{deal["version"] + 1}"'
    now = read(world, vendor, deal)
    assert now["title"] == "Bigger deal"
    assert now["customer"]["industry"] == "Retail"
    assert now["customer"]["name"] == deal["customer"]["name"]  # untouched parts stay
    assert now["expected_amount"] == deal["expected_amount"]


def test_a_change_without_if_match_is_refused_with_428(world: World) -> None:
    vendor = world.company()
    deal = world.opportunity(vendor)
    refused = world.client.patch(url(deal), json={"title": "Sneaky"}, headers=vendor.headers)
    assert_problem(refused, 428)
    assert read(world, vendor, deal) == deal


def test_a_stale_if_match_is_refused_with_412_and_writes_nothing(world: World) -> None:
    vendor = world.company()
    deal = world.opportunity(vendor)
    assert patch(world, vendor, deal, {"title": "Current title"}).status_code == 200
    before, events_before = read(world, vendor, deal), history(world, vendor, deal)
    stale = patch(world, vendor, deal, {"title": "Lost update"})
    assert_problem(stale, 412)
    assert read(world, vendor, deal) == before
    assert history(world, vendor, deal) == events_before
    stale_stage = world.client.post(
        url(deal, "/stage"), json={"stage": "Qualified"},
        headers={**vendor.headers, "If-Match": f'"{deal["version"]}"'},
    )  # fmt: skip
    assert_problem(stale_stage, 412)
    assert read(world, vendor, deal) == before


def test_only_the_owner_changes_the_deal_s_details(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    deal = world.shared(vendor, integrator)
    assert_problem(patch(world, integrator, deal, {"title": "Ours now"}), 403)
    assert read(world, vendor, deal)["title"] == deal["title"]


def test_each_participant_keeps_counterpart_fields_that_no_one_else_sees(world: World) -> None:
    vendor, integrator, cloud = world.company(), world.company(), world.company()
    deal = world.shared(vendor, integrator)
    world.partners(vendor, cloud)
    invite(world, vendor, read(world, vendor, deal), cloud)
    answer(world, cloud, deal, "accept")
    mine = {
        "crm_reference": "BB-OPP-4411",
        "forecast_amount": {"amount": "80000.00", "currency": "EUR"},
        "internal_notes": "Margin target 22%.",
    }
    written = patch(world, integrator, read(world, integrator, deal), mine, "/counterpart")
    assert written.status_code == 200, written.text
    assert written.json()["counterparts"] == {integrator.party_id: mine}
    vendors_own = {"crm_reference": "NW-1"}
    written = patch(world, vendor, read(world, vendor, deal), vendors_own, "/counterpart")
    assert written.status_code == 200, written.text
    assert read(world, integrator, deal)["counterparts"] == {integrator.party_id: mine}
    assert read(world, vendor, deal)["counterparts"] == {vendor.party_id: vendors_own}
    assert "counterparts" not in read(world, cloud, deal)
    for viewer in (vendor, cloud):
        seen = str([read(world, viewer, deal), listed(world, viewer), history(world, viewer, deal)])
        assert "BB-OPP-4411" not in seen
        assert "Margin target" not in seen
    assert "NW-1" not in str([listed(world, integrator), history(world, integrator, deal)])


def test_counterpart_changes_touch_only_the_caller_s_own_fields(world: World) -> None:
    vendor, integrator, invitee = world.company(), world.company(), world.company()
    deal = world.shared(vendor, integrator)
    world.partners(vendor, invitee)
    invite(world, vendor, read(world, vendor, deal), invitee)
    before = read(world, vendor, deal)
    assert_problem(patch(world, integrator, before, {"title": "Mine"}, "/counterpart"), 422)
    assert_problem(patch(world, invitee, before, {"crm_reference": "X"}, "/counterpart"), 403)
    unversioned = world.client.patch(
        url(deal, "/counterpart"), json={"crm_reference": "X"}, headers=integrator.headers
    )
    assert_problem(unversioned, 428)
    assert read(world, vendor, deal) == before


# --- invitations ------------------------------------------------------------------------------


def test_an_invited_partner_accepts_and_then_sees_the_whole_deal(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    world.share(vendor)
    world.partners(vendor, integrator)
    deal = world.opportunity(vendor)
    invited = invite(world, vendor, deal, integrator)
    assert invited.status_code == 200, invited.text
    statuses = {p["party_id"]: p["status"] for p in invited.json()["participants"]}
    assert statuses == {vendor.party_id: "accepted", integrator.party_id: "invited"}
    accepted = answer(world, integrator, deal, "accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["invitation"]["status"] == "accepted"
    assert accepted.json()["expected_amount"] == deal["expected_amount"]
    assert accepted.json()["customer"]["name"] == deal["customer"]["name"]
    assert ids(listed(world, integrator, relation="partner")) == [deal["id"]]


def test_invitations_go_only_to_active_partners(world: World) -> None:
    vendor, stranger, proposed_only = world.company(), world.company(), world.company()
    proposal = {"party_id": proposed_only.party_id}
    world.client.post("/v1/partnerships", json=proposal, headers=vendor.headers)
    deal = world.opportunity(vendor)
    assert_problem(invite(world, vendor, deal, stranger), 409)
    assert_problem(invite(world, vendor, deal, proposed_only), 409)
    unknown = {"party_id": "00000000-0000-4000-8000-000000000000"}
    assert_problem(post(world, vendor, deal, "/invitations", unknown), 404)
    assert read(world, vendor, deal) == deal
    for outsider in (stranger, proposed_only):
        assert_problem(world.client.get(url(deal), headers=outsider.headers), 404)


def test_only_the_owner_invites_and_only_once(world: World) -> None:
    vendor, integrator, cloud, reseller = (world.company() for _ in range(4))
    deal = world.shared(vendor, integrator)
    world.partners(vendor, cloud)
    world.partners(integrator, reseller)
    before = read(world, vendor, deal)
    assert_problem(invite(world, integrator, deal, cloud), 403)
    # the same answer whether or not the owner partners with that party: nothing leaks
    assert_problem(invite(world, integrator, deal, reseller), 403)
    assert_problem(invite(world, vendor, before, integrator), 422)
    assert read(world, vendor, deal) == before


def test_an_invited_party_that_declines_no_longer_sees_the_deal(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    deal = world.shared(vendor, integrator, accept=False)
    declined = answer(world, integrator, deal, "decline")
    assert declined.status_code == 204, declined.text
    assert_problem(world.client.get(url(deal), headers=integrator.headers), 404)
    assert listed(world, integrator) == []
    statuses = {p["party_id"]: p["status"] for p in read(world, vendor, deal)["participants"]}
    assert statuses[integrator.party_id] == "declined"


@pytest.mark.parametrize("verb", ["decline", "withdraw"])
def test_a_party_declines_or_leaves_without_giving_a_reason(world: World, verb: str) -> None:
    vendor, integrator = world.company(), world.company()
    deal = world.shared(vendor, integrator, accept=verb == "withdraw")
    answered = post(world, integrator, deal, f"/invitations/{integrator.party_id}/{verb}", None)
    assert answered.status_code == 204, answered.text
    assert_problem(world.client.get(url(deal), headers=integrator.headers), 404)


def test_a_party_answers_only_its_own_invitation(world: World) -> None:
    vendor, integrator, cloud = world.company(), world.company(), world.company()
    deal = world.shared(vendor, integrator, accept=False)
    world.partners(vendor, cloud)
    invite(world, vendor, read(world, vendor, deal), cloud)
    before = read(world, vendor, deal)
    refused = post(world, cloud, deal, f"/invitations/{integrator.party_id}/accept", None)
    assert_problem(refused, 400)
    assert_problem(answer(world, vendor, deal, "accept"), 422)  # the owner has no invitation
    assert read(world, vendor, deal) == before


def test_the_owner_withdraws_a_partner_who_then_loses_sight_of_the_deal(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    deal = world.shared(vendor, integrator)
    withdraw = f"/invitations/{integrator.party_id}/withdraw"
    withdrawn = post(world, vendor, deal, withdraw, {"reason": "scope change"})
    assert withdrawn.status_code == 200, withdrawn.text
    statuses = {p["party_id"]: p["status"] for p in withdrawn.json()["participants"]}
    assert statuses[integrator.party_id] == "withdrawn"
    assert_problem(world.client.get(url(deal), headers=integrator.headers), 404)
    assert_problem(post(world, integrator, deal, "/notes", {"text": "Still here?"}), 404)


def test_a_partner_who_withdraws_itself_gets_204_and_loses_sight_of_the_deal(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    deal = world.shared(vendor, integrator)
    leave = f"/invitations/{integrator.party_id}/withdraw"
    left = post(world, integrator, deal, leave, {"reason": "no capacity"})
    assert left.status_code == 204, left.text
    assert left.content == b""
    assert_problem(world.client.get(url(deal), headers=integrator.headers), 404)
    assert listed(world, integrator) == []
    owner_view = read(world, vendor, deal)
    statuses = {p["party_id"]: p["status"] for p in owner_view["participants"]}
    assert statuses[integrator.party_id] == "withdrawn"
    assert_problem(post(world, vendor, deal, f"/invitations/{vendor.party_id}/withdraw", {}), 422)


# --- stages, notes, closing -------------------------------------------------------------------


def test_stages_move_forward_freely_but_back_only_with_reopen(world: World) -> None:
    vendor = world.company()
    deal = world.opportunity(vendor)
    forward = post(world, vendor, deal, "/stage", {"stage": "Technical Validation"})
    assert forward.status_code == 200, forward.text
    assert forward.json()["stage"] == "Technical Validation"
    back = post(world, vendor, deal, "/stage", {"stage": "Qualified"})
    assert_problem(back, 422)
    assert read(world, vendor, deal)["stage"] == "Technical Validation"
    reopened = post(world, vendor, deal, "/stage", {"stage": "Qualified", "reopen": True})
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["stage"] == "Qualified"
    assert_problem(post(world, vendor, deal, "/stage", {"stage": "Qualified"}), 422)
    assert_problem(post(world, vendor, deal, "/stage", {"stage": "Launched"}), 422)


def test_only_the_owner_moves_the_stage(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    deal = world.shared(vendor, integrator)
    assert_problem(post(world, integrator, deal, "/stage", {"stage": "Qualified"}), 403)
    assert read(world, vendor, deal)["stage"] == "Prospect"


def test_participants_who_accepted_write_notes_that_all_of_them_read(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    world.share(vendor), world.share(integrator)
    deal = world.shared(vendor, integrator)
    written = post(world, integrator, deal, "/notes", {"text": "We can staff two architects."})
    assert written.status_code == 200, written.text
    post(world, vendor, deal, "/notes", {"text": "Great, thanks."})
    notes = read(world, vendor, deal)["notes"]
    assert [n["text"] for n in notes] == ["We can staff two architects.", "Great, thanks."]
    assert notes[0]["author_party_id"] == integrator.party_id
    assert notes[0]["author_user_id"] == integrator.user_id
    assert read(world, integrator, deal)["notes"] == notes
    assert_problem(post(world, vendor, deal, "/notes", {"text": "   "}), 422)


def test_an_invited_party_may_not_write_notes_before_accepting(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    deal = world.shared(vendor, integrator, accept=False)
    assert_problem(post(world, integrator, deal, "/notes", {"text": "Hello"}), 403)
    assert read(world, vendor, deal)["notes"] == []


def test_closing_as_won_launches_the_deal_and_freezes_its_details(world: World) -> None:
    vendor = world.company()
    deal = world.opportunity(vendor)
    won = post(world, vendor, deal, "/close", {"outcome": "won"})
    assert won.status_code == 200, won.text
    assert won.json()["stage"] == "Launched"
    assert history(world, vendor, deal)[-1]["data"]["stage"] == "Launched"
    assert_problem(patch(world, vendor, won.json(), {"title": "Too late"}), 422)
    assert_problem(post(world, vendor, deal, "/close", {"outcome": "lost", "reason": "x"}), 422)
    assert post(world, vendor, deal, "/notes", {"text": "Kick-off booked."}).status_code == 200
    reopened = post(world, vendor, deal, "/stage", {"stage": "Committed", "reopen": True})
    assert reopened.json()["stage"] == "Committed"


def test_closing_as_lost_needs_a_reason(world: World) -> None:
    vendor = world.company()
    deal = world.opportunity(vendor)
    assert_problem(post(world, vendor, deal, "/close", {"outcome": "lost"}), 422)
    assert_problem(post(world, vendor, deal, "/close", {"outcome": "lost", "reason": "  "}), 422)
    assert read(world, vendor, deal) == deal
    lost = post(world, vendor, deal, "/close", {"outcome": "lost", "reason": "Budget cut"})
    assert lost.status_code == 200, lost.text
    assert lost.json()["stage"] == "Closed Lost"
    assert lost.json()["closing_reason"] == "Budget cut"


# --- history and who sees what ----------------------------------------------------------------


def test_the_history_lists_each_change_oldest_first_with_who_made_it(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    world.share(vendor), world.share(integrator)  # each shares its own fields and notes
    deal = world.shared(vendor, integrator)
    post(world, vendor, deal, "/stage", {"stage": "Qualified"})
    post(world, integrator, deal, "/notes", {"text": "On it."})
    events = history(world, vendor, deal)
    assert [e["type"] for e in events] == [
        "Registered", "PartnerInvited", "InvitationAccepted", "StageChanged", "NoteAdded",
    ]  # fmt: skip
    assert [e["version"] for e in events] == list(range(1, 6))
    assert events[0]["actor"] == {"party_id": vendor.party_id, "user_id": vendor.user_id}
    assert events[-1]["actor"] == {"party_id": integrator.party_id, "user_id": integrator.user_id}
    assert events[0]["data"]["title"] == deal["title"]
    assert events[-1]["data"]["notes"]["text"] == "On it."
    # the partner's own history starts with its invitation, numbered from 1, with its times
    assert history(world, integrator, deal) == [
        {**e, "version": number} for number, e in enumerate(events[1:], start=1)
    ]


def test_an_invited_party_sees_only_the_invitation_summary(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    world.partners(vendor, integrator)
    created = register(
        world, vendor, ACME, expected_amount={"amount": "250000.00", "currency": "EUR"},
        target_close_date="2027-05-15", next_steps="Workshop on Tuesday",
    )  # fmt: skip
    deal = created.json()
    post(world, vendor, deal, "/notes", {"text": "Customer budget is tight"})
    invite(world, vendor, deal, integrator)
    summary = read(world, integrator, deal)
    assert set(summary) == INVITATION_SUMMARY
    assert summary["title"] == "Data platform"
    assert summary["owner_party_id"] == vendor.party_id
    assert summary["customer"] == {"industry": "Retail", "country": "DE"}
    assert summary["stage"] == "Prospect"
    assert summary["expected_close_quarter"] == "2027-Q2"
    assert summary["invitation"]["status"] == "invited"
    assert listed(world, integrator) == [summary]
    secrets = ("Dana", "dana@acme.example", "250000", "ACME", "acme.example", "2027-05-15",
               "Workshop", "budget is tight")  # fmt: skip
    events = history(world, integrator, deal)
    assert events, "the invitee sees at least that the deal was registered"
    for event in events:
        assert set(event["data"]) <= SUMMARY_EVENT_FIELDS
    for text in secrets:
        assert text not in str([summary, events])


def test_a_non_participant_learns_nothing_of_the_deal(world: World) -> None:
    vendor, integrator, outsider = world.company(), world.company(), world.company()
    deal = world.shared(vendor, integrator)
    world.partners(vendor, outsider)  # even a partner of the owner, until invited
    before, events_before = read(world, vendor, deal), history(world, vendor, deal)
    headers = {**outsider.headers, "If-Match": f'"{before["version"]}"'}
    mine = outsider.party_id
    attempts = [
        ("GET", "", None),
        ("GET", "/events", None),
        ("PATCH", "", {"title": "Mine now"}),
        ("PATCH", "/counterpart", {"crm_reference": "X"}),
        ("POST", "/invitations", {"party_id": mine}),
        ("POST", f"/invitations/{mine}/accept", None),
        ("POST", f"/invitations/{mine}/decline", {"reason": "x"}),
        ("POST", f"/invitations/{integrator.party_id}/withdraw", {"reason": "x"}),
        ("POST", "/stage", {"stage": "Qualified"}),
        ("POST", "/notes", {"text": "Hello"}),
        ("POST", "/close", {"outcome": "lost", "reason": "x"}),
    ]
    for method, tail, body in attempts:
        response = world.client.request(method, url(deal, tail), json=body, headers=headers)
        assert_problem(response, 404)
        assert deal["title"] not in response.text
        assert deal["customer"]["name"] not in response.text
    assert listed(world, outsider) == []
    assert read(world, vendor, deal) == before
    assert history(world, vendor, deal) == events_before


# --- registration conflicts -------------------------------------------------------------------


@pytest.mark.parametrize(
    "again",
    [
        {"name": "Totally Different Name", "website_domain": "https://www.ACME.example/shop"},
        {"name": "Acme Incorporated"},
        {"name": "  acmé  "},
    ],
    ids=["same domain", "same name, other legal form", "same name, accents and case"],
)
def test_registering_a_customer_i_already_work_on_conflicts(
    world: World, again: dict[str, Any]
) -> None:
    vendor = world.company()
    first = register(world, vendor, ACME).json()
    refused = register(world, vendor, again)
    assert_problem(refused, 409)
    assert refused.json()["conflicting_opportunities"] == [first["id"]]
    assert ids(listed(world, vendor)) == [first["id"]]
    overridden = register(world, vendor, again, override_conflicts=True)
    assert overridden.status_code == 201, overridden.text
    assert len(listed(world, vendor)) == 2


def test_a_deal_i_partner_on_conflicts_but_one_i_am_invited_to_only_if_i_see_why(
    world: World,
) -> None:
    vendor, integrator, cloud = world.company(), world.company(), world.company()
    world.partners(vendor, integrator)
    world.partners(vendor, cloud)
    deal = register(world, vendor, ACME).json()
    invite(world, vendor, deal, integrator)
    answer(world, integrator, deal, "accept")
    invite(world, vendor, read(world, vendor, deal), cloud)
    refused = register(world, integrator, {"name": "Acme"})  # partners see the name
    assert_problem(refused, 409)
    assert refused.json()["conflicting_opportunities"] == [deal["id"]]
    # An invitee does not see the customer's name: it registers, and the vendor is told.
    assert register(world, cloud, {"name": "Acme"}).status_code == 201
    told = world.client.get("/v1/registration-conflicts", headers=vendor.headers).json()
    assert [item["opportunity_id"] for item in told["items"]] == [deal["id"]]


def test_a_party_not_involved_registers_the_same_customer_without_conflict(world: World) -> None:
    vendor, competitor = world.company(), world.company()
    register(world, vendor, ACME)
    assert register(world, competitor, ACME).status_code == 201


def test_a_conflict_names_only_deals_the_caller_can_see(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    hidden = register(world, vendor, ACME).json()  # vendor's own; integrator has no part in it
    visible = register(world, integrator, ACME).json()
    refused = register(world, integrator, ACME)
    assert_problem(refused, 409)
    assert refused.json()["conflicting_opportunities"] == [visible["id"]]
    assert hidden["id"] not in refused.text


def test_closed_deals_and_deals_i_left_do_not_conflict(world: World) -> None:
    vendor, integrator = world.company(), world.company()
    lost = register(world, vendor, ACME).json()
    post(world, vendor, lost, "/close", {"outcome": "lost", "reason": "No budget"})
    assert register(world, vendor, ACME).status_code == 201
    shared = world.shared(vendor, integrator)
    post(world, integrator, shared, f"/invitations/{integrator.party_id}/withdraw", {})
    assert register(world, integrator, {"name": shared["customer"]["name"]}).status_code == 201


def test_a_deal_renamed_to_another_customer_no_longer_conflicts(world: World) -> None:
    vendor = world.company()
    deal = register(world, vendor, ACME).json()
    globex = {"customer": {"name": "Globex", "website_domain": "globex.example"}}
    renamed = patch(world, vendor, deal, globex)
    assert renamed.status_code == 200, renamed.text
    assert register(world, vendor, ACME).status_code == 201
    refused = register(world, vendor, {"name": "Globex Corporation"})
    assert_problem(refused, 409)
    assert refused.json()["conflicting_opportunities"] == [deal["id"]]


def test_an_auditor_reads_the_party_s_deals_but_cannot_change_them(world: World) -> None:
    vendor = world.company()
    auditor = world.user(vendor.party_id, Role.AUDITOR)
    deal = world.opportunity(vendor)
    assert read(world, auditor, deal) == read(world, vendor, deal)
    assert_problem(post(world, auditor, deal, "/notes", {"text": "Audited."}), 403)
    assert read(world, vendor, deal)["notes"] == []
