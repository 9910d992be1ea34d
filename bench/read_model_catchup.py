"""Benchmark: how fast one company's read model catches up, against reading the log raw.

Figures, each against a baseline measured in the same run (machines are noisy):
1. Catch-up of one company's read model over a log of --events events (default 100,000),
   from position 0, against reading the same events from the notification log: raw rows,
   and rows decoded into domain events (what any reader of events must do). Targets: at least
   10,000 events/s on SQLite, and a ratio of at least 0.5 to the decoded read. Catching up,
   the projector reads page by page but writes once per `COMMIT_EVERY` events (100,000):
   each deal touched between two commits is rendered once, so the commit interval is the
   main lever; the default and a ten times smaller one are measured.
2. (with --postgres-url) the same on PostgreSQL.

    .venv/bin/python bench/read_model_catchup.py [--events 100000] [--postgres-url ADMIN_URL]

The log is written straight through the aggregates' own command methods and saved in bulk
(real events, the same topics and payloads as the API writes, only faster to produce).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from api.bootstrap import build_network, read_model_store
from api.settings import Settings
from bench.commands_throughput import postgres_database, postgres_unreachable, sqlite_database
from ecosystem.actors import Actor
from ecosystem.money import Money
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import Outcome, PartnerRole, SharedOpportunity
from ecosystem.opportunities.fields import Stage
from ecosystem.partnerships.domainmodel import Partnership
from ecosystem.sharing.domainmodel import SharingPolicy
from ecosystem.sharing.rules import Action, Effect, Rule
from projections import OpportunityProjector
from projections.projector import rarer_full_collections

STAGES = [Stage.QUALIFIED, Stage.TECHNICAL_VALIDATION, Stage.BUSINESS_VALIDATION]


def write_log(network: Network, events: int, seed: int = 7) -> tuple[Any, int]:
    """A log of about `events` events: one vendor's deals, shared with two partners."""
    rng = random.Random(seed)
    vendor, partner, other = uuid4(), uuid4(), uuid4()
    sales, theirs = Actor(vendor, uuid4()), Actor(partner, uuid4())
    policy = SharingPolicy(vendor, sales)
    policy.apply_preset("standard", "partners", "opportunity", sales)
    pairs = [Partnership(vendor, p, sales) for p in (partner, other)]
    for pair, party in zip(pairs, (partner, other), strict=True):
        pair.accept(Actor(party, uuid4()))  # data crosses only between active partners
    network.save(policy, *pairs)
    deals: list[SharedOpportunity] = []
    pending: dict[Any, SharedOpportunity] = {}
    written, steps = 3 + 4, 0
    while written < events:
        if len(deals) < events // 25 and (not deals or rng.random() < 0.06):
            deal = SharedOpportunity.register(
                vendor,
                {
                    "title": f"Deal {len(deals)}",
                    "customer.name": f"Customer {len(deals)}",
                    "expected_amount": Money(Decimal(rng.randint(1, 10**6)), "EUR"),
                },
                sales,
            )
            deal.invite(partner, PartnerRole.CO_SELLER, sales, partnership_active=True)
            deal.invite(other, PartnerRole.RESELLER, sales, partnership_active=True)
            deal.accept_invitation(theirs)
            deals.append(deal)
        else:
            deal = rng.choice(deals)
            roll = rng.random()
            if not deal.is_open:
                deal.change_stage(Stage.QUALIFIED, True, sales)
            elif roll < 0.45:
                deal.update_details({"next_steps": f"Call {rng.randint(0, 10**6)}"}, sales)
            elif roll < 0.7:
                deal.add_note(uuid4(), f"Note {rng.randint(0, 10**6)}", theirs)
            elif roll < 0.85:
                deal.update_counterpart({"crm_reference": f"CRM-{rng.randint(0, 10**6)}"}, theirs)
            elif roll < 0.97:
                stage = rng.choice([s for s in STAGES if s != deal.stage])
                deal.change_stage(stage, True, sales)
            else:
                deal.close(Outcome.WON, "", sales)
        pending[deal.id] = deal
        steps += 1
        if len(pending) >= 200 or steps >= 1000:  # a small log has fewer deals than that
            written, steps = written + flush(network, pending), 0
    written += flush(network, pending)
    # One policy change at the end of the log re-projects every row it affects.
    revoke = Rule("partners", "opportunity", "next_steps", Action.READ, Effect.DENY)
    policy.add_rule(revoke, sales)
    written += flush(network, {policy.id: policy})
    return vendor, written


