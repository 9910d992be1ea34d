"""Party signatures checked in log order, their Ed25519 verifications spread over threads.

Which key a signed command must be checked against depends on the key events before it, so
keys are resolved in log order, one command at a time; the verification itself needs nothing
but the key, the signature and the signed bytes, and `cryptography` releases the GIL while it
verifies, so worker threads verify batches while the log is read on. Outcomes are delivered
in submission order, on the caller's thread: by `submit` as batches finish, the rest by
`finish`.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ecosystem.audit.report import KeyRegistry, Report

BATCH = 64  # signatures per task: enough to make a task's own cost small beside them
MISMATCH = "the party's signature does not match what was recorded as signed"

_Check = tuple[Ed25519PublicKey, bytes, bytes]
_Outcome = tuple[int, Callable[[], None] | None]  # (position, what to do if it verifies)


def default_jobs() -> int:
    """Threads for signature checks: one per core, at most eight."""
    return max(1, min(8, os.cpu_count() or 1))


def _verified(checks: list[_Check]) -> list[bool]:
    results = []
    for key, signature, message in checks:
        try:
            key.verify(signature, message)
        except InvalidSignature:
            results.append(False)
        else:
            results.append(True)
    return results


class SignatureChecks:
    """Check signed commands against `keys` as they stand when each is submitted."""

    def __init__(self, keys: KeyRegistry, report: Report, jobs: int = 1) -> None:
        self.keys = keys
        self.report = report
        self._jobs = jobs
        self._pool = ThreadPoolExecutor(jobs, "cosell-verify") if jobs > 1 else None
        self._batch: list[_Check] = []
        self._outcomes: list[_Outcome] = []
        self._running: deque[tuple[Future[list[bool]], list[_Outcome]]] = deque()

    def __enter__(self) -> SignatureChecks:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(
        self, position: int, document: dict[str, Any], signature: str,
        if_valid: Callable[[], None] | None = None,
    ) -> None:  # fmt: skip
        """Check one signed command; `if_valid` runs once its signature has verified."""
        self.report.counts["signatures"] += 1
        prepared = self.keys.prepared(document, signature)
        if isinstance(prepared, str):
            self.report.fail(position, prepared)
            return
        self._batch.append(prepared)
        self._outcomes.append((position, if_valid))
        if len(self._batch) >= BATCH:
            self._send()

    def finish(self) -> None:
        """Wait for every check submitted and deliver its outcome."""
        if self._batch:
            self._send()
        while self._running:
            self._collect()

    def _send(self) -> None:
        if self._pool is None:  # in batches still: the verifier's tables stay in the cache
            self._deliver(self._outcomes, _verified(self._batch))
            self._batch, self._outcomes = [], []
            return
        future = self._pool.submit(_verified, self._batch)
        self._running.append((future, self._outcomes))
        self._batch, self._outcomes = [], []
        while len(self._running) > 4 * self._jobs:  # bounded: the log may be long
            self._collect()
        while self._running and self._running[0][0].done():
            self._collect()

    def _collect(self) -> None:
        future, outcomes = self._running.popleft()
        self._deliver(outcomes, future.result())

    def _deliver(self, outcomes: list[_Outcome], results: list[bool]) -> None:
        for (position, if_valid), ok in zip(outcomes, results, strict=True):
            if not ok:
                self.report.fail(position, MISMATCH)
            elif if_valid is not None:
                if_valid()
