"""The keys of personal data, one per data subject, in the event store's database.

These tables are the one place in Cosell where rows are deleted: erasing a subject deletes
its key (and the hashes of its identities), so the personal data sealed in the events can
never be opened again. On SQLite the deletion overwrites the freed bytes (`secure_delete`)
and the write-ahead log is truncated; on PostgreSQL the two small tables are rewritten
(`VACUUM FULL`), so the key does not linger in the tables' pages. With a store cipher
configured, keys are kept wrapped by it, so a copy of the database alone opens nothing.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Cipher
from sqlalchemy import Column, LargeBinary, String, Table, bindparam, delete, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from ecosystem.audit.sealing import KEY_BYTES, lookup_of
from projections.audit.ledger import metadata

log = logging.getLogger("cosell.audit")
REWRITE_WAIT_SECONDS = 10.0
_XID = text("SELECT txid_current()")  # the deleting transaction's id (64 bits, with epoch)
# Whether a rewrite begun now could keep a row that transaction deleted. A rewrite keeps what
# its own snapshot might not see (the oldest transaction still running, in any database of
# the cluster, bounds that snapshot) and what any snapshot still open in this database might.
_HELD_BACK = text(
    "SELECT txid_snapshot_xmin(txid_current_snapshot()) <= :xid OR EXISTS ("
    "SELECT FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND age(backend_xmin) >= age(CAST(:xid32 AS xid)))"
)
subject_keys = Table(
    "cosell_subject_keys",
    metadata,
    Column("subject", String(32), primary_key=True),
    Column("key", LargeBinary, nullable=False),
    Column("created_at", String(32), nullable=False),
)
# Each way a subject is known (its email, its phone), as a hash: how erasure finds its key.
subject_lookups = Table(
    "cosell_subject_lookups",
    metadata,
    Column("lookup", String(64), primary_key=True),
    Column("subject", String(32), nullable=False, index=True),
)


_FILED = (
    select(subject_lookups.c.lookup, subject_keys.c.subject, subject_keys.c.key)
    .join(subject_keys, subject_keys.c.subject == subject_lookups.c.subject)
    .where(subject_lookups.c.lookup.in_(bindparam("lookups", expanding=True)))
)
_KEYS = select(subject_keys.c.subject, subject_keys.c.key).where(
    subject_keys.c.subject.in_(bindparam("subjects", expanding=True))
)


@contextmanager
def _relaxed(connection: Any) -> Iterator[None]:
    """On SQLite, a new key's commit need not wait for the disk: the event that uses it
    commits right after, fully synchronised, and the write-ahead log keeps their order, so
    the key is durable before any event sealed with it is."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA synchronous = NORMAL")
    try:
        yield
    finally:
        if sqlite:
            connection.rollback()
            connection.exec_driver_sql("PRAGMA synchronous = FULL")


