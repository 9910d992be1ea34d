"""An auditor's state of a deal, solution or plan as of a version or time is what was seen then."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bootstrap import build_network, checkpoints_of, policies_of
from api.settings import Settings
from ecosystem.actors import Principal, Role
from ecosystem.audit.checkpoints import utc_text
from ecosystem.errors import CosellError, InvalidCommand, NotFound
from ecosystem.funding.domainmodel import CoFundingPlan
from ecosystem.money import Money
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import Outcome, PartnerRole
from ecosystem.opportunities.fields import Contact, Stage
from ecosystem.service import Written
from ecosystem.sharing.application import PolicyChange
from ecosystem.solutions.domainmodel import JointSolution, SolutionRole
from ecosystem.solutions.fields import Lifecycle
from projections.audit.auditor import Auditor
from tests.conftest import _truncate_all
from tests.unit.test_network_service import join, partner, share, user_of

CLASSES: dict[str, type[Any]] = {"solution": JointSolution, "funding_plan": CoFundingPlan}
WHO = st.sampled_from(["owner", "owner", "partner"])
TEXT = st.sampled_from(["Call the CFO", "Zürich — Ω 李", " padded ", "Q3", ""])  # "" may be refused
NAMES = st.lists(TEXT.filter(str.strip), max_size=2)
CONTACT = st.builds(
    Contact,
    st.sampled_from(["Ada Lovelace", "Zoë Ørsted", "李雷"]),
    st.sampled_from(["", "ada@customer.example"]),
    st.sampled_from(["", "+49 30 1234567"]),
    st.sampled_from(["", "CFO"]),
)
MONEY = st.builds(Money, st.decimals(1, 10**6, places=2), st.sampled_from(["EUR", "USD"]))
EUROS = st.sampled_from(["50.00", "120.00", "400.00"]).map(lambda amount: Money.of(amount, "EUR"))
HUNDRED = Decimal(100)
DAY = st.none() | st.dates(date(2025, 1, 1), date(2030, 12, 31))
LAG = st.sampled_from([None, 0, 0, 1])  # no expected version, the current one, or a stale one
PICK = st.integers(0, 3)  # one of the components, activities or requests added so far
PRESET = st.sampled_from(["full", "full", "standard", "summary", "hidden"])
# Each company's preset for its partners; both share counterparts; the partner may write.
SHARING = st.tuples(PRESET, PRESET, st.booleans(), st.booleans())


def some(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional=fields)


def step(verb: str, *args: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.tuples(st.just(verb), WHO, *args)


DEAL = st.fixed_dictionaries(
    {"title": TEXT.filter(str.strip), "customer.name": st.sampled_from(["Acme", "Globex"]),
     "customer.contacts": st.lists(CONTACT, min_size=1, max_size=2)},
    optional={"expected_amount": MONEY, "next_steps": TEXT},
)  # fmt: skip
OPENINGS = {
    "opportunity": DEAL,
    "solution": st.fixed_dictionaries({"name": st.just("Data Hub")}, optional={"summary": TEXT}),
    "funding_plan": st.fixed_dictionaries({"name": st.just("MDF")}, optional={"objective": TEXT}),
}
DEAL_CHANGES = some(
    title=TEXT, next_steps=TEXT, expected_amount=st.none() | MONEY, target_close_date=DAY,
    **{"customer.contacts": st.lists(CONTACT, max_size=2)},
)  # fmt: skip
LISTING = st.sampled_from(["", "https://market.example/data-hub"])
STEPS = {
    "opportunity": st.one_of(
        step("update", DEAL_CHANGES, LAG),
        step("stage", st.sampled_from(Stage), st.booleans()),
        step("note", TEXT),
        step("counterpart", some(crm_reference=TEXT, forecast_amount=st.none() | MONEY)),
        step("close", st.sampled_from(Outcome), TEXT),
    ),
    "solution": st.one_of(
        step("details", some(summary=TEXT, use_cases=NAMES, **{"listing.url": LISTING}), LAG),
        step("move", st.sampled_from(Lifecycle)),
        step("sign_off"),
        step("component", st.fixed_dictionaries({"name": TEXT, "description": TEXT})),
        step("remove", PICK),
        step("counterpart", some(crm_reference=TEXT, internal_notes=TEXT)),
        step("link") | step("unlink"),
    ),
    "funding_plan": st.one_of(
        step("details", some(objective=TEXT, period_start=DAY), LAG),
        step("commit", EUROS),
        step("activity", EUROS, st.booleans()),
        step("request", PICK, EUROS),
        step("approve", PICK),
        step("counterpart", some(crm_reference=TEXT, budget_notes=TEXT)),
        step("link"),
    ),
}
ROLES = {
    "opportunity": st.sampled_from([r for r in PartnerRole if r is not PartnerRole.OWNER]),
    "solution": st.sampled_from([SolutionRole.BUILDER, *SolutionRole]),
    "funding_plan": st.sampled_from(["funder", "partner"]),
}
ENDING = ("close", "move")  # not before the invitation, which they would mostly refuse


@st.composite
def histories(draw: st.DrawFn, kind: str) -> list[tuple[Any, ...]]:
    """Up to 8 steps: the owner's first, the invitation, the partner's answer, then work."""
    steps = STEPS[kind]
    before = draw(st.lists(steps.filter(lambda s: s[0] not in ENDING), max_size=1))
    invited = draw(st.lists(steps, max_size=1))
    after = draw(st.lists(steps, min_size=2, max_size=4))
    invite = ("invite", "owner", draw(ROLES[kind]))
    return [*before, invite, *invited, ("accept", "partner"), *after]


@dataclass(frozen=True)
class Company:
    user: Principal  # an admin: sells, manages funds and partnerships
    auditor: Principal  # an auditor, who is also the company's security admin

    @property
    def id(self) -> UUID:
        return self.user.party_id


def company(network: Network, name: str) -> Company:
    user = join(network, name)
    return Company(user, user_of(network, user.party_id, Role.AUDITOR, Role.SECURITY_ADMIN))


def set_policy(
    network: Network, kind: str, one: Company, preset: str, counterparts: bool, writes: bool
) -> None:
    """The company's policy for its partners, set before the history and kept through it."""
    changes = [PolicyChange("apply_preset", viewer="partners", object_type=kind, preset=preset)]
    if counterparts:
        changes.append(PolicyChange("add_rule", "partners", kind, "counterparts.*"))
    if writes and kind == "opportunity":  # personal data written by the partner, too
        changes.append(PolicyChange("add_rule", "partners", kind, "customer.contacts.*", "write"))
    for change in changes:
        network.change_sharing_policy(one.auditor, one.id, change)