def flush(network: Network, pending: dict[Any, Any]) -> int:
    count = sum(len(a.pending_events) for a in pending.values())
    network.save(*pending.values())
    pending.clear()
    return count


def read_raw(network: Network, decode: bool, page: int = 1000) -> int:
    position, count = 0, 0
    while found := network.recorder.select_notifications(position + 1, page):
        if decode:
            for notification in found:
                network.mapper.to_domain_event(notification)
        count += len(found)
        position = found[-1].id
    return count


def empty(network: Network) -> None:
    """Back to an empty read model, so each catch-up starts from position 0."""
    engine = network.factory.datastore.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        for table in ("cosell_read_opportunities", "cosell_read_deal_index"):
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("UPDATE cosell_read_tracking SET notification_id = 0"))


def timed(action: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def measure(url: str, events: int, label: str, batches: list[int]) -> None:
    network = build_network(Settings(database_url=url))
    try:
        print(f"\n== {label}: writing a log of ~{events:,} events …", flush=True)
        seconds, (vendor, written) = timed(lambda: write_log(network, events))
        print(f"   wrote {written:,} events in {seconds:.1f} s")
        store = read_model_store(network)
        raw_s, raw_n = min(timed(lambda: read_raw(network, False)) for _ in range(3))
        dec_s, dec_n = min(timed(lambda: read_raw(network, True)) for _ in range(2))
        with rarer_full_collections():  # the reader given the projector's own GC setting
            tuned_s, _ = min(timed(lambda: read_raw(network, True)) for _ in range(2))
        print(f"   read raw rows:           {raw_n:>9,} events in {raw_s:6.2f} s = "
              f"{raw_n / raw_s:>9,.0f} events/s")  # fmt: skip
        print(f"   read + decode events:    {dec_n:>9,} events in {dec_s:6.2f} s = "
              f"{dec_n / dec_s:>9,.0f} events/s")  # fmt: skip
        print(f"   read + decode, GC as the projector sets it: {tuned_s:6.2f} s = "
              f"{dec_n / tuned_s:>9,.0f} events/s")  # fmt: skip
        for batch in batches:
            empty(network)
            projector = OpportunityProjector(network, store, companies=frozenset({vendor}))
            proj_s, _ = timed(lambda: projector.catch_up(limit=batch))  # noqa: B023
            _, digest, rows = store.digest(frozenset({vendor}))
            rate = raw_n / proj_s
            print(
                f"   catch-up, commit every {batch:>7,}: {raw_n:,} events in {proj_s:6.2f} s = "
                f"{rate:>7,.0f} events/s; ratio {rate / (dec_n / dec_s):.2f} to decoded "
                f"({rate / (dec_n / tuned_s):.2f} to its tuned read), "
                f"{rate / (raw_n / raw_s):.2f} to raw; {rows:,} rows, digest {digest[:12]}"
            )
    finally:
        network.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument(
        "--batches", default="10000,100000", help="Catch-up batch sizes to measure."
    )
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]
    with sqlite_database() as url:
        measure(url, args.events, "SQLite", batches)
    if args.postgres_url:
        reason = postgres_unreachable(args.postgres_url)
        if reason:
            print(f"\nPostgreSQL skipped: {reason}")
            return
        with postgres_database(args.postgres_url) as url:
            measure(url, args.events, "PostgreSQL", batches)


if __name__ == "__main__":
    main()
