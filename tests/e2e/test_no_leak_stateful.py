"""No field a policy denies ever reaches a party: random deals, invitations, notes and policy
edits, all through HTTP, with every party's reads judged by Casbin itself after each step."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import casbin
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from api.app import create_app
from api.bootstrap import build_network
from api.settings import Settings
from ecosystem.actors import Actor, Principal, Role
from ecosystem.sharing.rules import PRESETS
from tests.e2e.conftest import Caller, World

POLICIES = Path(__file__).resolve().parents[2] / "policies"
PARTS = ("name", "email", "phone", "title")
CONTACTS = tuple(f"customer.contacts.{p}" for p in PARTS)
CUSTOMER = tuple(f"customer.{p}" for p in ("name", "website_domain", "industry", "country"))
TOP = ("title", "stage", "closing_reason", "participants", "expected_close_quarter",
       "expected_amount", "target_close_date", "next_steps", "products")  # fmt: skip
COUNTERPARTS = ("counterparts.crm_reference", "counterparts.forecast_amount",
                "counterparts.internal_notes")  # fmt: skip
LEAVES = (*TOP, *CUSTOMER, *CONTACTS, "notes", *COUNTERPARTS)
WRITABLE = {"title", "expected_amount", "target_close_date", "next_steps", "products",
            *CUSTOMER, *CONTACTS}  # fmt: skip
RULE_KEYS = ("viewer", "object_type", "field", "action", "effect")
MAX_DEALS = 3
MISSING = object()

WORD = st.builds("{} {}".format, st.sampled_from(["Ada", "Zürich", "Ω"]), st.integers(0, 99))
MONEY = st.builds(
    lambda a, c: {"amount": f"{a}.50", "currency": c},
    st.integers(0, 10**6),
    st.sampled_from(["EUR", "USD"]),
)
CONTACT = st.fixed_dictionaries(
    {"name": WORD},
    optional={
        "email": st.builds("p{}@cust.example".format, st.integers(0, 99)),
        "phone": st.builds("+49 30 {}".format, st.integers(1000, 9999)),
        "title": WORD,
    },
)
CUSTOMER_PARTS = {
    "website_domain": st.sampled_from(["acme.example", "https://www.Globex.example/x"]),
    "industry": WORD,
    "country": st.sampled_from(["DE", "FR", "US"]),
    "contacts": st.lists(CONTACT, max_size=2),
}
DETAILS = {
    "expected_amount": MONEY,
    "next_steps": WORD,
    "products": st.lists(WORD, max_size=3),
    "target_close_date": st.dates(date(2024, 1, 1), date(2031, 12, 31)).map(str),
}
CUSTOMER_IN = st.fixed_dictionaries({"name": WORD}, optional=CUSTOMER_PARTS)
REGISTRATION = st.fixed_dictionaries({"title": WORD, "customer": CUSTOMER_IN}, optional=DETAILS)
CUSTOMER_CHANGES = st.fixed_dictionaries({}, optional={"name": WORD, **CUSTOMER_PARTS})
CHANGES = st.fixed_dictionaries(
    {}, optional={"title": WORD, "customer": CUSTOMER_CHANGES, **DETAILS}
)
COUNTERPART_CHANGES = st.fixed_dictionaries(
    {}, optional={"crm_reference": WORD, "forecast_amount": MONEY, "internal_notes": WORD}
)
PICK = st.integers(0, 11)  # 0-8: one of the likely parties (if any), 9-11: any party
VIEWER = st.one_of(st.sampled_from(["partners", "invited", "tier:gold", "tier:silver"]), PICK)
PATTERNS = ["customer.*", "customer.contacts.*", "counterparts.*", "*"]
# Half the time a field where leaks hide best: contact parts, counterparts, notes, patterns.
FIELD = st.sampled_from(LEAVES) | st.sampled_from([*PATTERNS, *CONTACTS, *COUNTERPARTS, "notes"])
STRAY = st.integers(0, 14)  # 0: asks to change another party's policy; 1: a sales user asks
ROLE = st.sampled_from(["co_seller", "reseller", "cloud_provider"])
ANSWER = st.sampled_from(["accept", "accept", "decline", None])
ANSWERS = st.lists(ANSWER, min_size=4, max_size=4)
OPENING_VIEWER = st.sampled_from(["partners", "invited", "tier:gold"])
PRESET = st.sampled_from(list(PRESETS))
TIER = st.sampled_from(["gold", "gold", "silver"])
# Opening edits: by the first deal's owner (None) or any party, a preset or a field to allow.
OPENING = st.lists(st.tuples(st.none() | PICK, OPENING_VIEWER, PRESET | FIELD), max_size=2)
STANCE = st.tuples(st.none() | PRESET, st.none() | PRESET)  # a preset for partners, for invited
STANCES = st.lists(STANCE, min_size=4, max_size=4)


def money(value: Any) -> Any:
    return value and {"amount": str(value.amount), "currency": value.currency}


def stored_leaves(deal: Any) -> dict[str, Any]:
    """Every core leaf of the deal as stored, in the shape the JSON view carries it."""
    f, day = deal.fields, deal.fields["target_close_date"]
    participants = deal.participants.values()
    leaves = {
        "title": f["title"],
        "stage": str(deal.stage),
        "closing_reason": deal.closing_reason,
        "participants": [(str(p.party_id), str(p.role), str(p.status)) for p in participants],
        "expected_close_quarter": day and f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        "expected_amount": money(f["expected_amount"]),
        "target_close_date": day and day.isoformat(),
        "next_steps": f["next_steps"],
        "products": list(f["products"]),
        **{leaf: f[leaf] for leaf in CUSTOMER},
    }
    for part, leaf in zip(PARTS, CONTACTS, strict=True):
        leaves[leaf] = [getattr(c, part) for c in f["customer.contacts"]]
    return leaves


def shown_leaves(view: dict[str, Any]) -> dict[str, Any]:
    """The same leaves as a view shows them (a contact part missing from any item: MISSING)."""
    flat = {k: v for k, v in view.items() if k in TOP}
    if "participants" in flat:
        flat["participants"] = [
            (p["party_id"], p["role"], p["status"]) for p in flat["participants"]
        ]
    for part, value in view.get("customer", {}).items():
        flat[f"customer.{part}"] = value
    for part, leaf in zip(PARTS, CONTACTS, strict=True):
        if "contacts" in view.get("customer", {}):
            flat[leaf] = [c.get(part, MISSING) for c in view["customer"]["contacts"]]
    return flat


def seat_of(deal: Any, party: str) -> str | None:
    """How a party asks: as itself once it accepted, as `invited` while pending, else not."""
    status = {str(k): str(p.status) for k, p in deal.participants.items()}.get(party, "")
    return {"accepted": f"party:{party}", "invited": "invited"}.get(status)


def principal(caller: Caller) -> Principal:
    actor = Actor(UUID(caller.party_id), UUID(caller.user_id))
    return Principal(actor, frozenset({Role.ADMIN, Role.SALES}))


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"


class Oracle:
    """Casbin on the shipped model and defaults, plus the rules the test believes are in force."""

    def __init__(self) -> None:
        model, defaults = str(POLICIES / "model.conf"), str(POLICIES / "defaults.csv")
        self.enforcer = casbin.Enforcer(model, defaults)
        self.enforcer.enable_auto_save(False)
        self.rules: dict[str, dict[str, tuple[str, ...]]] = {}  # owner -> rule id -> row
        self.tiers: dict[str, dict[str, set[str]]] = {}  # owner -> tier -> members
        self.versions: dict[str, int] = {}  # owner -> how many changes the test saw accepted
        self._decided: dict[tuple[str, ...], bool] = {}

    def changed(self, owner: str) -> None:
        self.versions[owner] = self.versions.get(owner, 0) + 1
        self.enforcer.load_policy()  # the defaults, from policies/defaults.csv
        for rules_owner, rules in self.rules.items():
            for viewer, object_type, field, action, effect in rules.values():
                self.enforcer.add_policy(viewer, rules_owner, object_type, field, action, effect)
        for tiers_owner, tiers in self.tiers.items():
            for tier, members in tiers.items():
                for member in members:
                    self.enforcer.add_grouping_policy(f"party:{member}", tier, tiers_owner)
        self._decided = {k: v for k, v in self._decided.items() if k[1] != owner}

    def may(self, viewer: str, seat: str, owner: str, leaf: str, action: str = "read") -> bool:
        if viewer == owner:  # a company always sees its own data
            return True
        key = (seat, owner, leaf, action)
        if key not in self._decided:
            self._decided[key] = self.enforcer.enforce(seat, owner, "opportunity", leaf, action)
        return self._decided[key]

    def public(self, owner: str) -> tuple[set[tuple[str, ...]], dict[str, list[str]]]:
        rules = {(rule_id, *row) for rule_id, row in self.rules.get(owner, {}).items()}
        tiers = {t: sorted(m) for t, m in sorted(self.tiers.get(owner, {}).items()) if m}
        return rules, tiers


class NoLeak(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.network = build_network(Settings(database_url="sqlite:///:memory:"))
        app = create_app(Settings(), network=self.network)
        self.client = TestClient(app, raise_server_exceptions=False).__enter__()
        self.world = World(self.network, self.client)
        self.oracle = Oracle()
        self.sellers: dict[str, Caller] = {}  # party id -> its sales (and admin) user
        self.deals: dict[str, str] = {}  # deal id -> owner party id
        self.judged: dict[str, Any] = {}  # deal id -> what its reads depended on when judged
        self.loaded: dict[str, Any] = {}  # deal id -> the stored deal, until the next write

    def teardown(self) -> None:
        self.client.__exit__(None, None, None)
        self.network.close()

    @initialize(count=st.integers(3, 4), owner=PICK, details=REGISTRATION, answers=ANSWERS,
                stances=STANCES, opening=OPENING, gold=st.lists(PICK, max_size=2))  # fmt: skip
    def partner_companies_their_policies_and_a_shared_deal(
        self, count: int, owner: int, details: dict[str, Any], answers: list[str | None],
        stances: list[tuple[str | None, ...]], opening: list[tuple[int | None, str, str]],
        gold: list[int],
    ) -> None:  # fmt: skip
        """Companies that all partner, each with a stance and a few opening rules, and a deal."""
        sellers = [self.world.company(Role.SALES, Role.ADMIN) for _ in range(count)]
        for i, seller in enumerate(sellers):
            self.world.security_admin(seller)
            self.sellers[seller.party_id] = seller
            for other in sellers[i + 1 :]:
                # set-up, not under test: partners through the network, to save time per example
                pair = self.network.propose_partnership(principal(seller), UUID(other.party_id))
                self.network.accept_partnership(principal(other), pair.object_id)
        for index, stance in enumerate(stances[:count]):
            for viewer, preset in zip(("partners", "invited"), stance, strict=True):
                if preset:
                    self.apply_preset(index, viewer, preset, stray=2)
        for who, viewer, what in opening:
            by = owner if who is None else who
            if what in PRESETS:
                self.apply_preset(by, viewer, what, stray=2)
            else:
                self.add_rule(by, viewer, what, stray=2, action="read", effect="allow")
        for member in gold:
            self.change_tier(owner, "gold", member, add=True, stray=2)
        self.register(owner, details)
        for guest, then in enumerate(answers[:count]):
            if guest != owner % count:
                self.invite(0, guest, "co_seller", then)

    # --- helpers ------------------------------------------------------------------------------

    def call(self, method: str, url: str, caller: Caller, body: Any = None, v: Any = None) -> Any:
        headers = caller.headers if v is None else {**caller.headers, "If-Match": f'"{v}"'}
        response = self.client.request(method, url, json=body, headers=headers)
        if method != "GET":
            self.loaded.clear()
        assert response.status_code < 500, f"{method} {url}: {response.text}"
        return response

    def stored(self, deal_id: str) -> Any:
        """The deal as stored, loaded directly (as its owner), not through HTTP."""
        if deal_id not in self.loaded:
            owner = principal(self.sellers[self.deals[deal_id]])
            self.loaded[deal_id] = self.network.opportunity(owner, UUID(deal_id))
        return self.loaded[deal_id]

    def party(self, index: int, likely: list[str] | None = None) -> Caller:
        """Mostly one of the likely parties (when there are any), otherwise any party."""
        pool = likely if likely and index < 9 else list(self.sellers)
        return self.sellers[pool[index % len(pool)]]

    def deal_at(self, index: int, *statuses: str) -> tuple[str, Caller, list[str]]:
        """A deal, its owner's seller, and the parties whose status is one of `statuses`."""
        deal_id = list(self.deals)[index % len(self.deals)]
        deal = self.stored(deal_id)
        likely = [str(k) for k, p in deal.participants.items() if str(p.status) in statuses]
        return deal_id, self.sellers[self.deals[deal_id]], likely

    def acted(self, caller: Caller, deal_id: str, response: Any) -> None:
        """Whatever a command answers is itself a read: judge it like one."""
        if response.status_code in (200, 201):
            deal = self.stored(deal_id)
            self.judge_view(caller.party_id, seat_of(deal, caller.party_id), deal, response.json())

    # --- deals --------------------------------------------------------------------------------

    @precondition(lambda self: len(self.deals) < MAX_DEALS)
    @rule(owner=PICK, details=REGISTRATION)
    def register(self, owner: int, details: dict[str, Any]) -> None:
        seller = self.party(owner)
        body = {**details, "override_conflicts": True}
        created = self.call("POST", "/v1/opportunities", seller, body)
        assert created.status_code == 201, created.text
        self.deals[created.json()["id"]] = seller.party_id
        self.acted(seller, created.json()["id"], created)

    @rule(which=PICK, guest=PICK, role=ROLE, then=ANSWER)
    def invite(self, which: int, guest: int, role: str, then: str | None) -> None:
        """The owner invites a party, which (so that deals get partners) may answer at once."""
        deal_id, owner, _ = self.deal_at(which)
        party = self.party(guest)
        url = f"/v1/opportunities/{deal_id}/invitations"
        invited = self.call("POST", url, owner, {"party_id": party.party_id, "role": role})
        self.acted(owner, deal_id, invited)
        if invited.status_code == 200 and then:
            url = f"{url}/{party.party_id}/{then}"
            self.acted(party, deal_id, self.call("POST", url, party))

    @rule(which=PICK, who=PICK, verb=st.sampled_from(["accept", "accept", "decline"]))
    def answer(self, which: int, who: int, verb: str) -> None:
        deal_id, _, invited = self.deal_at(which, "invited")
        party = self.party(who, invited)
        url = f"/v1/opportunities/{deal_id}/invitations/{party.party_id}/{verb}"
        self.acted(party, deal_id, self.call("POST", url, party, {"reason": "busy"}))

    @rule(which=PICK, who=PICK, by_owner=st.booleans())
    def withdraw(self, which: int, who: int, by_owner: bool) -> None:
        deal_id, owner, involved = self.deal_at(which, "invited", "accepted")
        party = self.party(who, [p for p in involved if p != owner.party_id])
        caller = owner if by_owner else party
        url = f"/v1/opportunities/{deal_id}/invitations/{party.party_id}/withdraw"
        self.acted(caller, deal_id, self.call("POST", url, caller, {"reason": "scope"}))

    @rule(which=PICK, who=PICK, changes=CHANGES)
    def update_details(self, which: int, who: int, changes: dict[str, Any]) -> None:
        deal_id, owner, accepted = self.deal_at(which, "accepted")
        caller = self.party(who, [owner.party_id, *accepted])
        version = self.stored(deal_id).version
        changed = self.call("PATCH", f"/v1/opportunities/{deal_id}", caller, changes, v=version)
        self.acted(caller, deal_id, changed)
        if changed.status_code == 200 and caller != owner:  # a partner, by the owner's grant
            paths = [*changes, *(f"customer.{p}" for p in changes.get("customer", {}))]
            leaves = [leaf for leaf in LEAVES for p in paths if leaf.startswith(p)]
            seat, may = f"party:{caller.party_id}", self.oracle.may
            refused = [
                x for x in leaves if not may(caller.party_id, seat, owner.party_id, x, "write")
            ]
            assert not refused, f"a partner changed {refused} without a write grant"

    @rule(
        which=PICK,
        move=st.sampled_from(
            ["Qualified", "Committed", "Prospect", "Technical Validation", "won", "lost"]
        ),
    )
    def move(self, which: int, move: str) -> None:
        deal_id, owner, _ = self.deal_at(which)
        closing = move in ("won", "lost")
        tail = "close" if closing else "stage"
        body = {"outcome": move, "reason": "budget"} if closing else {"stage": move, "reopen": True}
        self.acted(
            owner, deal_id, self.call("POST", f"/v1/opportunities/{deal_id}/{tail}", owner, body)
        )

    @rule(which=PICK, who=PICK, text=WORD)
    def write_note(self, which: int, who: int, text: str) -> None:
        deal_id, owner, accepted = self.deal_at(which, "accepted")
        party = self.party(who, [p for p in accepted if p != owner.party_id] or accepted)
        url = f"/v1/opportunities/{deal_id}/notes"
        self.acted(party, deal_id, self.call("POST", url, party, {"text": text}))

    @rule(which=PICK, who=PICK, changes=COUNTERPART_CHANGES)
    def update_counterpart(self, which: int, who: int, changes: dict[str, Any]) -> None:
        deal_id, owner, accepted = self.deal_at(which, "accepted")
        party = self.party(who, [p for p in accepted if p != owner.party_id] or accepted)
        url, version = f"/v1/opportunities/{deal_id}/counterpart", self.stored(deal_id).version
        self.acted(party, deal_id, self.call("PATCH", url, party, changes, v=version))

    # --- policies -----------------------------------------------------------------------------

    def edit_policy(self, owner: int, stray: int, method: str, path: str, body: Any = None) -> Any:
        """The owner's security admin edits its policy; a stray caller is refused with 403.

        Either way the policy is read back afterwards, so the oracle never drifts from it."""
        seller = self.party(owner)
        caller = seller if stray == 1 else self.world.security_admin(seller)
        target = seller.party_id
        if stray == 0:
            target = next(p for p in self.sellers if p != seller.party_id)
            if method == "DELETE":
                path += f"?owner_party_id={target}"
            else:
                body = {**body, "owner_party_id": target}
        response = self.call(method, f"/v1/policies/{path}", caller, body)
        if stray in (0, 1):
            assert response.status_code == 403, response.text
            self.read_back(target)
        return response if stray > 1 else None

    def read_back(self, owner: str, policy: dict[str, Any] | None = None) -> None:
        """The policy the server holds (as answered, or read back) is the oracle's."""
        if policy is None:
            admin = self.world.security_admin(self.sellers[owner])
            policy = self.call("GET", "/v1/policies/rules", admin).json()
        rules = {(r["rule_id"], *(r[k] for k in RULE_KEYS)) for r in policy["rules"]}
        assert (rules, policy["tiers"]) == self.oracle.public(owner)

    def viewer(self, viewer: str | int) -> str:
        return viewer if isinstance(viewer, str) else f"party:{self.party(viewer).party_id}"

    @rule(owner=PICK, viewer=VIEWER, field=FIELD, stray=STRAY,
          action=st.sampled_from(["read", "read", "read", "write"]),
          effect=st.sampled_from(["allow", "allow", "deny"]))  # fmt: skip
    def add_rule(
        self, owner: int, viewer: str | int, field: str, stray: int, action: str, effect: str
    ) -> None:
        row = (self.viewer(viewer), "opportunity", field, action, effect)
        body = dict(zip(RULE_KEYS, row, strict=True))
        added = self.edit_policy(owner, stray, "POST", "rules", body)
        if added is None:
            return
        owner_id = self.party(owner).party_id
        rules = self.oracle.rules.setdefault(owner_id, {})
        covered = {leaf for leaf in LEAVES if leaf == field or leaf.startswith(field.rstrip("*"))}
        if row[0] == f"party:{owner_id}" or (action == "write" and not WRITABLE & covered):
            assert added.status_code == 422, added.text
        elif row in rules.values():
            assert added.status_code == 409, added.text
        else:
            assert added.status_code == 201, added.text
            assert added.json() == {"rule_id": added.json()["rule_id"], **body}
            rules[added.json()["rule_id"]] = row
            self.oracle.changed(owner_id)
        self.read_back(owner_id)

    @rule(owner=PICK, which=PICK, stray=STRAY)
    def remove_rule(self, owner: int, which: int, stray: int) -> None:
        owner_id = self.party(owner).party_id
        rules = self.oracle.rules.setdefault(owner_id, {})
        candidates = [*rules, "0123456789abcdef"]
        rule_id = candidates[which % len(candidates)]
        removed = self.edit_policy(owner, stray, "DELETE", f"rules/{rule_id}")
        if removed is None:
            return
        assert removed.status_code == (204 if rule_id in rules else 404), removed.text
        if rules.pop(rule_id, None):
            self.oracle.changed(owner_id)
        self.read_back(owner_id)

    @rule(owner=PICK, viewer=VIEWER, preset=PRESET, stray=STRAY)
    def apply_preset(self, owner: int, viewer: str | int, preset: str, stray: int) -> None:
        viewer = self.viewer(viewer)
        applied = self.edit_policy(
            owner, stray, "POST", "presets", {"viewer": viewer, "preset": preset}
        )
        if applied is None:
            return
        owner_id, answered = self.party(owner).party_id, None
        if viewer == f"party:{owner_id}":
            assert applied.status_code == 422, applied.text
        else:
            assert applied.status_code == 200, applied.text
            answered = applied.json()
            rules = self.oracle.rules.setdefault(owner_id, {})
            kept = [row for row in rules.values() if row[0] != viewer]
            wanted = [(viewer, "opportunity", f, "read", str(e)) for f, e in PRESETS[preset]]
            ids = {tuple(r[k] for k in RULE_KEYS): r["rule_id"] for r in applied.json()["rules"]}
            assert set(ids) == {*kept, *wanted}, "the preset replaced exactly the viewer's rules"
            self.oracle.rules[owner_id] = {ids[row]: row for row in (*kept, *wanted)}
            self.oracle.changed(owner_id)
        self.read_back(owner_id, answered)

    @rule(owner=PICK, tier=TIER, member=PICK, add=st.booleans(), stray=STRAY)
    def change_tier(self, owner: int, tier: str, member: int, add: bool, stray: int) -> None:
        member_id = self.party(member).party_id
        path = f"tiers/{tier}/members"
        if add:
            changed = self.edit_policy(owner, stray, "POST", path, {"party_id": member_id})
        else:
            changed = self.edit_policy(owner, stray, "DELETE", f"{path}/{member_id}")
        if changed is None:
            return
        owner_id, answered = self.party(owner).party_id, None
        members = self.oracle.tiers.setdefault(owner_id, {}).setdefault(f"tier:{tier}", set())
        if add and member_id == owner_id:
            assert changed.status_code == 422, changed.text
        elif add == (member_id in members):
            assert changed.status_code == (409 if add else 404), changed.text
        else:
            assert changed.status_code == 200, changed.text
            (members.add if add else members.discard)(member_id)
            self.oracle.changed(owner_id)
            answered = changed.json()
        self.read_back(owner_id, answered)

    # --- what every party reads ---------------------------------------------------------------

    @invariant()
    def no_party_reads_what_the_policy_in_force_denies(self) -> None:
        deals = {deal_id: self.stored(deal_id) for deal_id in self.deals}
        inputs = {deal_id: self.inputs(deal) for deal_id, deal in deals.items()}
        changed = {deal_id for deal_id in deals if self.judged.get(deal_id) != inputs[deal_id]}
        if not changed:  # nothing any read depends on changed: the last judgement still holds
            return
        before, self.judged = self.judged, inputs
        for party, seller in self.sellers.items():
            listed = self.call("GET", "/v1/opportunities?limit=200", seller)
            items = {item["id"]: item for item in listed.json()["items"]}
            seats = {deal_id: seat_of(deal, party) for deal_id, deal in deals.items()}
            assert set(items) == {deal_id for deal_id, seat in seats.items() if seat}
            for deal_id, item in items.items():
                self.judge_view(party, seats[deal_id], deals[deal_id], item)
            for deal_id in changed:
                if seats[deal_id] is None and before.get(deal_id, ())[-1:] == inputs[deal_id][-1:]:
                    continue  # an outsider's 404 depends only on who takes part: unchanged
                detail = self.call("GET", f"/v1/opportunities/{deal_id}", seller)
                events = self.call("GET", f"/v1/opportunities/{deal_id}/events", seller)
                if seats[deal_id] is None:  # learns nothing, not even that the deal exists
                    assert_not_found(detail)
                    assert_not_found(events)
                else:
                    assert detail.json() == items[deal_id], detail.text
                    history = events.json()["events"]
                    self.judge_events(party, seats[deal_id], deals[deal_id], history)

    def inputs(self, deal: Any) -> tuple[Any, ...]:
        """What reads of the deal depend on: its version, its data's policies, who takes part."""
        owners = {deal.owner_id, *(n.author.party_id for n in deal.notes), *deal.counterparts}
        policies = sorted((str(o), self.oracle.versions.get(str(o), 0)) for o in owners)
        return (
            deal.version,
            policies,
            sorted((str(k), p.status) for k, p in deal.participants.items()),
        )

    def judge_view(self, viewer: str, seat: str | None, deal: Any, view: dict[str, Any]) -> None:
        """Every leaf shown is one the oracle allows, and every allowed leaf is shown."""
        assert seat is not None, f"{viewer} was shown a deal it takes no part in"
        owner, may = str(deal.owner_id), self.oracle.may

        def sees(data_owner: str, leaf: str) -> None:
            assert may(viewer, seat, data_owner, leaf), f"{seat} got {leaf} of {data_owner}"

        meta = {"id", "version", "owner_party_id", "invitation"}
        meta |= set() if seat == "invited" else {"created_at", "updated_at"}
        for key, value in view.items():
            if key == "notes":
                for note in value:
                    sees(note["author_party_id"], "notes")
            elif key == "counterparts":
                for party, fields in value.items():
                    for name in fields:
                        sees(party, f"counterparts.{name}")
            elif key not in meta:
                assert key in TOP or key == "customer", f"{viewer} was shown {key}"
        for key in TOP:
            if key in view:
                sees(owner, key)
        for part, value in view.get("customer", {}).items():
            if part != "contacts":
                sees(owner, f"customer.{part}")
            for leaf in (
                {f"customer.contacts.{p}" for c in value for p in c} if part == "contacts" else ()
            ):
                sees(owner, leaf)
        assert (view["id"], view["version"], view["owner_party_id"]) == (
            str(deal.id),
            deal.version,
            owner,
        )
        shown = shown_leaves(view)  # and the converse: nothing allowed is held back
        for leaf, value in stored_leaves(deal).items():
            if may(viewer, seat, owner, leaf):
                assert shown.get(leaf, MISSING) == value, f"{seat} misses {leaf} of {owner}"
        notes = [n for n in deal.notes if may(viewer, seat, str(n.author.party_id), "notes")]
        assert [n["note_id"] for n in view.get("notes", [])] == [str(n.note_id) for n in notes]
        counterparts = {
            str(party): {
                name: money(value) if name == "forecast_amount" else value
                for name, value in counterpart.fields.items()
                if may(viewer, seat, str(party), f"counterparts.{name}")
            }
            for party, counterpart in deal.counterparts.items()
        }
        assert view.get("counterparts", {}) == {p: c for p, c in counterparts.items() if c}

    def judge_events(self, viewer: str, seat: str, deal: Any, events: list[dict[str, Any]]) -> None:
        """Each event's data passes the same test; its actor shows only as far as allowed."""
        owner, may = str(deal.owner_id), self.oracle.may
        authors = {str(n.note_id): str(n.author.party_id) for n in deal.notes}
        stored = list(self.network.events.get(deal.id))
        actors = {e.originator_version: e.actor for e in stored}

        def hidden(event: Any) -> bool:  # from the owner: only partners' notes and own fields
            author, name = str(event.actor.party_id), type(event).__name__
            changes = getattr(event, "changes", {}) if name == "CounterpartUpdated" else {}
            leaves = ["notes"] if name == "NoteAdded" else [f"counterparts.{k}" for k in changes]
            return (
                bool(leaves)
                and author != owner
                and not any(may(owner, seat, author, x) for x in leaves)
            )

        if viewer == owner:  # the converse: the owner's history holds what it may see
            expected = [e.originator_version for e in stored if not hidden(e)]
            assert [e["version"] for e in events] == expected
        for event in events:
            for key, value in event["data"].items():
                data_owner, leaves = owner, [key]
                own = key == "participants" and value["party_id"] == viewer  # its invitation
                if key == "owner_party_id" or own:
                    continue
                if key == "notes":
                    data_owner = authors[value["note_id"]]
                elif key.startswith("counterparts."):
                    _, data_owner, name = key.split(".")
                    leaves = [f"counterparts.{name}"]
                elif key == "customer.contacts":
                    leaves = [f"{key}.{part}" for contact in value for part in contact]
                else:
                    assert key in TOP or key in CUSTOMER, f"{viewer} was shown event data {key}"
                for leaf in leaves:
                    assert may(viewer, seat, data_owner, leaf), f"{seat} got event {leaf}"
            actor = actors[event["version"]]
            allowed = str(actor.party_id) in (viewer, owner) or may(
                viewer, seat, owner, "participants"
            )
            who = {"party_id": str(actor.party_id), "user_id": str(actor.user_id)}
            assert event["actor"] == (who if allowed else None), f"{seat} and the actor"


def test_no_party_ever_reads_a_field_the_owner_s_policy_denies() -> None:
    examples = max(200, settings.default.max_examples)
    run_state_machine_as_test(
        NoLeak,
        settings=settings(
            max_examples=examples,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
