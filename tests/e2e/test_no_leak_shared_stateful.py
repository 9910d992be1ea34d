"""No party reads what a policy denies on joint solutions and co-funding plans (Casbin judges)."""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import casbin
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings, stateful
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from ecosystem.actors import Actor, Principal, Role
from ecosystem.funding.fields import PLAN_LEAVES
from ecosystem.network import Network
from ecosystem.partnerships.domainmodel import partnership_id
from ecosystem.sharing.rules import OBJECT_PRESETS
from ecosystem.solutions.fields import SOLUTION_LEAVES
from tests.e2e.conftest import Caller, World

POLICIES = Path(__file__).resolve().parents[2] / "policies"
TYPE = {"solutions": "solution", "funding-plans": "funding_plan"}  # route -> policy type
ITEMS = {"components": "component_id", "commitments": "party_id", "requests": "request_id",
         "claims": "claim_id", "payouts": "payout_id", "links": "opportunity_id"}  # fmt: skip
LEAVES = {"solution": SOLUTION_LEAVES, "funding_plan": PLAN_LEAVES}  # those rules can name
CORE = {t: [x for x in leaves if x not in ITEMS and "." not in x.replace("listing.", "")]
        for t, leaves in LEAVES.items()}  # the owner's: no items, no counterparts  # fmt: skip
FIELDS = {t: ("counterparts.*", "*", *leaves, "listing.*") for t, leaves in LEAVES.items()}
NOTES = {"solution": "internal_notes", "funding_plan": "budget_notes"}
ROLES = {"solutions": ("builder", "builder", "integrator", "reseller"),
         "funding-plans": ("funder", "funder", "partner")}  # fmt: skip
NEXT = {"Proposed": "In Development", "In Development": "Validated", "Validated": "Published",
        "Published": "In Development", "Retired": "Proposed"}  # fmt: skip
BY_LEAF = {  # event -> its leaf, and whether its data is its author's (else the owner's)
    "SignedOff": ("sign_offs", False), "Moved": ("lifecycle", False),
    "ComponentAdded": ("components", True), "ComponentRemoved": ("components", True),
    "FundsCommitted": ("commitments", True), "ActivityAdded": ("activities", False),
}  # fmt: skip
PARTICIPATION = ("PartnerInvited", "InvitationAccepted", "InvitationDeclined", "PartnerWithdrawn")
RULE_KEYS = ("viewer", "object_type", "field", "action", "effect")
ADMIN = frozenset({Role.ADMIN})

PICK = st.integers(0, 11)  # 0-8: one of the likely parties (if there are any), 9-11: any party
KIND = st.sampled_from(list(TYPE))
VIEWER = st.sampled_from(["partners", "invited", "tier:gold"]) | PICK
PRESET = st.sampled_from(["full", "standard", "summary", "hidden"])
ANSWER = st.sampled_from(["accept", "accept", "decline", None])
STAGE = st.sampled_from([5, 3, 4, 2, 3, 4, 1, 0])  # how far down the money path, at most
FUNDING = st.tuples(PICK, STAGE, st.integers(1, 400).map(Decimal), st.sampled_from([1, 1, 0]))
WORD = st.builds("{} {}".format, st.sampled_from(["Ada", "Zürich", "Ω"]), st.integers(0, 99))
LISTING = st.fixed_dictionaries({"url": st.just("https://market.example/x")}, optional={
    "pricing_model": st.sampled_from(["free", "usage"]), "regions": st.lists(WORD)})  # fmt: skip
SOLUTION = st.fixed_dictionaries({"name": WORD}, optional={
    "summary": WORD, "use_cases": st.lists(WORD, max_size=2), "listing": LISTING})  # fmt: skip
PLAN = st.fixed_dictionaries({"name": WORD, "currency": st.sampled_from(["EUR", "USD"])}, optional={
    "objective": WORD, "period_end": st.just("2025-12-31")})  # fmt: skip


def seat_of(found: Any, party: str) -> str | None:
    """How a party asks: as itself once it accepted, as `invited` while pending, else not."""
    status = {str(k): str(p.status) for k, p in found.participants.items()}.get(party, "")
    return {"accepted": f"party:{party}", "invited": "invited"}.get(status)