class History:
    """One object's commands by its owner and partner, and what each saw after every one."""

    def __init__(self, network: Network, kind: str, owner: Company, other: Company) -> None:
        self.network, self.kind, self.owner, self.partner = network, kind, owner, other
        self.object_id = uuid4()  # until the first command creates the object
        self.seen: dict[int, tuple[datetime, Any, Any]] = {}  # version -> time, both views
        self.added: dict[str, list[UUID]] = {}
        self.deal = uuid4()
        if kind != "opportunity":  # a deal both take part in, to link
            self.deal = share(network, owner.user, other.user)

    def read(self) -> Any:
        if self.kind == "opportunity":
            return self.network.opportunity(self.owner.user, self.object_id)
        return self.network.shared(CLASSES[self.kind], self.owner.user, self.object_id)

    def live_view(self, reader: Company, found: Any) -> Any:
        """What the reader's users see now (the object is the same whoever loads it; before
        its invitation the partner has no view, as its users are answered 404)."""
        redaction = policies_of(self.network).redaction()
        if self.kind == "opportunity":
            return redaction.opportunity_view(reader.id, found)
        return redaction.shared_view(reader.id, found)

    def run(self, command: Callable[[], Written]) -> None:
        """Run a command; if accepted, record the time of its event and both live views."""
        position = self.network.log_position
        try:
            written = command()
        except CosellError:
            assert self.network.log_position == position, "a refused command wrote events"
            return
        self.object_id = written.object_id
        found = self.read()
        assert written.version == found.version
        for name, value in written.extra.items():
            self.added.setdefault(name, []).append(value)
        views = self.live_view(self.owner, found), self.live_view(self.partner, found)
        self.seen[found.version] = (found.modified_on, *views)

    def expected(self, lag: int | None) -> int | None:
        return None if lag is None else max(self.seen) - lag

    def pick(self, name: str, index: int) -> UUID:
        ids = self.added.get(name) or [uuid4()]
        return ids[index % len(ids)]

    def command(self, verb: str, who: str, args: list[Any]) -> Callable[[], Written]:
        n, i, by = self.network, self.object_id, self.owner if who == "owner" else self.partner
        u, cls, partner_id = by.user, CLASSES.get(self.kind, JointSolution), self.partner.id
        mine, half = {by.id: HUNDRED}, {self.owner.id: HUNDRED / 2, partner_id: HUNDRED / 2}
        commands: dict[str, Callable[..., Written]] = {
            "create": lambda fields: n.create_funding_plan(u, "EUR", fields),
            "invite": lambda role: n.invite_to(cls, u, i, partner_id, role),
            "accept": lambda: n.accept_for(cls, u, i),
            "counterpart": lambda c: n.update_shared_counterpart(cls, u, i, c, None),
            "link": lambda: n.link_opportunity(cls, u, i, self.deal),
            "unlink": lambda: n.unlink_opportunity(cls, u, i, self.deal),
        }
        if self.kind == "opportunity":
            commands |= {
                "create": lambda fields: n.register_opportunity(u, fields),
                "invite": lambda role: n.invite_partner(u, i, partner_id, role),
                "accept": lambda: n.accept_invitation(u, i),
                "update": lambda c, lag: n.update_opportunity(u, i, c, self.expected(lag)),
                "stage": lambda stage, reopen: n.change_stage(u, i, stage, reopen),
                "note": lambda text: n.add_note(u, i, text),
                "counterpart": lambda c: n.update_counterpart(u, i, c, None),
                "close": lambda outcome, reason: n.close_opportunity(u, i, outcome, reason),
            }
        elif self.kind == "solution":
            commands |= {
                "create": lambda fields: n.propose_solution(u, fields, "builder"),
                "details": lambda c, lag: n.update_solution(u, i, c, self.expected(lag)),
                "move": lambda to: n.move_solution(u, i, to),
                "sign_off": lambda: n.sign_off_solution(u, i),
                "component": lambda values: n.add_component(u, i, values),
                "remove": lambda k: n.remove_component(u, i, self.pick("component_id", k)),
            }
        else:
            commands |= {
                "details": lambda c, lag: n.update_funding_plan(u, i, c, self.expected(lag)),
                "commit": lambda money: n.commit_funds(u, i, money),
                "activity": lambda m, alone: n.add_activity(
                    u, i, "event", "Q", m, mine if alone else half
                ),
                "request": lambda k, m: n.request_funds(u, i, self.pick("activity_id", k), m, "ad"),
                "approve": lambda k: n.approve_request(u, i, self.pick("request_id", k)),
            }
        return lambda: commands[verb](*args)

    def check(self, auditor: Auditor) -> None:
        """Each event of a company's history, asked for by its number there or by the time it
        was written, is what the company's users saw right after it; so is any time before the
        company's next event. Nothing before the company could see the object is answered."""
        versions = sorted(self.seen)
        assert versions == list(range(1, len(versions) + 1))
        object_id = self.object_id
        assert self.partner.id in self.read().involved_parties  # invited, or also accepted
        by_time = {seen[0].isoformat(): version for version, seen in self.seen.items()}
        for index, reader in enumerate((self.owner, self.partner), start=1):
            state = lambda **when: auditor.state(reader.auditor, object_id, **when)  # noqa: B023, E731
            events = auditor.history(reader.auditor, object_id)["events"]
            assert [e["version"] for e in events] == list(range(1, len(events) + 1))
            shown = [by_time[e["occurred_at"]] for e in events]  # the versions they were
            assert all(self.seen[v][index] is not None for v in shown)
            if reader is self.owner:
                assert shown[0] == 1
            for number, version in enumerate(shown, start=1):
                written, then = self.seen[version][0], self.seen[version][index]
                expected = {"object_id": str(object_id), "type": self.kind, "version": number,
                            "as_of": utc_text(written),
                            "view": {**then, "version": number}}  # fmt: skip
                assert state(version=number) == expected
                assert state(at=written) == expected
                following = shown[number] if number < len(shown) else None
                after = self.seen[following][0] if following else datetime.now(UTC)  # or: now
                assert state(at=max(written, after - timedelta(microseconds=1))) == expected
            with pytest.raises(NotFound):
                state(version=len(shown) + 1)
            if shown[0] > 1:  # before the company's first event it learns nothing
                with pytest.raises(NotFound):
                    state(at=self.seen[shown[0] - 1][0])


