"""Verify the stored log against its ledger, the signed checkpoints and party signatures.

Every event is read back and its leaf recomputed (its state digest from the stored bytes and
the seed kept with its leaf); the leaves are folded into the tree, whose root must equal each
signed checkpoint's. A changed byte, a deleted, added or reordered event, or a truncated log
all show: as a leaf that no longer matches (naming its position), or, if the ledger was
rewritten along with the events, as a root that differs from a checkpoint the network signed.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.utils import get_topic
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from ecosystem.audit.canonical import parsed
from ecosystem.audit.checkpoints import Checkpoint, CheckpointError, check_no_split_view
from ecosystem.audit.commitments import commitment
from ecosystem.audit.domainmodel import SignedCommand
from ecosystem.audit.leaves import hashed_leaf, state_digest
from ecosystem.audit.merkle import CompactRange
from ecosystem.audit.report import PARTY_KEY_EVENTS, KeyRegistry, Report, actor_in, signer_of
from ecosystem.audit.signature_checks import SignatureChecks, default_jobs
from ecosystem.network import Network
from ecosystem.parties.domainmodel import Party
from projections.audit.checkpoints import Checkpoints
from projections.audit.ledger import LedgerRecorder, ledger
from projections.audit.log_rows import LogRows

SYSTEM = "0" * 32
SIGNED_TOPIC = get_topic(SignedCommand) + ".Recorded"
PARTY_TOPICS = {f"{get_topic(Party)}.{name}": name for name in PARTY_KEY_EVENTS}
_WINDOW = 256  # a signed command's events are recorded just before it, in its transaction
_DECODED = {SIGNED_TOPIC, *PARTY_TOPICS}


def verify_store(
    network: Network, store: Checkpoints, key: Ed25519PublicKey | None = None,
    deep: bool = False, jobs: int | None = None,
) -> Report:  # fmt: skip
    """Check the whole stored log; `deep` also recomputes every event's field commitment;
    party signatures are verified on `jobs` threads (by default, one per core)."""
    report = Report()
    recorder = network.recorder
    assert isinstance(recorder, LedgerRecorder)
    engine: Engine = network.factory.datastore.engine  # type: ignore[attr-defined]
    signed = _checkpoints(store, key, report)  # read before the log: none covers more than it
    with SignatureChecks(KeyRegistry(), report, jobs or default_jobs()) as signatures:
        check = _LogCheck(recorder, report, deep, signatures)
        _against_checkpoints(check, engine, signed, report)
        signatures.finish()
    _beyond(signed, check, report)
    check.finish()
    return report


def _against_checkpoints(
    check: _LogCheck, engine: Engine, signed: list[Checkpoint], report: Report
) -> None:
    by_size = {c.size: c for c in signed}
    last_good = 0
    for size, tree, position in check.leaves(engine, set(by_size)):
        checkpoint = by_size[size]
        report.counts["checkpoints matched"] += 1
        if tree.root() == checkpoint.root:
            last_good = size
        else:
            report.fail(
                check.first_position_after(last_good),
                f"the log's first {size} leaves (to position {position}) do not give the root "
                f"the network signed at checkpoint {size}: history before it was rewritten",
            )


def _checkpoints(store: Checkpoints, key: Ed25519PublicKey | None, report: Report) -> list[Any]:
    found = store.all()
    if key is None and found:
        key = store.public_key()
        report.notes.append(f"checkpoints checked against the network key in {store.key.path}")
    for checkpoint in found:
        try:
            assert key is not None
            checkpoint.verify(key)
        except CheckpointError as error:
            report.fail(None, str(error))
    try:
        check_no_split_view(found)
    except CheckpointError as error:
        report.fail(None, str(error))
    report.counts["checkpoints"] = len(found)
    return found


def _beyond(signed: list[Checkpoint], check: _LogCheck, report: Report) -> None:
    longest = max((c.size for c in signed), default=0)
    if longest > check.size:
        report.fail(
            check.last_position + 1,
            f"checkpoint {longest} covers {longest} events but only {check.size} are in the "
            f"log: the log was truncated after position {check.last_position}",
        )


class _LogCheck:
    """One pass over events and ledger rows, in log order."""

    def __init__(
        self, recorder: LedgerRecorder, report: Report, deep: bool, signatures: SignatureChecks
    ) -> None:
        self._recorder = recorder
        self._report = report
        self._deep = deep
        self._signatures = signatures
        self._range = CompactRange()
        self._positions: list[int] = []  # the position of each leaf, by leaf index
        self._keys = signatures.keys
        self._recent: OrderedDict[tuple[str, int], tuple[int, bytes]] = OrderedDict()
        self._unsigned: dict[tuple[str, int], tuple[int, str]] = {}
        self.size = 0
        self.last_position = 0

    def first_position_after(self, size: int) -> int:
        return self._positions[size] if size < len(self._positions) else self.last_position

    def leaves(self, engine: Engine, stops: set[int]) -> Iterator[tuple[int, CompactRange, int]]:
        """(size, tree, position) at each size in `stops`, checking every event on the way:
        the log as it stood when the check began (what is written meanwhile is left for the
        next)."""
        table = self._recorder.events_record_cls.__table__
        with engine.connect() as connection:  # events first: each has its leaf by the next read
            last = connection.execute(select(func.max(table.c.id))).scalar() or 0
        with engine.connect() as connection:
            head = connection.execute(select(func.max(ledger.c.position))).scalar() or 0
        with LogRows(engine) as rows:
            yield from self._walk(rows.events(table, max(last, head)), rows.ledger(ledger, head),
                                  stops)  # fmt: skip

    def _walk(
        self, events: Iterator[tuple[Any, ...]], leaves: Iterator[tuple[Any, ...]],
        stops: set[int],
    ) -> Iterator[tuple[int, CompactRange, int]]:  # fmt: skip
        event, leaf = next(events, None), next(leaves, None)
        append, positions = self._range.append, self._positions.append
        while event is not None or leaf is not None:
            if leaf is None or (event is not None and event[0] < leaf[1]):
                assert event is not None
                self._report.fail(event[0], "an event without its leaf: added behind the ledger")
                event = next(events, None)
                continue
            index, position, _, _, stored = leaf
            if index != self.size or position <= self.last_position:
                self._report.fail(position, "the ledger's leaves are out of order")
            if event is None or event[0] > position:
                self._report.fail(position, "the event recorded at this position is gone")
                append(stored)
            else:
                append(self._checked(event, leaf))
                event = next(events, None)
            positions(position)
            self.size += 1
            if position > self.last_position:
                self.last_position = position
            leaf = next(leaves, None)
            if self.size in stops:
                yield self.size, self._range, self.last_position

    def _checked(self, event: tuple[Any, ...], leaf: tuple[Any, ...]) -> bytes:
        position, object_id, version, topic, state = event
        seed, content = leaf[2], leaf[3]
        stored: bytes = leaf[4]
        self._report.counts["events"] += 1
        try:
            hashed = hashed_leaf(
                position, object_id, version, topic.encode(), state_digest(seed, state), content
            )
        except (TypeError, AttributeError, struct.error):  # a value of another type stored
            self._report.fail(position, "the stored event differs from what was recorded")
            return stored
        if hashed != stored:
            self._report.fail(position, "the stored event differs from what was recorded")
            return stored  # the tree then tests the ledger alone, against checkpoints
        object_hex = object_id.hex()
        if topic != SIGNED_TOPIC:  # what a signed command recorded next may name
            recent = self._recent
            recent[(object_hex, version)] = (position, state)
            if len(recent) > _WINDOW:
                recent.popitem(last=False)
        if self._deep or topic in _DECODED or self._keys.any_required:
            self._follow(position, object_hex, version, topic, state, seed, content)
        return hashed

    def _follow(
        self, position: int, object_hex: str, version: int, topic: str, state: bytes,
        seed: bytes, content: bytes,
    ) -> None:  # fmt: skip
        """Key events, signed commands and acts that need a signature; in deep mode, the
        field commitment too."""
        plain = self._recorder.plain(state)
        decoded: Any = None
        if self._deep or topic in _DECODED:
            try:
                decoded = parsed(plain)
            except (ValueError, UnicodeDecodeError):
                self._report.fail(position, "the stored event cannot be read")
                return
            if self._deep and _commitment_of(decoded, seed) != content:
                self._report.fail(position, "the event's field commitment differs from its fields")
        if topic == SIGNED_TOPIC:
            self._signed(position, decoded)
            return
        actor = actor_in(plain)
        if actor is not None and actor[0] != SYSTEM and self._keys.requires(actor[0]):
            self._unsigned[(object_hex, version)] = (position, actor[0])
        if topic in PARTY_TOPICS:  # in force from the next event on
            self._keys.apply(object_hex, PARTY_TOPICS[topic], decoded)

    def _signed(self, position: int, state: dict[str, Any]) -> None:
        report = self._report
        document, signature = state.get("document") or {}, state.get("signature") or ""
        signer = signer_of(document)
        signed: list[tuple[str, int]] = []
        for object_hex, versions in (state.get("results") or {}).items():
            for version in versions:
                found = self._recent.get((object_hex, version))
                if found is None:
                    report.fail(position, "a signature recorded apart from the events it signed")
                    continue
                actor = actor_in(self._recorder.plain(found[1]))
                if actor is not None and actor != signer:
                    report.fail(found[0], "an act recorded for another party than its signer")
                signed.append((object_hex, version))
        self._signatures.submit(position, document, signature, lambda: self._acquit(signed))

    def _acquit(self, acts: list[tuple[str, int]]) -> None:
        for act in acts:
            self._unsigned.pop(act, None)

    def finish(self) -> None:
        for position, party in self._unsigned.values():
            self._report.fail(
                position, f"an act of party {party}, which requires signed commands, unsigned"
            )


def _commitment_of(decoded: Any, seed: bytes) -> bytes | None:
    """The field commitment of a stored state; None for a state no commitment can be made of
    (a sealed value whose digest was tampered into something that is not hex, say)."""
    try:
        return commitment(decoded, seed)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
