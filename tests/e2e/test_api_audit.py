"""Auditors over HTTP: who may read, histories and past states as policy allows, access then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ecosystem.actors import Role
from ecosystem.audit.merkle import verify_consistency, verify_inclusion
from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response

AUDIT = "/v1/audit"
# Values only the owner may see under "summary": none of them can occur in a hex hash.
SECRET: dict[str, Any] = {
    "expected_amount": {"amount": "8642097531.13", "currency": "EUR"},
    "next_steps": "Brief the Zebrafish steering group",
    "customer": {"name": "Acme Retail", "website_domain": "acme-retail.example", "contacts": [
        {"name": "Quixote Jones", "email": "qj@contact-marker.example", "phone": "+1 555 0100",
         "title": "CIO"}]},
}  # fmt: skip
MARKERS = ("8642097531", "Zebrafish", "Quixote", "contact-marker")
SUMMARY = {"title", "stage", "participants", "customer.name", "customer.industry",
           "customer.country", "expected_close_quarter", "target_close_date"}  # fmt: skip


def assert_problem(response: Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


def get(world: World, who: Caller, path: str, **params: Any) -> Response:
    return world.client.get(path, params=params, headers=who.headers)


def ok(response: Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def view(world: World, who: Caller, deal_id: str) -> dict[str, Any]:
    return dict(ok(get(world, who, f"/v1/opportunities/{deal_id}")))


def act(world: World, who: Caller, deal_id: str, method: str, tail: str = "", **body: Any) -> None:
    """Change the deal as of its current version."""
    version = view(world, who, deal_id)["version"]
    headers = {**who.headers, "If-Match": f'"{version}"'}
    done = world.client.request(method, f"/v1/opportunities/{deal_id}{tail}", json=body,
                                headers=headers)  # fmt: skip
    assert done.status_code == 200, done.text


def invite(world: World, owner: Caller, deal_id: str, partner: Caller, accept: bool = True) -> None:
    world.partners(owner, partner)
    act(world, owner, deal_id, "POST", "/invitations", party_id=partner.party_id)
    if accept:
        act(world, partner, deal_id, "POST", f"/invitations/{partner.party_id}/accept")


def summary_deal(world: World) -> tuple[Caller, Caller, str]:
    """A deal with SECRET values, its owner sharing only a summary with the accepted partner."""
    owner, partner = world.company(), world.company()
    world.share(owner, preset="summary")
    deal_id = str(world.opportunity(owner, **SECRET)["id"])
    invite(world, owner, deal_id, partner)
    amount = {"amount": "8642097531.99", "currency": "EUR"}
    act(world, owner, deal_id, "PATCH", expected_amount=amount)  # a change the partner never sees
    act(world, owner, deal_id, "PATCH", title="Retail rollout")
    return owner, partner, deal_id


def objects(deal_id: str, at: str) -> list[tuple[str, dict[str, Any]]]:
    base = f"{AUDIT}/objects/{deal_id}"
    return [(f"{base}/events", {}), (f"{base}/state", {"version": 1}),
            (f"{base}/access", {"field": "title", "at": at})]  # fmt: skip


def unhex(text: str) -> bytes:
    return bytes.fromhex(text)


def rules(world: World, auditor: Caller, at: str) -> tuple[int, set[tuple[str, ...]]]:
    """The version and rules of the auditor's company's policy at `at`, from the policy API."""
    policy = ok(get(world, auditor, "/v1/policies/rules", as_of=at))
    keys = ("viewer", "object_type", "field", "action", "effect")
    return policy["version"], {tuple(r[k] for k in keys) for r in policy["rules"]}


def in_force(answer: dict[str, Any]) -> tuple[int, set[tuple[str, ...]]]:
    keys = ("viewer", "object_type", "field", "action", "effect")
    return answer["policy_version"], {tuple(r[k] for k in keys) for r in answer["rules_in_force"]}


def decisions(answer: dict[str, Any]) -> dict[str, tuple[str | None, bool]]:
    return {d["party_id"]: (d["seat"], d["could_read"]) for d in answer["decisions"]}


# --- who may read ------------------------------------------------------------------------------


def test_only_auditors_read_objects_and_bundles_and_every_other_role_gets_403(
    world: World,
) -> None:
    owner, partner, deal_id = summary_deal(world)
    at = view(world, owner, deal_id)["updated_at"]
    others = [world.user(owner.party_id, role) for role in
              (Role.ADMIN, Role.SALES, Role.PARTNER_MANAGER, Role.SECURITY_ADMIN)]  # fmt: skip
    auditors = [world.user(company.party_id, Role.AUDITOR) for company in (owner, partner)]
    for path, params in [*objects(deal_id, at), (f"{AUDIT}/bundle", {})]:
        for who in others:
            assert_problem(get(world, who, path, **params), 403)
        for who in auditors:
            ok(get(world, who, path, **params))


def test_an_auditor_whose_company_takes_no_part_in_an_object_gets_404(world: World) -> None:
    owner, _, deal_id = summary_deal(world)
    at = view(world, owner, deal_id)["updated_at"]
    outsider = world.user(world.company().party_id, Role.AUDITOR)
    unknown = "00000000-0000-4000-8000-000000000001"
    for path, params in [*objects(deal_id, at), *objects(unknown, at)]:
        assert_problem(get(world, outsider, path, **params), 404)
    assert_problem(get(world, outsider, f"{AUDIT}/objects/{owner.party_id}/events"), 404)
    bundle = ok(get(world, outsider, f"{AUDIT}/bundle"))
    assert deal_id.replace("-", "") not in {e["object_id"] for e in bundle["events"]}


def test_checkpoints_proofs_and_the_network_key_are_read_by_any_authenticated_user(
    world: World,
) -> None:
    owner, _, _ = summary_deal(world)
    auditor = world.user(owner.party_id, Role.AUDITOR)
    assert_problem(world.client.post(f"{AUDIT}/checkpoints", headers=owner.headers), 403)
    first = world.client.post(f"{AUDIT}/checkpoints", headers=auditor.headers)
    assert first.status_code == 201, first.text
    world.opportunity(owner)
    second = world.client.post(f"{AUDIT}/checkpoints", headers=auditor.headers)
    assert second.status_code == 201, second.text
    small, big = first.json(), second.json()
    for role in Role:
        who = world.user(owner.party_id, role)
        key = ok(get(world, who, f"{AUDIT}/key"))
        assert (key["key_id"], key["algorithm"]) == (big["key_id"], "Ed25519")
        assert ok(get(world, who, f"{AUDIT}/checkpoints"))[-2:] == [small, big]
        assert ok(get(world, who, f"{AUDIT}/checkpoints/latest")) == big
        proof = ok(get(world, who, f"{AUDIT}/consistency", first=small["size"]))["proof"]
        verify_consistency(small["size"], unhex(small["root"]), big["size"], unhex(big["root"]),
                           [unhex(h) for h in proof])  # fmt: skip
        found = ok(get(world, who, f"{AUDIT}/inclusion", leaf_index=0, size=big["size"]))
        verify_inclusion(unhex(found["leaf"]), 0, big["size"], [unhex(h) for h in found["proof"]],
                         unhex(big["root"]))  # fmt: skip
    assert_problem(world.client.get(f"{AUDIT}/key"), 401)
    assert_problem(world.client.get(f"{AUDIT}/checkpoints/latest"), 401)
    # A proof from the empty log proves nothing; the verifiers refuse one, so none is served.
    assert_problem(get(world, auditor, f"{AUDIT}/consistency", first=0), 422)


# --- histories and past states -----------------------------------------------------------------


def test_a_partner_s_auditor_sees_nothing_the_owner_s_summary_policy_hides(world: World) -> None:
    owner, partner, deal_id = summary_deal(world)
    mine, theirs = (world.user(company.party_id, Role.AUDITOR) for company in (owner, partner))
    path = f"{AUDIT}/objects/{deal_id}"
    owned = get(world, mine, f"{path}/events")
    assert all(marker in owned.text for marker in MARKERS)  # the markers are really recorded
    history = get(world, theirs, f"{path}/events")
    latest = len(ok(history)["events"])  # its own history: from its invitation on
    states = [get(world, theirs, f"{path}/state", version=v) for v in range(1, latest + 1)]
    bundle = get(world, theirs, f"{AUDIT}/bundle")
    for response in [history, *states, bundle]:
        assert ok(response)
        assert [m for m in MARKERS if m in response.text] == [], response.url
    # exactly what the partner itself is shown: the same events and the same deal
    events = ok(history)["events"]
    own_events = ok(get(world, partner, f"/v1/opportunities/{deal_id}/events"))["events"]
    assert [{k: v for k, v in e.items() if k not in ("position", "leaf_index")}
            for e in events] == own_events  # fmt: skip
    # its invitation, its acceptance and the title change; not the registration (before it was
    # invited), nor the hidden amount change, which leave no gap in the numbering
    assert [e["version"] for e in events] == [1, 2, 3]
    assert [e["type"] for e in events] == ["PartnerInvited", "InvitationAccepted", "DetailsUpdated"]
    assert set(events[-1]["data"]) == {"title"}
    assert ok(states[-1])["view"] == {**view(world, partner, deal_id), "version": 3}
    leaves = {e["position"]: e["leaf_index"] for e in ok(bundle)["events"]}
    assert {e["position"]: e["leaf_index"] for e in events}.items() <= leaves.items()
    assert [e["position"] for e in events] == sorted({e["position"] for e in events})


def test_the_state_as_of_a_version_or_a_time_is_what_the_owner_saw_then(world: World) -> None:
    owner, partner = world.company(), world.company()
    deal_id = str(world.opportunity(owner, **SECRET)["id"])
    seen = [view(world, owner, deal_id)]
    world.partners(owner, partner)
    changes: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/invitations", {"party_id": partner.party_id}),
        ("PATCH", "", {"next_steps": "Workshop in March", "products": ["Lakehouse"]}),
        ("POST", "/stage", {"stage": "Qualified"}),
        ("POST", "/notes", {"text": "Budget confirmed."}),
        ("PATCH", "", {"customer": {"contacts": []}}),
    ]
    for method, tail, body in changes:
        act(world, owner, deal_id, method, tail, **body)
        seen.append(view(world, owner, deal_id))
    auditor = world.user(owner.party_id, Role.AUDITOR)
    path = f"{AUDIT}/objects/{deal_id}/state"
    assert [v["version"] for v in seen] == list(range(1, len(seen) + 1))
    for then, following in zip(seen, [*seen[1:], None], strict=True):
        by_version = ok(get(world, auditor, path, version=then["version"]))
        assert (by_version["version"], by_version["view"]) == (then["version"], then)
        by_time = ok(get(world, auditor, path, at=then["updated_at"]))
        assert (by_time["version"], by_time["view"]) == (then["version"], then)
        assert by_time["type"] == "opportunity"
        if following is not None:  # a moment before the next change still shows this version
            moment = datetime.fromisoformat(following["updated_at"]) - timedelta(microseconds=1)
            assert (
                ok(get(world, auditor, path, at=moment.isoformat()))["version"] == then["version"]
            )
    assert seen[0]["customer"]["contacts"][0]["name"] == "Quixote Jones"  # then, not now
    assert seen[-1]["customer"]["contacts"] == []


def test_a_past_state_needs_one_version_that_exists_or_one_aware_time_after_creation(
    world: World,
) -> None:
    """Else 422: both or neither, a time to come, a naive time, a version below 1; a version
    past the company's history, or a time before it, is not found, as an object never made."""
    owner = world.company()
    deal = view(world, owner, str(world.opportunity(owner)["id"]))
    auditor = world.user(owner.party_id, Role.AUDITOR)
    created = datetime.fromisoformat(deal["created_at"])
    before = (created - timedelta(seconds=1)).isoformat()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    path = f"{AUDIT}/objects/{deal['id']}"
    for params in [
        {"version": 1, "at": deal["created_at"]}, {},
        {"at": created.replace(tzinfo=None).isoformat()}, {"version": 0},
        {"at": "yesterday"}, {"at": tomorrow},
    ]:  # fmt: skip
        assert_problem(get(world, auditor, f"{path}/state", **params), 422)
    for tail, params in [("state", {"at": before}), ("state", {"version": 2}),
                         ("access", {"field": "title", "at": before})]:  # fmt: skip
        assert_problem(get(world, auditor, f"{path}/{tail}", **params), 404)
    for params in [
        {"field": "budget", "at": deal["created_at"]},
        {"field": "title", "at": created.replace(tzinfo=None).isoformat()}, {"field": "title"},
        {"field": "title", "at": tomorrow},
    ]:  # fmt: skip
        assert_problem(get(world, auditor, f"{path}/access", **params), 422)


