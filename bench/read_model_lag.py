"""Benchmark: how soon a write, and a policy revoke, show in the read models under load.

Figures, each beside a baseline measured in the same run (machines are noisy):
1. Lag from a committed write to its visibility in the read models (p50, p99, max) while a
   writer makes --rate changes per second for --seconds, against the write's own latency.
   The runner follows through its own connection pool, as a separate process would: on
   PostgreSQL through LISTEN/NOTIFY; on SQLite by polling (every 0.25 s by default).
2. Lag from a security admin's revoke (a deny rule on a field) to that field disappearing
   from a partner's row, and from a grant to its appearing (p50, max over --revokes changes).

    .venv/bin/python bench/read_model_lag.py [--postgres-url ADMIN_URL] [--rate 50]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select

from api.bootstrap import build_network, projection_runner, read_model_store
from api.settings import Settings
from bench.commands_throughput import postgres_database, postgres_unreachable, sqlite_database
from bench.policy_redaction import company, security_admin_and_partnership
from ecosystem.actors import Principal, Role
from ecosystem.money import Money
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import PartnerRole
from ecosystem.sharing.application import PolicyChange
from ecosystem.sharing.rules import Action, Effect, Rule
from projections.store import ReadModelStore, opportunity_rows


def seed(network: Network, deals: int) -> tuple[Principal, Principal, Principal, list[UUID]]:
    owner = company(network, "Vendor", Role.ADMIN, Role.SALES)
    partner = company(network, "Partner", Role.ADMIN, Role.SALES)
    admin = security_admin_and_partnership(network, owner, partner)
    network.change_sharing_policy(
        admin, owner.party_id, PolicyChange("apply_preset", viewer="partners", preset="standard")
    )
    ids = []
    for i in range(deals):
        fields = {
            "title": f"Deal {i}",
            "customer.name": f"Customer {i}",
            "expected_amount": Money(Decimal(1000 + i), "EUR"),
        }
        deal = network.register_opportunity(owner, fields, override_conflicts=True)
        network.invite_partner(owner, deal.object_id, partner.party_id, PartnerRole.CO_SELLER)
        network.accept_invitation(partner, deal.object_id)
        ids.append(deal.object_id)
    return owner, partner, admin, ids


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def write_lag(
    network: Network, store: ReadModelStore, owner: Principal, deals: list[UUID], rate: float,
    seconds: float,
) -> tuple[list[float], list[float]]:  # fmt: skip
    """(lags, write latencies) in milliseconds."""
    rng = random.Random(3)
    lags: list[float] = []
    latencies: list[float] = []
    pending: list[tuple[int, float]] = []
    done = threading.Event()
    lock = threading.Lock()

    def watch() -> None:
        while not (done.is_set() and not pending):
            reached = store.position()
            now = time.perf_counter()
            with lock:
                while pending and pending[0][0] <= reached:
                    lags.append((now - pending.pop(0)[1]) * 1000)
            time.sleep(0.001)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.perf_counter()
    count = 0
    while (elapsed := time.perf_counter() - started) < seconds:
        if count / rate > elapsed:
            time.sleep(count / rate - elapsed)
        began = time.perf_counter()
        deal = rng.choice(deals)
        changes = {"next_steps": f"Step {count}"}
        written = network.update_opportunity(owner, deal, changes, None)
        committed = time.perf_counter()
        latencies.append((committed - began) * 1000)
        with lock:
            pending.append((written.position, committed))
        count += 1
    done.set()
    watcher.join(30)
    return lags, latencies


def policy_lag(
    network: Network, store: ReadModelStore, admin: Principal, partner: UUID, deal: UUID,
    times: int,
) -> list[float]:  # fmt: skip
    """Milliseconds from each revoke or grant of expected_amount to the partner's row."""

    def shows_amount() -> bool:
        t = opportunity_rows
        query = select(t.c.view).where(t.c.party_id == partner.hex, t.c.opportunity_id == deal.hex)
        with store.transaction(commit=False) as session:
            view = json.loads(session.execute(query).scalar_one())
        return "expected_amount" in view

    lags = []
    deny = Rule("partners", "opportunity", "expected_amount", Action.READ, Effect.DENY)
    for i in range(times):
        revoke = i % 2 == 0
        change = (
            PolicyChange("add_rule", viewer="partners", field="expected_amount", effect="deny")
            if revoke
            else PolicyChange("remove_rule", rule_id=deny.rule_id)
        )
        began = time.perf_counter()
        network.change_sharing_policy(admin, admin.party_id, change)
        while shows_amount() == revoke:
            if time.perf_counter() - began > 10:
                raise RuntimeError("the change did not reach the read model within 10 s")
            time.sleep(0.001)
        lags.append((time.perf_counter() - began) * 1000)
    return lags


def measure(
    url: str, label: str, rate: float, seconds: float, revokes: int, same_process: bool = False
) -> None:
    settings = Settings(database_url=url)
    writer = build_network(settings)
    # The runner's own pool, as another process would have; or the writer's (cosell serve).
    follower = writer if same_process else build_network(settings)
    runner = projection_runner(follower, settings).start()
    try:
        owner, partner, admin, deals = seed(writer, 50)
        store = read_model_store(writer)
        lags, latencies = write_lag(writer, store, owner, deals, rate, seconds)
        how = (
            "LISTEN/NOTIFY"
            if runner.follows_notifications
            else f"polling every {settings.poll_seconds} s"
        )
        print(f"\n== {label} ({how}), {len(lags)} writes at {rate:g}/s")
        print(f"   write latency (baseline):  p50 {statistics.median(latencies):7.1f} ms   "
              f"p99 {percentile(latencies, 0.99):7.1f} ms")  # fmt: skip
        print(f"   write -> read model lag:   p50 {statistics.median(lags):7.1f} ms   "
              f"p99 {percentile(lags, 0.99):7.1f} ms   max {max(lags):7.1f} ms")  # fmt: skip
        changes = policy_lag(writer, store, admin, partner.party_id, deals[0], revokes)
        print(f"   revoke/grant -> partner's row: p50 {statistics.median(changes):7.1f} ms   "
              f"max {max(changes):7.1f} ms over {len(changes)} changes")  # fmt: skip
    finally:
        runner.stop()
        if follower is not writer:
            follower.close()
        writer.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--rate", type=float, default=50.0, help="Writes per second.")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--revokes", type=int, default=20)
    args = parser.parse_args()
    with sqlite_database() as url:
        measure(url, "SQLite", args.rate, args.seconds, args.revokes)
    with sqlite_database() as url:
        measure(url, "SQLite, runner in the writing process", args.rate, args.seconds,
                args.revokes, same_process=True)  # fmt: skip
    if args.postgres_url:
        reason = postgres_unreachable(args.postgres_url)
        if reason:
            print(f"\nPostgreSQL skipped: {reason}")
            return
        with postgres_database(args.postgres_url) as url:
            measure(url, "PostgreSQL", args.rate, args.seconds, args.revokes)


if __name__ == "__main__":
    main()
