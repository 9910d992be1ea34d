"""The keys of personal data, one per data subject, in the event store's database.

This table is the one place in Cosell where rows are deleted: erasing a subject deletes its
key (and the hash of its identity), so the personal data sealed in the events can never be
opened again. On SQLite the deletion overwrites the freed bytes (`secure_delete`) and the
write-ahead log is truncated, so the key does not linger in the database file. With a store
cipher configured, keys are kept wrapped by it, so a copy of the database alone opens nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Cipher
from sqlalchemy import Column, LargeBinary, String, Table, delete, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from ecosystem.audit.sealing import KEY_BYTES, lookup_of
from projections.audit.ledger import metadata

subject_keys = Table(
    "cosell_subject_keys",
    metadata,
    Column("subject", String(32), primary_key=True),
    Column("lookup", String(64), nullable=False, unique=True),
    Column("key", LargeBinary, nullable=False),
    Column("created_at", String(32), nullable=False),
)


class SubjectKeys:
    """A KeyStore (see ecosystem.audit.sealing) over the `cosell_subject_keys` table."""

    def __init__(self, engine: Engine, cipher: Cipher | None = None) -> None:
        self._engine = engine
        self._cipher = cipher
        for attempt in range(3):  # processes starting together race to create the table
            try:
                metadata.create_all(engine, tables=[subject_keys], checkfirst=True)
                break
            except DBAPIError:
                if attempt == 2:
                    raise

    def subject_for(self, identity: str) -> tuple[UUID, bytes]:
        lookup = lookup_of(identity)
        for _ in range(3):
            found = self._by_lookup(lookup)
            if found is not None:
                return found
            subject, key = UUID(bytes=os.urandom(16)), AESGCM.generate_key(KEY_BYTES * 8)
            try:
                with self._engine.begin() as connection:
                    connection.execute(
                        insert(subject_keys).values(
                            subject=subject.hex, lookup=lookup, key=self._wrap(key),
                            created_at=datetime.now(UTC).isoformat(),
                        )
                    )  # fmt: skip
                return subject, key
            except IntegrityError:  # another writer created this subject first
                continue
        raise RuntimeError("could not create a data subject's key")

    def find(self, identity: str) -> UUID | None:
        found = self._by_lookup(lookup_of(identity))
        return None if found is None else found[0]

    def keys(self, subjects: Iterable[UUID]) -> dict[UUID, bytes]:
        wanted = [s.hex for s in set(subjects)]
        found: dict[UUID, bytes] = {}
        with self._engine.connect() as connection:
            for start in range(0, len(wanted), 500):
                query = select(subject_keys.c.subject, subject_keys.c.key).where(
                    subject_keys.c.subject.in_(wanted[start : start + 500])
                )
                for subject, key in connection.execute(query):
                    found[UUID(subject)] = self._unwrap(bytes(key))
        return found

    def destroy(self, subject: UUID) -> None:
        sqlite = self._engine.dialect.name == "sqlite"
        with self._engine.connect() as connection:
            if sqlite:
                connection.execute(text("PRAGMA secure_delete = ON"))
            connection.execute(delete(subject_keys).where(subject_keys.c.subject == subject.hex))
            connection.commit()
            if sqlite:
                connection.execute(text("PRAGMA secure_delete = OFF"))
                connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
                connection.commit()

    def _by_lookup(self, lookup: str) -> tuple[UUID, bytes] | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(subject_keys.c.subject, subject_keys.c.key).where(
                    subject_keys.c.lookup == lookup
                )
            ).first()
        return None if row is None else (UUID(row.subject), self._unwrap(bytes(row.key)))

    def _wrap(self, key: bytes) -> bytes:
        return key if self._cipher is None else self._cipher.encrypt(key)

    def _unwrap(self, stored: bytes) -> bytes:
        return stored if self._cipher is None else self._cipher.decrypt(stored)