# --- who could read a field, then --------------------------------------------------------------


def test_the_owner_s_auditor_learns_who_could_read_a_field_then_under_the_rules_then_in_force(
    world: World,
) -> None:
    owner, partner, later = world.company(), world.company(), world.company()
    world.share(owner, preset="summary")
    deal_id = str(world.opportunity(owner)["id"])
    invite(world, owner, deal_id, partner)
    then = view(world, owner, deal_id)["updated_at"]
    auditor = world.user(owner.party_id, Role.AUDITOR)
    path = f"{AUDIT}/objects/{deal_id}/access"
    title = ok(get(world, auditor, path, field="title", at=then))
    amount = ok(get(world, auditor, path, field="expected_amount", at=then))
    me, them = owner.party_id, partner.party_id
    assert decisions(title) == {me: (f"party:{me}", True), them: (f"party:{them}", True)}
    assert decisions(amount) == {me: (f"party:{me}", True), them: (f"party:{them}", False)}
    assert in_force(amount) == rules(world, auditor, then)
    assert {r["field"] for r in amount["rules_in_force"]} == SUMMARY
    assert (amount["owner_party_id"], amount["version"], amount["field"]) == (
        me, 3, "expected_amount")  # fmt: skip

    world.share(owner, preset="standard")
    invite(world, owner, deal_id, later, accept=False)
    assert ok(get(world, auditor, path, field="expected_amount", at=then)) == amount
    moment = datetime.now(UTC).isoformat()
    now = ok(get(world, auditor, path, field="expected_amount", at=moment))
    assert decisions(now) == {
        me: (f"party:{me}", True), them: (f"party:{them}", True), later.party_id: ("invited", False)
    }  # fmt: skip
    assert in_force(now) == rules(world, auditor, moment) != in_force(amount)
    assert "expected_amount" in {r["field"] for r in now["rules_in_force"]}
    assert now["version"] == 4


