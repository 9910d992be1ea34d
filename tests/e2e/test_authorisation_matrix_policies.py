"""Who may read and change a sharing policy: every policy endpoint x role x whose policy it is.

Written out by hand from the rules: only security admins change a policy, and only their own
company's; security admins, auditors and admins read their own company's rules and history;
nobody reads or changes another company's policy (403, and nothing changes). The field
catalogue is the same for everyone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from api.app import create_app
from api.bootstrap import build_network
from api.routers import policies
from api.settings import Settings
from ecosystem.actors import Role
from tests.consistent import ConsistentClient
from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response

ROLES = ("admin", "partner_manager", "sales", "security_admin", "auditor")
# own: owner_party_id left out; own, named: set to the caller's party; other: another company's.
WHOSE = ("own", "own, named", "other")

# name: (method, path, query, body). "@rule" is a rule already in the policy, "@other" a party
# other than the policy's owner. owner_party_id goes in the body of a POST, else in the query.
ENDPOINTS: dict[str, tuple[str, str, dict[str, str], dict[str, Any] | None]] = {
    "fields": ("GET", "/v1/policies/fields", {}, None),
    "rules": ("GET", "/v1/policies/rules", {}, None),
    "rules as of": ("GET", "/v1/policies/rules", {"as_of": "2999-01-01T00:00:00Z"}, None),
    "rule": ("GET", "/v1/policies/rules/@rule", {}, None),
    "add rule": ("POST", "/v1/policies/rules", {}, {"viewer": "partners", "field": "products"}),
    "remove rule": ("DELETE", "/v1/policies/rules/@rule", {}, None),
    "preset": ("POST", "/v1/policies/presets", {}, {"viewer": "invited", "preset": "hidden"}),
    "add tier member": ("POST", "/v1/policies/tiers/silver/members", {}, {"party_id": "@other"}),
    "remove tier member": ("DELETE", "/v1/policies/tiers/gold/members/@other", {}, None),
    "history": ("GET", "/v1/policies/history", {}, None),
    "simulate": ("POST", "/v1/policies/simulate", {}, {
        "viewer_party_id": "@other",
        "change": {"op": "apply_preset", "viewer": "partners", "preset": "full"},
    }),
}  # fmt: skip

# fmt: off
EXPECTED: dict[tuple[str, str], tuple[int, int, int]] = {
    # endpoint             role                 own  own,named other
    ("fields",             "admin"):            (200, 200, 200),
    ("fields",             "partner_manager"):  (200, 200, 200),
    ("fields",             "sales"):            (200, 200, 200),
    ("fields",             "security_admin"):   (200, 200, 200),
    ("fields",             "auditor"):          (200, 200, 200),
    ("rules",              "admin"):            (200, 200, 403),
    ("rules",              "partner_manager"):  (403, 403, 403),
    ("rules",              "sales"):            (403, 403, 403),
    ("rules",              "security_admin"):   (200, 200, 403),
    ("rules",              "auditor"):          (200, 200, 403),
    ("rules as of",        "admin"):            (200, 200, 403),
    ("rules as of",        "partner_manager"):  (403, 403, 403),
    ("rules as of",        "sales"):            (403, 403, 403),
    ("rules as of",        "security_admin"):   (200, 200, 403),
    ("rules as of",        "auditor"):          (200, 200, 403),
    ("rule",               "admin"):            (200, 200, 403),
    ("rule",               "partner_manager"):  (403, 403, 403),
    ("rule",               "sales"):            (403, 403, 403),
    ("rule",               "security_admin"):   (200, 200, 403),
    ("rule",               "auditor"):          (200, 200, 403),
    ("add rule",           "admin"):            (403, 403, 403),
    ("add rule",           "partner_manager"):  (403, 403, 403),
    ("add rule",           "sales"):            (403, 403, 403),
    ("add rule",           "security_admin"):   (201, 201, 403),
    ("add rule",           "auditor"):          (403, 403, 403),
    ("remove rule",        "admin"):            (403, 403, 403),
    ("remove rule",        "partner_manager"):  (403, 403, 403),
    ("remove rule",        "sales"):            (403, 403, 403),
    ("remove rule",        "security_admin"):   (204, 204, 403),
    ("remove rule",        "auditor"):          (403, 403, 403),
    ("preset",             "admin"):            (403, 403, 403),
    ("preset",             "partner_manager"):  (403, 403, 403),
    ("preset",             "sales"):            (403, 403, 403),
    ("preset",             "security_admin"):   (200, 200, 403),
    ("preset",             "auditor"):          (403, 403, 403),
    ("add tier member",    "admin"):            (403, 403, 403),
    ("add tier member",    "partner_manager"):  (403, 403, 403),
    ("add tier member",    "sales"):            (403, 403, 403),
    ("add tier member",    "security_admin"):   (200, 200, 403),
    ("add tier member",    "auditor"):          (403, 403, 403),
    ("remove tier member", "admin"):            (403, 403, 403),
    ("remove tier member", "partner_manager"):  (403, 403, 403),
    ("remove tier member", "sales"):            (403, 403, 403),
    ("remove tier member", "security_admin"):   (200, 200, 403),
    ("remove tier member", "auditor"):          (403, 403, 403),
    ("history",            "admin"):            (200, 200, 403),
    ("history",            "partner_manager"):  (403, 403, 403),
    ("history",            "sales"):            (403, 403, 403),
    ("history",            "security_admin"):   (200, 200, 403),
    ("history",            "auditor"):          (200, 200, 403),
    ("simulate",           "admin"):            (403, 403, 403),
    ("simulate",           "partner_manager"):  (403, 403, 403),
    ("simulate",           "sales"):            (403, 403, 403),
    ("simulate",           "security_admin"):   (200, 200, 403),
    ("simulate",           "auditor"):          (403, 403, 403),
}
# fmt: on
WRITES = {"add rule", "remove rule", "preset", "add tier member", "remove tier member"}

CASES = [
    pytest.param(endpoint, role, whose, status, id=f"{endpoint}-{role}-{whose}")
    for (endpoint, role), statuses in EXPECTED.items()
    for whose, status in zip(WHOSE, statuses, strict=True)
]


@dataclass
class Scene:
    """A caller, the company whose policy it asks about, and that policy as it stood."""

    caller: Caller
    owner: Caller  # the policy's company, through its security admin
    other: str  # a party other than the policy's owner
    rule_id: str

    def snapshot(self, world: World) -> tuple[dict[str, Any], int]:
        """The policy (rules, tiers, version) and the length of its history."""
        rules = world.client.get("/v1/policies/rules", headers=self.owner.headers)
        changes = world.client.get("/v1/policies/history", headers=self.owner.headers)
        assert rules.status_code == changes.status_code == 200, (rules.text, changes.text)
        return rules.json(), len(changes.json()["changes"])


@pytest.fixture(scope="module")
def policy_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url = f"sqlite:///{tmp_path_factory.mktemp('policy-matrix') / 'cosell.db'}"
    network = build_network(Settings(database_url=url))
    with ConsistentClient(create_app(Settings(), network=network), network) as client:
        yield World(network, client)
    network.close()


def scene(world: World, role: str, whose: str) -> Scene:
    """Fresh companies; the policy asked about holds one rule and one tier member."""
    caller = world.company(Role(role))
    stranger = world.company()
    owner, other = (caller, stranger) if whose.startswith("own") else (stranger, caller)
    admin = world.security_admin(owner)
    rule = {"viewer": "partners", "field": "expected_amount"}
    added = world.client.post("/v1/policies/rules", json=rule, headers=admin.headers)
    assert added.status_code == 201, added.text
    member = {"party_id": other.party_id}
    tiered = world.client.post(
        "/v1/policies/tiers/gold/members", json=member, headers=admin.headers
    )
    assert tiered.status_code == 200, tiered.text
    return Scene(caller, admin, other.party_id, added.json()["rule_id"])


def send(world: World, staged: Scene, endpoint: str, whose: str) -> Response:
    method, path, query, body = ENDPOINTS[endpoint]
    path = path.replace("@rule", staged.rule_id).replace("@other", staged.other)
    named = {} if whose == "own" else {"owner_party_id": staged.owner.party_id}
    if body is not None:
        body = {k: staged.other if v == "@other" else v for k, v in {**body, **named}.items()}
    else:
        query = {**query, **named}
    headers = staged.caller.headers
    return world.client.request(method, path, params=query, json=body, headers=headers)


def test_the_table_covers_every_policy_endpoint_and_every_role() -> None:
    routes = {
        (method, route.path) for route in policies.router.routes
        for method in getattr(route, "methods", ())
    }  # fmt: skip
    listed = {(method, path) for method, path, _, _ in ENDPOINTS.values()}
    named = {
        (m, p.replace("@rule", "{rule_id}").replace("silver", "{tier}").replace("gold", "{tier}")
         .replace("@other", "{party_id}")) for m, p in listed
    }  # fmt: skip
    assert routes == named
    assert set(EXPECTED) == {(endpoint, role) for endpoint in ENDPOINTS for role in ROLES}


@pytest.mark.parametrize(("endpoint", "role", "whose", "expected"), CASES)
def test_each_role_gets_the_status_its_standing_on_the_policy_allows(
    policy_world: World, endpoint: str, role: str, whose: str, expected: int
) -> None:
    world = policy_world
    staged = scene(world, role, whose)
    before, changes_before = staged.snapshot(world)
    response = send(world, staged, endpoint, whose)
    assert response.status_code == expected, response.text
    after, changes_after = staged.snapshot(world)
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
        assert (after, changes_after) == (before, changes_before), "a refusal changes nothing"
    elif endpoint in WRITES:
        assert after["version"] == before["version"] + 1
        assert changes_after == changes_before + 1
    else:
        assert (after, changes_after) == (before, changes_before)
    if expected == 200 and endpoint in ("rules", "rules as of", "history", "simulate"):
        assert response.json()["owner_party_id"] == staged.owner.party_id
    if expected == 200 and endpoint == "rule":
        assert response.json()["rule_id"] == staged.rule_id
