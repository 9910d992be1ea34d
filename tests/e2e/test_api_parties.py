"""Parties, users and tokens over HTTP: who registers companies, adds users and holds tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from ecosystem.actors import Role
from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response

FABRIKAM = {"name": "Fabrikam Systems", "website_domain": "fabrikam.example", "kind": "si"}
PUBLIC_ENTRY = {
    "id", "name", "website_domain", "kind", "network_operator", "registered_at",
    "signatures_required", "suspended",
}  # fmt: skip


def network_admin(world: World) -> Caller:
    return world.user(world.party(operator=True), Role.ADMIN)


def directory(world: World, caller: Caller) -> list[dict[str, Any]]:
    listed = world.client.get("/v1/parties", headers=caller.headers)
    assert listed.status_code == 200, listed.text
    entries: list[dict[str, Any]] = listed.json()
    return entries


def users_of(world: World, admin: Caller) -> list[dict[str, Any]]:
    listed = world.client.get(f"/v1/parties/{admin.party_id}/users", headers=admin.headers)
    assert listed.status_code == 200, listed.text
    users: list[dict[str, Any]] = listed.json()
    return users


def me(world: World, token: str) -> Response:
    return world.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})


def assert_problem(response: Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


# --- the directory ----------------------------------------------------------------------------


def test_a_network_admin_registers_a_party_everyone_finds_in_the_directory(world: World) -> None:
    admin, reader = network_admin(world), world.company(Role.SALES)
    created = world.client.post("/v1/parties", json=FABRIKAM, headers=admin.headers)
    assert created.status_code == 201, created.text
    party = created.json()
    assert created.headers["Location"] == f"/v1/parties/{party['id']}"
    assert party["name"] == "Fabrikam Systems"
    assert party["website_domain"] == "fabrikam.example"
    assert party["kind"] == "si"
    assert party["network_operator"] is False
    entries = {entry["id"]: entry for entry in directory(world, reader)}
    assert entries[party["id"]] == party
    assert all(set(entry) == PUBLIC_ENTRY for entry in entries.values())
    one = world.client.get(f"/v1/parties/{party['id']}", headers=reader.headers)
    assert one.status_code == 200
    assert one.json() == party


def test_a_network_admin_may_register_another_operator(world: World) -> None:
    admin = network_admin(world)
    body = {**FABRIKAM, "network_operator": True}
    created = world.client.post("/v1/parties", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    assert created.json()["network_operator"] is True


@pytest.mark.parametrize(
    "who",
    ["admin of an ordinary party", "sales user of the operator party"],
)
def test_only_a_network_admin_may_register_parties(world: World, who: str) -> None:
    if who == "admin of an ordinary party":
        caller = world.company(Role.ADMIN)
    else:
        caller = world.user(world.party(operator=True), Role.SALES, Role.PARTNER_MANAGER)
    before = directory(world, caller)
    refused = world.client.post("/v1/parties", json=FABRIKAM, headers=caller.headers)
    assert_problem(refused, 403)
    assert directory(world, caller) == before


def test_a_website_domain_belongs_to_one_party_only(world: World) -> None:
    admin = network_admin(world)
    assert world.client.post("/v1/parties", json=FABRIKAM, headers=admin.headers).status_code == 201
    before = directory(world, admin)
    same_site = {
        **FABRIKAM, "name": "Fabrikam Again", "website_domain": "https://www.Fabrikam.example/about"
    }  # fmt: skip
    refused = world.client.post("/v1/parties", json=same_site, headers=admin.headers)
    assert_problem(refused, 409)
    assert "fabrikam.example" in refused.json()["detail"]
    assert directory(world, admin) == before


def test_an_unknown_party_is_not_found(world: World) -> None:
    caller = world.company()
    missing = world.client.get(
        "/v1/parties/00000000-0000-4000-8000-000000000000", headers=caller.headers
    )
    assert_problem(missing, 404)


# --- users ------------------------------------------------------------------------------------


def test_a_party_admin_adds_a_user_whose_token_works_at_once(world: World) -> None:
    admin = world.company(Role.ADMIN)
    body = {"name": "Sam Ortiz", "email": "sam@company.example", "roles": ["sales"]}
    added = world.client.post(
        f"/v1/parties/{admin.party_id}/users", json=body, headers=admin.headers
    )
    assert added.status_code == 201, added.text
    user, token = added.json()["user"], added.json()["token"]
    assert user["party_id"] == admin.party_id
    assert user["roles"] == ["sales"]
    assert token["token"]
    whoami = me(world, token["token"])
    assert whoami.status_code == 200, whoami.text
    assert whoami.json()["user"]["id"] == user["id"]
    assert whoami.json()["party"]["id"] == admin.party_id
    assert whoami.json()["network_admin"] is False
    listed = users_of(world, admin)
    assert {u["id"] for u in listed} == {admin.user_id, user["id"]}
    assert token["token"] not in str(listed)  # tokens are shown once, never listed


def test_a_network_admin_adds_no_user_to_a_party_that_has_one(world: World) -> None:
    admin, company = network_admin(world), world.company(Role.ADMIN)
    before = users_of(world, company)
    body = {"name": "Otto Berg", "email": "otto@company.example", "roles": ["admin"]}
    refused = world.client.post(
        f"/v1/parties/{company.party_id}/users", json=body, headers=admin.headers
    )
    assert_problem(refused, 403)
    assert "first" in refused.json()["detail"]
    assert users_of(world, company) == before


def test_another_party_s_admin_cannot_see_or_add_users(world: World) -> None:
    admin, stranger = world.company(Role.ADMIN), world.company(Role.ADMIN)
    before = users_of(world, admin)
    body = {"name": "Mallory", "email": "mallory@evil.example", "roles": ["admin"]}
    path = f"/v1/parties/{admin.party_id}/users"
    assert_problem(world.client.post(path, json=body, headers=stranger.headers), 404)
    assert_problem(world.client.get(path, headers=stranger.headers), 404)
    assert users_of(world, admin) == before


def test_a_sales_user_cannot_manage_its_own_party_s_users(world: World) -> None:
    admin = world.company(Role.ADMIN)
    sales = world.user(admin.party_id, Role.SALES)
    before = users_of(world, admin)
    body = {"name": "Sam", "email": "sam@company.example", "roles": ["admin"]}
    path = f"/v1/parties/{admin.party_id}/users"
    assert_problem(world.client.post(path, json=body, headers=sales.headers), 403)
    assert_problem(world.client.get(path, headers=sales.headers), 403)
    assert users_of(world, admin) == before


# --- tokens -----------------------------------------------------------------------------------


def issue(world: World, caller: Caller, user_id: str, label: str = "laptop") -> Response:
    return world.client.post(
        f"/v1/users/{user_id}/tokens", json={"label": label}, headers=caller.headers
    )


def revoke(world: World, caller: Caller, user_id: str, token_id: str) -> Response:
    return world.client.delete(f"/v1/users/{user_id}/tokens/{token_id}", headers=caller.headers)


def test_a_user_issues_itself_a_token_and_revoking_it_locks_it_out_at_once(world: World) -> None:
    sales = world.company(Role.SALES)
    issued = issue(world, sales, sales.user_id)
    assert issued.status_code == 201, issued.text
    token, token_id = issued.json()["token"], issued.json()["token_id"]
    assert me(world, token).json()["user"]["id"] == sales.user_id
    assert revoke(world, sales, sales.user_id, token_id).status_code == 204
    locked_out = me(world, token)
    assert_problem(locked_out, 401)
    assert me(world, sales.token).status_code == 200  # the user's other token still works
    tokens = {t["token_id"]: t for t in me(world, sales.token).json()["user"]["tokens"]}
    assert tokens[token_id]["label"] == "laptop"
    assert tokens[token_id]["revoked_at"] is not None


def test_a_party_admin_revokes_a_colleague_s_token(world: World) -> None:
    admin = world.company(Role.ADMIN)
    sales = world.user(admin.party_id, Role.SALES)
    [first] = me(world, sales.token).json()["user"]["tokens"]
    assert revoke(world, admin, sales.user_id, first["token_id"]).status_code == 204
    assert_problem(me(world, sales.token), 401)
    assert_problem(revoke(world, admin, sales.user_id, first["token_id"]), 422)


def test_a_party_admin_issues_a_token_for_a_colleague(world: World) -> None:
    admin = world.company(Role.ADMIN)
    sales = world.user(admin.party_id, Role.SALES)
    issued = issue(world, admin, sales.user_id, label="handover")
    assert issued.status_code == 201, issued.text
    assert me(world, issued.json()["token"]).json()["user"]["id"] == sales.user_id


def test_a_token_is_issued_without_a_label(world: World) -> None:
    sales = world.company(Role.SALES)
    issued = world.client.post(f"/v1/users/{sales.user_id}/tokens", headers=sales.headers)
    assert issued.status_code == 201, issued.text
    assert me(world, issued.json()["token"]).status_code == 200


def test_tokens_of_other_users_are_out_of_reach_without_admin_rights(world: World) -> None:
    admin = world.company(Role.ADMIN)
    colleague = world.user(admin.party_id, Role.SALES)
    sales = world.user(admin.party_id, Role.SALES)
    stranger = world.company(Role.ADMIN)
    [token] = me(world, colleague.token).json()["user"]["tokens"]
    assert_problem(issue(world, stranger, colleague.user_id), 404)
    assert_problem(revoke(world, stranger, colleague.user_id, token["token_id"]), 404)
    assert_problem(issue(world, sales, colleague.user_id), 403)
    assert_problem(revoke(world, sales, colleague.user_id, token["token_id"]), 403)
    assert me(world, colleague.token).json()["user"]["tokens"] == [token]


def test_revoking_an_unknown_token_is_not_found(world: World) -> None:
    sales = world.company(Role.SALES)
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_problem(revoke(world, sales, sales.user_id, unknown), 404)


# --- who am I, and who is not anyone ----------------------------------------------------------


def test_me_tells_a_network_admin_apart_from_other_users(world: World) -> None:
    admin, sales = network_admin(world), world.company(Role.SALES)
    admin_view, sales_view = me(world, admin.token).json(), me(world, sales.token).json()
    assert admin_view["network_admin"] is True
    assert admin_view["party"]["network_operator"] is True
    assert admin_view["user"]["roles"] == ["admin"]
    assert sales_view["network_admin"] is False
    assert sales_view["user"]["roles"] == ["sales"]
    assert sales_view["party"]["id"] == sales.party_id


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer csl_not-a-token", "Basic dXNlcjpwYXNz", "Bearer", "csl_without-scheme"],
    ids=["missing", "unknown", "basic", "empty bearer", "no scheme"],
)
def test_a_request_without_a_valid_token_is_unauthenticated(
    world: World, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for path in ("/v1/me", "/v1/parties", "/v1/opportunities", "/v1/partnerships"):
        refused = world.client.get(path, headers=headers)
        assert_problem(refused, 401)
        assert refused.headers["WWW-Authenticate"] == "Bearer"