def test_a_partner_s_auditor_learns_only_whether_its_own_company_could_read_and_no_rules(
    world: World,
) -> None:
    owner, partner, deal_id = summary_deal(world)
    then = view(world, owner, deal_id)["updated_at"]
    auditor = world.user(partner.party_id, Role.AUDITOR)
    path = f"{AUDIT}/objects/{deal_id}/access"
    for field, could in [("title", True), ("expected_amount", False), ("next_steps", False)]:
        answer = ok(get(world, auditor, path, field=field, at=then))
        assert decisions(answer) == {partner.party_id: (f"party:{partner.party_id}", could)}
        assert answer.get("rules_in_force") is None
        assert answer["owner_party_id"] == owner.party_id
    world.share(owner, preset="standard")
    for at, could in [(then, False), (datetime.now(UTC).isoformat(), True)]:
        answer = ok(get(world, auditor, path, field="expected_amount", at=at))
        assert decisions(answer) == {partner.party_id: (f"party:{partner.party_id}", could)}


def test_naming_a_company_with_no_part_in_the_object_as_owner_tells_nothing_of_its_policy(
    world: World,
) -> None:
    owner, partner, stranger = world.company(), world.company(), world.company()
    deal_id = world.shared(owner, partner)["id"]
    world.share(stranger, preset="standard")
    auditor = world.user(partner.party_id, Role.AUDITOR)
    asked = get(world, auditor, f"{AUDIT}/objects/{deal_id}/access", field="expected_amount",
                at=datetime.now(UTC).isoformat(), owner=stranger.party_id)  # fmt: skip
    assert asked.status_code in (404, 422), asked.text
