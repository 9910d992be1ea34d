"""Who may do what to a shared opportunity: every endpoint x role x the caller's relation to it.

The expected statuses are written out by hand from the domain rules, not derived from the
capability table: non-participants get 404 everywhere (never 403), a role without the `sell`
capability gets 403 on every command, a participant trying an owner-only command gets 403, and
answering an invitation your party does not hold is 422. A refused request writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from api.app import create_app
from api.bootstrap import build_network
from api.routers import opportunities
from api.settings import Settings
from ecosystem.actors import Role
from tests.consistent import ConsistentClient
from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response

ROLES = ("admin", "partner_manager", "sales", "security_admin", "auditor")
RELATIONS = ("owner", "partner", "invited", "non_participant")
ITEM = "/v1/opportunities/{opportunity_id}"

# name: (method, route, whose party fills {party_id}, body). "@spare" in a body is a party id.
ENDPOINTS: dict[str, tuple[str, str, str, dict[str, Any] | None]] = {
    "read": ("GET", ITEM, "", None),
    "events": ("GET", ITEM + "/events", "", None),
    "update": ("PATCH", ITEM, "", {"title": "Renamed deal"}),
    "update granted": ("PATCH", ITEM, "", {"next_steps": "Workshop"}),
    "counterpart": ("PATCH", ITEM + "/counterpart", "", {"crm_reference": "CRM-42"}),
    "invite": ("POST", ITEM + "/invitations", "", {"party_id": "@spare", "role": "reseller"}),
    "accept": ("POST", ITEM + "/invitations/{party_id}/accept", "me", None),
    "decline": ("POST", ITEM + "/invitations/{party_id}/decline", "me", {"reason": "busy"}),
    "withdraw partner": ("POST", ITEM + "/invitations/{party_id}/withdraw", "partner", None),
    "withdraw invitee": ("POST", ITEM + "/invitations/{party_id}/withdraw", "invited", None),
    "withdraw owner": ("POST", ITEM + "/invitations/{party_id}/withdraw", "owner", None),
    "stage": ("POST", ITEM + "/stage", "", {"stage": "Qualified"}),
    "note": ("POST", ITEM + "/notes", "", {"text": "Met the CIO."}),
    "close": ("POST", ITEM + "/close", "", {"outcome": "won"}),
}

# "update granted" changes next_steps, which the owner granted every other company to write:
# only the caller's role and relation can refuse it. Nobody was granted `title` ("update").
# 204: the caller left the deal (declined, or withdrew itself) and no longer sees it.
# fmt: off
EXPECTED: dict[tuple[str, str], tuple[int, int, int, int]] = {
    # endpoint           role                 owner partner invited non_participant
    ("read",             "admin"):            (200, 200, 200, 404),
    ("read",             "partner_manager"):  (200, 200, 200, 404),
    ("read",             "sales"):            (200, 200, 200, 404),
    ("read",             "security_admin"):   (200, 200, 200, 404),
    ("read",             "auditor"):          (200, 200, 200, 404),
    ("events",           "admin"):            (200, 200, 200, 404),
    ("events",           "partner_manager"):  (200, 200, 200, 404),
    ("events",           "sales"):            (200, 200, 200, 404),
    ("events",           "security_admin"):   (200, 200, 200, 404),
    ("events",           "auditor"):          (200, 200, 200, 404),
    ("update",           "admin"):            (200, 403, 403, 404),
    ("update",           "partner_manager"):  (200, 403, 403, 404),
    ("update",           "sales"):            (200, 403, 403, 404),
    ("update",           "security_admin"):   (403, 403, 403, 404),
    ("update",           "auditor"):          (403, 403, 403, 404),
    ("update granted",   "admin"):            (200, 200, 403, 404),
    ("update granted",   "partner_manager"):  (200, 200, 403, 404),
    ("update granted",   "sales"):            (200, 200, 403, 404),
    ("update granted",   "security_admin"):   (403, 403, 403, 404),
    ("update granted",   "auditor"):          (403, 403, 403, 404),
    ("counterpart",      "admin"):            (200, 200, 403, 404),
    ("counterpart",      "partner_manager"):  (200, 200, 403, 404),
    ("counterpart",      "sales"):            (200, 200, 403, 404),
    ("counterpart",      "security_admin"):   (403, 403, 403, 404),
    ("counterpart",      "auditor"):          (403, 403, 403, 404),
    ("invite",           "admin"):            (200, 403, 403, 404),
    ("invite",           "partner_manager"):  (200, 403, 403, 404),
    ("invite",           "sales"):            (200, 403, 403, 404),
    ("invite",           "security_admin"):   (403, 403, 403, 404),
    ("invite",           "auditor"):          (403, 403, 403, 404),
    ("accept",           "admin"):            (422, 422, 200, 404),
    ("accept",           "partner_manager"):  (422, 422, 200, 404),
    ("accept",           "sales"):            (422, 422, 200, 404),
    ("accept",           "security_admin"):   (403, 403, 403, 404),
    ("accept",           "auditor"):          (403, 403, 403, 404),
    ("decline",          "admin"):            (422, 422, 204, 404),
    ("decline",          "partner_manager"):  (422, 422, 204, 404),
    ("decline",          "sales"):            (422, 422, 204, 404),
    ("decline",          "security_admin"):   (403, 403, 403, 404),
    ("decline",          "auditor"):          (403, 403, 403, 404),
    ("withdraw partner", "admin"):            (200, 204, 403, 404),
    ("withdraw partner", "partner_manager"):  (200, 204, 403, 404),
    ("withdraw partner", "sales"):            (200, 204, 403, 404),
    ("withdraw partner", "security_admin"):   (403, 403, 403, 404),
    ("withdraw partner", "auditor"):          (403, 403, 403, 404),
    ("withdraw invitee", "admin"):            (200, 403, 204, 404),
    ("withdraw invitee", "partner_manager"):  (200, 403, 204, 404),
    ("withdraw invitee", "sales"):            (200, 403, 204, 404),
    ("withdraw invitee", "security_admin"):   (403, 403, 403, 404),
    ("withdraw invitee", "auditor"):          (403, 403, 403, 404),
    ("withdraw owner",   "admin"):            (422, 403, 403, 404),
    ("withdraw owner",   "partner_manager"):  (422, 403, 403, 404),
    ("withdraw owner",   "sales"):            (422, 403, 403, 404),
    ("withdraw owner",   "security_admin"):   (403, 403, 403, 404),
    ("withdraw owner",   "auditor"):          (403, 403, 403, 404),
    ("stage",            "admin"):            (200, 403, 403, 404),
    ("stage",            "partner_manager"):  (200, 403, 403, 404),
    ("stage",            "sales"):            (200, 403, 403, 404),
    ("stage",            "security_admin"):   (403, 403, 403, 404),
    ("stage",            "auditor"):          (403, 403, 403, 404),
    ("note",             "admin"):            (200, 200, 403, 404),
    ("note",             "partner_manager"):  (200, 200, 403, 404),
    ("note",             "sales"):            (200, 200, 403, 404),
    ("note",             "security_admin"):   (403, 403, 403, 404),
    ("note",             "auditor"):          (403, 403, 403, 404),
    ("close",            "admin"):            (200, 403, 403, 404),
    ("close",            "partner_manager"):  (200, 403, 403, 404),
    ("close",            "sales"):            (200, 403, 403, 404),
    ("close",            "security_admin"):   (403, 403, 403, 404),
    ("close",            "auditor"):          (403, 403, 403, 404),
}
REGISTER = {"admin": 201, "partner_manager": 201, "sales": 201,
            "security_admin": 403, "auditor": 403}
LISTED = {"owner": True, "partner": True, "invited": True, "non_participant": False}
# fmt: on

CASES = [
    pytest.param(endpoint, role, relation, status, id=f"{endpoint}-{role}-{relation}")
    for (endpoint, role), statuses in EXPECTED.items()
    for relation, status in zip(RELATIONS, statuses, strict=True)
]


@dataclass
class Cast:
    """Four companies around the owner's deals, each with one user per role."""

    world: World
    companies: dict[str, Caller]  # relation -> the company's admin + sales user, for set-up
    spare: Caller  # an active partner of the owner, not on the deal: the one to invite
    users: dict[tuple[str, str], Caller]

    def deal(self) -> dict[str, Any]:
        """A fresh deal of the owner's, with the partner accepted and the invitee pending."""
        owner, partner, invitee = (self.companies[r] for r in RELATIONS[:3])
        deal = self.world.opportunity(owner)
        url = f"/v1/opportunities/{deal['id']}/invitations"
        for party in (partner, invitee):
            invited = self.world.client.post(
                url, json={"party_id": party.party_id}, headers=owner.headers
            )
            assert invited.status_code == 200, invited.text
        accepted = self.world.client.post(
            f"{url}/{partner.party_id}/accept", headers=partner.headers
        )
        assert accepted.status_code == 200, accepted.text
        return self.owner_view(deal)

    def owner_view(self, deal: dict[str, Any]) -> dict[str, Any]:
        seen = self.world.client.get(
            f"/v1/opportunities/{deal['id']}", headers=self.companies["owner"].headers
        )
        assert seen.status_code == 200, seen.text
        view: dict[str, Any] = seen.json()
        return view


