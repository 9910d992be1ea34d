"""Commands per second for "register a deal, then update it", over HTTP and called directly.

Run: .venv/bin/python bench/commands_throughput.py [--postgres-url URL] [--seconds N]

Each store (a temporary SQLite file, and a PostgreSQL database created for the run and
dropped afterwards) is measured twice with the same client threads: once calling the
Network application object in this process, once through HTTP against a real uvicorn
server in its own process (so clients and server do not share one interpreter lock).
The figures are for comparing, not for pass/fail.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.bootstrap import build_network
from api.settings import Settings
from ecosystem.actors import OPERATOR, Principal, Role
from ecosystem.network import Network
from ecosystem.parties.domainmodel import PartyKind

DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
CLIENTS = 8
REPO = Path(__file__).resolve().parent.parent


@dataclass
class Tally:
    """What the client threads of one measurement did."""

    commands: int = 0
    errors: int = 0
    first_error: str = ""
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, commands: int, errors: int, first_error: str) -> None:
        with self.lock:
            self.commands += commands
            self.errors += errors
            self.first_error = self.first_error or first_error

    @property
    def per_second(self) -> float:
        return self.commands / self.seconds if self.seconds else 0.0


# A pair is one client's "register, then update": it returns how many commands succeeded.
Pair = Callable[[int], int]


def measure(pairs: list[Pair], seconds: float) -> Tally:
    """Run each client's pairs on its own thread, all started together, for `seconds`."""
    tally = Tally()
    start = threading.Barrier(len(pairs) + 1)
    stop = threading.Event()

    def client(pair: Pair) -> None:
        commands = errors = 0
        first_error = ""
        try:
            pair(-1)  # warm up connections and caches; not counted
        except Exception as error:
            errors, first_error = 1, f"warm-up: {type(error).__name__}: {error}"
        start.wait()
        n = 0
        while not stop.is_set():
            try:
                commands += pair(n)
            except Exception as error:  # counted and shown; a benchmark keeps going
                errors += 1
                first_error = first_error or f"{type(error).__name__}: {error}"
            n += 1
        tally.add(commands, errors, first_error)

    threads = [threading.Thread(target=client, args=(pair,)) for pair in pairs]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    tally.seconds = time.perf_counter() - began  # pairs in flight at the stop still count
    return tally


# --- the clients ----------------------------------------------------------------------------


def sellers(network: Network, run: str) -> list[str]:
    """One party per client with one sales user, set up by the operator; their tokens."""
    tokens = []
    for i in range(CLIENTS):
        party = network.register_party(
            OPERATOR, f"Bench Vendor {i}", f"vendor-{i}-{run}.bench.example", PartyKind.ISV
        ).object_id
        _, issued = network.add_user(
            OPERATOR, party, f"Seller {i}", f"seller-{i}@bench.example", [Role.SALES]
        )
        assert issued is not None
        tokens.append(issued.token)
    return tokens


def customer(client: int, n: int) -> str:
    return f"Customer {client}-{n}-{uuid.uuid4().hex[:8]}"  # distinct: no registration conflict


def direct_pair(network: Network, principal: Principal, client: int) -> Pair:
    def pair(n: int) -> int:
        fields = {"title": f"Deal {n}", "customer.name": customer(client, n)}
        written = network.register_opportunity(principal, fields)
        network.update_opportunity(
            principal, written.object_id, {"next_steps": "Call the buyer"}, written.version
        )
        return 2

    return pair


def http_pair(http: httpx2.Client, client: int) -> Pair:
    def pair(n: int) -> int:
        body = {"title": f"Deal {n}", "customer": {"name": customer(client, n)}}
        created = http.post("/v1/opportunities", json=body)
        if created.status_code != 201:
            raise RuntimeError(f"register answered {created.status_code}: {created.text}")
        updated = http.patch(
            f"/v1/opportunities/{created.json()['id']}",
            json={"next_steps": "Call the buyer"},
            headers={"If-Match": created.headers["ETag"]},
        )
        if updated.status_code != 200:
            raise RuntimeError(f"update answered {updated.status_code}: {updated.text}")
        return 2

    return pair