class SubjectKeys:
    """A KeyStore (see ecosystem.audit.sealing) over the two tables above."""

    def __init__(self, engine: Engine, cipher: Cipher | None = None) -> None:
        self._engine = engine
        self._cipher = cipher
        for attempt in range(3):  # processes starting together race to create the tables
            try:
                metadata.create_all(engine, tables=[subject_keys, subject_lookups])
                break
            except DBAPIError:
                if attempt == 2:
                    raise

    def subject_for(self, *identities: str) -> tuple[UUID, bytes]:
        lookups = [lookup_of(i) for i in identities]
        with self._engine.connect() as connection:  # someone already known: a read is enough
            filed = connection.execute(_FILED, {"lookups": lookups}).all()
        if len(filed) == len(lookups) and len({subject for _, subject, _ in filed}) == 1:
            return UUID(filed[0][1]), self._unwrap(bytes(filed[0][2]))
        for _ in range(5):
            try:
                with self._engine.connect() as connection, _relaxed(connection):
                    found = self._subject_for(connection, lookups)
                    connection.commit()
                    return found
            except IntegrityError:  # another writer filed one of these lookups first
                continue
        raise RuntimeError("could not file a data subject's key")

    def _subject_for(self, connection: Any, lookups: list[str]) -> tuple[UUID, bytes]:
        filed = dict(
            connection.execute(
                select(subject_lookups.c.lookup, subject_lookups.c.subject).where(
                    subject_lookups.c.lookup.in_(lookups)
                )
            ).all()
        )
        known = [filed[k] for k in lookups if k in filed]
        stored = None
        if known:
            subject = known[0]
            stored = connection.execute(
                select(subject_keys.c.key).where(subject_keys.c.subject == subject)
            ).scalar()
        if stored is None:  # a new person (or lookups an interrupted erasure left behind)
            subject, key = os.urandom(16).hex(), AESGCM.generate_key(KEY_BYTES * 8)
            connection.execute(delete(subject_lookups).where(subject_lookups.c.lookup.in_(lookups)))
            connection.execute(insert(subject_keys).values(
                subject=subject, key=self._wrap(key), created_at=datetime.now(UTC).isoformat()
            ))  # fmt: skip
            filed = {}
        else:
            key = self._unwrap(bytes(stored))
        fresh = [{"lookup": k, "subject": subject} for k in lookups if k not in filed]
        if fresh:
            connection.execute(insert(subject_lookups), fresh)
        return UUID(subject), key

    def find(self, identity: str) -> UUID | None:
        with self._engine.connect() as connection:
            found = connection.execute(
                select(subject_lookups.c.subject).where(
                    subject_lookups.c.lookup == lookup_of(identity)
                )
            ).scalar()
        return None if found is None else UUID(found)

    def keys(self, subjects: Iterable[UUID]) -> dict[UUID, bytes]:
        wanted = [s.hex for s in set(subjects)]
        found: dict[UUID, bytes] = {}
        with self._engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                chunk = {"subjects": wanted[start : start + 500]}
                for subject, key in connection.execute(_KEYS, chunk):
                    found[UUID(subject)] = self._unwrap(bytes(key))
        return found

    def destroy(self, subject: UUID) -> None:
        dialect = self._engine.dialect.name
        with self._engine.connect() as connection:
            if dialect == "sqlite":  # the freed bytes are overwritten, not left in the file
                connection.execute(text("PRAGMA secure_delete = ON"))
            connection.execute(delete(subject_keys).where(subject_keys.c.subject == subject.hex))
            connection.execute(
                delete(subject_lookups).where(subject_lookups.c.subject == subject.hex)
            )
            deleted_by = connection.execute(_XID).scalar() if dialect == "postgresql" else None
            connection.commit()
            if dialect == "sqlite":
                connection.execute(text("PRAGMA secure_delete = OFF"))
                connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                connection.commit()
        if deleted_by is not None:
            self._rewrite_tables(int(deleted_by))

    def _rewrite_tables(self, deleted_by: int) -> None:
        """On PostgreSQL a deleted row stays in its table's pages until they are reused;
        rewriting the (small) tables drops the old pages, and the key with them. A rewrite
        keeps a row that a transaction still open may see, so it waits (a while) for those
        that began before the deletion to end."""
        try:
            with self._engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                deadline = time.monotonic() + REWRITE_WAIT_SECONDS
                xid = {"xid": deleted_by, "xid32": str(deleted_by % 2**32)}
                while c.execute(_HELD_BACK, xid).scalar():
                    if time.monotonic() > deadline:
                        log.warning("a transaction older than an erasure is still open: the "
                                    "deleted key may stay in the table files until it ends "
                                    "and they are rewritten")  # fmt: skip
                        break
                    time.sleep(0.05)
                c.execute(text("VACUUM FULL cosell_subject_keys, cosell_subject_lookups"))
        except DBAPIError as error:  # e.g. not the tables' owner: the key is deleted anyway
            log.warning("could not rewrite the personal-data key tables: %s", type(error).__name__)

    def _wrap(self, key: bytes) -> bytes:
        return key if self._cipher is None else self._cipher.encrypt(key)

    def _unwrap(self, stored: bytes) -> bytes:
        return stored if self._cipher is None else self._cipher.decrypt(stored)
