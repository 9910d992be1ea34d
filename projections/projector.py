"""The opportunity projector: a batch of recorded events in, each company's rows out, once.

Each batch is applied to a `Replay` (the network as of the read models' position); then the
rows of every deal the batch touched, and of every deal holding data of a company whose
policy changed, are computed through the one redaction function and written with the new
position in one transaction. A crash anywhere leaves the rows and the position as they were;
a restart reads the position and carries on from there.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import SharedOpportunity
from ecosystem.shared_objects import SharedObject
from projections.replay import (
    DealChanged,
    PartnershipChanged,
    PolicyChanged,
    Replay,
    SharedChanged,
)
from projections.rows import rows_of
from projections.shared_rows import shared_index_entry, shared_rows_of
from projections.store import Outpaced, ReadModelStore, index_version

PAGE = 1000
# Catching up, each deal is rendered once per commit: rarer commits are faster (the events
# are read page by page, so memory does not grow with them; a crash redoes at most this many).
COMMIT_EVERY = 100_000
Fault = Callable[[str], None]  # tests inject crashes here, by the name of the point reached


def _no_fault(point: str) -> None:
    return None


_gc_lock = threading.Lock()
_gc_users = 0
_gc_saved: tuple[int, int, int] = (0, 0, 0)


@contextmanager
def rarer_full_collections() -> Iterator[None]:
    """While a batch is processed, Python's full collections run a tenth as often.

    A batch holds every deal it touched; each full collection walks all of them again, which
    took a third of a 100,000-event catch-up (bench/read_model_catchup.py). Young objects are
    still collected as usual, and the thresholds are restored when the last batch ends."""
    global _gc_users, _gc_saved
    with _gc_lock:
        if _gc_users == 0:
            _gc_saved = gc.get_threshold()
            gc.set_threshold(_gc_saved[0], _gc_saved[1], max(_gc_saved[2], 100))
        _gc_users += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0:
                gc.set_threshold(*_gc_saved)


class Discontinuous(Exception):
    """A batch skips recorded events: read again from the position."""

    def __init__(self, position: int, missed: int) -> None:
        super().__init__(f"the batch skips event {missed} after position {position}")


@dataclass
class BatchResult:
    position: int
    deals: int = 0
    rows_written: int = 0
    reprojected: int = 0  # rows rewritten because a policy changed what they may show


def index_entry(deal: SharedOpportunity) -> dict[str, Any]:
    """Whose data the deal holds: its owner's, and each note author's and counterpart's."""
    owners = {deal.owner_id, *deal.counterparts, *(n.author.party_id for n in deal.notes)}
    return {
        "opportunity_id": deal.id.hex,
        "version": deal.version,
        "data_owners": "," + "".join(f"{o.hex}," for o in sorted(owners)),
    }


