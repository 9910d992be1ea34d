"""Who may do what to a joint solution or a co-funding plan: endpoint x role x relation to it.

Written out by hand from the domain rules, not derived from the capability table: outsiders
(the owner's partners who were not invited) get 404 everywhere, never 403; a role without the
capability a command needs gets 403 (`sell` for every solution command and a plan's sharing and
fund requests, `manage_funds` for a plan's details and money decisions); a participant trying
an owner-only or funder-only command gets 403, so does an invitee that has not accepted yet
(but a fund request it may not see is answered as an unknown one, 422), and
answering an invitation your party does not hold is 422. A refused request writes nothing.

The partner is an accepted builder of the solution, and an accepted funder of the plan with a
commitment and half of its activity; the invitee is a pending builder or funder; the owner is a
builder too. Each case that changes the object gets a fresh one, saved in one go through the
network application; reads and refusals share one.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

import pytest

from api.app import create_app
from api.bootstrap import build_network
from api.routers import funding_plans, solutions
from api.settings import Settings
from ecosystem.actors import Actor, Role
from ecosystem.funding.domainmodel import CoFundingPlan
from ecosystem.money import Money
from ecosystem.solutions.domainmodel import JointSolution
from tests.conftest import _truncate_all
from tests.consistent import ConsistentClient
from tests.e2e.conftest import Caller, World

if TYPE_CHECKING:
    from httpx2 import Response

ROLES = ("admin", "partner_manager", "sales", "security_admin", "auditor")
RELATIONS = ("owner", "partner", "invited", "non_participant")
SOLUTION, SOLUTION_ITEM = "/v1/solutions/{solution_id}", "/v1/solutions/{object_id}"
PLAN, PLAN_ITEM = "/v1/funding-plans/{plan_id}", "/v1/funding-plans/{object_id}"


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


SHARES = [{"party_id": "@owner", "percent": 50}, {"party_id": "@partner", "percent": 50}]

# name: (method, route, whose party fills {party_id}, body). "@x" in a body is the id of x.
Endpoint = tuple[str, str, str, dict[str, Any] | None]
ENDPOINTS: dict[str, dict[str, Endpoint]] = {
    "solution": {
        "read": ("GET", SOLUTION_ITEM, "", None),
        "events": ("GET", SOLUTION_ITEM + "/events", "", None),
        "update": ("PATCH", SOLUTION, "", {"name": "Renamed solution"}),
        "counterpart": ("PATCH", SOLUTION_ITEM + "/counterpart", "", {"crm_reference": "C-1"}),
        "invite": ("POST", SOLUTION_ITEM + "/invitations", "",
                   {"party_id": "@spare", "role": "integrator"}),
        "accept": ("POST", SOLUTION_ITEM + "/invitations/{party_id}/accept", "me", None),
        "decline": ("POST", SOLUTION_ITEM + "/invitations/{party_id}/decline", "me",
                    {"reason": "busy"}),
        "withdraw partner": ("POST", SOLUTION_ITEM + "/invitations/{party_id}/withdraw",
                             "partner", None),
        "sign-off": ("POST", SOLUTION + "/sign-off", "", None),
        "lifecycle": ("POST", SOLUTION + "/lifecycle", "", {"to": "Retired"}),
        "add component": ("POST", SOLUTION + "/components", "", {"name": "Connector"}),
        "link": ("POST", SOLUTION_ITEM + "/links", "", {"opportunity_id": "@deal"}),
    },
    "plan": {
        "read": ("GET", PLAN_ITEM, "", None),
        "events": ("GET", PLAN_ITEM + "/events", "", None),
        "update": ("PATCH", PLAN, "", {"objective": "More pipeline"}),
        "counterpart": ("PATCH", PLAN_ITEM + "/counterpart", "", {"budget_notes": "Q3"}),
        "invite": ("POST", PLAN_ITEM + "/invitations", "",
                   {"party_id": "@spare", "role": "partner"}),
        "accept": ("POST", PLAN_ITEM + "/invitations/{party_id}/accept", "me", None),
        "decline": ("POST", PLAN_ITEM + "/invitations/{party_id}/decline", "me",
                    {"reason": "busy"}),
        "commit funds": ("POST", PLAN + "/commitments", "", {"amount": eur("5000.00")}),
        "add activity": ("POST", PLAN + "/activities", "", {
            "kind": "event", "name": "Summit", "budget": eur("500.00"), "shares": SHARES}),
        "request funds": ("POST", PLAN + "/requests", "",
                          {"activity_id": "@activity", "amount": eur("100.00")}),
        "approve": ("POST", PLAN + "/requests/{request_id}/approve", "", None),
        "reject": ("POST", PLAN + "/requests/{request_id}/reject", "", {"reason": "No"}),
        "ask question": ("POST", PLAN + "/requests/{request_id}/questions", "",
                         {"reason": "Which audience?"}),
        "link": ("POST", PLAN_ITEM + "/links", "", {"opportunity_id": "@deal"}),
    },
}  # fmt: skip

# 204: the caller left the object (declined, or withdrew itself) and no longer sees it.
# fmt: off
EXPECTED: dict[tuple[str, str, str], tuple[int, int, int, int]] = {
    # object     endpoint            role                owner partner invited non_participant
    ("solution", "read",             "admin"):           (200, 200, 200, 404),
    ("solution", "read",             "partner_manager"): (200, 200, 200, 404),
    ("solution", "read",             "sales"):           (200, 200, 200, 404),
    ("solution", "read",             "security_admin"):  (200, 200, 200, 404),
    ("solution", "read",             "auditor"):         (200, 200, 200, 404),
    ("solution", "events",           "admin"):           (200, 200, 200, 404),
    ("solution", "events",           "partner_manager"): (200, 200, 200, 404),
    ("solution", "events",           "sales"):           (200, 200, 200, 404),
    ("solution", "events",           "security_admin"):  (200, 200, 200, 404),
    ("solution", "events",           "auditor"):         (200, 200, 200, 404),
    ("solution", "update",           "admin"):           (200, 403, 403, 404),
    ("solution", "update",           "partner_manager"): (200, 403, 403, 404),
    ("solution", "update",           "sales"):           (200, 403, 403, 404),
    ("solution", "update",           "security_admin"):  (403, 403, 403, 404),
    ("solution", "update",           "auditor"):         (403, 403, 403, 404),
    ("solution", "counterpart",      "admin"):           (200, 200, 403, 404),
    ("solution", "counterpart",      "partner_manager"): (200, 200, 403, 404),
    ("solution", "counterpart",      "sales"):           (200, 200, 403, 404),
    ("solution", "counterpart",      "security_admin"):  (403, 403, 403, 404),
    ("solution", "counterpart",      "auditor"):         (403, 403, 403, 404),
    ("solution", "invite",           "admin"):           (200, 403, 403, 404),
    ("solution", "invite",           "partner_manager"): (200, 403, 403, 404),
    ("solution", "invite",           "sales"):           (200, 403, 403, 404),
    ("solution", "invite",           "security_admin"):  (403, 403, 403, 404),
    ("solution", "invite",           "auditor"):         (403, 403, 403, 404),
    ("solution", "accept",           "admin"):           (422, 422, 200, 404),
    ("solution", "accept",           "partner_manager"): (422, 422, 200, 404),
    ("solution", "accept",           "sales"):           (422, 422, 200, 404),
    ("solution", "accept",           "security_admin"):  (403, 403, 403, 404),
    ("solution", "accept",           "auditor"):         (403, 403, 403, 404),
    ("solution", "decline",          "admin"):           (422, 422, 204, 404),
    ("solution", "decline",          "partner_manager"): (422, 422, 204, 404),
    ("solution", "decline",          "sales"):           (422, 422, 204, 404),
    ("solution", "decline",          "security_admin"):  (403, 403, 403, 404),
    ("solution", "decline",          "auditor"):         (403, 403, 403, 404),
    ("solution", "withdraw partner", "admin"):           (200, 204, 403, 404),
    ("solution", "withdraw partner", "partner_manager"): (200, 204, 403, 404),
    ("solution", "withdraw partner", "sales"):           (200, 204, 403, 404),
    ("solution", "withdraw partner", "security_admin"):  (403, 403, 403, 404),
    ("solution", "withdraw partner", "auditor"):         (403, 403, 403, 404),
    ("solution", "sign-off",         "admin"):           (200, 200, 403, 404),
    ("solution", "sign-off",         "partner_manager"): (200, 200, 403, 404),
    ("solution", "sign-off",         "sales"):           (200, 200, 403, 404),
    ("solution", "sign-off",         "security_admin"):  (403, 403, 403, 404),
    ("solution", "sign-off",         "auditor"):         (403, 403, 403, 404),
    ("solution", "lifecycle",        "admin"):           (200, 403, 403, 404),
    ("solution", "lifecycle",        "partner_manager"): (200, 403, 403, 404),
    ("solution", "lifecycle",        "sales"):           (200, 403, 403, 404),
    ("solution", "lifecycle",        "security_admin"):  (403, 403, 403, 404),
    ("solution", "lifecycle",        "auditor"):         (403, 403, 403, 404),
    ("solution", "add component",    "admin"):           (200, 200, 403, 404),
    ("solution", "add component",    "partner_manager"): (200, 200, 403, 404),
    ("solution", "add component",    "sales"):           (200, 200, 403, 404),
    ("solution", "add component",    "security_admin"):  (403, 403, 403, 404),
    ("solution", "add component",    "auditor"):         (403, 403, 403, 404),
    ("solution", "link",             "admin"):           (200, 200, 403, 404),
    ("solution", "link",             "partner_manager"): (200, 200, 403, 404),
    ("solution", "link",             "sales"):           (200, 200, 403, 404),
    ("solution", "link",             "security_admin"):  (403, 403, 403, 404),
    ("solution", "link",             "auditor"):         (403, 403, 403, 404),
    ("plan",     "read",             "admin"):           (200, 200, 200, 404),
    ("plan",     "read",             "partner_manager"): (200, 200, 200, 404),
    ("plan",     "read",             "sales"):           (200, 200, 200, 404),
    ("plan",     "read",             "security_admin"):  (200, 200, 200, 404),
    ("plan",     "read",             "auditor"):         (200, 200, 200, 404),
    ("plan",     "events",           "admin"):           (200, 200, 200, 404),
    ("plan",     "events",           "partner_manager"): (200, 200, 200, 404),
    ("plan",     "events",           "sales"):           (200, 200, 200, 404),
    ("plan",     "events",           "security_admin"):  (200, 200, 200, 404),
    ("plan",     "events",           "auditor"):         (200, 200, 200, 404),
    ("plan",     "update",           "admin"):           (200, 403, 403, 404),
    ("plan",     "update",           "partner_manager"): (200, 403, 403, 404),
    ("plan",     "update",           "sales"):           (403, 403, 403, 404),
    ("plan",     "update",           "security_admin"):  (403, 403, 403, 404),
    ("plan",     "update",           "auditor"):         (403, 403, 403, 404),
    ("plan",     "counterpart",      "admin"):           (200, 200, 403, 404),
    ("plan",     "counterpart",      "partner_manager"): (200, 200, 403, 404),
    ("plan",     "counterpart",      "sales"):           (200, 200, 403, 404),
    ("plan",     "counterpart",      "security_admin"):  (403, 403, 403, 404),
    ("plan",     "counterpart",      "auditor"):         (403, 403, 403, 404),
    ("plan",     "invite",           "admin"):           (200, 403, 403, 404),
    ("plan",     "invite",           "partner_manager"): (200, 403, 403, 404),
    ("plan",     "invite",           "sales"):           (200, 403, 403, 404),
    ("plan",     "invite",           "security_admin"):  (403, 403, 403, 404),
    ("plan",     "invite",           "auditor"):         (403, 403, 403, 404),
    ("plan",     "accept",           "admin"):           (422, 422, 200, 404),
    ("plan",     "accept",           "partner_manager"): (422, 422, 200, 404),
    ("plan",     "accept",           "sales"):           (422, 422, 200, 404),
    ("plan",     "accept",           "security_admin"):  (403, 403, 403, 404),
    ("plan",     "accept",           "auditor"):         (403, 403, 403, 404),
    ("plan",     "decline",          "admin"):           (422, 422, 204, 404),
    ("plan",     "decline",          "partner_manager"): (422, 422, 204, 404),
    ("plan",     "decline",          "sales"):           (422, 422, 204, 404),
    ("plan",     "decline",          "security_admin"):  (403, 403, 403, 404),
    ("plan",     "decline",          "auditor"):         (403, 403, 403, 404),
    ("plan",     "commit funds",     "admin"):           (200, 200, 403, 404),
    ("plan",     "commit funds",     "partner_manager"): (200, 200, 403, 404),
    ("plan",     "commit funds",     "sales"):           (403, 403, 403, 404),
    ("plan",     "commit funds",     "security_admin"):  (403, 403, 403, 404),
    ("plan",     "commit funds",     "auditor"):         (403, 403, 403, 404),
    ("plan",     "add activity",     "admin"):           (200, 200, 403, 404),
    ("plan",     "add activity",     "partner_manager"): (200, 200, 403, 404),
    ("plan",     "add activity",     "sales"):           (403, 403, 403, 404),
    ("plan",     "add activity",     "security_admin"):  (403, 403, 403, 404),
    ("plan",     "add activity",     "auditor"):         (403, 403, 403, 404),
    ("plan",     "request funds",    "admin"):           (200, 200, 403, 404),
    ("plan",     "request funds",    "partner_manager"): (200, 200, 403, 404),
    ("plan",     "request funds",    "sales"):           (200, 200, 403, 404),
    ("plan",     "request funds",    "security_admin"):  (403, 403, 403, 404),
    ("plan",     "request funds",    "auditor"):         (403, 403, 403, 404),
    ("plan",     "approve",          "admin"):           (200, 200, 422, 404),
    ("plan",     "approve",          "partner_manager"): (200, 200, 422, 404),
    ("plan",     "approve",          "sales"):           (403, 403, 403, 404),
    ("plan",     "approve",          "security_admin"):  (403, 403, 403, 404),
    ("plan",     "approve",          "auditor"):         (403, 403, 403, 404),
    ("plan",     "reject",           "admin"):           (200, 200, 422, 404),
    ("plan",     "reject",           "partner_manager"): (200, 200, 422, 404),
    ("plan",     "reject",           "sales"):           (403, 403, 403, 404),
    ("plan",     "reject",           "security_admin"):  (403, 403, 403, 404),
    ("plan",     "reject",           "auditor"):         (403, 403, 403, 404),
    ("plan",     "ask question",     "admin"):           (200, 200, 422, 404),
    ("plan",     "ask question",     "partner_manager"): (200, 200, 422, 404),
    ("plan",     "ask question",     "sales"):           (403, 403, 403, 404),
    ("plan",     "ask question",     "security_admin"):  (403, 403, 403, 404),
    ("plan",     "ask question",     "auditor"):         (403, 403, 403, 404),
    ("plan",     "link",             "admin"):           (200, 200, 403, 404),
    ("plan",     "link",             "partner_manager"): (200, 200, 403, 404),
    ("plan",     "link",             "sales"):           (200, 200, 403, 404),
    ("plan",     "link",             "security_admin"):  (403, 403, 403, 404),
    ("plan",     "link",             "auditor"):         (403, 403, 403, 404),
}
# fmt: on
COLLECTION = {"solution": "/v1/solutions", "plan": "/v1/funding-plans"}
NOT_FOUND = {"solution": "no solution with id", "plan": "no funding plan with id"}

CASES = [
    pytest.param(kind, endpoint, role, relation, status, id=f"{kind}-{endpoint}-{role}-{relation}")
    for (kind, endpoint, role), statuses in EXPECTED.items()
    for relation, status in zip(RELATIONS, statuses, strict=True)
]


@dataclass(frozen=True)
class Target:
    """A solution or plan as built, and the ids a route or body may name."""

    id: UUID
    version: int
    activity_id: UUID | None = None
    request_id: UUID | None = None


@dataclass
class Cast:
    """Five companies around the owner's objects, each relation with one user per role."""

    world: World
    companies: dict[str, Caller]  # relation or "spare" -> the company's admin, for set-up
    users: dict[tuple[str, str], Caller]
    deal_id: str  # a deal the owner, partner, invitee and non-participant all take part in
    kept: dict[str, Target] = field(default_factory=dict)  # shared by reads and refusals

    def actor(self, relation: str) -> Actor:
        company = self.companies[relation]
        return Actor(UUID(company.party_id), UUID(company.user_id))

    def target(self, kind: str, fresh: bool) -> Target:
        if fresh:
            return self.build(kind)
        if kind not in self.kept:
            self.kept[kind] = self.build(kind)
        return self.kept[kind]

    def build(self, kind: str) -> Target:
        """An object of the owner's, saved at once: the partner accepted, the invitee pending."""
        owner, partner, invited = (self.actor(r) for r in RELATIONS[:3])
        found: JointSolution | CoFundingPlan
        if kind == "solution":
            found = JointSolution.propose(owner.party_id, "builder", {"name": "Joint"}, owner)
        else:
            found = CoFundingPlan.create(owner.party_id, "EUR", {"name": "Launch fund"}, owner)
        for party in (partner, invited):
            found.invite(party.party_id, "builder" if kind == "solution" else "funder", owner, True)
        found.accept_invitation(partner)
        activity_id, request_id = uuid4(), uuid4()
        if isinstance(found, JointSolution):
            found.move("In Development", owner)
        else:
            for funder in (owner, partner):
                found.commit_funds(Money.of("1000.00", "EUR"), funder)
            shares = {owner.party_id: Decimal(50), partner.party_id: Decimal(50)}
            budget = Money.of("1000.00", "EUR")
            found.add_activity(activity_id, "campaign", "Launch", budget, shares, owner)
            found.request_funds(request_id, activity_id, Money.of("200.00", "EUR"), "Ads", partner)
        self.world.network.save(found)
        return Target(found.id, found.version, activity_id, request_id)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def cast(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cast]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'cosell.db'}"
    else:
        url = request.getfixturevalue("postgres_database")
        _truncate_all(url)
    network = build_network(Settings(database_url=url))
    with ConsistentClient(create_app(Settings(), network=network), network) as client:
        world = World(network, client)
        companies = {relation: world.company() for relation in (*RELATIONS, "spare")}
        owner = companies["owner"]
        # The non-participant is an active partner of the owner too, and on the same deal:
        # neither must reveal the owner's solutions and plans.
        deal = world.opportunity(owner)
        for relation in ("partner", "invited", "non_participant", "spare"):
            world.partners(owner, companies[relation])
        invitations = f"/v1/opportunities/{deal['id']}/invitations"
        for party in (companies[r] for r in ("partner", "invited", "non_participant")):
            invite = {"party_id": party.party_id}
            invited = client.post(invitations, json=invite, headers=owner.headers)
            assert invited.status_code == 200, invited.text
            url = f"{invitations}/{party.party_id}/accept"
            accepted = client.post(url, headers=party.headers)
            assert accepted.status_code == 200, accepted.text
        users = {
            (relation, role): world.user(companies[relation].party_id, Role(role))
            for relation in RELATIONS
            for role in ROLES
        }
        yield Cast(world, companies, users, deal["id"])
    network.close()


