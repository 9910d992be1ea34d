"""Waits of list and KPI reads for the read models, that hold no worker thread and that one
caller cannot multiply until other callers go unserved.

A waiting read sleeps on the event loop; the read models' position is looked up at most once
per `POLL` seconds for all waiting reads together, each look-up a moment on a worker thread.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Hashable

import anyio
from anyio import to_thread

from api.problems import BadRequest, TooManyWaits
from projections import ReadModelBehind

POLL = 0.01  # how stale a shared look-up of the read models' position may be, in seconds


class ReadWaits:
    """Wait for the read models to reach a position: up to `seconds`, at most `per_caller`
    waits at a time for one caller (more are answered 429 at once), never for a position
    past the log's `head` (400 at once)."""

    def __init__(
        self, position: Callable[[], int], head: Callable[[], int], seconds: float,
        per_caller: int,
    ) -> None:  # fmt: skip
        self.position = position
        self.head = head
        self.seconds = seconds
        self.per_caller = per_caller
        self.waiting: Counter[Hashable] = Counter()
        self._reached = 0
        self._looked_at = float("-inf")

    async def reach(self, caller: Hashable, needed: int) -> int:
        """The read models' position once it is `needed` or later; ReadModelBehind after
        `seconds`, TooManyWaits if the caller already has `per_caller` reads waiting."""
        reached = await self._look()
        if reached >= needed:
            return reached
        if needed > await to_thread.run_sync(self.head):  # a wait that could only end in 503
            raise BadRequest(
                "the consistency token names a point this network's log has not reached "
                "(the network was restored from an older copy); leave Cosell-Read-After out"
            )
        if self.waiting[caller] >= self.per_caller:
            raise TooManyWaits(
                f"you already have {self.per_caller} reads waiting for the read models; "
                "retry when one has been answered"
            )
        self.waiting[caller] += 1
        try:
            return await self._wait(needed)
        finally:
            self.waiting[caller] -= 1
            if self.waiting[caller] <= 0:
                del self.waiting[caller]

    async def _wait(self, needed: int) -> int:
        deadline = time.monotonic() + self.seconds
        delay = 0.002
        while (reached := await self._look()) < needed:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ReadModelBehind(needed, reached)
            await anyio.sleep(min(delay, left))
            delay = min(delay * 2, 0.05)
        return reached

    async def _look(self) -> int:
        """The read models' position, looked up again only if the last look is stale."""
        if time.monotonic() - self._looked_at >= POLL:
            self._looked_at = time.monotonic()  # the others reuse this look meanwhile
            self._reached = max(self._reached, await to_thread.run_sync(self.position))
        return self._reached
