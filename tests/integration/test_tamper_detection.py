"""Tampering done directly in the database is always detected, and its first bad position named."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import delete, insert, select, text
from sqlalchemy.engine import Connection, Engine
from typer.testing import CliRunner

from api.bootstrap import checkpoints_of
from api.cli import app
from api.demo import issue_demo_tokens, seed
from api.settings import Settings
from ecosystem.audit.commitments import commitment
from ecosystem.audit.leaves import hashed_leaf, state_digest
from ecosystem.audit.report import Report
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import PartnerRole
from ecosystem.opportunities.fields import Contact, Stage
from projections.audit.checkpoints import Checkpoints
from projections.audit.ledger import ledger
from projections.audit.verify_store import verify_store

ROUNDS = 30  # tamperings of each kind, per store, each on the untampered log
ALPHABETS = (b"0123456789", b"abcdefghijklmnopqrstuvwxyz", b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
Tampering = Callable[[Connection, random.Random, int, int], int]  # -> expected first bad


@dataclass(frozen=True)
class Copy:
    network: Network
    checkpoints: Checkpoints
    url: str

    def verify(self, deep: bool = False) -> Report:
        return verify_store(self.network, self.checkpoints, deep=deep)

    def engine(self) -> Engine:
        return self.network.factory.datastore.engine  # type: ignore[attr-defined,no-any-return]


class SignedLog:
    """The demo log, signed at two checkpoints, to tamper with: after each tampering its
    events and ledger rows are restored, so every round starts from the signed log."""

    def __init__(self, network: Network, url: str) -> None:
        self.original = Copy(network, checkpoints_of(network, Settings(database_url=url)), url)
        seed(network)
        self.checkpoint_sizes = [self._sign()]
        record_a_week_of_activity(network)
        self.checkpoint_sizes.append(self._sign())
        self.size = self.checkpoint_sizes[-1]
        engine = self.original.engine()
        with engine.connect() as db:
            ids = db.execute(text("SELECT id FROM network_events ORDER BY id")).scalars().all()
            leaves = db.execute(text("SELECT position FROM cosell_ledger ORDER BY leaf_index"))
            assert ids == list(leaves.scalars()) == list(range(1, self.size + 1)), "not dense"
        self._tables = [network.recorder.events_record_cls.__table__, ledger]  # type: ignore[attr-defined]
        with engine.connect() as db:
            self._rows = [[r._asdict() for r in db.execute(select(t))] for t in self._tables]

    def _sign(self) -> int:
        signed = self.original.checkpoints.sign()
        assert signed is not None
        return signed.size

    @contextmanager
    def copy(self) -> Iterator[Copy]:
        """The log to tamper with; afterwards its events and ledger rows are as they were."""
        try:
            yield self.original
        finally:
            self._restore()

    def _restore(self) -> None:
        with self.original.engine().begin() as db:
            for table, rows in zip(self._tables, self._rows, strict=True):
                db.execute(delete(table))
                db.execute(insert(table), rows)


def record_a_week_of_activity(network: Network) -> None:
    """A third deal, worked on by two companies after the first checkpoint was signed."""
    users = {u.email: network.authenticate(u.token) for u in issue_demo_tokens(network)}
    nora, bea = users["nora@northwind-software.example"], users["bea@bluebridge.example"]
    deal = network.register_opportunity(
        nora,
        {
            "title": "Tailspin Toys: supply-chain analytics",
            "customer.name": "Tailspin Toys",
            "customer.website_domain": "tailspin-toys.example",
            "customer.contacts": [Contact("Ari Stone", "ari@tailspin-toys.example", "", "CTO")],
        },
    ).object_id
    network.invite_partner(nora, deal, bea.party_id, PartnerRole.CO_SELLER)
    network.accept_invitation(bea, deal)
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        network.add_note(nora, deal, f"{day}: call with the customer's buyers.")
        network.add_note(bea, deal, f"{day}: scoping the data feeds.")
    network.change_stage(nora, deal, Stage.QUALIFIED)


@pytest.fixture
def log(network: Network, database_url: str) -> SignedLog:
    return SignedLog(network, database_url)


def _event(db: Connection, position: int) -> Any:
    query = text("SELECT * FROM network_events WHERE id = :id")
    return db.execute(query, {"id": position}).one()


def _uuid(stored: Any) -> UUID:
    """An originator id as read by plain SQL: 16 bytes on SQLite, text on PostgreSQL."""
    return (
        UUID(bytes=bytes(stored)) if isinstance(stored, bytes | memoryview) else UUID(str(stored))
    )


def _set_state(db: Connection, position: int, state: bytes) -> None:
    query = text("UPDATE network_events SET state = :state WHERE id = :id")
    db.execute(query, {"state": state, "id": position})


def flip_a_byte(db: Connection, rng: random.Random, position: int, size: int) -> int:
    state = bytearray(_event(db, position).state)
    state[rng.randrange(len(state))] ^= rng.randrange(1, 256)
    _set_state(db, position, bytes(state))
    return position


def delete_an_event(db: Connection, rng: random.Random, position: int, size: int) -> int:
    db.execute(text("DELETE FROM network_events WHERE id = :id"), {"id": position})
    return position


def swap_two_events(db: Connection, rng: random.Random, position: int, size: int) -> int:
    other = rng.choice([p for p in range(1, size + 1) if p != position])
    move = text("UPDATE network_events SET id = :to WHERE id = :id")
    for moved, to in ((position, -1), (other, position), (-1, other)):  # -1: id is the key
        db.execute(move, {"id": moved, "to": to})
    return min(position, other)


def truncate_the_events(db: Connection, rng: random.Random, position: int, size: int) -> int:
    db.execute(text("DELETE FROM network_events WHERE id >= :k"), {"k": position})
    return position


def truncate_events_and_leaves(db: Connection, rng: random.Random, position: int, size: int) -> int:
    truncate_the_events(db, rng, position, size)
    db.execute(text("DELETE FROM cosell_ledger WHERE position >= :k"), {"k": position})
    return position


def _still_json(state: bytes, rng: random.Random) -> bytes:
    """The state with one letter or digit changed, such that it still parses, differently."""
    for _ in range(10_000):
        offset = rng.randrange(len(state))
        alphabet = next((a for a in ALPHABETS if state[offset] in a), b"")
        changed = bytearray(state)
        changed[offset] = rng.choice(alphabet.replace(state[offset : offset + 1], b"") or b"\0")
        try:
            if json.loads(changed) != json.loads(state):
                return bytes(changed)
        except ValueError:
            continue
    raise AssertionError("no change of one byte keeps this state JSON")


def rewrite_the_ledger(db: Connection, rng: random.Random, position: int, content: bool) -> None:
    """What an insider does: change an event and recompute its leaf (and, if `content`, its
    field commitment) with the seed kept beside it, so the event matches its leaf again."""
    event = _event(db, position)
    leaf = db.execute(text("SELECT * FROM cosell_ledger WHERE position = :p"), {"p": position})
    row = leaf.one()
    seed_ = bytes(row.seed)
    while True:  # a change no commitment can be made of (a sealed digest not hex) is no use
        state = _still_json(bytes(event.state), rng)
        try:
            committed = commitment(json.loads(state), seed_) if content else bytes(row.content)
            break
        except ValueError:
            continue
    _releaf(db, position, state, committed)


def _releaf(db: Connection, position: int, state: bytes, committed: bytes) -> None:
    """The event's state replaced, and its leaf recomputed to match (with the kept seed)."""
    event, seed_ = _event(db, position), bytes(_ledger_row(db, position).seed)
    hashed = hashed_leaf(
        position, _uuid(event.originator_id).bytes, event.originator_version,
        event.topic.encode(), state_digest(seed_, state), committed,
    )  # fmt: skip
    _set_state(db, position, state)
    db.execute(
        text("UPDATE cosell_ledger SET leaf = :leaf, content = :content WHERE position = :p"),
        {"leaf": hashed, "content": committed, "p": position},
    )