def send(cast: Cast, caller: Caller, kind: str, endpoint: str, target: Target) -> Response:
    method, route, whose, body = ENDPOINTS[kind][endpoint]
    ids = {r: c.party_id for r, c in cast.companies.items()}
    ids.update(me=caller.party_id, deal=cast.deal_id, activity=str(target.activity_id))
    url = route.format(
        solution_id=target.id, plan_id=target.id, object_id=target.id,
        party_id=ids.get(whose, ""), request_id=target.request_id,
    )  # fmt: skip
    if body is not None:
        body = {k: _filled(v, ids) for k, v in body.items()}
    headers = {**caller.headers, "If-Match": f'"{target.version}"'}
    return cast.world.client.request(method, url, json=body, headers=headers)


def _filled(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, list):
        return [{k: _filled(v, ids) for k, v in item.items()} for item in value]
    return ids[value[1:]] if isinstance(value, str) and value.startswith("@") else value


def test_the_table_names_real_routes_and_every_role_of_each() -> None:
    for kind, router in (("solution", solutions.router), ("plan", funding_plans.router)):
        routes = {
            (m, getattr(r, "path", "")) for r in router.routes for m in getattr(r, "methods", ())
        }
        assert {(m, r) for m, r, _, _ in ENDPOINTS[kind].values()} <= routes
    named = {(k, e, r) for k, endpoints in ENDPOINTS.items() for e in endpoints for r in ROLES}
    assert set(EXPECTED) == named