@pytest.fixture(scope="module")
def cast(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cast]:
    url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'cosell.db'}"
    network = build_network(Settings(database_url=url))
    with ConsistentClient(create_app(Settings(), network=network), network) as client:
        world = World(network, client)
        companies = {relation: world.company() for relation in RELATIONS}
        spare = world.company()
        # The non-participant is an active partner of the owner too: partnership alone
        # must not reveal a deal.
        for company in (*(companies[r] for r in RELATIONS[1:]), spare):
            world.partners(companies["owner"], company)
        admin = world.security_admin(companies["owner"])
        for other in RELATIONS[1:]:
            grant = {"viewer": f"party:{companies[other].party_id}", "field": "next_steps",
                     "action": "write"}  # fmt: skip
            granted = client.post("/v1/policies/rules", json=grant, headers=admin.headers)
            assert granted.status_code == 201, granted.text
        users = {
            (relation, role): world.user(company.party_id, Role(role))
            for relation, company in companies.items()
            for role in ROLES
        }
        yield Cast(world, companies, spare, users)
    network.close()


def send(cast: Cast, caller: Caller, endpoint: str, deal: dict[str, Any]) -> Response:
    method, route, whose, body = ENDPOINTS[endpoint]
    parties = {r: c.party_id for r, c in cast.companies.items()}
    parties.update(me=caller.party_id, spare=cast.spare.party_id)
    url = route.format(opportunity_id=deal["id"], party_id=parties.get(whose, ""))
    if body is not None:
        body = {k: parties[v[1:]] if str(v).startswith("@") else v for k, v in body.items()}
    headers = dict(caller.headers)
    if method == "PATCH":
        headers["If-Match"] = f'"{deal["version"]}"'
    return cast.world.client.request(method, url, json=body, headers=headers)


