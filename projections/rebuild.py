"""Rebuilding read models from the whole log, and the digest that shows a rebuild equals them.

A rebuild replays every event from the start into a fresh `Replay`, renders every row once
at the end, and swaps the rows in (with the deal index and, for all companies, the position)
in one transaction. One company's rows are rebuilt at the position the others are at, so a
runner may keep going meanwhile: if it moves on, the rebuild replays further and tries again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ecosystem.network import Network
from projections.projector import index_entry
from projections.replay import Replay
from projections.rows import digest_of, rows_of
from projections.shared_rows import shared_index_entry, shared_rows_of
from projections.store import Outpaced, ReadModelStore

Progress = Callable[[int, int], None]  # (position reached, target position)
PAGE = 1000


@dataclass(frozen=True)
class Rebuilt:
    position: int
    rows: int
    digest: str


Rows = list[dict[str, Any]]


def replayed_rows(replay: Replay, companies: frozenset[UUID] | None) -> tuple[Rows, Rows, Rows]:
    """Every deal row and solution or plan row (of `companies`) and every index entry, as of
    the replay's position."""
    redaction = replay.redaction()
    rows: Rows = []
    shared: Rows = []
    index: Rows = []
    for deal in replay.deals():
        rows.extend(rows_of(deal, redaction, companies).values())
        index.append(index_entry(deal))
    for found in replay.shared_objects():
        shared.extend(shared_rows_of(found, redaction, companies))
        index.append(shared_index_entry(found))
    return rows, shared, index


def _digest(rows: Rows, shared: Rows) -> str:
    triples = [(r["party_id"], r["opportunity_id"], r["digest"]) for r in rows]
    triples += [(r["party_id"], r["object_id"], r["digest"]) for r in shared]
    return digest_of(triples)


def replay_to(network: Network, replay: Replay, target: int, progress: Progress) -> None:
    while replay.position < target:
        page = network.recorder.select_notifications(replay.position + 1, PAGE, stop=target)
        if not page:
            replay.position = target  # the rest are gaps (ids of rolled-back writes)
            break
        for notification in page:
            replay.apply(notification)
        progress(replay.position, target)


def rebuild(
    network: Network,
    store: ReadModelStore,
    companies: frozenset[UUID] | None = None,
    progress: Progress = lambda done, total: None,
) -> Rebuilt:
    """Rebuild the read models (of `companies`) from the log; returns what was written."""
    replay = Replay(network, 0, keep_all=True)
    for _ in range(100):
        current = store.position()
        target = current if companies is not None else max(current, network.log_position)
        replay_to(network, replay, target, progress)
        rows, shared, index = replayed_rows(replay, companies)
        try:
            store.replace_all(rows, index, replay.position, companies, shared)
        except Outpaced:
            continue  # a runner moved on meanwhile: replay the rest and try again
        return Rebuilt(replay.position, len(rows) + len(shared), _digest(rows, shared))
    raise RuntimeError("the read models kept moving; stop the runners and rebuild again")


def replayed_digest(
    network: Network, position: int, companies: frozenset[UUID] | None = None
) -> tuple[str, int]:
    """The digest (and row count) a clean rebuild at `position` would have; writes nothing."""
    replay = Replay(network, 0, keep_all=True)
    replay_to(network, replay, position, lambda done, total: None)
    rows, shared, _ = replayed_rows(replay, companies)
    return _digest(rows, shared), len(rows) + len(shared)