# Listing scans every object; these run before the matrix fills the store.
@pytest.mark.parametrize("relation", RELATIONS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", ENDPOINTS)
def test_every_role_lists_exactly_the_objects_its_party_takes_part_in(
    cast: Cast, kind: str, role: str, relation: str
) -> None:
    target = cast.target(kind, fresh=False)
    page = cast.world.client.get(COLLECTION[kind], headers=cast.users[relation, role].headers)
    assert page.status_code == 200, page.text
    listed = {item["id"] for item in page.json()["items"]}
    assert (str(target.id) in listed) is (relation != "non_participant")


@pytest.mark.parametrize(("kind", "endpoint", "role", "relation", "expected"), CASES)
def test_each_role_gets_the_status_its_relation_to_the_object_allows(
    cast: Cast, kind: str, endpoint: str, role: str, relation: str, expected: int
) -> None:
    method = ENDPOINTS[kind][endpoint][0]
    target = cast.target(kind, fresh=expected < 400 and method != "GET")
    before = cast.world.network.log_position
    response = send(cast, cast.users[relation, role], kind, endpoint, target)
    wrote = cast.world.network.log_position != before
    if wrote:
        cast.kept.pop(kind, None)
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
        assert not wrote, "a refused request must write nothing"
        if expected == 404:  # the object's own 404, not an unknown route or id in the body
            assert NOT_FOUND[kind] in response.json()["detail"]
    elif method == "GET":
        assert not wrote
        assert response.json()[("id" if endpoint == "read" else "object_id")] == str(target.id)
    else:
        assert cast.world.network.repository.get(target.id).version == target.version + 1
