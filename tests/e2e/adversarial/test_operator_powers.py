"""The network operator registers companies and their first admin, suspends them, and does
nothing else inside a company; every act it makes on a company is shown to that company.

The operator's admin here also holds the security_admin role, so that a refusal can only come
from the rule that a company's users, tokens, keys and policy are its own."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecosystem.actors import OPERATOR, SYSTEM_ID, Role
from ecosystem.audit.checkpoints import b64, raw_public_key
from ecosystem.errors import NotPermitted
from tests.e2e.adversarial.conftest import Four
from tests.e2e.conftest import Caller, World

NOBODY = "00000000-0000-4000-8000-00000000abcd"
FABRIKAM = {"name": "Fabrikam Systems", "website_domain": "fabrikam.example", "kind": "si"}
ADMIN = {"name": "Ada Admin", "email": "ada@fabrikam.example", "roles": ["admin"]}


def operator(world: World) -> Caller:
    """A network admin: an admin of an operator party (with the policy role too)."""
    return world.user(world.party(operator=True), Role.ADMIN, Role.SECURITY_ADMIN)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["detail"]
    return body


def position(world: World) -> int:
    return world.network.log_position


def acts(world: World, caller: Caller, party_id: str | None = None) -> Any:
    return world.client.get(
        f"/v1/parties/{party_id or caller.party_id}/operator-acts", headers=caller.headers
    )


# --- nothing inside a company -------------------------------------------------------------------


def test_the_operator_cannot_list_a_company_s_users_or_read_their_emails(world: World) -> None:
    admin, netadmin = world.company(Role.ADMIN), operator(world)
    listed = world.client.get(f"/v1/parties/{admin.party_id}/users", headers=netadmin.headers)
    body = problem(listed, 403)
    assert "user@example.com" not in listed.text
    assert "only the company itself" in body["detail"]
    unknown = world.client.get(f"/v1/parties/{NOBODY}/users", headers=netadmin.headers)
    problem(unknown, 404)  # a party that is not in the directory is not found


def test_the_operator_cannot_mint_or_revoke_a_token_of_a_company_s_user(world: World) -> None:
    admin = world.company(Role.ADMIN)
    security = world.security_admin(admin)
    netadmin = operator(world)
    [token] = world.client.get("/v1/me", headers=security.headers).json()["user"]["tokens"]
    before = position(world)
    minted = world.client.post(f"/v1/users/{security.user_id}/tokens", headers=netadmin.headers)
    made_up = world.client.post(f"/v1/users/{NOBODY}/tokens", headers=netadmin.headers)
    # Told exactly what a made-up user id is told: it learns nothing of the company's users.
    assert problem(minted, 404) == {
        **problem(made_up, 404),
        "detail": problem(made_up, 404)["detail"].replace(NOBODY, security.user_id),
    }
    path = f"/v1/users/{security.user_id}/tokens/{token['token_id']}"
    problem(world.client.delete(path, headers=netadmin.headers), 404)
    assert position(world) == before
    assert world.client.get("/v1/me", headers=security.headers).status_code == 200


def test_the_operator_adds_no_user_to_a_company_that_has_its_admin(world: World) -> None:
    admin, netadmin = world.company(Role.ADMIN), operator(world)
    before = position(world)
    for roles in (["security_admin"], ["admin"], ["admin", "security_admin"]):
        body = {**ADMIN, "roles": roles}
        added = world.client.post(
            f"/v1/parties/{admin.party_id}/users", json=body, headers=netadmin.headers
        )
        assert "first" in problem(added, 403)["detail"]
    assert position(world) == before
    users = world.client.get(f"/v1/parties/{admin.party_id}/users", headers=admin.headers)
    assert [u["id"] for u in users.json()] == [admin.user_id]


def test_the_operator_cannot_edit_a_company_s_policy_or_register_its_keys(world: World) -> None:
    admin, netadmin = world.company(Role.ADMIN), operator(world)
    before = position(world)
    rule = {"owner_party_id": admin.party_id, "viewer": "partners", "field": "customer.*"}
    problem(world.client.post("/v1/policies/rules", json=rule, headers=netadmin.headers), 403)
    preset = {"owner_party_id": admin.party_id, "viewer": "partners", "preset": "full"}
    problem(world.client.post("/v1/policies/presets", json=preset, headers=netadmin.headers), 403)
    key = b64(raw_public_key(Ed25519PrivateKey.generate().public_key()))
    keys = f"/v1/parties/{admin.party_id}/keys"
    problem(world.client.post(keys, json={"public_key": key}, headers=netadmin.headers), 403)
    assert position(world) == before
    assert world.client.get(keys, headers=admin.headers).json() == []


# --- what the operator may do -----------------------------------------------------------------


def test_the_operator_registers_a_company_and_its_first_admin_only(world: World) -> None:
    netadmin = operator(world)
    party = world.client.post("/v1/parties", json=FABRIKAM, headers=netadmin.headers).json()
    users = f"/v1/parties/{party['id']}/users"
    not_admin = world.client.post(
        users, json=ADMIN | {"roles": ["sales"]}, headers=netadmin.headers
    )
    assert "admin role" in problem(not_admin, 403)["detail"]
    added = world.client.post(users, json=ADMIN, headers=netadmin.headers)
    assert added.status_code == 201, added.text
    first = {"Authorization": f"Bearer {added.json()['token']['token']}"}
    assert world.client.get("/v1/me", headers=first).json()["party"]["id"] == party["id"]
    second = {**ADMIN, "email": "eve@fabrikam.example"}
    problem(world.client.post(users, json=second, headers=netadmin.headers), 403)
    # From now on the company's own admin adds its users.
    added = world.client.post(users, json=second | {"roles": ["sales"]}, headers=first)
    assert added.status_code == 201, added.text


def test_a_suspended_company_cannot_act_and_its_partners_keep_its_history(four: Four) -> None:
    world, client, b = four.world, four.client, four.b
    netadmin = operator(world)
    deal = four.deal["id"]
    seen_before = client.get(f"/v1/opportunities/{deal}", headers=four.a.headers).json()
    suspended = client.post(f"/v1/parties/{b.party_id}/suspend", headers=netadmin.headers)
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["suspended"] is True
    before = position(world)
    for response in (
        client.get("/v1/me", headers=b.headers),
        client.get(f"/v1/opportunities/{deal}", headers=b.headers),
        client.post(f"/v1/opportunities/{deal}/notes", json={"text": "x"}, headers=b.headers),
        client.get("/v1/me", headers=four.auditor(b).headers),
    ):
        assert problem(response, 403)["title"] == "Party suspended"
    assert position(world) == before
    entry = client.get(f"/v1/parties/{b.party_id}", headers=four.a.headers).json()
    assert entry["suspended"] is True
    seen = client.get(f"/v1/opportunities/{deal}", headers=four.a.headers).json()
    assert [p["party_id"] for p in seen["participants"]] == [
        p["party_id"] for p in seen_before["participants"]
    ]
    reinstated = client.post(f"/v1/parties/{b.party_id}/reinstate", headers=netadmin.headers)
    assert reinstated.json()["suspended"] is False
    assert client.get(f"/v1/opportunities/{deal}", headers=b.headers).status_code == 200


def test_only_a_network_admin_suspends_and_never_its_own_party(four: Four) -> None:
    client, netadmin = four.client, operator(four.world)
    before = position(four.world)
    problem(client.post(f"/v1/parties/{four.b.party_id}/suspend", headers=four.a.headers), 403)
    problem(client.post(f"/v1/parties/{netadmin.party_id}/suspend", headers=netadmin.headers), 422)
    problem(client.post(f"/v1/parties/{NOBODY}/suspend", headers=netadmin.headers), 404)
    problem(client.post(f"/v1/parties/{four.b.party_id}/reinstate", headers=netadmin.headers), 422)
    assert position(four.world) == before


# --- every operator act is shown to the company concerned ---------------------------------------


def test_a_company_sees_every_operator_act_on_it_and_no_one_else_does(four: Four) -> None:
    world, client = four.world, four.client
    netadmin = operator(world)
    party = client.post("/v1/parties", json=FABRIKAM, headers=netadmin.headers).json()
    users = f"/v1/parties/{party['id']}/users"
    added = client.post(users, json=ADMIN, headers=netadmin.headers).json()
    first = Caller(party["id"], added["user"]["id"], added["token"]["token"])
    auditor_body = {"name": "Aud", "email": "aud@fabrikam.example", "roles": ["auditor"]}
    auditor = client.post(users, json=auditor_body, headers=first.headers).json()
    auditor_caller = Caller(party["id"], auditor["user"]["id"], auditor["token"]["token"])
    for path in ("suspend", "reinstate"):
        client.post(f"/v1/parties/{party['id']}/{path}", headers=netadmin.headers)
    # The local command line (whoever holds the database) is the operator too.
    world.network.issue_token(OPERATOR, UUID(first.user_id), "recovery")

    listed = acts(world, first)
    assert listed.status_code == 200, listed.text
    assert acts(world, auditor_caller).json() == listed.json()
    seen = [(a["what"], a["object_id"], a["actor"]["party_id"]) for a in listed.json()]
    by_netadmin, by_shell = netadmin.party_id, str(SYSTEM_ID)
    assert seen == [
        ("Registered", party["id"], by_netadmin),
        ("Added", first.user_id, by_netadmin),
        ("TokenIssued", first.user_id, by_netadmin),  # the operator saw that first token
        ("Suspended", party["id"], by_netadmin),
        ("Reinstated", party["id"], by_netadmin),
        ("TokenIssued", first.user_id, by_shell),
    ]  # and not the auditor its own admin added, nor any token hash
    assert all(a["actor"]["user_id"] in (netadmin.user_id, by_shell) for a in listed.json())
    assert all(a["at"] for a in listed.json())
    assert "token_hash" not in listed.text
    assert listed.json()[1]["details"]["roles"] == ["admin"]

    problem(acts(world, four.a, party["id"]), 404)  # another company learns nothing
    problem(acts(world, four.auditor(four.a), party["id"]), 404)
    problem(acts(world, netadmin, party["id"]), 403)
    sales = world.user(party["id"], Role.SALES)
    problem(acts(world, sales), 403)


def test_only_the_shell_lifts_a_company_s_signatures_and_the_company_sees_it(world: World) -> None:
    admin, netadmin = world.company(Role.ADMIN), operator(world)
    key = b64(raw_public_key(Ed25519PrivateKey.generate().public_key()))
    keys = world.client.post(
        f"/v1/parties/{admin.party_id}/keys", json={"public_key": key}, headers=admin.headers
    )
    assert keys.status_code == 201, keys.text
    signing = f"/v1/parties/{admin.party_id}/signing"
    required = world.client.put(signing, json={"required": True}, headers=admin.headers)
    assert required.status_code == 200, required.text
    lifted = world.client.put(signing, json={"required": False}, headers=netadmin.headers)
    problem(lifted, 403)
    assert [a["what"] for a in acts(world, admin).json()] == ["Registered", "Added", "TokenIssued"]
    world.network.require_signatures(OPERATOR, UUID(admin.party_id), False)  # a lost key
    [*_, last] = acts(world, admin).json()
    assert (last["what"], last["details"], last["actor"]["user_id"]) == (
        "SignatureRequirementChanged",
        {"required": False},
        str(SYSTEM_ID),
    )


def test_two_first_admins_added_at_once_cannot_both_be_added(world: World) -> None:
    netadmin = world.network.authenticate(operator(world).token)
    party = UUID(world.party())
    start = threading.Barrier(4)

    def add(n: int) -> str:
        start.wait()
        try:
            world.network.add_user(netadmin, party, f"Admin {n}", f"a{n}@x.example", [Role.ADMIN])
        except NotPermitted:
            return "refused"
        return "added"

    with ThreadPoolExecutor(4) as pool:
        outcomes = sorted(pool.map(add, range(4)))
    assert outcomes == ["added", "refused", "refused", "refused"]
    assert len(world.network.users_of(OPERATOR, party)) == 1