class OpportunityProjector:
    """Projects the log into per-company opportunity rows (of `companies`, when given)."""

    def __init__(
        self,
        network: Network,
        store: ReadModelStore,
        companies: frozenset[UUID] | None = None,
        fault: Fault = _no_fault,
    ) -> None:
        self.network = network
        self.store = store
        self.companies = companies
        self.fault = fault
        self.replay = self._new_replay()

    @property
    def position(self) -> int:
        return self.replay.position

    def reset(self) -> None:
        """Forget what is held and start again from the stored position."""
        self.replay = self._new_replay()

    def _new_replay(self) -> Replay:
        return Replay(
            self.network, self.store.position(),
            versions=lambda object_id: index_version(self.store, object_id),
        )  # fmt: skip

    def process(self, batch: Sequence[Notification]) -> BatchResult:
        """Apply the events after the position and write their effect; idempotent."""
        return self.process_pages([batch])

    def process_pages(self, pages: Iterable[Sequence[Notification]]) -> BatchResult:
        """Apply pages of events, then write their effect with the new position, at once.

        The events must continue from the position: a first event later than the next
        recorded one is refused (`Discontinuous`), and events at or before it are skipped."""
        start = self.replay.position
        try:
            with rarer_full_collections():
                return self._process(start, pages)
        except BaseException:
            self.reset()  # what is held may be ahead of what was written
            raise

    def _process(self, start: int, pages: Iterable[Sequence[Notification]]) -> BatchResult:
        touched: dict[UUID, SharedOpportunity] = {}
        shared: dict[UUID, SharedObject] = {}
        policy_owners: set[UUID] = set()
        for page in pages:
            for notification in page:
                if notification.id <= self.replay.position:
                    continue
                if self.replay.position == start:
                    self._check_continues(start, notification.id)
                change = self.replay.apply(notification)
                if isinstance(change, DealChanged):
                    touched[change.deal.id] = change.deal
                elif isinstance(change, SharedChanged):
                    shared[change.found.id] = change.found
                elif isinstance(change, PolicyChanged):
                    policy_owners.add(change.owner_id)
                elif isinstance(change, PartnershipChanged):  # as if both changed policies
                    policy_owners.update(change.parties)
        end = self.replay.position
        if end == start:
            return BatchResult(start)
        self.fault("applied")
        affected = self.store.deals_holding_data_of(policy_owners) if policy_owners else {}
        for object_id, version in affected.items():  # solutions and plans: render them anew
            found = self.replay.deal(object_id, version)
            if isinstance(found, SharedObject) and object_id not in shared:
                shared[object_id] = found
        self._add_linked(touched, shared)
        redaction = self.replay.redaction()
        rows: list[dict[str, Any]] = []
        for deal in touched.values():
            rows.extend(rows_of(deal, redaction, self.companies).values())
        self.fault("rendered")
        pairs: list[tuple[str, str]] = []
        reprojected = 0
        if affected:
            stored = self.store.row_digests(d for d in affected if d not in touched)
            for deal_id, version in affected.items():
                if deal_id in touched or deal_id in shared:
                    continue
                deal = self.replay.deal(deal_id, version)
                for party, row in rows_of(deal, redaction, self.companies).items():
                    key = (party.hex, deal_id.hex)
                    if stored.get(key) != row["digest"]:  # only rows whose view changed
                        rows.append(row)
                        pairs.append(key)
                        reprojected += 1
        self.fault("reprojected")
        objects = [
            r for found in shared.values() for r in shared_rows_of(found, redaction, self.companies)
        ]
        index = [index_entry(deal) for deal in touched.values()]
        index += [shared_index_entry(found) for found in shared.values()]
        self.store.write(
            start, end, rows, [d.hex for d in touched], pairs, index, self.companies,
            shared=objects, replaced_shared=[o.hex for o in shared],
        )  # fmt: skip
        self.fault("written")
        return BatchResult(end, len(touched), len(rows), reprojected)

    def _add_linked(
        self, touched: dict[UUID, SharedOpportunity], shared: dict[UUID, SharedObject]
    ) -> None:
        """Who sees a link depends on both sides: when one side changes, render the other."""
        for deal in list(touched.values()):
            for object_id in deal.links:
                found = self.replay.at_position(object_id)
                if found is not None:
                    shared.setdefault(object_id, found)
        for found in list(shared.values()):
            for deal_id in found.links:
                linked = self.replay.at_position(deal_id)
                if linked is not None:
                    touched.setdefault(deal_id, linked)

    def _check_continues(self, position: int, first: int) -> None:
        if first > position + 1:  # ids of rolled-back writes leave real holes; missed ones not
            missed = self.network.recorder.select_notifications(position + 1, 1, stop=first - 1)
            if missed:
                raise Discontinuous(position, missed[0].id)

    def catch_up(self, limit: int = COMMIT_EVERY, until: int | None = None) -> int:
        """Process everything recorded (up to `until`), writing after every `limit` events;
        returns the position reached."""
        recorder = self.network.recorder
        head = (recorder.max_notification_id() or 0) if until is None else until
        while self.replay.position < head:
            before = self.replay.position
            try:
                self.process_pages(self._pages(head, limit))
            except (Outpaced, Discontinuous):
                continue  # another projector wrote these; reset() moved us to its position
            if self.replay.position == before:
                break  # nothing more was recorded (the rest are ids of rolled-back writes)
        return self.replay.position

    def _pages(self, head: int, limit: int) -> Iterator[Sequence[Notification]]:
        """Pages of the events after the position, up to `head`, `limit` events in all."""
        position, count = self.replay.position, 0
        while count < limit:
            page = self.network.recorder.select_notifications(
                position + 1, min(PAGE, limit - count), stop=head
            )
            if not page:
                return
            yield page
            count, position = count + len(page), page[-1].id