@contextmanager
def fresh_network(database_url: str) -> Iterator[tuple[Network, Auditor]]:
    """A network on an empty store of the same kind (a new SQLite file, or PostgreSQL emptied),
    and an auditor over it, built as `cosell audit` builds one."""
    with tempfile.TemporaryDirectory() as folder:
        if Settings(database_url=database_url).is_sqlite:
            database_url = f"sqlite:///{Path(folder) / 'cosell.db'}"
        else:
            _truncate_all(database_url)
        config = Settings(database_url=database_url)
        network = build_network(config)
        try:
            yield network, Auditor(network, checkpoints_of(network, config), policies_of(network))
        finally:
            network.close()


def replay(
    database_url: str, kind: str, sharing: tuple[Any, ...], opening: Any, steps: Any
) -> None:
    owner_preset, partner_preset, counterparts, writes = sharing
    with fresh_network(database_url) as (network, auditor):
        owner, other = company(network, "Owner"), company(network, "Partner")
        partner(network, owner.user, other.user)
        set_policy(network, kind, owner, owner_preset, counterparts, writes)
        set_policy(network, kind, other, partner_preset, counterparts, writes)
        history = History(network, kind, owner, other)
        history.run(history.command("create", "owner", [opening]))
        for verb, who, *args in steps:
            history.run(history.command(verb, who, args))
        history.check(auditor)