def _ledger_row(db: Connection, position: int) -> Any:
    query = text("SELECT * FROM cosell_ledger WHERE position = :p")
    return db.execute(query, {"p": position}).one()


EXACT_KINDS: list[Tampering] = [
    flip_a_byte, delete_an_event, swap_two_events, truncate_the_events,
    truncate_events_and_leaves,
]  # fmt: skip


def _positions(rng: random.Random, size: int) -> list[int]:
    """The first and the last position, and random ones between."""
    return [1, size, *rng.sample(range(2, size), ROUNDS - 2)]


def test_an_untampered_log_verifies(log: SignedLog) -> None:
    report = log.original.verify(deep=True)
    assert report.ok, report.lines()
    assert report.counts["events"] == log.size > 100
    assert report.counts["checkpoints matched"] == len(log.checkpoint_sizes) == 2


def test_every_kind_of_tampering_is_detected_at_its_first_bad_position(log: SignedLog) -> None:
    rng_seed = random.randrange(2**32)
    rng = random.Random(rng_seed)
    missed: dict[str, list[tuple[int, int, int | None]]] = {}
    for tamper in EXACT_KINDS:
        missed[tamper.__name__] = []
        for position in _positions(rng, log.size):
            with log.copy() as copy:
                assert copy.verify().ok, "the copy to tamper with is not the signed log"
                with copy.engine().begin() as db:
                    expected = tamper(db, rng, position, log.size)
                report = copy.verify()
            if report.ok or report.first_bad_position != expected:
                missed[tamper.__name__].append((position, expected, report.first_bad_position))
    detected = {kind: f"{ROUNDS - len(m)}/{ROUNDS}" for kind, m in missed.items()}
    assert not any(missed.values()), (
        f"detected {detected} (seed {rng_seed}); missed (tampered, expected, named): {missed}"
    )