def seats_then(stored: dict[int, Any], party: str) -> dict[int, str | None]:
    """The party's seat just after each event, as far as it lets the party see that event:
    none before its invitation or after it left; while invited, only its invitation."""
    seats: dict[int, str | None] = {}
    then, before = None, None
    for version, event in stored.items():
        then = copy.deepcopy(event).mutate(then)  # the stored events are kept as they were
        seat = seat_of(then, party)
        seats[version] = None if seat == before == "invited" else seat
        before = seat
    return seats


def involves(request: Any, party: str) -> bool:
    """A request, its claims and payouts are always shown to its requester and its funders."""
    return party in {str(request.requester), *map(str, request.portions)}


class Oracle:
    """Casbin on the shipped model and defaults, plus the rules the test believes are in force."""

    def __init__(self) -> None:
        self.enforcer = casbin.Enforcer(str(POLICIES / "model.conf"),
                                        str(POLICIES / "defaults.csv"))  # fmt: skip
        self.enforcer.enable_auto_save(False)
        self.rules: dict[str, dict[str, tuple[str, ...]]] = {}  # owner -> rule id -> row
        self.gold: dict[str, set[str]] = {}  # owner -> the members of its tier:gold
        self.versions: dict[str, int] = {}  # owner -> changes the test saw accepted
        self._decided: dict[tuple[str, ...], bool] = {}
        self.apart: set[frozenset[str]] = set()  # pairs whose partnership is not active

    def changed(self, owner: str) -> None:
        self.versions[owner] = self.versions.get(owner, 0) + 1
        self.enforcer.load_policy()  # the defaults, from policies/defaults.csv
        for rules_owner, rules in self.rules.items():
            for viewer, object_type, field, action, effect in rules.values():
                self.enforcer.add_policy(viewer, rules_owner, object_type, field, action, effect)
            for member in self.gold.get(rules_owner, ()):
                self.enforcer.add_grouping_policy(f"party:{member}", "tier:gold", rules_owner)
        self._decided = {k: v for k, v in self._decided.items() if k[1] != owner}

    def decided(self, *key: str) -> bool:
        if key not in self._decided:
            self._decided[key] = self.enforcer.enforce(*key, "read")
        return self._decided[key]

    def judge(self, viewer: str, seat: str, kind: str) -> Callable[[Any, str], bool]:
        """May `viewer`, asking as `seat`, read a leaf of an owner's data (its own: always)?"""
        return lambda owner, leaf: (
            viewer == str(owner)
            or (
                frozenset((viewer, str(owner))) not in self.apart  # only between partners
                and self.decided(seat, str(owner), kind, leaf)
            )
        )