def budget(database_url: str) -> settings:
    """15 examples on SQLite and 8 on PostgreSQL by default; a longer profile's count (a
    quarter of it on PostgreSQL) when one is loaded."""
    loaded, sqlite = settings(), Settings(database_url=database_url).is_sqlite
    count = 15 if sqlite else 8
    if loaded.max_examples > settings.get_profile("default").max_examples:
        count = loaded.max_examples if sqlite else loaded.max_examples // 4
    return settings(loaded, max_examples=count, suppress_health_check=[HealthCheck.too_slow])


def check_histories(database_url: str, *kinds: str) -> None:
    of_kinds = st.sampled_from(kinds).flatmap(
        lambda kind: st.tuples(st.just(kind), OPENINGS[kind], histories(kind))
    )

    @budget(database_url)
    @given(sharing=SHARING, history=of_kinds)
    def holds(sharing: tuple[Any, ...], history: tuple[str, dict[str, Any], list[Any]]) -> None:
        kind, opening, steps = history
        replay(database_url, kind, sharing, opening, steps)

    holds()


def test_an_auditor_sees_each_version_of_a_deal_as_its_owner_and_partner_saw_it(
    database_url: str,
) -> None:
    check_histories(database_url, "opportunity")


def test_an_auditor_sees_each_version_of_a_solution_or_plan_as_its_parties_saw_it(
    database_url: str,
) -> None:
    check_histories(database_url, "solution", "funding_plan")


def test_a_time_before_the_deal_existed_is_not_found_and_both_a_version_and_a_time_are_refused(
    network: Network,
) -> None:
    owner = company(network, "Owner")
    deal = network.register_opportunity(owner.user, {"title": "Deal", "customer.name": "Acme"})
    auditor = Auditor(network, checkpoints_of(network, Settings()), policies_of(network))
    registered = network.opportunity(owner.user, deal.object_id).modified_on

    def state(**when: Any) -> dict[str, Any]:
        return auditor.state(owner.auditor, deal.object_id, **when)

    with pytest.raises(NotFound, match="no object with id"):  # as for an object never made
        state(at=registered - timedelta(microseconds=1))
    with pytest.raises(InvalidCommand, match="either a version or a time"):
        state(version=1, at=registered)
    with pytest.raises(InvalidCommand, match="either a version or a time"):
        state()
    assert state(at=registered)["version"] == 1
