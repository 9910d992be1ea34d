"""The opportunity projector is exactly-once under crashes: wherever a crash hits and however
often, the read models never show part of a batch, their position never moves backwards, and
once caught up they hold what a clean rebuild of the same log holds."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from eventsourcing_sqlalchemy.datastore import SQLAlchemyDatastore
from hypothesis import settings
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.bootstrap import build_network, policies_of
from api.settings import Settings
from ecosystem.actors import OPERATOR, Principal, Role
from ecosystem.errors import CosellError
from ecosystem.money import Money
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import Outcome, PartnerRole, SharedOpportunity
from ecosystem.opportunities.fields import OPEN_STAGES, SHARED_LEAVES, Contact
from ecosystem.parties.domainmodel import PartyKind
from ecosystem.sharing.application import PolicyChange
from ecosystem.sharing.rules import PRESETS
from projections import OpportunityProjector, ReadModelStore, rebuild, replayed_digest
from projections.rebuild import replay_to, replayed_rows
from projections.replay import Replay
from projections.rows import canonical, digest_of
from projections.store import deal_index, opportunity_rows

POINTS = ("applied", "rendered", "reprojected", "in-transaction", "written")
ROLES = [PartnerRole.CO_SELLER, PartnerRole.RESELLER, PartnerRole.CLOUD_PROVIDER]
TIERS = ["tier:gold", "tier:silver"]
FIELDS = [*SHARED_LEAVES, "customer.*", "customer.contacts.*", "counterparts.*", "*"]


class WorkingNetwork:
    """Companies that partner, work deals together and keep changing what they share, all
    through the Network application as their users would; refused commands write nothing."""

    def __init__(self, network: Network, seed: int, companies: int = 6) -> None:
        self.network = network
        self.rng = random.Random(seed)
        self.companies = [self._company(i) for i in range(companies)]
        self.deals: list[UUID] = []
        self.worked_on: SharedOpportunity | None = None
        self._partner_up()

    def record(self, events: int) -> None:
        """Work until `events` more events are recorded."""
        target = self.network.log_position + events
        steps: list[tuple[Callable[[], Any], int]] = [
            (self.register, 2), (self.invite, 4), (self.answer, 4), (self.withdraw, 2),
            (self.update, 3), (self.note, 2), (self.counterpart, 2), (self.stage, 2),
            (self.change_policy, 3),
        ]  # fmt: skip
        acts, weights = zip(*steps, strict=True)
        while self.network.log_position < target:
            act = self.rng.choices(acts, weights)[0] if self.deals else self.register
            with suppress(CosellError):  # refused now and then, as users are: nothing written
                act()

    def _company(self, i: int) -> Principal:
        kind = PartyKind.ISV if i % 3 else PartyKind.SI
        party = self.network.register_party(OPERATOR, f"Company {i}", f"c{i}.example", kind)
        roles = [Role.ADMIN, Role.SALES, Role.SECURITY_ADMIN]
        _, issued = self.network.add_user(
            OPERATOR, party.object_id, f"Admin {i}", f"admin@c{i}.example", roles
        )
        assert issued is not None
        return self.network.authenticate(issued.token)

    def _partner_up(self) -> None:
        """Most pairs partner; one pair declines, one proposal is never answered."""
        pairs = [(a, b) for i, a in enumerate(self.companies) for b in self.companies[i + 1 :]]
        for n, (a, b) in enumerate(pairs):
            proposed = self.network.propose_partnership(a, b.party_id).object_id
            if n == 1:
                self.network.decline_partnership(b, proposed)
            elif n != 2:
                self.network.accept_partnership(b, proposed)

    def _as(self, party: UUID) -> Principal:
        return next(c for c in self.companies if c.party_id == party)

    def _deal(self) -> SharedOpportunity:
        deal: SharedOpportunity = self.network.repository.get(self.rng.choice(self.deals))
        self.worked_on = deal
        return deal

    def _party(self, deal: SharedOpportunity, *statuses: str) -> UUID | None:
        """One of the deal's parties in one of `statuses` (companies in a fixed order, so
        that a seed records the same story every time)."""
        found = [c.party_id for c in self.companies if deal.status_of(c.party_id) in statuses]
        return self.rng.choice(found) if found else None

    def _details(self) -> dict[str, Any]:
        rng = self.rng
        values: dict[str, Callable[[], Any]] = {
            "title": lambda: f"Deal {rng.randint(0, 999)}",
            "customer.industry": lambda: rng.choice(["Retail", "Health", "Energy"]),
            "customer.country": lambda: rng.choice(["DE", "FR", "US"]),
            "customer.contacts": lambda: [
                Contact(f"Person {rng.randint(0, 99)}", "p@cust.example", "+49 30 1234")
            ],
            "expected_amount": lambda: Money(Decimal(rng.randint(1, 10**6)), "EUR"),
            "target_close_date": lambda: date(2026, rng.randint(1, 12), rng.randint(1, 28)),
            "next_steps": lambda: rng.choice(["Call", "Demo", "Proposal"]),
            "products": lambda: rng.sample(["Lake", "Mesh", "Vault"], rng.randint(0, 2)),
        }
        return {path: values[path]() for path in rng.sample(sorted(values), rng.randint(1, 4))}

    # --- what the companies do --------------------------------------------------------------

    def register(self) -> None:
        owner = self.rng.choice(self.companies)
        n = len(self.deals)
        fields = {"title": f"Deal {n}", "customer.name": f"Customer {n % 7}", **self._details()}
        written = self.network.register_opportunity(owner, fields, override_conflicts=True)
        self.deals.append(written.object_id)

    def invite(self) -> None:
        deal = self._deal()
        party = self.rng.choice([c for c in self.companies if c.party_id != deal.owner_id])
        role = self.rng.choice(ROLES)
        self.network.invite_partner(self._as(deal.owner_id), deal.id, party.party_id, role)

    def answer(self) -> None:
        deal = self._deal()
        invited = self._party(deal, "invited")
        if invited is None:
            return
        if self.rng.random() < 0.75:
            self.network.accept_invitation(self._as(invited), deal.id)
        else:
            self.network.decline_invitation(self._as(invited), deal.id, "not now")

    def withdraw(self) -> None:
        deal = self._deal()
        partner = self._party(deal, "invited", "accepted")
        if partner is None or partner == deal.owner_id:
            return
        by = self.rng.choice([deal.owner_id, partner])
        self.network.withdraw_partner(self._as(by), deal.id, partner, "changed plans")

    def update(self) -> None:
        deal = self._deal()
        self.network.update_opportunity(self._as(deal.owner_id), deal.id, self._details(), None)

    def note(self) -> None:
        deal = self._deal()
        author = self._party(deal, "accepted")
        assert author is not None  # the owner, at least
        self.network.add_note(self._as(author), deal.id, f"Note {self.rng.randint(0, 99)}")

    def counterpart(self) -> None:
        deal = self._deal()
        party = self._party(deal, "accepted")
        assert party is not None
        changes = {
            "crm_reference": f"CRM-{self.rng.randint(0, 999)}",
            "forecast_amount": Money(Decimal(self.rng.randint(1, 10**5)), "USD"),
            "internal_notes": self.rng.choice(["hot", "cold", "watch"]),
        }
        picked = dict(self.rng.sample(sorted(changes.items()), self.rng.randint(1, 3)))
        self.network.update_counterpart(self._as(party), deal.id, picked, None)

    def stage(self) -> None:
        deal = self._deal()
        owner = self._as(deal.owner_id)
        if deal.is_open and self.rng.random() < 0.3:
            outcome = self.rng.choice(list(Outcome))
            self.network.close_opportunity(owner, deal.id, outcome, "budget went elsewhere")
            return
        stage = self.rng.choice([s for s in OPEN_STAGES if s != deal.stage])
        reopen = not deal.is_open or stage.rank < deal.stage.rank
        self.network.change_stage(owner, deal.id, stage, reopen)

    def change_policy(self) -> None:
        rng = self.rng
        # Often the owner of the deal just worked on: its partners' views change at once.
        company = rng.choice(self.companies)
        if self.worked_on is not None and rng.random() < 0.5:
            company = self._as(self.worked_on.owner_id)
        others = [c.party_id for c in self.companies if c != company]
        viewer = rng.choice(["partners", "invited", *TIERS, f"party:{rng.choice(others)}"])
        policy = self.network.policy_of(company.party_id)
        kind = rng.choice(["preset", "preset", "rule", "rule", "unrule", "tier", "untier"])
        if kind == "preset":
            change = PolicyChange("apply_preset", viewer=viewer, preset=rng.choice(list(PRESETS)))
        elif kind == "rule":
            field, effect = rng.choice(FIELDS), rng.choice(["allow", "allow", "deny"])
            change = PolicyChange("add_rule", viewer=viewer, field=field, effect=effect)
        elif kind == "unrule" and policy.rules:
            change = PolicyChange("remove_rule", rule_id=rng.choice(sorted(policy.rules)))
        elif kind == "untier" and policy.tiers:
            tier = rng.choice(sorted(policy.tiers))
            members = [p for p in others if p in policy.tiers[tier]]
            change = PolicyChange("remove_tier_member", tier=tier, party_id=rng.choice(members))
        else:
            member = rng.choice(others)
            change = PolicyChange("add_tier_member", tier=rng.choice(TIERS), party_id=member)
        self.network.change_sharing_policy(company, company.party_id, change)


# --- crashes ----------------------------------------------------------------------------------


class Crash(Exception):
    """A crash injected at a named point of the projector's work."""