class SharedNoLeak(RuleBasedStateMachine):
    def __init__(self, network: Network, client: TestClient, world: World) -> None:
        super().__init__()
        self.network, self.client, self.world, self.oracle = network, client, world, Oracle()
        self.parties: dict[str, Caller] = {}  # party id -> its admin and sales user
        self.objects: dict[str, str] = {}  # solution or plan id -> its route
        self.deals: list[str] = []
        self.secrets: list[tuple[str, str, str, str]] = []  # object, party, field, marker
        self.judged: dict[tuple[str, str], Any] = {}  # (party, object) -> (seat, inputs)
        self.loaded: dict[Any, Any] = {}  # id -> the stored aggregate (or events), until a write
        self.partnered = 0  # partnership changes so far: reads depend on who partners whom

    @initialize(count=st.integers(3, 4), stances=st.lists(st.tuples(PICK, KIND, VIEWER, PRESET),
                max_size=3), guests=st.lists(PICK, max_size=3),
                solution=SOLUTION, plan=PLAN, owners=st.tuples(PICK, PICK),
                answers=st.lists(st.tuples(PICK, ANSWER), min_size=6, max_size=6))  # fmt: skip
    def companies_with_policies_two_deals_a_solution_and_a_plan(
        self, count: int, stances: list[Any], guests: list[int],
        solution: dict[str, Any], plan: dict[str, Any], owners: tuple[int, int],
        answers: list[tuple[int, str | None]],
    ) -> None:  # fmt: skip
        """Partners with sharing stances, two deals, a solution and a plan shared with all."""
        callers = [self.world.company(Role.SALES, Role.ADMIN) for _ in range(count)]
        for i, caller in enumerate(callers):
            self.parties[caller.party_id] = caller
            for other in callers[i + 1 :]:  # set-up, not under test: straight to the network
                one, two = (Principal(Actor(UUID(c.party_id), UUID(c.user_id)), ADMIN)
                            for c in (caller, other))  # fmt: skip
                pair = self.network.propose_partnership(one, UUID(other.party_id))
                self.network.accept_partnership(two, pair.object_id)
        for owner, kind, viewer, preset in stances:
            self.policy(owner, kind, viewer, 0, preset, "preset")
        self.deals = [self.world.opportunity(c)["id"] for c in callers[:2]]
        for guest in guests:
            self.join_deal(guest, guest, leave=False)
        for owner, body in zip(owners, (solution, plan), strict=True):
            self.create(owner, body)
            object_id, _, by = self.pick(len(self.objects) - 1)
            others = [self.parties[p] for p in self.parties if p != by.party_id]
            for party, (role, then) in zip(others, answers, strict=False):
                self.invite(object_id, by, party, role, then)
            self.participate(len(self.objects) - 1, 0, 0, None, False, "link")
        self.fund(0, [(0, stage, Decimal(300), 1) for stage in range(3)])

    def call(self, method: str, url: str, caller: Caller, body: Any = None, v: Any = None) -> Any:
        headers = caller.headers if v is None else {**caller.headers, "If-Match": f'"{v}"'}
        response = self.client.request(method, url, json=body, headers=headers)
        if method != "GET":
            self.loaded.clear()
        assert response.status_code < 500, f"{method} {url}: {response.text}"
        if response.status_code >= 400:  # a refusal tells no one anyone else's secrets
            told = [s for s in self.secrets if s[3] in response.text and s[1] != caller.party_id]
            assert not told, f"{method} {url} told {caller.party_id} {told}"
        return response

    def stored(self, object_id: Any) -> Any:
        if str(object_id) not in self.loaded:
            self.loaded[str(object_id)] = self.network.repository.get(UUID(str(object_id)))
        return self.loaded[str(object_id)]

    def involved(self, deal_id: Any) -> set[str]:
        return {str(p) for p in self.stored(deal_id).involved_parties}

    def party(self, index: int, likely: list[str] | None = None) -> Caller:
        """Mostly one of the likely parties (when there are any), otherwise any party."""
        pool = likely if likely and index < 9 else list(self.parties)
        return self.parties[pool[index % len(pool)]]

    def among(self, found: Any, keep: Any) -> list[str]:
        """The object's parties (in the order they joined) that `keep` holds or accepts."""
        return [str(p) for p in found.participants if (keep(p) if callable(keep) else p in keep)]

    def pick(self, which: int, route: str | None = None) -> tuple[str, Any, Caller]:
        """An object (of a route, if given), as stored, and its owner's user."""
        ids = [i for i, r in self.objects.items() if route in (None, r)]
        found = self.stored(ids[which % len(ids)])
        return ids[which % len(ids)], found, self.parties[str(found.owner_id)]

    def act(self, caller: Caller, object_id: str, verb: str, path: str = "", body: Any = None,
            v: Any = None) -> Any:  # fmt: skip
        """A command on the object; whatever it answers is itself a read: judge it like one."""
        response = self.call(verb, f"/v1/{self.objects[object_id]}/{object_id}{path}", caller,
                             body, v)  # fmt: skip
        if response.status_code in (200, 201):
            found = self.stored(object_id)
            seat = seat_of(found, caller.party_id)
            self.judge_view(caller.party_id, seat, object_id, found, response.json())
        return response

    def invite(self, object_id: str, owner: Caller, party: Caller, role: int, then: Any) -> None:
        roles = ROLES[self.objects[object_id]]
        body = {"party_id": party.party_id, "role": roles[role % len(roles)]}
        if self.act(owner, object_id, "POST", "/invitations", body).status_code == 200 and then:
            self.act(party, object_id, "POST", f"/invitations/{party.party_id}/{then}")

    @precondition(lambda self: len(self.objects) < 4)
    @rule(owner=PICK, body=SOLUTION | PLAN)
    def create(self, owner: int, body: dict[str, Any]) -> None:
        caller, route = self.party(owner), "funding-plans" if "currency" in body else "solutions"
        created = self.call("POST", f"/v1/{route}", caller, body)
        assert created.status_code == 201, created.text
        object_id, seat = created.json()["id"], f"party:{caller.party_id}"
        self.objects[object_id] = route
        self.judge_view(caller.party_id, seat, object_id, self.stored(object_id), created.json())

    @rule(which=PICK, who=PICK, role=PICK, then=ANSWER, by_owner=st.booleans(),
          verb=st.sampled_from(["invite", "answer", "answer", "withdraw", "link", "link",
                                "unlink"]))  # fmt: skip
    def participate(self, which: int, who: int, role: int, then: Any, by_owner: bool,
                    verb: str) -> None:  # fmt: skip
        """The owner invites (the invitee may answer), an invitee answers, a party leaves, a
        participant links (or unlinks) a deal it takes part in."""
        object_id, found, owner = self.pick(which)
        if verb in ("link", "unlink"):
            deal_id = self.deals[role % len(self.deals)]
            both = self.among(found, lambda p: found.is_partner(p) and str(p) in self.involved(
                deal_id))  # fmt: skip
            party = self.party(who, both or self.among(found, found.is_partner))
            path, body = ("/links", {"opportunity_id": deal_id}) if verb == "link" else (
                f"/links/{deal_id}", None)  # fmt: skip
            self.act(party, object_id, "POST" if body else "DELETE", path, body)
        elif verb == "invite":
            outside = [p for p in self.parties if UUID(p) not in found.involved_parties]
            self.invite(object_id, owner, self.party(who, outside), role, then)
        elif verb == "answer":
            party = self.party(who, self.among(found, found.is_invited))
            self.act(party, object_id, "POST", f"/invitations/{party.party_id}/{then or 'accept'}")
        else:
            party = self.party(who, self.among(found, found.involved_parties - {found.owner_id}))
            caller, path = (owner if by_owner else party), f"/invitations/{party.party_id}/withdraw"
            self.act(caller, object_id, "POST", path, {"reason": "scope"})

    @rule(which=PICK, who=PICK, fields=st.sets(st.sampled_from(["crm_reference", "notes"]),
                                               min_size=1))  # fmt: skip
    def write_counterpart(self, which: int, who: int, fields: set[str]) -> None:
        """A participant keeps its own fields, each a marker no one else may read unless let."""
        object_id, found, _ = self.pick(which)
        party, changes = self.party(who, self.among(found, found.is_partner)), {}
        for field in sorted(fields):
            name = NOTES[TYPE[self.objects[object_id]]] if field == "notes" else field
            changes[name] = f"SECRET#{party.party_id[:8]}#{len(self.secrets)}#"
            self.secrets.append((object_id, party.party_id, name, changes[name]))
        self.act(party, object_id, "PATCH", "/counterpart", changes, v=found.version)

    @rule(one=PICK, other=PICK, again=st.booleans())
    def end_partnership(self, one: int, other: int, again: bool) -> None:
        """Either side ends a partnership (or the two partner again): nothing either owns
        reaches the other while they are apart, on either's objects or a third party's."""
        a, b = self.party(one), self.party(other)
        pair = frozenset((a.party_id, b.party_id))
        if a == b or again != (pair in self.oracle.apart):
            return
        if again:
            proposed = self.call("POST", "/v1/partnerships", a, {"party_id": b.party_id})
            assert proposed.status_code == 201, proposed.text
            url = f"/v1/partnerships/{proposed.json()['id']}/accept"
            assert self.call("POST", url, b).status_code == 200
            self.oracle.apart.discard(pair)
        else:
            pid = partnership_id(UUID(a.party_id), UUID(b.party_id))
            ended = self.call("POST", f"/v1/partnerships/{pid}/end", a, {"reason": "strategy"})
            assert ended.status_code == 200, ended.text
            self.oracle.apart.add(pair)
        self.partnered += 1

    @rule(deal=PICK, who=PICK, leave=st.booleans())
    def join_deal(self, deal: int, who: int, leave: bool) -> None:
        """A party joins or leaves a deal: who may see links to the deal changes with it."""
        deal_id = self.deals[deal % len(self.deals)]
        url, involved = f"/v1/opportunities/{deal_id}/invitations", self.involved(deal_id)
        owner = self.parties[str(self.stored(deal_id).owner_id)]
        party = self.party(who, [p for p in self.parties if (p in involved) == leave])
        if leave:
            self.call("POST", f"{url}/{party.party_id}/withdraw", owner, {"reason": "scope"})
        elif self.call("POST", url, owner, {"party_id": party.party_id, "role": "co_seller"}
                       ).status_code == 200:  # fmt: skip
            self.call("POST", f"{url}/{party.party_id}/accept", party)

    @rule(which=PICK, who=PICK, step=st.sampled_from(["add", "add", "remove", "sign", "move"]),
          retire=st.integers(0, 9), name=WORD)  # fmt: skip
    def build(self, which: int, who: int, step: str, retire: int, name: str) -> None:
        """Participants add and remove components, builders sign off, the owner moves it on."""
        object_id, found, owner = self.pick(which, "solutions")
        if step == "remove" and found.components:
            component = list(found.components.values())[who % len(found.components)]
            path = f"/components/{component.component_id}"
            self.act(self.parties[str(component.contributor)], object_id, "DELETE", path)
        elif step == "sign":
            builder = self.party(who, self.among(found, found.builders()))
            self.act(builder, object_id, "POST", "/sign-off")
        elif step == "move":
            to = "Retired" if retire == 0 else NEXT[found.lifecycle]
            self.act(owner, object_id, "POST", "/lifecycle", {"to": to})
        else:
            party = self.party(who, self.among(found, found.is_partner))
            self.act(party, object_id, "POST", "/components", {"name": name})

    @rule(which=PICK, steps=st.lists(FUNDING, min_size=1, max_size=4))
    def fund(self, which: int, steps: list[tuple[int, int, Decimal, int]]) -> None:
        """Commit, add an activity, request, approve or reject, claim, pay: or the last step
        before the one drawn that can be taken."""
        for who, stage, amount, approve in steps:
            object_id, plan, _ = self.pick(which, "funding-plans")
            requests = [r for r in plan.requests.values() if r.status == "submitted"]
            approved = [r for r in plan.requests.values() if r.status == "approved"
                        and plan.claimed_of(r.request_id) < r.amount]  # fmt: skip
            claims = [c for c in plan.claims.values() if plan.paid_of(c.claim_id) < c.amount]
            can = (True, plan.commitments, plan.activities, requests, approved, claims)
            stage = max(s for s in range(stage + 1) if can[s])
            funders = self.among(plan, plan.funders())
            caller, path = self.party(who, funders), "/commitments"
            body: Any = {"amount": amount}
            if stage == 0:
                body["amount"] += plan.commitments.get(UUID(caller.party_id), 0)
            elif stage == 1:
                payers = funders[: 1 + who % 3]
                shares = [{"party_id": p, "percent": str(100 // len(payers))} for p in payers]
                shares[0]["percent"] = str(100 // len(payers) + 100 % len(payers))
                path = "/activities"
                body = {"kind": "event", "name": "Launch", "budget": amount, "shares": shares}
            elif stage == 2:
                caller, path = self.party(who, self.among(plan, plan.is_partner)), "/requests"
                body["activity_id"] = str(list(plan.activities)[who % len(plan.activities)])
            elif stage == 3:
                request = requests[who % len(requests)]
                caller = self.party(who, self.among(plan, request.portions))
                path = f"/requests/{request.request_id}/{'approve' if approve else 'reject'}"
                body = None if approve else {"reason": "why"}
            elif stage == 4:
                request = approved[who % len(approved)]
                caller = self.parties[str(request.requester)]
                path = f"/requests/{request.request_id}/claims"
                body = {"amount": min(amount, request.amount - plan.claimed_of(request.request_id)),
                        "proofs": [{"name": "a.pdf", "sha256": "ab" * 32}]}  # fmt: skip
            else:
                claim = claims[who % len(claims)]
                caller = self.party(who, self.among(plan, plan.requests[claim.request_id].portions))
                body = {"amount": min(amount, claim.amount - plan.paid_of(claim.claim_id))}
                path = f"/claims/{claim.claim_id}/payouts"
            for key in ("amount", "budget"):  # every amount in the plan's currency
                if body and key in body:
                    body[key] = {"amount": f"{body[key]:.2f}", "currency": plan.currency}
            self.act(caller, object_id, "POST", path, body)

    @rule(owner=PICK, kind=KIND, viewer=VIEWER, field=st.integers(0, 30), preset=PRESET,
          change=st.sampled_from(["allow", "allow", "deny", "remove", "preset",
                                  "tier"]))  # fmt: skip
    def policy(
        self, owner: int, kind: str, viewer: Any, field: int, preset: str, change: str
    ) -> None:
        """A security admin adds or removes a rule, applies a preset, or adds to its gold tier."""
        owner_id, object_type = self.party(owner).party_id, TYPE[kind]
        admin, leaves = self.world.security_admin(self.parties[owner_id]), FIELDS[object_type]
        mine = self.oracle.rules.setdefault(owner_id, {})
        gold = self.oracle.gold.setdefault(owner_id, set())
        who = viewer if isinstance(viewer, str) else f"party:{self.party(viewer).party_id}"
        if change == "remove":
            rule_id = [*mine, "0123456789abcdef"][field % (len(mine) + 1)]
            answer = self.call("DELETE", f"/v1/policies/rules/{rule_id}", admin)
            assert answer.status_code == (204 if mine.pop(rule_id, None) else 404), answer.text
        elif change in ("allow", "deny"):
            row = (who, object_type, leaves[field % len(leaves)], "read", change)
            body = dict(zip(RULE_KEYS, row, strict=True))
            if (answer := self.call("POST", "/v1/policies/rules", admin, body)).status_code == 201:
                mine[answer.json()["rule_id"]] = row
        elif change == "preset":
            body = {"viewer": who, "preset": preset, "object_type": object_type}
            answer = self.call("POST", "/v1/policies/presets", admin, body)
            assert answer.status_code == 200 or who == f"party:{owner_id}", answer.text
            rows = {r for r in mine.values() if r[:2] != (who, object_type)} | {(who, object_type,
                    f, "read", str(e)) for f, e in OBJECT_PRESETS[object_type][preset]}  # fmt: skip
        else:
            body = {"party_id": self.party(field).party_id}
            answer = self.call("POST", "/v1/policies/tiers/gold/members", admin, body)
            gold |= {body["party_id"]} if answer.status_code == 200 else set()
        if answer.status_code == 200:  # the policy as the server holds it is the oracle's
            held = {r["rule_id"]: tuple(r[k] for k in RULE_KEYS) for r in answer.json()["rules"]}
            if change == "preset":  # the viewer's rules for that type replaced, and only those
                assert set(held.values()) == rows, answer.text
                mine.clear()
                mine.update(held)
            assert (held, answer.json()["tiers"].get("tier:gold", [])) == (mine, sorted(gold))
        if answer.status_code in (200, 201, 204):
            self.oracle.changed(owner_id)

    @invariant()
    def no_party_reads_what_the_policy_in_force_denies(self) -> None:
        """Every party's list, detail and history of each object whose inputs changed: its
        version, its data owners' policies (every party that ever took part), the deals."""
        found = {object_id: self.stored(object_id) for object_id in self.objects}
        deals = [sorted(self.involved(d)) for d in self.deals]
        inputs = {o: (f.version, deals, [self.oracle.versions.get(str(p)) for p in f.participants],
                      self.partnered) for o, f in found.items()}  # fmt: skip
        for party, caller in self.parties.items():
            seats = {object_id: seat_of(f, party) for object_id, f in found.items()}
            before = {o: self.judged.get((party, o), ("new", None)) for o in found}
            mine = [o for o in found if before[o][1] != inputs[o] and (seats[o] or before[o][0])]
            for object_id in mine:
                self.judged[party, object_id] = (seats[object_id], inputs[object_id])
            for route in sorted({self.objects[o] for o in mine}):
                items = self.call("GET", f"/v1/{route}", caller).json()["items"]
                assert {i["id"] for i in items} == {
                    o for o, s in seats.items() if s and self.objects[o] == route}  # fmt: skip
                for item in items:
                    self.judge_view(party, seats[item["id"]], item["id"], found[item["id"]], item)
            for object_id in mine:
                url, seat = f"/v1/{self.objects[object_id]}/{object_id}", seats[object_id]
                detail, events = (self.call("GET", u, caller) for u in (url, f"{url}/events"))
                if seat is None:  # learns nothing, not even that it exists
                    assert (detail.status_code, events.status_code) == (404, 404), detail.text
                    continue
                self.judge_view(party, seat, object_id, found[object_id], detail.json())
                history = events.json()["events"]
                self.judge_events(party, seat, object_id, found[object_id], history)

    def judge_secrets(self, viewer: str, seat: str, oid: str, shown: Any) -> None:
        """No counterpart marker of another party appears unless its owner's policy allows."""
        text, may = json.dumps(shown), self.oracle.judge(viewer, seat, TYPE[self.objects[oid]])
        leaks = [(o, p, name) for o, p, name, marker in self.secrets if marker in text
                 and (o != oid or not may(p, f"counterparts.{name}"))]  # fmt: skip
        assert not leaks, f"{viewer} ({seat}) read the secret markers of {leaks}"

    def judge_view(self, viewer: str, seat: Any, object_id: str, found: Any, view: Any) -> None:
        """Every value shown is one the oracle allows, and every allowed value is shown."""
        assert seat is not None, f"{viewer} was shown {object_id}, which it takes no part in"
        kind, owner = TYPE[self.objects[object_id]], found.owner_id
        may, seen = self.oracle.judge(viewer, seat, kind), f"{viewer} ({seat}) was shown"
        assert (view["id"], view["version"], view["owner_party_id"]) == (
            object_id, found.version, str(owner))  # fmt: skip
        meta = {"id", "version", "owner_party_id", "invitation", "counterparts", "listing", *ITEMS}
        meta |= set() if seat == "invited" else {"created_at", "updated_at"}
        core = {k for k in view if k not in meta}
        core |= {f"listing.{k}" for k in view.get("listing", {})}
        assert core <= set(CORE[kind]), f"{seen} {core - set(CORE[kind])}"
        assert not {leaf for leaf in core if not may(owner, leaf)}, f"{seen} {core} of {owner}"
        assert core == {leaf for leaf in CORE[kind] if may(owner, leaf)}, "a leaf was held back"
        requests, claims = getattr(found, "requests", {}), getattr(found, "claims", {})
        allowed = {
            "components": [c.component_id for c in getattr(found, "components", {}).values()
                           if may(c.contributor, "components")],
            "commitments": [f for f in getattr(found, "commitments", {}) if may(f, "commitments")],
            "requests": [r.request_id for r in requests.values()
                         if involves(r, viewer) or may(r.requester, "requests")],
            "claims": [c.claim_id for c in claims.values()
                       if involves(requests[c.request_id], viewer) or may(c.claimant, "claims")],
            "payouts": [p.payout_id for p in getattr(found, "payouts", {}).values()
                        if involves(requests[claims[p.claim_id].request_id], viewer)
                        or may(p.payer, "payouts")],
            "links": [d for d in found.links if may(owner, "links") and viewer in self.involved(d)],
        }  # fmt: skip
        for key, id_key in ITEMS.items():
            shown, expected = {i[id_key] for i in view.get(key, [])}, set(map(str, allowed[key]))
            assert shown <= expected, f"{seen} {key} {shown - expected}"
            assert shown == expected, f"{viewer} ({seat}) was not shown {key} {expected - shown}"
        self.judge_sums(viewer, found, view)
        counterparts = {str(p): {n: v for n, v in fields.items() if may(p, f"counterparts.{n}")}
                        for p, fields in found.counterparts.items()}  # fmt: skip
        counterparts = {p: fields for p, fields in counterparts.items() if fields}
        assert view.get("counterparts", {}) == counterparts, f"{seen} {view}"
        self.judge_secrets(viewer, seat, object_id, view)

    def judge_sums(self, viewer: str, found: Any, view: dict[str, Any]) -> None:
        """Figures summed from requests reach only parties that see every request summed."""
        for activity in view.get("activities", []):
            funders = {str(p) for p in found.activities[UUID(activity["activity_id"])].shares}
            assert ("requested" in activity) == (viewer in funders), f"{viewer}: {activity}"
        for commitment in view.get("commitments", []):
            own = commitment["party_id"] == viewer
            assert ({"approved", "left"} <= commitment.keys()) == own, f"{viewer}: {commitment}"

    def grants(self, may: Any, viewer: str, found: Any, event: Any) -> dict[str, bool]:
        """What of an event the viewer may see: by data key, or `*` for the whole event."""
        name, owner, author = type(event).__name__, found.owner_id, event.actor.party_id
        if name in ("Proposed", "Created", "DetailsUpdated"):
            values = [*(event.changes if name == "DetailsUpdated" else event.fields)]
            return {k: may(owner, k) for k in values + ["currency"] * (name == "Created")}
        if name == "CounterpartUpdated":
            return {k: may(author, f"counterparts.{k}") for k in event.changes}
        if name in PARTICIPATION:
            party = str(getattr(event, "party_id", author))
            return {"*": party == viewer or may(owner, "participants")}
        if name in ("OpportunityLinked", "OpportunityUnlinked"):
            return {"*": may(owner, "links") and viewer in self.involved(event.opportunity_id)}
        if name in BY_LEAF:
            return {"*": may(author if BY_LEAF[name][1] else owner, BY_LEAF[name][0])}
        claim = found.claims.get(getattr(event, "claim_id", None))
        request = found.requests[claim.request_id if claim else event.request_id]
        leaf, data_owner = {"FundsClaimed": ("claims", author), "PayoutRecorded": (
            "payouts", author)}.get(name, ("requests", request.requester))  # fmt: skip
        return {"*": involves(request, viewer) or may(data_owner, leaf)}

    def judge_events(self, viewer: str, seat: str, object_id: str, found: Any,
                     events: list[dict[str, Any]]) -> None:  # fmt: skip
        """Exactly the events the oracle allows, each with only the allowed data and actor."""
        owner = found.owner_id
        if ("events", object_id) not in self.loaded:
            recorded = self.network.events.get(UUID(object_id))
            self.loaded["events", object_id] = {e.originator_version: e for e in recorded}
        stored = self.loaded["events", object_id]
        mays = {v: self.oracle.judge(viewer, s, TYPE[self.objects[object_id]])
                for v, s in seats_then(stored, viewer).items() if s}  # fmt: skip
        grants = {v: self.grants(mays[v], viewer, found, e) for v, e in stored.items()
                  if v in mays}  # fmt: skip
        by_time = {e.timestamp.isoformat(): v for v, e in stored.items()}
        shown, expected = [by_time[e["occurred_at"]] for e in events], [
            v for v, g in grants.items() if any(g.values())]  # fmt: skip
        leaks = [(v, type(stored[v]).__name__) for v in shown if v not in expected]
        assert not leaks, f"{viewer} ({seat}) was shown the events {leaks}"
        assert shown == expected, f"{viewer} ({seat}) was not shown events it may see"
        assert [e["version"] for e in events] == list(range(1, len(events) + 1))  # no gaps
        for event, version in zip(events, shown, strict=True):
            allowed = {k for k, ok in grants[version].items() if ok}
            assert "*" in allowed or set(event["data"]) <= allowed, f"{viewer} ({seat}): {event}"
            actor = stored[version].actor
            who = {"party_id": str(actor.party_id), "user_id": str(actor.user_id)}
            sees = who["party_id"] in (viewer, str(owner)) or mays[version](owner, "participants")
            assert event.get("actor") == (who if sees else None), f"{viewer} ({seat}): {event}"
        self.judge_secrets(viewer, seat, object_id, events)


def test_no_party_ever_reads_a_solution_or_plan_field_the_owners_policies_deny(
    network: Network, client: TestClient, world: World
) -> None:
    long = os.environ.get("HYPOTHESIS_PROFILE") == "long"  # else quick: SQLite and PostgreSQL
    runs = settings(
        max_examples=settings.default.max_examples if long else 7,
        stateful_step_count=40 if long else 15, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )  # fmt: skip
    stateful.run_state_machine_as_test(lambda: SharedNoLeak(network, client, world), settings=runs)
