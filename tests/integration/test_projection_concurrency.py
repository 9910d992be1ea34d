"""Runners following concurrent writers skip no event and corrupt nothing, in threads or processes.

Each writer and each runner has its own network (its own connection pool), as separate API and
projector processes would. Writers race on shared deals; the runners follow the log live. When
the writers are done and the read models reach the head, every company's row of every deal must
be at the deal's current version, and the rows must equal a clean rebuild's (by digest).
"""

from __future__ import annotations

import os
import queue
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import select

from api.bootstrap import build_network, projection_runner, read_model_store
from api.settings import Settings
from ecosystem.actors import OPERATOR, Principal, Role
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import PartnerRole, SharedOpportunity
from ecosystem.parties.domainmodel import PartyKind
from ecosystem.sharing.application import PolicyChange
from projections import ProjectionRunner, ReadModelStore
from projections.rebuild import replayed_digest
from projections.store import opportunity_rows

DEALS_PER_WRITER = 30  # five commands a deal: 150 commands per writer
REACH_SECONDS = 30.0
REPO = Path(__file__).resolve().parents[2]
ON_POSTGRES = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
FULL_SHARING = PolicyChange("apply_preset", viewer="partners", preset="full")


@dataclass
class Seller:
    """One company's writer; `inbox` holds the deals its partner has invited it to."""

    me: Principal
    partner: Principal
    inbox: queue.Queue[UUID]
    outbox: queue.Queue[UUID]


def two_partners(network: Network) -> tuple[Seller, Seller]:
    """Two partner companies, each with one user who sells and administers sharing."""
    principals = []
    for name in ("Vendor", "Reseller"):
        party = network.register_party(
            OPERATOR, name, f"{name.lower()}.example", PartyKind.ISV
        ).object_id
        roles = [Role.ADMIN, Role.SECURITY_ADMIN]
        _, issued = network.add_user(OPERATOR, party, name, f"x@{name}.example", roles)
        assert issued is not None
        principals.append(network.authenticate(issued.token))
    vendor, reseller = principals
    pair = network.propose_partnership(vendor, reseller.party_id).object_id
    network.accept_partnership(reseller, pair)
    to_vendor: queue.Queue[UUID] = queue.Queue()
    to_reseller: queue.Queue[UUID] = queue.Queue()
    return (
        Seller(vendor, reseller, inbox=to_vendor, outbox=to_reseller),
        Seller(reseller, vendor, inbox=to_reseller, outbox=to_vendor),
    )


def sell(url: str, seller: Seller, seed: int) -> list[UUID]:
    """Register deals, share each with the partner, accept the partner's, and keep working
    them; halfway, open the company's data to partners. Returns the deals registered."""
    network = build_network(Settings(database_url=url))
    me, rng = seller.me, random.Random(seed)
    try:
        deals: list[UUID] = []
        for i in range(DEALS_PER_WRITER):
            fields = {"title": f"Deal {i}", "customer.name": f"{me.party_id.hex[:8]} customer {i}"}
            deal = network.register_opportunity(me, fields).object_id
            deals.append(deal)
            network.invite_partner(me, deal, seller.partner.party_id, PartnerRole.CO_SELLER)
            seller.outbox.put(deal)
            try:  # the partner's deal is being worked by its owner at this very moment
                network.accept_invitation(me, seller.inbox.get_nowait())
            except queue.Empty:
                network.update_opportunity(me, deal, {"next_steps": "Wait for them"}, None)
            network.update_opportunity(me, deal, {"next_steps": f"Call {i}"}, None)
            earlier = rng.choice(deals)
            network.update_opportunity(me, earlier, {"products": [f"Product {i}"]}, None)
            if i == DEALS_PER_WRITER // 2:
                network.change_sharing_policy(me, me.party_id, FULL_SHARING)
        return deals
    finally:
        network.close()


def write_concurrently(url: str, sellers: list[Seller]) -> list[UUID]:
    """Every seller writes on its own thread and network, all released together."""
    start = threading.Barrier(len(sellers))

    def run(i: int) -> list[UUID]:
        start.wait()
        return sell(url, sellers[i], seed=i)

    with ThreadPoolExecutor(max_workers=len(sellers)) as pool:
        return [deal for deals in pool.map(run, range(len(sellers))) for deal in deals]


@pytest.fixture
def start_runner() -> Iterator[Callable[[str], ProjectionRunner]]:
    """Starts runners, each on its own network; stops them and closes their networks after."""
    with ExitStack() as stack:

        def start(url: str) -> ProjectionRunner:
            settings = Settings(database_url=url, poll_seconds=0.05)
            network = build_network(settings)
            stack.callback(network.close)
            runner = projection_runner(network, settings).start()
            stack.callback(runner.stop)
            return runner

        yield start


