"""The projection runner: follows the event log and keeps the read models current.

On PostgreSQL it follows the log through the eventsourcing library's subscription (LISTEN /
NOTIFY), so a new event is projected as soon as it commits. SQLite has no such subscription,
so there the runner polls the log's head (one indexed query) and is woken at once by writes
made in its own process. Either way events are projected in batches, in log order.

Several runners, in one process or many, may follow one database: the tracking row they
lock takes turns, and a runner that finds its batch already written skips ahead.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Generator
from contextlib import suppress
from typing import Any

from eventsourcing.persistence import Notification, Subscription

from projections.projector import COMMIT_EVERY, Discontinuous, OpportunityProjector
from projections.store import Outpaced

log = logging.getLogger("cosell.projections")
BATCH = COMMIT_EVERY


class ProjectionRunner:
    """Runs one projector in a background thread until stopped."""

    def __init__(
        self, projector: OpportunityProjector, poll_seconds: float = 0.25, batch: int = BATCH
    ) -> None:
        self.projector = projector
        self.poll_seconds = poll_seconds
        self.batch = batch
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._subscription: Subscription[Any] | None = None  # followed now: stop() ends it
        self.error: BaseException | None = None

    @property
    def follows_notifications(self) -> bool:
        """True on PostgreSQL, where the library's LISTEN/NOTIFY subscription is used."""
        return self.projector.network.factory.datastore.engine.dialect.name == "postgresql"  # type: ignore[attr-defined, no-any-return]

    def start(self) -> ProjectionRunner:
        self._thread = threading.Thread(target=self._run, name="cosell-projections", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """Something was recorded in this process: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        subscription = self._subscription
        if subscription is not None:  # ends its iteration now, not at the next poll
            subscription.stop()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_forever(self) -> None:
        """Run in the calling thread until stopped (the `cosell projections run` process)."""
        self._run()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._follow()
            except Exception as error:  # keep following: a passing database error is retried
                self.error = error
                # The type only: a database error's text may quote row values (views).
                log.error("projection runner failed (%s); retrying", type(error).__name__)
                self.projector.reset()
                self._stop.wait(1.0)

    def _follow(self) -> None:
        self.projector.catch_up(self.batch)  # what is recorded already, in large commits
        if not self.follows_notifications:
            while not self._stop.is_set():
                self._wake.clear()
                before = self.projector.position
                self.projector.catch_up(self.batch)
                self.error = None
                if self.projector.position == before:
                    self._wake.wait(self.poll_seconds)
            return
        batches = self._notified()
        try:
            for batch in batches:
                if self._stop.is_set():
                    return
                try:
                    self.projector.process(batch)
                except (Outpaced, Discontinuous):
                    return  # another runner wrote some: follow again from the stored position
                self.error = None
        finally:
            batches.close()  # here, in this thread: not later, in garbage collection

    def _notified(self) -> Generator[list[Notification], None, None]:
        """Batches from the library's subscription: whatever has arrived, up to `batch`."""
        recorder = self.projector.network.recorder
        arrived: queue.Queue[Notification | None] = queue.Queue(maxsize=10_000)
        with recorder.subscribe(gt=self.projector.position) as subscription:
            self._subscription = subscription
            if self._stop.is_set():  # stopped while it was starting
                subscription.stop()

            def pump() -> None:
                try:
                    for notification in subscription:
                        arrived.put(notification)
                except Exception as error:
                    self.error = error
                finally:
                    arrived.put(None)

            pumping = threading.Thread(target=pump, name="cosell-subscription", daemon=True)
            pumping.start()
            try:
                ended = False
                while not (ended or self._stop.is_set()):
                    batch: list[Notification] = []
                    with suppress(queue.Empty):
                        while len(batch) < self.batch:
                            wait = self.poll_seconds if not batch else None
                            item = arrived.get(timeout=wait) if wait else arrived.get_nowait()
                            if item is None:
                                ended = True  # the subscription stopped: start a new one
                                break
                            batch.append(item)
                    if batch:
                        yield batch
                    elif (recorder.max_notification_id() or 0) > self.projector.position:
                        # A write that committed before the subscription began to listen is
                        # never announced: when idle, look at the head, and follow again.
                        ended = True
            finally:
                subscription.stop()
                self._subscription = None
                while pumping.is_alive():  # let the pump finish its last put
                    with suppress(queue.Empty):
                        arrived.get(timeout=0.05)