class CleanRebuild:
    """What `replayed_digest(network, position)` says a clean rebuild holds, for positions
    that only grow: one replay from the start, advanced, rather than one per position."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.replay = Replay(network, 0, keep_all=True)
        self.digests: dict[int, tuple[str, int]] = {}

    def digest(self, position: int) -> tuple[str, int]:
        if position not in self.digests:
            assert position >= self.replay.position
            replay_to(self.network, self.replay, position, lambda done, total: None)
            rows, _, _ = replayed_rows(self.replay, None)
            triples = ((r["party_id"], r["opportunity_id"], r["digest"]) for r in rows)
            self.digests[position] = (digest_of(triples), len(rows))
        return self.digests[position]


class TornWriteStore(ReadModelStore):
    """The real store with one more place to crash: inside the write transaction, after the
    rows and the new position were written to the database and before the commit."""

    def __init__(self, datastore: SQLAlchemyDatastore, fault: Callable[[str], None]) -> None:
        self.fault: Callable[[str], None] | None = None  # creating the tracking row is no write
        super().__init__(datastore)
        self.fault = fault

    def _insert_tracking(self, session: Session, tracking: Tracking) -> None:
        super()._insert_tracking(session, tracking)
        if self.fault is not None:
            session.flush()
            t = self.tracking_table
            mine = t.c.application_name == self.name
            written = session.execute(select(t.c.notification_id).where(mine)).scalar_one()
            assert written == tracking.notification_id  # the crash comes after the write
            self.fault("in-transaction")


class CrashingProjection:
    """A projector crashed at random points and restarted after each crash, with the read
    models checked after every committed batch and every crash: the position is the last
    committed one, and the rows there are exactly what a clean rebuild holds there."""

    def __init__(self, network: Network, rng: random.Random, odds: float) -> None:
        self.network = network
        self.rng = rng
        self.odds = odds  # of an attempt at a batch crashing, at a point chosen at random
        self.hits: Counter[str] = Counter()
        self.clean = CleanRebuild(network)
        self._aim: str | None = None
        self.restart()
        self.stored = self.committed = self.store.position()

    def restart(self) -> None:
        """As a new process would: a new store and projector over the same database."""
        datastore = self.network.factory.datastore  # type: ignore[attr-defined]
        self.store = TornWriteStore(datastore, self.fault)
        self.projector = OpportunityProjector(self.network, self.store, fault=self.fault)

    def fault(self, point: str) -> None:
        if point == POINTS[0]:  # every attempt at a batch passes here first
            self._aim = self.rng.choice(POINTS) if self.rng.random() < self.odds else None
        if point == "written":
            self.committed = self.projector.position
            self.check("after a committed batch")
        if point == self._aim:
            self._aim = None
            self.hits[point] += 1
            raise Crash(point)

    def catch_up_partly(self) -> None:
        """Some of the way, in random small batches; a crash is followed by a restart, or
        half the time by carrying on with the same projector (it reset itself)."""
        head = self.network.log_position
        until = min(head, self.projector.position + self.rng.randint(1, 60))
        try:
            self.projector.catch_up(limit=self.rng.randint(1, 8), until=until)
        except Crash as crash:
            if self.rng.random() < 0.5:
                self.restart()
            self.check(f"after a crash at {crash}")
        assert self.projector.position == self.stored

    def check(self, moment: str) -> None:
        position, digest, rows = self.store.digest()
        assert position == self.committed, f"position {position} {moment}"
        assert position >= self.stored, f"the read models' position moved backwards {moment}"
        assert (digest, rows) == self.clean.digest(position), f"the rows at {position} {moment}"
        self.stored = position


def project_through_crashes(
    working: WorkingNetwork, rng: random.Random, injections: int, per_point: int, odds: float
) -> ReadModelStore:
    """Project the log through crashes until caught up after `injections` crashes (at least
    `per_point` at each point); the log grows meanwhile if the projector catches up early."""
    projection = CrashingProjection(working.network, rng, odds)
    while True:
        if projection.projector.position < working.network.log_position:
            projection.catch_up_partly()
        elif (
            projection.hits.total() < injections
            or min(projection.hits[p] for p in POINTS) < per_point
        ):
            working.record(60)
        else:
            return projection.store


def assert_caught_up(working: WorkingNetwork, store: ReadModelStore) -> None:
    """The read models hold what a clean rebuild holds, and what each company may see now."""
    network = working.network
    head = network.log_position
    assert store.digest() == (head, *replayed_digest(network, head))
    redaction = policies_of(network).redaction(open_personal_data=False)  # as rows hold it
    for company in working.companies:
        views = (redaction.opportunity_view(company.party_id, deal) for deal in
                 network.opportunities_for(company))  # fmt: skip
        expected = sorted(canonical(view) for view in views if view is not None)
        assert sorted(store.views_of(company.party_id)) == expected


def test_a_crash_at_any_point_neither_skips_nor_repeats_an_event(
    network: Network, database_url: str
) -> None:
    on_sqlite = database_url.startswith("sqlite")
    working = WorkingNetwork(network, seed=7)
    working.record(300 if on_sqlite else 120)
    injections, per_point = (200, 25) if on_sqlite else (25, 3)
    rounds = max(1, settings().max_examples // 500)  # the "long" profile goes on for longer
    for round_ in range(rounds):
        rng = random.Random(11 + round_)
        store = project_through_crashes(working, rng, injections, per_point, odds=0.75)
        assert_caught_up(working, store)


def copy_of_the_log(source: str, target: Path) -> str:
    """A second SQLite database holding the same log and no read models; its URL."""
    old, new = sqlite3.connect(source.removeprefix("sqlite:///")), sqlite3.connect(target)
    try:
        old.backup(new)
        for table in (opportunity_rows.name, deal_index.name, "cosell_read_tracking"):
            new.execute(f"DROP TABLE {table}")
        new.commit()
    finally:
        old.close()
        new.close()
    return f"sqlite:///{target}"


def test_read_models_projected_through_crashes_hold_what_a_rebuild_writes_elsewhere(
    sqlite_network: Network, sqlite_url: str, tmp_path: Path
) -> None:
    working = WorkingNetwork(sqlite_network, seed=23)
    working.record(200)
    store = project_through_crashes(working, random.Random(29), 30, per_point=3, odds=0.75)
    position, digest, rows = store.digest()

    second = build_network(Settings(database_url=copy_of_the_log(sqlite_url, tmp_path / "2.db")))
    try:
        second_store = ReadModelStore(second.factory.datastore)  # type: ignore[attr-defined]
        assert second_store.digest()[2] == 0
        rebuilt = rebuild(second, second_store)
        assert (rebuilt.position, rebuilt.digest, rebuilt.rows) == (position, digest, rows)
        assert second_store.digest() == (position, digest, rows)
    finally:
        second.close()
    in_place = ReadModelStore(sqlite_network.factory.datastore)  # type: ignore[attr-defined]
    assert rebuild(sqlite_network, in_place).digest == digest  # a rebuild changes nothing
    assert in_place.digest() == (position, digest, rows)


# --- a real process, killed ---------------------------------------------------------------------


def start_runner(url: str, tmp_path: Path) -> subprocess.Popen[str]:
    """`cosell projections run` on the database, polling often (the API process does the
    same in a thread); it says where it starts from on its first line."""
    settings = {"COSELL_DATABASE_URL": url, "COSELL_POLL_SECONDS": "0.02"}
    cosell = Path(sys.executable).with_name("cosell")
    with (tmp_path / "runner.err").open("a") as errors:
        return subprocess.Popen(
            [cosell, "projections", "run"], stdout=subprocess.PIPE, stderr=errors, text=True,
            cwd=tmp_path, env={**os.environ, **settings},
        )  # fmt: skip


def next_line(process: subprocess.Popen[str], tmp_path: Path) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line, (tmp_path / "runner.err").read_text()
    return line


def started_from(process: subprocess.Popen[str], tmp_path: Path) -> int:
    found = re.search(r"from position (\d+)", next_line(process, tmp_path))
    assert found is not None
    return int(found[1])


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    if process.stdout is not None:
        process.stdout.close()


def test_a_runner_process_killed_at_random_moments_resumes_where_it_committed(
    sqlite_network: Network, sqlite_url: str, tmp_path: Path
) -> None:
    working = WorkingNetwork(sqlite_network, seed=41)
    working.record(200)  # a backlog, then more while the runner runs
    store = ReadModelStore(sqlite_network.factory.datastore)  # type: ignore[attr-defined]
    rng = random.Random(43)
    stored, progressed = 0, 0
    for _ in range(5):
        process = start_runner(sqlite_url, tmp_path)
        try:
            assert started_from(process, tmp_path) == stored  # it carries on from there
            killed_at = time.monotonic() + rng.uniform(0.1, 0.6)
            while time.monotonic() < killed_at:
                working.record(3)
        finally:
            stop(process)
        position, digest, rows = store.digest()
        assert position >= stored, "the read models' position moved backwards"
        assert (digest, rows) == replayed_digest(sqlite_network, position)
        progressed += position > stored
        stored = position
    assert progressed >= 2, "each run should keep what it committed before it was killed"

    process = start_runner(sqlite_url, tmp_path)
    try:
        assert started_from(process, tmp_path) == stored
        head, waited = sqlite_network.log_position, time.monotonic() + 30
        while store.position() < head and time.monotonic() < waited:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=30) == 0, (tmp_path / "runner.err").read_text()
        assert next_line(process, tmp_path) == f"Stopped at position {head}.\n"
    finally:
        stop(process)
    assert_caught_up(working, store)