def reach(store: ReadModelStore, head: int, seconds: float = REACH_SECONDS) -> int:
    """The read models' position, once it reaches `head` (or when time is up)."""
    deadline = time.monotonic() + seconds
    while (position := store.position()) < head and time.monotonic() < deadline:
        time.sleep(0.05)
    return position


def stored_versions(store: ReadModelStore) -> dict[tuple[str, str], int]:
    t = opportunity_rows
    with store.transaction(commit=False) as session:
        found = session.execute(select(t.c.party_id, t.c.opportunity_id, t.c.version))
        return {(party, deal): int(version) for party, deal, version in found}


def current_versions(network: Network, deals: list[UUID]) -> dict[tuple[str, str], int]:
    """(company, deal) -> the deal's version, for every company involved in each deal."""
    versions = {}
    for deal_id in deals:
        deal: SharedOpportunity = network.repository.get(deal_id)
        for party in deal.involved_parties:
            versions[(party.hex, deal.id.hex)] = deal.version
    return versions


def assert_read_models_whole(network: Network, deals: list[UUID], context: str = "") -> None:
    """At the log head, each row is at its deal's version, and the rows are a rebuild's."""
    store = read_model_store(network)
    head = network.log_position
    assert reach(store, head) == head, f"the read models did not reach {head}; {context}"
    expected = current_versions(network, deals)
    assert len(expected) == 2 * len(deals)  # both companies hold a row of every deal
    stored = stored_versions(store)
    behind = {key: (stored.get(key), version) for key, version in expected.items()}
    behind = {key: pair for key, pair in behind.items() if pair[0] != pair[1]}
    assert behind == {}, f"rows not at their deal's version ((stored, current)): {behind}"
    assert stored.keys() == expected.keys()
    position, digest, rows = store.digest()
    assert position == head
    assert (digest, rows) == replayed_digest(network, position)


# --- threads, each with its own network ---------------------------------------------------


@ON_POSTGRES
def test_a_runner_following_two_concurrent_writers_projects_every_event(
    database_url: str, network: Network, start_runner: Callable[[str], ProjectionRunner]
) -> None:
    sellers = list(two_partners(network))
    runner = start_runner(database_url)
    assert runner.follows_notifications

    deals = write_concurrently(database_url, sellers)

    assert len(deals) == 2 * DEALS_PER_WRITER
    assert_read_models_whole(network, deals, f"runner error: {runner.error!r}")


@ON_POSTGRES
def test_two_runners_following_one_postgres_database_leave_the_read_models_whole(
    database_url: str, network: Network, start_runner: Callable[[str], ProjectionRunner]
) -> None:
    sellers = list(two_partners(network))
    runners = [start_runner(database_url), start_runner(database_url)]

    deals = write_concurrently(database_url, sellers)

    assert_read_models_whole(network, deals, f"errors: {[r.error for r in runners]!r}")


def test_two_runners_on_one_sqlite_file_leave_the_read_models_whole(
    sqlite_url: str,
    sqlite_network: Network,
    start_runner: Callable[[str], ProjectionRunner],
) -> None:
    vendor, _ = two_partners(sqlite_network)
    runners = [start_runner(sqlite_url), start_runner(sqlite_url)]
    assert not any(r.follows_notifications for r in runners)

    deals = write_concurrently(sqlite_url, [vendor])

    assert_read_models_whole(sqlite_network, deals, f"errors: {[r.error for r in runners]!r}")


# --- two projector processes --------------------------------------------------------------

INLINE_PROJECTOR = """
import sys
from api.bootstrap import build_network, projection_runner
from api.settings import Settings
settings = Settings(database_url=sys.argv[1])
projection_runner(build_network(settings), settings).run_forever()
"""


def projector_command(url: str) -> list[str]:
    """`cosell projections run` where the command line has it, else the same few lines."""
    cosell = str(Path(sys.executable).with_name("cosell"))
    probe = subprocess.run(
        [cosell, "projections", "--help"], capture_output=True, cwd=REPO, timeout=30
    )
    if probe.returncode == 0:
        return [cosell, "projections", "run"]
    return [sys.executable, "-c", INLINE_PROJECTOR, url]


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@ON_POSTGRES
def test_two_projector_processes_following_one_postgres_database_agree_with_a_rebuild(
    database_url: str, network: Network, tmp_path: Path
) -> None:
    sellers = list(two_partners(network))
    command = projector_command(database_url)
    env = {**os.environ, "COSELL_DATABASE_URL": database_url}
    processes: list[subprocess.Popen[bytes]] = []
    logs = [tmp_path / f"projector-{i}.log" for i in range(2)]
    try:
        for log in logs:
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=out)
                )

        deals = write_concurrently(database_url, sellers)

        output = "\n".join(log.read_text() for log in logs)
        assert_read_models_whole(network, deals, f"projector output:\n{output}")
        exited = [p.returncode for p in processes if p.poll() is not None]
        assert exited == [], f"a projector process died: {exited}\n{output}"
    finally:
        for process in processes:
            stop(process)