@pytest.mark.parametrize(
    "column, value", [("originator_id", "not an id"), ("state", "text, not bytes"),
                      ("topic", 7)],
)  # fmt: skip
def test_a_value_of_another_type_stored_in_a_column_is_reported_at_its_position(
    sqlite_network: Network, sqlite_url: str, column: str, value: object
) -> None:
    """SQLite keeps whatever type it is given: the check names the event, it does not fail."""
    log = SignedLog(sqlite_network, sqlite_url)
    position = log.size // 2
    with log.copy() as copy:
        with copy.engine().begin() as db:
            query = text(f"UPDATE network_events SET {column} = :value WHERE id = :id")
            db.execute(query, {"value": value, "id": position})
        report = copy.verify()
    assert not report.ok and report.first_bad_position == position, report.lines()


def test_a_ledger_rewritten_to_match_a_tampered_event_fails_against_a_signed_checkpoint(
    log: SignedLog,
) -> None:
    rng_seed = random.randrange(2**32)
    rng = random.Random(rng_seed)
    missed: list[tuple[int, int | None]] = []
    for position in _positions(rng, log.size):
        with log.copy() as copy:
            with copy.engine().begin() as db:
                rewrite_the_ledger(db, rng, position, content=True)
            report = copy.verify()
        # named within the stretch of log between the two checkpoints around it
        signed_before = max((s for s in log.checkpoint_sizes if s < position), default=0)
        first = report.first_bad_position
        by_root = any("do not give the root the network signed" in p.what for p in report.problems)
        if not (by_root and first is not None and signed_before < first <= position):
            missed.append((position, first))
    detected = ROUNDS - len(missed)
    assert detected == ROUNDS, f"{detected}/{ROUNDS} (seed {rng_seed}); missed: {missed}"


def test_deep_mode_names_the_event_whose_fields_no_longer_match_their_commitment(
    log: SignedLog,
) -> None:
    rng = random.Random()
    for position in rng.sample(range(1, log.size + 1), 5):
        with log.copy() as copy:
            with copy.engine().begin() as db:
                _set_state(db, position, _still_json(bytes(_event(db, position).state), rng))
            flipped = copy.verify(deep=True)
        assert flipped.first_bad_position == position, flipped.lines()
        with log.copy() as copy:  # the careless insider: the leaf rewritten, not the content
            with copy.engine().begin() as db:
                rewrite_the_ledger(db, rng, position, content=False)
            deep, shallow = copy.verify(deep=True), copy.verify()
        named = [p.position for p in deep.problems if "commitment differs" in p.what]
        assert named == [position], deep.lines()
        for report in (deep, shallow):  # the checkpoints also catch it, as far as they can tell
            assert report.first_bad_position is not None, report.lines()
            assert report.first_bad_position <= position


def test_the_command_line_exits_1_naming_the_first_bad_position_and_0_on_a_sound_log(
    log: SignedLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner, position = CliRunner(), random.randrange(1, log.size + 1)
    with log.copy() as copy:
        monkeypatch.setenv("COSELL_DATABASE_URL", copy.url)
        sound = runner.invoke(app, ["audit", "verify"])
        assert sound.exit_code == 0, sound.output
        assert sound.output.startswith("verified")
        with copy.engine().begin() as db:
            flip_a_byte(db, random.Random(), position, log.size)
        tampered = runner.invoke(app, ["audit", "verify"])
    assert tampered.exit_code == 1, tampered.output
    assert f"first bad position: {position}\n" in tampered.output
    assert "FAILED" in tampered.output


def test_deep_mode_names_an_event_whose_sealed_digest_is_no_longer_a_digest(
    log: SignedLog,
) -> None:
    with log.copy() as copy:
        with copy.engine().begin() as db:
            position, state = next(
                (p, state)
                for p in range(1, log.size + 1)
                if b'"h":"' in (state := bytes(_event(db, p).state))
            )
            at = state.index(b'"h":"') + 5  # the digest's first hex digit becomes a letter
            tampered, content = state[:at] + b"z" + state[at + 1 :], _ledger_row(db, position)
            _releaf(db, position, tampered, bytes(content.content))  # the leaf matches it
        report = copy.verify(deep=True)  # reported, not a crash
    named = [p.position for p in report.problems if "commitment differs" in p.what]
    assert named == [position], report.lines()