# --- the server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve(database_url: str, port: int) -> None:
    """The server process: the real app over the store, on 127.0.0.1:port."""
    import uvicorn

    from api.app import create_app

    app = create_app(Settings(database_url=database_url))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uvicorn.Server(config).run()


@contextlib.contextmanager
def server(database_url: str) -> Iterator[str]:
    """A uvicorn server in its own process; its base URL. Stopped by pid at the end."""
    port = free_port()
    command = [sys.executable, __file__, "--serve", database_url, "--port", str(port)]
    process = subprocess.Popen(command, cwd=REPO)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(base_url: str, process: subprocess.Popen[bytes]) -> None:
    give_up = time.monotonic() + 30
    while time.monotonic() < give_up:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        with contextlib.suppress(httpx2.TransportError):
            if httpx2.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the server at {base_url} did not answer within 30 s")


# --- one store ------------------------------------------------------------------------------


def bench_store(database_url: str, seconds: float) -> tuple[Tally, Tally]:
    """(direct, http) for one store: the same client threads, commands and data shape."""
    network = build_network(Settings(database_url=database_url))
    try:
        direct_tokens = sellers(network, "direct")
        principals = [network.authenticate(token) for token in direct_tokens]
        direct = measure([direct_pair(network, p, i) for i, p in enumerate(principals)], seconds)
        http_tokens = sellers(network, "http")
    finally:
        network.close()  # the server process is the only writer while HTTP is measured
    with server(database_url) as base_url:
        clients = [
            httpx2.Client(base_url=base_url, headers={"Authorization": f"Bearer {t}"}, timeout=30)
            for t in http_tokens
        ]
        try:
            http = measure([http_pair(c, i) for i, c in enumerate(clients)], seconds)
        finally:
            for client in clients:
                client.close()
    return direct, http


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="cosell-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'cosell.db'}"


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A database created for this run from the admin URL, dropped at the end."""
    admin = make_url(admin_url)
    name = f"cosell_bench_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(Exception), engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def postgres_unreachable(admin_url: str) -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    engine = create_engine(make_url(admin_url), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        return str(error).strip().splitlines()[0]
    finally:
        engine.dispose()
    return None


# --- the report -----------------------------------------------------------------------------


def report(results: dict[str, tuple[Tally, Tally]], seconds: float) -> None:
    print()
    print(
        f"commands/s, 'register a deal, then update it' pairs, {CLIENTS} client threads, "
        f"{seconds:g} s each"
    )
    print(f"{'store':<10} {'direct':>10} {'http':>10} {'http/direct':>12} {'errors':>8}")
    for store, (direct, http) in results.items():
        ratio = http.per_second / direct.per_second if direct.per_second else 0.0
        errors = direct.errors + http.errors
        print(
            f"{store:<10} {direct.per_second:>10.1f} {http.per_second:>10.1f} "
            f"{ratio:>12.2f} {errors:>8}"
        )
    for store, (direct, http) in results.items():
        for how, tally in (("direct", direct), ("http", http)):
            if tally.errors:
                print(f"  {store} {how}: {tally.errors} failed pairs; first: {tally.first_error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="an admin URL")
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--serve", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return

    results: dict[str, tuple[Tally, Tally]] = {}
    print(f"sqlite: measuring ({2 * args.seconds:g} s) ...", flush=True)
    with sqlite_database() as url:
        results["sqlite"] = bench_store(url, args.seconds)
    why_not = postgres_unreachable(args.postgres_url)
    if why_not is not None:
        print(f"postgres: skipped, {make_url(args.postgres_url)!r} is unreachable: {why_not}")
    else:
        print(f"postgres: measuring ({2 * args.seconds:g} s) ...", flush=True)
        with postgres_database(args.postgres_url) as url:
            results["postgres"] = bench_store(url, args.seconds)
    report(results, args.seconds)


if __name__ == "__main__":
    main()
