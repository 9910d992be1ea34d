"""No field a policy denies ever reaches a party: random deals, invitations, notes and policy
edits, all through HTTP, with every party's reads judged by Casbin itself after each step."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import casbin
import pytest
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
from ecosystem.audit.sealing import Sealed
from ecosystem.partnerships.domainmodel import partnership_id
from ecosystem.sharing.rules import PRESETS
from tests.consistent import ConsistentClient
from tests.e2e.conftest import Caller, World

POLICIES = Path(__file__).resolve().parents[2] / "policies"
PARTS = ("name", "email", "phone", "title")
CONTACTS = tuple(f"customer.contacts.{p}" for p in PARTS)
CUSTOMER = tuple(f"customer.{p}" for p in ("name", "website_domain", "industry", "country"))
TOP = ("title", "stage", "closing_reason", "participants", "expected_close_quarter",
       "expected_amount", "target_close_date", "next_steps", "products")  # fmt: skip
COUNTERPARTS = tuple(f"counterparts.{f}" for f in ("crm_reference", "forecast_amount",
                                                   "internal_notes"))  # fmt: skip
LEAVES = (*TOP, *CUSTOMER, *CONTACTS, "notes", *COUNTERPARTS)
NOT_WRITABLE = {"stage", "closing_reason", "participants", "expected_close_quarter", "notes",
                *COUNTERPARTS}  # fmt: skip
RULE_KEYS = ("viewer", "object_type", "field", "action", "effect")
MISSING = object()

WORD = st.builds("{} {}".format, st.sampled_from(["Ada", "Zürich", "Ω"]), st.integers(0, 99))
AMOUNT = st.builds("{}.50".format, st.integers(0, 10**6))
MONEY = st.fixed_dictionaries({"amount": AMOUNT, "currency": st.sampled_from(["EUR", "USD"])})
EMAIL = st.builds("p{}@cust.example".format, st.integers(0, 99))
PHONE = st.builds("+49 30 {}".format, st.integers(1000, 9999))
CONTACT = st.fixed_dictionaries(
    {"name": WORD}, optional={"email": EMAIL, "phone": PHONE, "title": WORD}
)
CUSTOMER_PARTS = {
    "website_domain": st.sampled_from(["acme.example", "https://www.Globex.example/x"]),
    "industry": WORD,
    "country": st.sampled_from(["DE", "FR", "US"]),
    "contacts": st.lists(CONTACT, max_size=2),
}
DETAILS = {
    "expected_amount": MONEY,
    "target_close_date": st.dates(date(2024, 1, 1), date(2031, 12, 31)).map(str),
    "next_steps": WORD,
    "products": st.lists(WORD, max_size=3),
}
CUSTOMER_IN = st.fixed_dictionaries(  # registered with personal data: at least one contact
    {"name": WORD, "contacts": st.lists(CONTACT, min_size=1, max_size=2)},
    optional={k: v for k, v in CUSTOMER_PARTS.items() if k != "contacts"},
)
REGISTRATION = st.fixed_dictionaries({"title": WORD, "customer": CUSTOMER_IN}, optional=DETAILS)
CUSTOMER_CHANGES = st.fixed_dictionaries({}, optional={"name": WORD, **CUSTOMER_PARTS})
CHANGES = st.fixed_dictionaries(
    {}, optional={"title": WORD, "customer": CUSTOMER_CHANGES, **DETAILS}
)
COUNTERPART_CHANGES = st.fixed_dictionaries(
    {}, optional={"crm_reference": WORD, "forecast_amount": MONEY, "internal_notes": WORD}
)
PICK = st.integers(0, 11)  # 0-8: one of the likely parties (if there are any), 9-11: any party
VIEWER = st.sampled_from(["partners", "invited", "tier:gold", "tier:silver"]) | PICK
# Half the time a field where leaks hide best: contact parts, counterparts, notes, patterns.
HOT = [*CONTACTS, *COUNTERPARTS, "notes", "customer.contacts.*", "counterparts.*", "*"]
FIELD = st.sampled_from(HOT) | st.sampled_from([*LEAVES, "customer.*"])
STRAY = st.integers(0, 14)  # 0: asks to change another party's policy; 1: a sales user asks
ANSWER = st.sampled_from(["accept", "accept", "decline", None])
PRESET = st.sampled_from(["full", "standard", "summary", "hidden"])  # simplest first: sharing
STANCES = st.lists(st.tuples(st.none() | PRESET, st.none() | PRESET), min_size=4, max_size=4)
OPENING_VIEWER = st.sampled_from(["partners", "invited", "tier:gold"])
OPENING = st.lists(st.tuples(st.none() | PICK, OPENING_VIEWER, PRESET | FIELD), max_size=2)


def money(value: Any) -> Any:
    return value and {"amount": str(value.amount), "currency": value.currency}


def stored_leaves(deal: Any, open_text: Callable[[Any], str]) -> dict[str, Any]:
    """Every core leaf of the deal as stored, in the shape a JSON view carries it (personal
    data is stored sealed: `open_text` opens it)."""
    f, day, people = deal.fields, deal.fields["target_close_date"], deal.participants.values()
    leaves = {
        "title": f["title"], "stage": str(deal.stage), "closing_reason": deal.closing_reason,
        "participants": [(str(p.party_id), str(p.role), str(p.status)) for p in people],
        "expected_close_quarter": day and f"{day.year}-Q{(day.month - 1) // 3 + 1}",
        "expected_amount": money(f["expected_amount"]), "next_steps": f["next_steps"],
        "target_close_date": day and day.isoformat(), "products": list(f["products"]),
        **{leaf: f[leaf] for leaf in CUSTOMER},
    }  # fmt: skip
    for part, leaf in zip(PARTS, CONTACTS, strict=True):
        leaves[leaf] = [open_text(getattr(c, part)) for c in f["customer.contacts"]]
    return leaves


def shown_leaves(view: dict[str, Any]) -> dict[str, Any]:
    """The same leaves as a view shows them (a contact part missing from an item: MISSING)."""
    flat = {k: v for k, v in view.items() if k in TOP}
    if "participants" in flat:
        flat["participants"] = [
            (p["party_id"], p["role"], p["status"]) for p in view["participants"]
        ]
    customer = view.get("customer", {})
    flat.update({f"customer.{part}": value for part, value in customer.items()})
    for part, leaf in zip(PARTS, CONTACTS, strict=True):
        if "contacts" in customer:
            flat[leaf] = [c.get(part, MISSING) for c in customer["contacts"]]
    return flat


def shown_pairs(view: dict[str, Any], owner: str) -> list[tuple[str, str]]:
    """(data owner, policy leaf) of every value in a view, beyond the always-visible keys."""
    customer = view.get("customer", {})
    return [
        *((owner, key) for key in TOP if key in view),
        *((owner, "stage") for key in ["stage_history"] if key in view),  # part of the stage
        *((owner, f"customer.{part}") for part in customer if part != "contacts"),
        *((owner, f"customer.contacts.{p}") for c in customer.get("contacts", []) for p in c),
        *((note["author_party_id"], "notes") for note in view.get("notes", [])),
        *((party, f"counterparts.{name}")
          for party, fields in view.get("counterparts", {}).items() for name in fields),
    ]  # fmt: skip


def written_leaves(event: Any) -> list[str]:
    """The leaves of what a participant writes as its own: its notes, its counterpart fields."""
    name = type(event).__name__
    if name == "CounterpartUpdated":
        return [f"counterparts.{field}" for field in event.changes]
    return ["notes"] if name == "NoteAdded" else []


def seat_of(deal: Any, party: str) -> str | None:
    """How a party asks: as itself once it accepted, as `invited` while pending, else not."""
    status = {str(k): str(p.status) for k, p in deal.participants.items()}.get(party, "")
    return {"accepted": f"party:{party}", "invited": "invited"}.get(status)


def seats_then(viewer: str, owner: str, events: Any) -> dict[int, str | None]:
    """The viewer's seat just after each stored event (by version), followed independently of
    the code under test: invited, accepted, then none once it declined or was withdrawn."""
    seats, status = {}, "accepted" if viewer == owner else None
    for event in events:
        name, actor = type(event).__name__, str(event.actor.party_id)
        if name == "PartnerInvited" and str(event.party_id) == viewer:
            status = "invited"
        elif name in ("InvitationAccepted", "InvitationDeclined") and actor == viewer:
            status = "accepted" if name == "InvitationAccepted" else None
        elif name == "PartnerWithdrawn" and str(event.party_id) == viewer:
            status = None
        seats[event.originator_version] = {
            "accepted": f"party:{viewer}", "invited": "invited"}.get(status or "")  # fmt: skip
    return seats


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
        self._only_opportunities()
        self.rules: dict[str, dict[str, tuple[str, ...]]] = {}  # owner -> rule id -> row
        self.tiers: dict[str, dict[str, set[str]]] = {}  # owner -> tier -> members
        self.versions: dict[str, int] = {}  # owner -> changes the test saw accepted
        self._decided: dict[tuple[str, ...], bool] = {}
        self.apart: set[frozenset[str]] = set()  # pairs whose partnership is not active

    def changed(self, owner: str) -> None:
        self.versions[owner] = self.versions.get(owner, 0) + 1
        self.enforcer.load_policy()  # the defaults, from policies/defaults.csv
        self._only_opportunities()
        for rules_owner, rules in self.rules.items():
            for viewer, object_type, field, action, effect in rules.values():
                self.enforcer.add_policy(viewer, rules_owner, object_type, field, action, effect)
        for tiers_owner, tiers in self.tiers.items():
            for tier, members in tiers.items():
                for member in members:
                    self.enforcer.add_grouping_policy(f"party:{member}", tier, tiers_owner)
        self._decided = {k: v for k, v in self._decided.items() if k[1] != owner}

    def _only_opportunities(self) -> None:
        """Drop the defaults of other object types: they never match an opportunity request,
        and every row costs each `enforce` call time."""
        for other in ("solution", "funding_plan"):
            self.enforcer.remove_filtered_policy(2, other)

    def may(self, viewer: str, seat: str, owner: str, leaf: str, action: str = "read") -> bool:
        if viewer == owner:  # a company always sees its own data
            return True
        if frozenset((viewer, owner)) in self.apart:  # and others' only while partners
            return False
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
        self.directory = tempfile.TemporaryDirectory()  # the read models' runner needs a file
        url = f"sqlite:///{self.directory.name}/cosell.db"
        self.network = build_network(Settings(database_url=url))
        app = create_app(Settings(), network=self.network)
        self.client = ConsistentClient(app, self.network, raise_server_exceptions=False).__enter__()
        self.world = World(self.network, self.client)
        self.oracle = Oracle()
        self.sellers: dict[str, Caller] = {}  # party id -> its sales (and admin) user
        self.deals: dict[str, str] = {}  # deal id -> owner party id
        self.judged: dict[str, Any] = {}  # deal id -> what its reads depended on when judged
        self.loaded: dict[Any, Any] = {}  # deal id -> the stored deal (and events), until a write
        self.opened: dict[Sealed, str] = {}  # sealed contact parts, as their text
        self.keys: list[tuple[str, str, str, Any, str]] = []  # accepts made with a key
        self.partnered = 0  # partnership changes so far: reads depend on who partners whom
        self.auditors: dict[str, Caller] = {}  # party id -> its auditor

    def teardown(self) -> None:
        self.client.__exit__(None, None, None)
        self.network.close()
        self.directory.cleanup()

    @initialize(count=st.integers(3, 4), owner=PICK, details=REGISTRATION, stances=STANCES,
                opening=OPENING, gold=st.lists(PICK, min_size=1, max_size=2),
                answers=st.lists(ANSWER, min_size=4, max_size=4))  # fmt: skip
    def companies_with_policies_and_a_shared_deal(
        self, count: int, owner: int, details: dict[str, Any], stances: list[tuple[Any, Any]],
        opening: list[tuple[Any, str, str]], gold: list[int], answers: list[str | None],
    ) -> None:  # fmt: skip
        """Companies that all partner, each with a stance (a preset for partners and one for
        invitees) and a few opening edits, and a first deal shared with some of them."""
        sellers = [self.world.company(Role.SALES, Role.ADMIN) for _ in range(count)]
        for i, seller in enumerate(sellers):
            self.world.security_admin(seller)
            self.sellers[seller.party_id] = seller
            for other in sellers[i + 1 :]:  # set-up, not under test: straight to the network
                pair = self.network.propose_partnership(principal(seller), UUID(other.party_id))
                self.network.accept_partnership(principal(other), pair.object_id)
        for i, stance in enumerate(stances[:count]):
            for viewer, preset in zip(("partners", "invited"), stance, strict=True):
                if preset:
                    self.apply_preset(i, viewer, preset, stray=2)
        for who, viewer, what in opening:  # by the deal's owner (None) or any party
            if what in PRESETS:
                self.apply_preset(owner if who is None else who, viewer, what, stray=2)
            else:
                self.add_rule(owner if who is None else who, viewer, what, 2, "read", "allow")
        for member in gold:
            self.change_tier(owner, "gold", member, add=True, stray=2)
        self.register(owner, details)
        for guest, then in enumerate(answers[:count]):
            if guest != owner % count:
                self.invite(0, guest, "co_seller", then)
        for i in range(len(self.deal_at(0, "accepted")[2]) - 1):  # each partner who joined
            self.write_note(0, i, "Opening note")  # brings a note and its CRM reference
            self.update_counterpart(0, i, {"crm_reference": f"CRM-{i}"})

    # --- helpers ------------------------------------------------------------------------------

    def call(
        self, method: str, url: str, caller: Caller, body: Any = None, v: Any = None,
        key: str | None = None,
    ) -> Any:  # fmt: skip
        headers = caller.headers if v is None else {**caller.headers, "If-Match": f'"{v}"'}
        headers = headers if key is None else {**headers, "Idempotency-Key": key}
        response = self.client.request(method, url, json=body, headers=headers)
        if method != "GET":
            self.loaded.clear()
        assert response.status_code < 500, f"{method} {url}: {response.text}"
        return response

    def open_text(self, part: Any) -> str:
        """A stored contact part as text (nobody is erased here: what was opened stays so)."""
        if not isinstance(part, Sealed):
            return str(part)
        if part not in self.opened:
            self.opened.update(self.network.personal_data.open_texts([part]))
        return self.opened[part]

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
        """A deal, its owner's seller, and the parties with one of `statuses` on it."""
        deal_id = list(self.deals)[index % len(self.deals)]
        parties = self.stored(deal_id).participants.items()
        return deal_id, self.sellers[self.deals[deal_id]], [
            str(k) for k, p in parties if str(p.status) in statuses]  # fmt: skip

    def acted(self, caller: Caller, deal_id: str, response: Any) -> None:
        """Whatever a command answers is itself a read: judge it like one."""
        if response.status_code in (200, 201):
            deal = self.stored(deal_id)
            self.judge_view(caller.party_id, seat_of(deal, caller.party_id), deal, response.json())

    # --- deals --------------------------------------------------------------------------------

    @precondition(lambda self: len(self.deals) < 3)
    @rule(owner=PICK, details=REGISTRATION)
    def register(self, owner: int, details: dict[str, Any]) -> None:
        seller = self.party(owner)
        created = self.call("POST", "/v1/opportunities", seller,
                            {**details, "override_conflicts": True})  # fmt: skip
        assert created.status_code == 201, created.text
        self.deals[created.json()["id"]] = seller.party_id
        self.acted(seller, created.json()["id"], created)

    @rule(which=PICK, guest=PICK, role=st.sampled_from(["co_seller", "reseller"]), then=ANSWER)
    def invite(self, which: int, guest: int, role: str, then: str | None) -> None:
        """The owner invites a party, which (so that deals get partners) may answer at once."""
        deal_id, owner, _ = self.deal_at(which)
        party, url = self.party(guest), f"/v1/opportunities/{deal_id}/invitations"
        invited = self.call("POST", url, owner, {"party_id": party.party_id, "role": role})
        self.acted(owner, deal_id, invited)
        if invited.status_code == 200 and then:
            self.answered(party, deal_id, f"{url}/{party.party_id}/{then}", None)

    @rule(which=PICK, who=PICK, verb=st.sampled_from(["accept", "accept", "decline"]))
    def answer(self, which: int, who: int, verb: str) -> None:
        deal_id, _, invited = self.deal_at(which, "invited")
        party = self.party(who, invited)
        url = f"/v1/opportunities/{deal_id}/invitations/{party.party_id}/{verb}"
        self.answered(party, deal_id, url, {"reason": "busy"})

    def answered(self, party: Caller, deal_id: str, url: str, body: Any) -> None:
        """An invitation answered; an acceptance carries an Idempotency-Key, kept for replays."""
        key = f"accept-{len(self.keys)}" if url.endswith("/accept") else None
        response = self.call("POST", url, party, body, key=key)
        self.acted(party, deal_id, response)
        if key is not None and response.status_code == 200:
            self.keys.append((party.party_id, deal_id, url, body, key))

    @precondition(lambda self: self.keys)
    @rule(which=PICK)
    def replay_acceptance(self, which: int) -> None:
        """An acceptance retried with its key answers as a fresh read by that party would now:
        404 once it takes no part (withdrawn, partnership ended), whatever the policy says."""
        party_id, deal_id, url, body, key = self.keys[which % len(self.keys)]
        party = self.sellers[party_id]
        replayed = self.call("POST", url, party, body, key=key)
        if seat_of(self.stored(deal_id), party_id) is None:
            assert_not_found(replayed)
            return
        assert replayed.status_code == 200, replayed.text
        self.acted(party, deal_id, replayed)
        fresh = self.call("GET", f"/v1/opportunities/{deal_id}", party)
        assert replayed.json() == fresh.json()

    # --- auditors ----------------------------------------------------------------------------

    @rule(which=PICK, who=PICK)
    def audit(self, which: int, who: int) -> None:
        """A company's auditor reads a deal's history and its past states: exactly what the
        company reads, numbered without gaps, no state past it; a company that takes no part
        gets the answers an unknown id gets."""
        deal_id, party = self.deal_at(which)[0], self.party(who)
        if party.party_id not in self.auditors:
            self.auditors[party.party_id] = self.world.user(party.party_id, Role.AUDITOR)
        auditor, base = self.auditors[party.party_id], f"/v1/audit/objects/{deal_id}"
        history = self.call("GET", f"{base}/events", auditor)
        seat = seat_of(self.stored(deal_id), party.party_id)
        if seat is None:  # auditors read what their company takes part in
            unknown = f"/v1/audit/objects/{uuid4()}"
            for path in ("/events", "/state?version=1"):
                answers = [self.call("GET", f"{b}{path}", auditor) for b in (base, unknown)]
                assert_not_found(answers[0])
                assert answers[0].json()["detail"].replace(deal_id, "?") == answers[1].json()[
                    "detail"].replace(unknown.rsplit("/", 1)[1], "?")  # fmt: skip
            return
        events = history.json()["events"]
        assert [e["version"] for e in events] == list(range(1, len(events) + 1))
        assert_not_found(self.call("GET", f"{base}/state?version={len(events) + 1}", auditor))
        mine = self.call("GET", f"/v1/opportunities/{deal_id}/events", party).json()["events"]
        shown = [{k: v for k, v in e.items() if k not in ("position", "leaf_index")}
                 for e in events]  # fmt: skip
        assert shown == mine, "the auditor read other than its company reads"

    # --- partnerships -------------------------------------------------------------------------

    @rule(one=PICK, other=PICK)
    def end_partnership(self, one: int, other: int) -> None:
        """Either side ends a partnership: from then on nothing either owns reaches the other,
        on either's deals or on a third party's deal both take part in."""
        a, b = self.party(one), self.party(other)
        pair = frozenset((a.party_id, b.party_id))
        if a == b:
            return
        pid = partnership_id(UUID(a.party_id), UUID(b.party_id))
        ended = self.call("POST", f"/v1/partnerships/{pid}/end", a, {"reason": "strategy"})
        assert (ended.status_code == 200) == (pair not in self.oracle.apart), ended.text
        if ended.status_code == 200:
            self.oracle.apart.add(pair)
            self.partnered += 1

    @rule(one=PICK, other=PICK)
    def partner_again(self, one: int, other: int) -> None:
        """Partners again: whoever was withdrawn stays out until invited anew."""
        a, b = self.party(one), self.party(other)
        pair = frozenset((a.party_id, b.party_id))
        if pair not in self.oracle.apart:
            return
        proposed = self.call("POST", "/v1/partnerships", a, {"party_id": b.party_id})
        assert proposed.status_code == 201, proposed.text
        accepted = self.call("POST", f"/v1/partnerships/{proposed.json()['id']}/accept", b)
        assert accepted.status_code == 200, accepted.text
        self.oracle.apart.discard(pair)
        self.partnered += 1

    @rule(which=PICK, who=PICK, by_owner=st.booleans())
    def withdraw(self, which: int, who: int, by_owner: bool) -> None:
        deal_id, owner, involved = self.deal_at(which, "invited", "accepted")
        party = self.party(who, [p for p in involved if p != owner.party_id])
        caller = owner if by_owner else party
        url = f"/v1/opportunities/{deal_id}/invitations/{party.party_id}/withdraw"
        self.acted(caller, deal_id, self.call("POST", url, caller, {"reason": "scope"}))

    @rule(which=PICK, who=PICK, changes=CHANGES)
    def update_details(self, which: int, who: int, changes: dict[str, Any]) -> None:
        """Mostly the owner; a partner succeeds only on fields the owner granted write on."""
        deal_id, owner, accepted = self.deal_at(which, "accepted")
        caller, version = self.party(who, [owner.party_id, *accepted]), self.stored(deal_id).version
        changed = self.call("PATCH", f"/v1/opportunities/{deal_id}", caller, changes, v=version)
        self.acted(caller, deal_id, changed)
        if changed.status_code == 200 and caller != owner:
            customer = [f"customer.{p}" for p in changes.get("customer", {})]
            paths = [*customer, *(p for p in changes if p != "customer")]
            seat, may = f"party:{caller.party_id}", self.oracle.may
            leaves = [x for x in LEAVES for p in paths if x.startswith(p)]
            refused = [
                x for x in leaves if not may(caller.party_id, seat, owner.party_id, x, "write")
            ]
            assert not refused, f"a partner changed {refused} without a write grant"

    @rule(which=PICK, move=st.sampled_from(["Qualified", "Committed", "Prospect", "won", "lost"]))
    def move(self, which: int, move: str) -> None:
        deal_id, owner, _ = self.deal_at(which)
        closing = move in ("won", "lost")
        body = {"outcome": move, "reason": "budget"} if closing else {"stage": move, "reopen": True}
        url = f"/v1/opportunities/{deal_id}/{'close' if closing else 'stage'}"
        self.acted(owner, deal_id, self.call("POST", url, owner, body))

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

    def edit_policy(
        self, owner: int, stray: int, method: str, path: str, body: Any = None
    ) -> tuple[str, Any]:
        """The owner's security admin edits its policy. A stray caller (a sales user, or one
        naming another party's policy) is refused with 403, and the policy is unchanged."""
        seller = self.party(owner)
        caller, target = (seller if stray == 1 else self.world.security_admin(seller)), None
        if stray == 0:
            target = next(p for p in self.sellers if p != seller.party_id)
            path += f"?owner_party_id={target}" if method == "DELETE" else ""
            body = body if method == "DELETE" else {**body, "owner_party_id": target}
        response = self.call(method, f"/v1/policies/{path}", caller, body)
        if stray > 1:
            return seller.party_id, response
        assert response.status_code == 403, response.text
        self.read_back(target or seller.party_id)
        return seller.party_id, None

    def read_back(self, owner: str, policy: dict[str, Any] | None = None) -> None:
        """The policy the server holds (as answered, or read back) is the one the oracle has:
        after every edit, accepted or refused, so that the oracle never drifts."""
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
        owner_id, added = self.edit_policy(owner, stray, "POST", "rules", body)
        if added is None:
            return
        rules = self.oracle.rules.setdefault(owner_id, {})
        if added.status_code == 201:
            assert row not in rules.values(), "the same rule was added twice"
            assert added.json() == {"rule_id": added.json()["rule_id"], **body}
            rules[added.json()["rule_id"]] = row
            self.oracle.changed(owner_id)
        self.read_back(owner_id)

    @rule(owner=PICK, which=PICK, stray=STRAY)
    def remove_rule(self, owner: int, which: int, stray: int) -> None:
        rules = self.oracle.rules.setdefault(self.party(owner).party_id, {})
        rule_id = [*rules, "0123456789abcdef"][which % (len(rules) + 1)]
        owner_id, removed = self.edit_policy(owner, stray, "DELETE", f"rules/{rule_id}")
        if removed is not None:
            assert removed.status_code == (204 if rule_id in rules else 404), removed.text
            if rules.pop(rule_id, None):
                self.oracle.changed(owner_id)
            self.read_back(owner_id)

    @rule(owner=PICK, viewer=VIEWER, preset=PRESET, stray=STRAY)
    def apply_preset(self, owner: int, viewer: str | int, preset: str, stray: int) -> None:
        """A preset replaces exactly the viewer's rules with its own."""
        body = {"viewer": self.viewer(viewer), "preset": preset}
        owner_id, applied = self.edit_policy(owner, stray, "POST", "presets", body)
        if applied is None:
            return
        answered = applied.json() if applied.status_code == 200 else None
        if answered is not None:
            kept = [
                r for r in self.oracle.rules.get(owner_id, {}).values() if r[0] != body["viewer"]
            ]
            wanted = [
                (body["viewer"], "opportunity", f, "read", str(e)) for f, e in PRESETS[preset]
            ]
            ids = {tuple(r[k] for k in RULE_KEYS): r["rule_id"] for r in answered["rules"]}
            assert set(ids) == {*kept, *wanted}, answered
            self.oracle.rules[owner_id] = {ids[row]: row for row in ids}
            self.oracle.changed(owner_id)
        self.read_back(owner_id, answered)

    @rule(owner=PICK, tier=st.sampled_from(["gold", "gold", "silver"]), member=PICK,
          add=st.booleans(), stray=STRAY)  # fmt: skip
    def change_tier(self, owner: int, tier: str, member: int, add: bool, stray: int) -> None:
        member_id, path = self.party(member).party_id, f"tiers/{tier}/members"
        if add:
            owner_id, changed = self.edit_policy(
                owner, stray, "POST", path, {"party_id": member_id}
            )
        else:
            owner_id, changed = self.edit_policy(owner, stray, "DELETE", f"{path}/{member_id}")
        if changed is None:
            return
        answered = changed.json() if changed.status_code == 200 else None
        if answered is not None:
            members = self.oracle.tiers.setdefault(owner_id, {}).setdefault(f"tier:{tier}", set())
            assert add != (member_id in members), "a tier change that changes nothing was accepted"
            (members.add if add else members.discard)(member_id)
            self.oracle.changed(owner_id)
        self.read_back(owner_id, answered)

    # --- what every party reads ---------------------------------------------------------------

    def inputs(self, deal: Any) -> tuple[Any, ...]:
        """What reads of the deal depend on: its version, its data's policies, who takes part."""
        owners = {deal.owner_id, *(n.author.party_id for n in deal.notes), *deal.counterparts}
        policies = sorted((str(o), self.oracle.versions.get(str(o), 0)) for o in owners)
        live = {str(k) for k, p in deal.participants.items() if p.status in ("accepted", "invited")}
        return deal.version, policies, self.partnered, live

    @invariant()
    def no_party_reads_what_the_policy_in_force_denies(self) -> None:
        """Every party's reads of every deal (list, detail, history), judged by the oracle.

        A read is judged again whenever anything it depends on (`inputs`) has changed since it
        was last judged; a read whose inputs are all as they were cannot have changed."""
        deals = {deal_id: self.stored(deal_id) for deal_id in self.deals}
        inputs = {deal_id: self.inputs(deal) for deal_id, deal in deals.items()}
        before, self.judged = self.judged, inputs
        for party, seller in self.sellers.items():
            seats = {deal_id: seat_of(deal, party) for deal_id, deal in deals.items()}
            mine = [  # changed deals the party takes part in, joined, left, or new ones
                d for d in deals if before.get(d) != inputs[d]
                and (d not in before or seats[d] or party in before[d][-1])
            ]  # fmt: skip
            if not mine:
                continue
            listed = self.call("GET", "/v1/opportunities?limit=200", seller).json()["items"]
            items = {item["id"]: item for item in listed}
            assert set(items) == {deal_id for deal_id, seat in seats.items() if seat}
            for deal_id, item in items.items():
                self.judge_view(party, seats[deal_id], deals[deal_id], item)
            for deal_id in mine:
                detail = self.call("GET", f"/v1/opportunities/{deal_id}", seller)
                events = self.call("GET", f"/v1/opportunities/{deal_id}/events", seller)
                if seats[deal_id] is None:  # learns nothing, not even that the deal exists
                    assert_not_found(detail)
                    assert_not_found(events)
                else:
                    assert detail.json() == items[deal_id], detail.text
                    history = events.json()["events"]
                    self.judge_events(party, seats[deal_id], deals[deal_id], history)

    def judge_view(self, viewer: str, seat: str | None, deal: Any, view: dict[str, Any]) -> None:
        """Every value shown is one the oracle allows, and every allowed value is shown."""
        assert seat is not None, f"{viewer} was shown a deal it takes no part in"
        owner, may = str(deal.owner_id), self.oracle.may
        meta = {"id", "version", "owner_party_id", "invitation", "customer", "notes"}
        timeline = {"created_at", "updated_at", "stage_history"}
        meta |= {"counterparts"} | (set() if seat == "invited" else timeline)
        unknown = set(view) - meta - set(TOP)
        assert not unknown, f"{viewer} ({seat}) was shown {unknown}"
        leaks = {
            (o, leaf) for o, leaf in shown_pairs(view, owner) if not may(viewer, seat, o, leaf)
        }
        assert not leaks, f"{viewer} ({seat}) was shown (owner, leaf) {sorted(leaks)}"
        assert (view["id"], view["version"], view["owner_party_id"]) == (
            str(deal.id), deal.version, owner)  # fmt: skip
        stored = stored_leaves(deal, self.open_text)  # the converse: no holding back
        shown = shown_leaves(view)
        held = [
            x for x in stored if may(viewer, seat, owner, x) and shown.get(x, MISSING) != stored[x]
        ]
        assert not held, f"{viewer} ({seat}) was not shown {held} of {owner}"
        notes = [n for n in deal.notes if may(viewer, seat, str(n.author.party_id), "notes")]
        assert [n["note_id"] for n in view.get("notes", [])] == [str(n.note_id) for n in notes]
        counterparts = {
            str(party): {name: money(value) if name == "forecast_amount" else value
                         for name, value in counterpart.fields.items()
                         if may(viewer, seat, str(party), f"counterparts.{name}")}
            for party, counterpart in deal.counterparts.items()
        }  # fmt: skip
        assert view.get("counterparts", {}) == {p: c for p, c in counterparts.items() if c}

    def judge_events(self, viewer: str, seat: str, deal: Any, events: list[dict[str, Any]]) -> None:
        """Each event's data passes the same test; its actor shows only as far as allowed."""
        owner, may = str(deal.owner_id), self.oracle.may
        authors = {str(n.note_id): str(n.author.party_id) for n in deal.notes}
        key = ("events", str(deal.id))  # loaded once per write, like the deal itself
        if key not in self.loaded:
            self.loaded[key] = {e.originator_version: e for e in self.network.events.get(deal.id)}
        stored = self.loaded[key]

        def private(event: Any) -> bool:  # a partner's note or own fields the owner may not see
            author, leaves = str(event.actor.party_id), written_leaves(event)
            return author != owner and bool(leaves) and not any(
                may(owner, seat, author, leaf) for leaf in leaves)  # fmt: skip

        by_time = {e.timestamp.isoformat(): e for e in stored.values()}
        seat_then = seats_then(viewer, owner, stored.values())
        assert [e["version"] for e in events] == list(range(1, len(events) + 1))  # no gaps
        if viewer == owner:  # the converse: the owner sees every event but others' private ones
            assert [by_time[e["occurred_at"]] for e in events] == [
                e for e in stored.values() if not private(e)
            ]
        for event in events:
            # Each event as its seat then let it be seen (never one from when it had none).
            then = seat_then[by_time[event["occurred_at"]].originator_version]
            assert then is not None, f"{viewer} was shown {event}, from when it took no part"
            shown: list[tuple[str, str]] = []
            for key, value in event["data"].items():
                if key == "notes":
                    shown.append((authors[value["note_id"]], "notes"))
                elif key.startswith("counterparts."):
                    _, party, name = key.split(".")
                    shown.append((party, f"counterparts.{name}"))
                elif key == "customer.contacts":
                    shown += [(owner, f"{key}.{part}") for contact in value for part in contact]
                elif key == "participants":  # its own invitation a party always sees
                    shown += [] if value["party_id"] == viewer else [(owner, key)]
                elif key != "owner_party_id":
                    assert key in (*TOP, *CUSTOMER), f"{viewer} was shown {key}"
                    shown.append((owner, key))
            leaks = [(o, leaf) for o, leaf in shown if not may(viewer, then, o, leaf)]
            assert not leaks, f"{viewer} ({then}) was shown {leaks} in {event}"
            actor = by_time[event["occurred_at"]].actor
            allowed = str(actor.party_id) in (viewer, owner) or may(
                viewer, then, owner, "participants"
            )
            who = {"party_id": str(actor.party_id), "user_id": str(actor.user_id)}
            assert event["actor"] == (who if allowed else None), f"{viewer} ({then}): {event}"


@pytest.mark.runs_long
def test_no_party_ever_reads_a_field_the_owner_s_policy_denies() -> None:
    run_state_machine_as_test(NoLeak, settings=settings(
        max_examples=max(120, settings.default.max_examples), stateful_step_count=6,
        deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    ))  # fmt: skip