def every_listed(world: World, caller: Caller) -> list[dict[str, Any]]:
    """Every page of the caller's list (invitees' deals sort by id: they see no timestamps)."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 200}
    while True:
        page = world.client.get("/v1/opportunities", params=params, headers=caller.headers)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        if page.json()["next_cursor"] is None:
            return items
        params["cursor"] = page.json()["next_cursor"]


def test_the_table_covers_every_opportunity_endpoint_and_every_role() -> None:
    routes = {
        (method, route.path)
        for route in opportunities.router.routes
        for method in getattr(route, "methods", ())
    }
    listed = {(method, route) for method, route, _, _ in ENDPOINTS.values()}
    collection = {("GET", "/v1/opportunities"), ("POST", "/v1/opportunities")}
    assert routes == listed | collection
    assert set(EXPECTED) == {(endpoint, role) for endpoint in ENDPOINTS for role in ROLES}


# Listing reads every deal of the caller's; these run before the matrix fills the store.
@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("role", ROLES)
def test_every_role_lists_exactly_the_deals_its_party_takes_part_in(
    cast: Cast, role: str, relation: str
) -> None:
    deal = cast.deal()
    listed = {item["id"] for item in every_listed(cast.world, cast.users[relation, role])}
    assert (deal["id"] in listed) is LISTED[relation]


@pytest.mark.parametrize(("role", "expected"), REGISTER.items())
def test_only_selling_roles_register_deals(cast: Cast, role: str, expected: int) -> None:
    caller = cast.users["non_participant", role]
    title = f"Registered by {role}"
    body = {"title": title, "customer": {"name": f"Customer of {role}"}}
    response = cast.world.client.post("/v1/opportunities", json=body, headers=caller.headers)
    assert response.status_code == expected, response.text
    titles = [item.get("title") for item in every_listed(cast.world, caller)]
    assert titles.count(title) == (1 if expected == 201 else 0)


@pytest.mark.parametrize(("endpoint", "role", "relation", "expected"), CASES)
def test_each_role_gets_the_status_its_relation_to_the_deal_allows(
    cast: Cast, endpoint: str, role: str, relation: str, expected: int
) -> None:
    before = cast.deal()
    response = send(cast, cast.users[relation, role], endpoint, before)
    assert response.status_code == expected, response.text
    after = cast.owner_view(before)
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
        assert after == before, "a refused request must write nothing"
        if expected == 404:  # the deal's own 404, not an unknown route
            assert "no opportunity" in response.json()["detail"]
    elif ENDPOINTS[endpoint][0] == "GET":
        assert after == before
    else:
        assert after["version"] == before["version"] + 1


def test_former_participants_and_strangers_get_404_everywhere_on_each_store(
    world: World,
) -> None:
    owner, declined, withdrawn, stranger = (world.company() for _ in range(4))
    deal = world.shared(owner, declined, accept=False)
    world.shared(owner, withdrawn)  # makes them partners; the deal below is the one we test
    deal_url = f"/v1/opportunities/{deal['id']}"
    invite = {"party_id": withdrawn.party_id}
    invited = world.client.post(f"{deal_url}/invitations", json=invite, headers=owner.headers)
    assert invited.status_code == 200, invited.text
    for party, verb in ((declined, "decline"), (withdrawn, "accept"), (withdrawn, "withdraw")):
        answered = world.client.post(
            f"{deal_url}/invitations/{party.party_id}/{verb}", headers=party.headers
        )
        assert answered.status_code in (200, 204), answered.text
    before = world.client.get(deal_url, headers=owner.headers).json()
    companies = dict(zip(RELATIONS, (owner, withdrawn, declined, stranger), strict=True))
    cast = Cast(world, companies, stranger, {})
    for outsider in (declined, withdrawn, stranger):
        for role in (Role.SALES, Role.AUDITOR):  # 404 comes before any role check
            caller = world.user(outsider.party_id, role)
            for endpoint in ENDPOINTS:
                response = send(cast, caller, endpoint, before)
                assert response.status_code == 404, (endpoint, role, response.text)
                assert "no opportunity" in response.json()["detail"]
    assert world.client.get(deal_url, headers=owner.headers).json() == before
