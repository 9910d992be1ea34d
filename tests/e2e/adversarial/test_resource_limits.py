"""One request or one user must not degrade everyone: huge bodies are refused before they are
read, and waiting reads hold no worker, a few per user at most.

The body tests run a real `cosell serve` in a child process (a temporary SQLite store) and
watch its resident memory (/proc/<pid>/status) while a 64 MB body arrives, declared and
chunked, and `/healthz` is asked every few milliseconds. The documented bound (operations.md):
refusing such a body grows the server's memory by less than RSS_BOUND.
"""

from __future__ import annotations

import http.client
import os
import select
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import chain
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.consistency import READ_AFTER, TOKEN
from api.settings import Settings
from ecosystem.network import Network
from tests.e2e.conftest import World

BODY = 64 * 2**20
RSS_BOUND = 32 * 2**20  # documented in docs/operations.md ("Request size")
HEALTHY = 0.1  # seconds /healthz may take while a huge body arrives
ROOT = Path(__file__).resolve().parents[3]


# --- a real server in a child process ---------------------------------------------------------


class Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port

    def rss(self) -> int:
        """The server's resident memory, in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS in /proc status")

    def get(self, path: str) -> tuple[int, float]:
        """(status, seconds) of one GET on a fresh connection."""
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return response.status, time.monotonic() - started
        finally:
            connection.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("served")
    port = _free_port()
    env = {
        **os.environ,
        "COSELL_DATABASE_URL": f"sqlite:///{folder}/cosell.db",
        "COSELL_SIGNING_KEY_FILE": str(folder / "network-signing-key.pem"),
        "COSELL_CHECKPOINT_SECONDS": "0",
        "COSELL_HOST": "127.0.0.1",
        "COSELL_PORT": str(port),
    }
    command = [sys.executable, "-c", "from api.cli import app; app()", "serve"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        served = Server(process, port)
        deadline = time.monotonic() + 60
        while True:
            try:
                if served.get("/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert process.poll() is None, "the server stopped while starting"
            assert time.monotonic() < deadline, "the server did not start within 60 s"
            time.sleep(0.1)
        yield served
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def json_array(size: int) -> Iterator[bytes]:
    """A valid JSON array of zeros, exactly `size` bytes, in pieces of 64 KiB."""
    count = (size - 3) // 2
    yield b"["
    full, rest = divmod(count, 32768)
    for _ in range(full):
        yield b"0," * 32768
    yield b"0," * rest + b"0" + b" " * (size - 3 - 2 * count) + b"]"


def send_body(port: int, size: int, chunked: bool) -> tuple[int, bytes, int]:
    """POST a `size`-byte JSON array, unauthenticated, reading the answer as soon as it comes
    (the server may answer before the body is sent); (status, body, bytes sent)."""
    head = (
        "POST /v1/opportunities HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    )
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    pieces = json_array(size)
    pending = f"{head}{framing}\r\n\r\n".encode()
    sent = 0
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.setblocking(False)
        if chunked:  # each piece a chunk, then the empty chunk that ends the body
            pieces = (f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in chain(pieces, [b""]))
        while True:
            if not pending:
                piece = next(pieces, None)
                if piece is None:
                    break
                pending = piece
            readable, writable, _ = select.select([sock], [sock], [], 30)
            if readable:
                break
            if not writable:
                raise AssertionError("the server neither answered nor read for 30 s")
            try:
                done = sock.send(pending)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += done
            pending = pending[done:]
        sock.setblocking(True)
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < _length(answer):
            part = sock.recv(65536)
            if not part:
                break
            answer += part
    status = int(answer.split(b" ", 2)[1]) if answer else 0
    return status, answer.split(b"\r\n\r\n", 1)[-1], sent


def _length(answer: bytes) -> int:
    for line in answer.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 1 << 30


def watch(server: Server, stop: threading.Event) -> tuple[list[float], list[int]]:
    """Ask /healthz (and read the server's memory) until `stop`: the times and the sizes."""
    times: list[float] = []
    sizes: list[int] = []
    while not stop.is_set():
        status, took = server.get("/healthz")
        assert status == 200
        times.append(took)
        sizes.append(server.rss())
        time.sleep(0.01)
    sizes.append(server.rss())
    return times, sizes


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_64_mb_body_is_refused_with_413_while_memory_stays_bounded_and_healthz_answers(
    server: Server, chunked: bool
) -> None:
    warm = send_body(server.port, 2048, chunked)  # first requests load what they need
    assert warm[0] == 401, warm
    before = server.rss()
    stop = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        watching = pool.submit(watch, server, stop)
        time.sleep(0.05)
        try:
            status, body, sent = send_body(server.port, BODY, chunked)
        finally:
            time.sleep(0.2)
            stop.set()
        times, sizes = watching.result()
    assert status == 413, body[:300]
    assert b'"status":413' in body and b"at most" in body
    grown = max(sizes) - before
    print(f"sent {sent} bytes; memory grew {grown / 2**20:.1f} MiB; /healthz answered "
          f"{len(times)} times, slowest {max(times, default=0) * 1000:.0f} ms")  # fmt: skip
    assert grown < RSS_BOUND, f"the server grew by {grown / 2**20:.1f} MiB (sent {sent} bytes)"
    assert times and max(times) < HEALTHY, f"/healthz took up to {max(times) * 1000:.0f} ms"


# --- in-process: the limit, its problem, and what stays under it -------------------------------


@pytest.fixture
def small_limit(network: Network) -> Iterator[TestClient]:
    app = create_app(Settings(max_body_bytes=4096), network=network)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def test_a_body_over_the_limit_is_413_problem_json_declared_or_chunked(
    small_limit: TestClient,
) -> None:
    big = b"[" + b"0," * 4096 + b"0]"

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    declared = small_limit.post("/v1/opportunities", content=big)
    streamed = small_limit.post("/v1/opportunities", content=chunks())
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "a request body may hold at most 4096 bytes"
    small = small_limit.post("/v1/opportunities", content=b"[" + b"0," * 1000 + b"0]")
    assert small.status_code == 401, small.text  # under the limit: on to authentication


# --- waiting reads ----------------------------------------------------------------------------


def test_one_user_s_many_waiting_reads_do_not_delay_another_company(network: Network) -> None:
    """Nothing projects, so reads that name a change wait the whole time: they must hold no
    worker thread, and a user gets only a few of them at once (429 beyond, at once)."""
    settings = Settings(read_wait_seconds=3, run_projections=False, read_waits_per_user=4)
    app = create_app(settings, network=network)
    with TestClient(app, raise_server_exceptions=False) as client:
        world = World(network, client)
        eager, other = world.company(), world.company()
        deal = world.opportunity(eager)
        written = client.get("/v1/me", headers=eager.headers)  # a read: no token
        assert TOKEN not in written.headers
        change = client.post(
            f"/v1/opportunities/{deal['id']}/notes", json={"text": "n"}, headers=eager.headers
        )
        assert change.status_code in (200, 201), change.text
        waiting = {READ_AFTER: change.headers[TOKEN], **eager.headers}

        def me() -> float:
            started = time.monotonic()
            response = client.get("/v1/me", headers=other.headers)
            assert response.status_code == 200, response.text
            return time.monotonic() - started

        baseline = statistics.median(me() for _ in range(5))
        _timed(client, "/healthz")  # an app's first call of a route costs more than the rest
        with ThreadPoolExecutor(40) as pool:
            reads = [
                pool.submit(client.get, "/v1/opportunities", headers=waiting) for _ in range(40)
            ]
            time.sleep(0.5)  # the reads are in, and waiting
            during = [me() for _ in range(5)]
            health = [_timed(client, "/healthz") for _ in range(5)]
            answers = [read.result() for read in reads]
    print(f"/v1/me alone {baseline:.3f} s, beside the waiting reads up to {max(during):.3f} s")
    assert max(during) < 0.5 + 3 * baseline, (baseline, during)
    assert max(health) < 0.5, health
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [429] * 36 + [503] * 4, statuses
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["Retry-After"] == "1"


def _timed(client: TestClient, path: str) -> float:
    started = time.monotonic()
    response: Any = client.get(path)
    assert response.status_code == 200
    return time.monotonic() - started
