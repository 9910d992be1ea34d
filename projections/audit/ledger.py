"""The ledger: one Merkle leaf per recorded event, written in the event's own transaction.

`LedgerRecorder` is the event store's recorder. After the library inserts a batch of events
(on PostgreSQL under its exclusive lock of the events table; on SQLite under the database's
single write lock), it appends each event's leaf to `cosell_ledger` at the next leaf index,
in the same transaction: an event is never recorded without its leaf, concurrent writers
take turns, and the leaf indexes have no gaps even where the log's positions do (a rolled
back insert on PostgreSQL uses up a position). The per-event seed stays here: it is what
keeps leaves and withheld fields opaque to everyone who only sees proofs and disclosures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Cipher, Compressor, StoredEvent
from eventsourcing_sqlalchemy.factory import SQLAlchemyFactory
from eventsourcing_sqlalchemy.recorders import SQLAlchemyApplicationRecorder
from sqlalchemy import BigInteger, Column, LargeBinary, MetaData, Table, func, insert, select
from sqlalchemy.orm import Session

from ecosystem.audit.canonical import parsed
from ecosystem.audit.commitments import commitment
from ecosystem.audit.leaves import Leaf, state_digest

metadata = MetaData()
ledger = Table(
    "cosell_ledger",
    metadata,
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False, unique=True),
    Column("seed", LargeBinary(32), nullable=False),
    Column("content", LargeBinary(32), nullable=False),
    Column("leaf", LargeBinary(32), nullable=False),
)
ADOPT_PAGE = 5_000
_LAST_LEAF = select(func.max(ledger.c.leaf_index))


class LedgerRecorder(SQLAlchemyApplicationRecorder):
    def __init__(
        self, datastore: Any, *, events_table_name: str, schema_name: str | None = None,
        cipher: Cipher | None = None, compressor: Compressor | None = None,
    ) -> None:  # fmt: skip
        super().__init__(datastore, events_table_name=events_table_name, schema_name=schema_name)
        self.cipher = cipher
        self.compressor = compressor
        self.tables.append(ledger)

    def plain(self, state: bytes) -> bytes:
        """A stored state as the JSON the transcoder wrote (decrypted, decompressed)."""
        if self.cipher is not None:
            state = self.cipher.decrypt(state)
        if self.compressor is not None:
            state = self.compressor.decompress(state)
        return state

    def leaf_row(
        self, index: int, position: int, object_id: UUID, version: int, topic: str, state: bytes
    ) -> dict[str, Any]:
        seed = os.urandom(32)
        content = commitment(parsed(self.plain(state)), seed)
        leaf = Leaf(position, object_id, version, topic, state_digest(seed, state), content)
        return {
            "leaf_index": index, "position": position, "seed": seed, "content": content,
            "leaf": leaf.hash(),
        }  # fmt: skip

    def _insert_stored_events(
        self, session: Session, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int]:
        positions = super()._insert_stored_events(session, stored_events, **kwargs)
        start = self._next_leaf_index(session)
        rows = [
            self.leaf_row(
                start + offset, position, UUID(str(event.originator_id)),
                event.originator_version, event.topic, event.state,
            )
            for offset, (event, position) in enumerate(zip(stored_events, positions, strict=True))
        ]  # fmt: skip
        if rows:
            session.execute(insert(ledger), rows)
        return positions

    @staticmethod
    def _next_leaf_index(session: Session) -> int:
        last = session.execute(_LAST_LEAF).scalar()
        return 0 if last is None else int(last) + 1

    def adopt_existing(self) -> int:
        """Give leaves to the events of a log that was written before it had a ledger; only
        ever when the ledger is empty (any other event without a leaf is a tampering sign)."""
        with self.transaction(commit=False) as session:  # the usual case, without a lock
            if self._next_leaf_index(session) != 0:
                return 0
        with self.transaction(commit=True) as session:
            self._lock_table(session)
            if self._next_leaf_index(session) != 0:
                return 0
            adopted = 0
            for page in self._pages(session):
                rows = [
                    self.leaf_row(
                        adopted + offset, r.id, UUID(str(r.originator_id)),
                        r.originator_version, r.topic, bytes(r.state),
                    )
                    for offset, r in enumerate(page)
                ]  # fmt: skip
                session.execute(insert(ledger), rows)
                adopted += len(rows)
            return adopted

    def _pages(self, session: Session) -> Iterator[list[Any]]:
        records = self.events_record_cls
        after = 0
        while True:
            page = list(
                session.query(records).filter(records.id > after).order_by(records.id)[:ADOPT_PAGE]
            )
            if not page:
                return
            yield page
            after = page[-1].id


class LedgerFactory(SQLAlchemyFactory):
    """The eventsourcing-sqlalchemy factory, with the ledger recorder for the events table."""

    application_recorder_class = LedgerRecorder

    def application_recorder(self) -> LedgerRecorder:  # type: ignore[override]
        prefix = self.env.name.lower() or "stored"
        recorder = LedgerRecorder(
            self.datastore, events_table_name=f"{prefix}_events", schema_name=self._schema_name,
            cipher=self.cipher(), compressor=self.compressor(),
        )  # fmt: skip
        if self.env_create_table() and recorder.datastore.engine is not None:
            recorder.create_table()
            recorder.adopt_existing()
        return recorder
