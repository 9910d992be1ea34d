"""Sharing policies over HTTP: security admins edit, preview and audit what partners see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pytest

from ecosystem.actors import Role
from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response

RULES, HISTORY, MEMBERS = "/v1/policies/rules", "/v1/policies/history", "/v1/policies/tiers/gold"
ALWAYS = {"id", "version", "owner_party_id", "created_at", "updated_at", "invitation"}
SUMMARY = {"title", "stage", "participants", "expected_close_quarter", "target_close_date"}
STANDARD = {"expected_amount", "products", "next_steps", "closing_reason", "notes"}
CUSTOMER = {"name": "Acme", "website_domain": "acme.example", "industry": "Retail",
            "country": "DE", "contacts": [{"name": "Dana", "email": "d@acme.example",
                                           "phone": "+49 30 1234567", "title": "CIO"}]}  # fmt: skip


def assert_problem(response: Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


def send(world: World, who: Caller, method: str, path: str, if_match: str = "", **kw: Any
         ) -> Response:  # fmt: skip
    precondition = {"If-Match": if_match} if if_match else {}
    headers = {**who.headers, **kw.pop("headers", {}), **precondition}
    return world.client.request(method, path, headers=headers, **kw)


def policy(world: World, owner: Caller, **params: Any) -> Response:
    response = send(world, world.security_admin(owner), "GET", RULES, params=params)
    assert response.status_code == 200, response.text
    return response


def add(world: World, owner: Caller, field: str, viewer: str = "partners", **body: Any) -> str:
    json = {"viewer": viewer, "field": field, **body}
    added = send(world, world.security_admin(owner), "POST", RULES, json=json)
    assert added.status_code == 201, added.text
    return str(added.json()["rule_id"])


def remove(world: World, owner: Caller, rule_id: str) -> None:
    removed = send(world, world.security_admin(owner), "DELETE", f"{RULES}/{rule_id}")
    assert removed.status_code == 204, removed.text


def tier(world: World, owner: Caller, member: Caller, verb: str = "add") -> None:
    admin = world.security_admin(owner)
    changed = (send(world, admin, "POST", f"{MEMBERS}/members", json={"party_id": member.party_id})
               if verb == "add" else
               send(world, admin, "DELETE", f"{MEMBERS}/members/{member.party_id}"))  # fmt: skip
    assert changed.status_code == 200, changed.text


def view(world: World, caller: Caller, deal: dict[str, Any]) -> dict[str, Any]:
    response = send(world, caller, "GET", f"/v1/opportunities/{deal['id']}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def patch(world: World, who: Caller, deal: dict[str, Any], body: Any, tail: str = "") -> Response:
    """Change the deal (or, with tail /counterpart, the caller's own fields) as of now."""
    version = view(world, who, deal)["version"]
    return send(world, who, "PATCH", f"/v1/opportunities/{deal['id']}{tail}", f'"{version}"',
                json=body)  # fmt: skip


def deal_with(world: World, owner: Caller, accepted: Sequence[Caller],
              invited: Sequence[Caller] = (), **fields: Any) -> dict[str, Any]:  # fmt: skip
    """A deal of owner's (as the owner sees it), some partners accepted, others only invited."""
    deal = world.opportunity(owner, **fields)
    url = f"/v1/opportunities/{deal['id']}/invitations"
    for party in [*accepted, *invited]:
        world.partners(owner, party)
        assert send(world, owner, "POST", url, json={"party_id": party.party_id}).is_success
    for party in accepted:
        assert send(world, party, "POST", f"{url}/{party.party_id}/accept").is_success
    return view(world, owner, deal)


def operations(owner: str, member: str, rule_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every policy endpoint, aimed at `owner`'s policy (`member` is in its gold tier)."""
    mine = {"owner_party_id": owner}
    change = {"op": "add_rule", "viewer": "partners", "field": "expected_amount"}
    return [
        ("POST", RULES, {"json": {"viewer": "partners", "field": "products", **mine}}),
        ("DELETE", f"{RULES}/{rule_id}", {"params": mine}),
        ("POST", "/v1/policies/presets", {"json": {"viewer": "partners", "preset": "full",
                                                   **mine}}),
        ("POST", f"{MEMBERS}/members", {"json": {"party_id": member, **mine}}),
        ("DELETE", f"{MEMBERS}/members/{member}", {"params": mine}),
        ("POST", "/v1/policies/simulate",
         {"json": {"viewer_party_id": member, "change": change, **mine}}),
        ("GET", RULES, {"params": mine}),
        ("GET", HISTORY, {"params": mine}),
    ]  # fmt: skip


# --- administration ------------------------------------------------------------------------------


def test_a_security_admin_adds_lists_and_removes_rules_each_with_a_new_etag(world: World) -> None:
    vendor = world.company()
    admin = world.security_admin(vendor)
    empty = policy(world, vendor)
    assert (empty.headers["ETag"], empty.json()["rules"], empty.json()["tiers"]) == ('"0"', [], {})
    body = {"viewer": "partners", "field": "expected_amount"}
    added = send(world, admin, "POST", RULES, '"0"', json=body)
    assert added.status_code == 201, added.text
    rule = added.json()
    assert added.headers["Location"] == f"{RULES}/{rule['rule_id']}"
    assert (rule["object_type"], rule["action"], rule["effect"]) == ("opportunity", "read", "allow")
    listed = policy(world, vendor)
    assert listed.json()["rules"] == [rule]
    assert listed.headers["ETag"] == added.headers["ETag"] == f'"{listed.json()["version"]}"'
    removed = send(world, admin, "DELETE", f"{RULES}/{rule['rule_id']}", added.headers["ETag"])
    assert removed.status_code == 204, removed.text
    assert policy(world, vendor).json()["rules"] == []
    assert policy(world, vendor).headers["ETag"] == removed.headers["ETag"] != added.headers["ETag"]
    assert_problem(send(world, admin, "DELETE", f"{RULES}/{rule['rule_id']}"), 404)


def test_a_stale_if_match_on_any_policy_change_is_412_and_changes_nothing(world: World) -> None:
    vendor, partner = world.company(), world.company()
    tier(world, vendor, partner)
    rule_id = add(world, vendor, "*")
    before = policy(world, vendor).json()
    admin = world.security_admin(vendor)
    for method, path, kw in operations(vendor.party_id, partner.party_id, rule_id):
        if method != "GET" and not path.endswith("simulate"):
            assert_problem(send(world, admin, method, path, '"2"', **kw), 412)
    assert policy(world, vendor).json() == before


def test_a_retried_rule_post_with_the_same_idempotency_key_adds_the_rule_once(
    world: World,
) -> None:
    vendor = world.company()
    admin, key = world.security_admin(vendor), {"Idempotency-Key": "grant-amount-1"}
    body = {"viewer": "partners", "field": "expected_amount"}
    first, again = (send(world, admin, "POST", RULES, json=body, headers=key) for _ in "12")
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert (again.json(), again.headers["ETag"]) == (first.json(), first.headers["ETag"])
    assert policy(world, vendor).headers["ETag"] == first.headers["ETag"]
    other = {**body, "field": "products"}
    assert_problem(send(world, admin, "POST", RULES, json=other, headers=key), 422)
    assert [r["field"] for r in policy(world, vendor).json()["rules"]] == ["expected_amount"]


@pytest.mark.parametrize(
    ("body", "status"),
    [({"field": "budget"}, 422), ({"field": "cust*.name"}, 422), ({"field": "*.name"}, 422),
     ({"viewer": "everyone"}, 422), ({"viewer": "tier:Gold!"}, 422),
     ({"viewer": "party:not-a-uuid"}, 422), ({"viewer": "party:{me}"}, 422),
     ({"viewer": "party:00000000-0000-0000-0000-0000000000ff"}, 404),
     ({"field": "stage", "action": "write"}, 422), ({"field": "notes", "action": "write"}, 422),
     ({"action": "delete"}, 422), ({"object_type": "invoice"}, 422)],
)  # fmt: skip
def test_a_bad_rule_is_refused_as_a_problem_and_nothing_is_added(
    world: World, body: dict[str, Any], status: int
) -> None:
    vendor = world.company()
    rule = {"viewer": "partners", "field": "title", **body}
    rule["viewer"] = rule["viewer"].format(me=vendor.party_id)
    refused = send(world, world.security_admin(vendor), "POST", RULES, json=rule)
    assert_problem(refused, status)
    if rule["field"] == "budget":
        assert "GET /v1/policies/fields" in refused.json()["detail"]
    assert policy(world, vendor).json()["version"] == 0


def test_the_history_tells_who_changed_what_and_when_with_the_rules_before_and_after(
    world: World,
) -> None:
    vendor, partner = world.company(), world.company()
    amount = add(world, vendor, "expected_amount")
    world.share(vendor, preset="summary")
    tier(world, vendor, partner)
    admin = world.security_admin(vendor)
    response = send(world, admin, "GET", HISTORY)
    assert response.status_code == 200, response.text
    changes = response.json()["changes"]
    assert [c["type"] for c in changes] == ["Created", "RuleAdded", "PresetApplied",
                                            "TierMemberAdded"]  # fmt: skip
    assert [c["version"] for c in changes] == [1, 2, 3, 4]
    assert {c["actor"]["user_id"] for c in changes} == {admin.user_id}
    assert [c["occurred_at"] for c in changes] == sorted(c["occurred_at"] for c in changes)
    assert [r["rule_id"] for r in changes[1]["after"]] == [amount]
    assert [r["rule_id"] for r in changes[2]["before"]] == [amount]
    summary = SUMMARY | {"customer.name", "customer.industry", "customer.country"}
    assert {r["field"] for r in changes[2]["after"]} == summary
    assert changes[3]["after"] == [{"tier": "tier:gold", "party_id": partner.party_id}]
    auditor = world.user(vendor.party_id, Role.AUDITOR)
    assert send(world, auditor, "GET", HISTORY).json() == response.json()


def test_as_of_answers_which_rules_applied_at_that_moment(world: World) -> None:
    vendor = world.company()
    amount = add(world, vendor, "expected_amount")
    add(world, vendor, "products")
    remove(world, vendor, amount)
    changes = send(world, world.security_admin(vendor), "GET", HISTORY).json()["changes"]
    fields = [
        [r["field"] for r in policy(world, vendor, as_of=c["occurred_at"]).json()["rules"]]
        for c in changes
    ]
    assert fields == [[], ["expected_amount"], ["expected_amount", "products"], ["products"]]
    then = policy(world, vendor, as_of=changes[1]["occurred_at"])
    assert (then.headers["ETag"], then.json()["version"]) == ('"2"', 2)
    before_any = policy(world, vendor, as_of="2001-01-01T00:00:00Z").json()
    assert (before_any["version"], before_any["rules"]) == (0, [])


def test_an_as_of_without_a_time_zone_is_refused_with_422(world: World) -> None:
    vendor = world.company()
    add(world, vendor, "title")
    answered = send(world, world.security_admin(vendor), "GET", RULES,
                    params={"as_of": "2030-01-01T00:00:00"})  # fmt: skip
    assert_problem(answered, 422)


def test_a_new_rule_s_location_reads_it_back(world: World) -> None:
    vendor = world.company()
    admin = world.security_admin(vendor)
    added = send(world, admin, "POST", RULES, json={"viewer": "partners", "field": "products"})
    assert added.status_code == 201, added.text
    again = send(world, admin, "GET", added.headers["Location"])
    assert again.status_code == 200 and again.json() == added.json()
    assert_problem(send(world, admin, "GET", f"{RULES}/0000000000000000"), 404)


def test_a_retried_preset_answers_as_the_policy_reads_now_and_writes_nothing(
    world: World,
) -> None:
    vendor = world.company()
    admin = world.security_admin(vendor)
    body = {"viewer": "partners", "preset": "summary"}
    key = {"Idempotency-Key": "preset-1"}
    first = send(world, admin, "POST", "/v1/policies/presets", json=body, headers=key)
    assert first.status_code == 200, first.text
    add(world, vendor, "products")
    retried = send(world, admin, "POST", "/v1/policies/presets", json=body, headers=key)
    assert retried.status_code == 200
    assert retried.headers["Idempotent-Replayed"] == "true"
    now = policy(world, vendor)
    assert retried.headers["ETag"] == now.headers["ETag"] != first.headers["ETag"]
    assert retried.json() == now.json()
    changes = send(world, admin, "GET", HISTORY).json()["changes"]
    assert [c["type"] for c in changes].count("PresetApplied") == 1


@pytest.mark.parametrize("who", ["another company's security admin", "sales", "admin"])
def test_only_the_companys_own_security_admin_edits_its_policy(world: World, who: str) -> None:
    vendor, partner = world.company(), world.company()
    tier(world, vendor, partner)
    rule_id = add(world, vendor, "title")
    before = policy(world, vendor).json()
    roles = {"sales": [Role.SALES], "admin": [Role.ADMIN, Role.SALES, Role.PARTNER_MANAGER]}
    caller = (world.user(vendor.party_id, *roles[who]) if who in roles
              else world.security_admin(world.company()))  # fmt: skip
    for method, path, kw in operations(vendor.party_id, partner.party_id, rule_id):
        response = send(world, caller, method, path, **kw)
        if method == "GET" and who == "admin":  # admins and auditors read the policy
            assert response.status_code == 200, response.text
        else:
            assert_problem(response, 403)
    assert policy(world, vendor).json() == before


# --- what partners see --------------------------------------------------------------------------


def test_a_change_is_in_force_for_the_very_next_read(world: World) -> None:
    vendor, partner = world.company(), world.company()
    deal = world.shared(vendor, partner)
    amount = view(world, vendor, deal)["expected_amount"]

    def listed() -> dict[str, Any]:
        items = world.client.get("/v1/opportunities", headers=partner.headers).json()["items"]
        return dict(items[0])

    assert "expected_amount" not in view(world, partner, deal)
    grant = add(world, vendor, "expected_amount")
    assert view(world, partner, deal)["expected_amount"] == amount
    assert listed()["expected_amount"] == amount
    deny = add(world, vendor, "expected_amount", effect="deny")
    assert "expected_amount" not in view(world, partner, deal)
    assert "expected_amount" not in listed()
    remove(world, vendor, deny)
    assert view(world, partner, deal)["expected_amount"] == amount
    remove(world, vendor, grant)
    assert "expected_amount" not in view(world, partner, deal)
    assert "expected_amount" not in listed()


@pytest.mark.parametrize(
    ("preset", "top", "customer"),
    [("hidden", set(), set()),
     ("summary", SUMMARY, {"name", "industry", "country"}),
     ("standard", SUMMARY | STANDARD, {"name", "industry", "country", "website_domain"}),
     ("full", SUMMARY | STANDARD, {"name", "industry", "country", "website_domain", "contacts"})],
)  # fmt: skip
def test_each_preset_shows_partners_its_documented_fields(
    world: World, preset: str, top: set[str], customer: set[str]
) -> None:
    vendor, partner = world.company(), world.company()
    deal = deal_with(world, vendor, [partner], customer=CUSTOMER, target_close_date="2027-03-31",
                     next_steps="Workshop", products=["Lakehouse"])  # fmt: skip
    send(world, vendor, "POST", f"/v1/opportunities/{deal['id']}/notes", json={"text": "Hi"})
    world.share(vendor, preset=preset)
    seen = view(world, partner, deal)
    history = {"stage_history"} if "stage" in top else set()  # shown with the stage
    assert set(seen) == ALWAYS | top | history | ({"customer"} if customer else set())
    assert set(seen.get("customer", {})) == customer
    if "contacts" in customer:
        assert seen["customer"]["contacts"] == CUSTOMER["contacts"]


def test_a_tier_rule_applies_only_to_accepted_partners_in_that_tier(world: World) -> None:
    vendor, gold, silver, newcomer = (world.company() for _ in range(4))
    deal = deal_with(world, vendor, [gold, silver], invited=[newcomer])
    add(world, vendor, "expected_amount", viewer="tier:gold")
    assert "expected_amount" not in view(world, gold, deal)
    tier(world, vendor, gold)
    tier(world, vendor, newcomer)
    assert view(world, gold, deal)["expected_amount"] == deal["expected_amount"]
    assert "expected_amount" not in view(world, silver, deal)
    assert "expected_amount" not in view(world, newcomer, deal)  # invited, not yet a partner
    accept = f"/v1/opportunities/{deal['id']}/invitations/{newcomer.party_id}/accept"
    assert send(world, newcomer, "POST", accept).is_success
    assert view(world, newcomer, deal)["expected_amount"] == deal["expected_amount"]
    tier(world, vendor, gold, "remove")
    assert "expected_amount" not in view(world, gold, deal)
    # A tier is its company's own: gold at the vendor is nothing at another company.
    tier(world, vendor, gold)
    other = world.company()
    others_deal = deal_with(world, other, [gold])
    add(world, other, "expected_amount", viewer="tier:gold")
    assert "expected_amount" not in view(world, gold, others_deal)


def test_a_simulation_shows_gains_and_losses_and_applies_nothing(world: World) -> None:
    vendor, partner = world.company(), world.company()
    deal = world.shared(vendor, partner)
    world.share(vendor, preset="standard")
    rules_before, view_before = policy(world, vendor), view(world, partner, deal)
    seat = {"object_type": "opportunity", "object_id": deal["id"], "seat": "partner"}
    lost = ["closing_reason", "customer.website_domain", "expected_amount", "next_steps", "notes",
            "products"]  # fmt: skip
    proposals = [
        ({"op": "apply_preset", "viewer": "partners", "preset": "summary"},
         {"read": {"gained": [], "lost": lost}, "write": None}),
        ({"op": "add_rule", "viewer": f"party:{partner.party_id}", "field": "next_steps",
          "action": "write"}, {"read": None, "write": {"gained": ["next_steps"], "lost": []}}),
    ]  # fmt: skip
    for change, diff in proposals:
        body = {"viewer_party_id": partner.party_id, "change": change}
        simulated = send(world, world.security_admin(vendor), "POST", "/v1/policies/simulate",
                         json=body)  # fmt: skip
        assert simulated.status_code == 200, simulated.text
        assert simulated.json()["applied"] is False
        assert simulated.json()["objects"] == [{**seat, **diff}]
    assert policy(world, vendor).json() == rules_before.json()
    assert policy(world, vendor).headers["ETag"] == rules_before.headers["ETag"]
    assert view(world, partner, deal) == view_before
    assert_problem(patch(world, partner, deal, {"next_steps": "Mine"}), 403)


def test_a_partner_writes_exactly_the_fields_it_was_granted(world: World) -> None:
    vendor, partner = world.company(), world.company()
    deal = world.shared(vendor, partner)
    assert_problem(patch(world, partner, deal, {"next_steps": "Joint workshop"}), 403)
    add(world, vendor, "next_steps", action="write")
    granted = patch(world, partner, deal, {"next_steps": "Joint workshop"})
    assert granted.status_code == 200, granted.text
    after = view(world, vendor, deal)
    assert after["next_steps"] == "Joint workshop"
    refused = patch(world, partner, deal, {"next_steps": "Sneaky", "title": "Our deal now"})
    assert_problem(refused, 403)
    assert "title" in refused.json()["detail"]
    assert view(world, vendor, deal) == after


def test_a_participant_shares_its_own_counterpart_fields_through_its_own_policy(
    world: World,
) -> None:
    vendor, integrator, cloud = world.company(), world.company(), world.company()
    deal = deal_with(world, vendor, [integrator, cloud])
    world.partners(integrator, cloud)  # the integrator's data reaches only its partners
    for party, reference in ((integrator, "INT-42"), (vendor, "VEN-7")):
        kept = patch(world, party, deal, {"crm_reference": reference}, "/counterpart")
        assert kept.status_code == 200, kept.text
    # The deal's owner opens counterpart fields to partners: only its own are shared by that.
    add(world, vendor, "counterparts.*")
    add(world, vendor, "counterparts.*", viewer=f"party:{cloud.party_id}")
    assert view(world, cloud, deal)["counterparts"] == {vendor.party_id: {"crm_reference": "VEN-7"}}
    assert "INT-42" not in str(view(world, cloud, deal))
    add(world, integrator, "counterparts.crm_reference")
    for other in (cloud, vendor):
        seen = view(world, other, deal)["counterparts"][integrator.party_id]
        assert seen == {"crm_reference": "INT-42"}


def test_the_field_catalogue_names_every_object_type_and_its_presets(world: World) -> None:
    catalogue = world.client.get("/v1/policies/fields", headers=world.company().headers).json()
    assert set(catalogue["object_types"]) == {"opportunity", "solution", "funding_plan"}
    assert "budget_notes" not in catalogue["object_types"]["funding_plan"]
    assert "counterparts.budget_notes" in catalogue["object_types"]["funding_plan"]
    assert catalogue["writable"]["solution"] == catalogue["writable"]["funding_plan"] == []
    by_type = catalogue["presets_by_object_type"]
    assert by_type["opportunity"] == catalogue["presets"]
    assert {r["field"] for r in by_type["funding_plan"]["standard"]} >= {"requests", "claims"}
    assert by_type["solution"]["hidden"] == [{"field": "*", "effect": "deny"}]
