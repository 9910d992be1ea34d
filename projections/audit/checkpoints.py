"""Signed checkpoints of the ledger, the network's signing key, and proofs between sizes.

A checkpoint row keeps, besides what was signed, the roots of the perfect subtrees at its
size (its compact range), so the next checkpoint hashes only the leaves recorded since.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from sqlalchemy import (
    BigInteger,
    Column,
    LargeBinary,
    String,
    Table,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ecosystem.audit.checkpoints import Checkpoint, key_id_of, sign_checkpoint, utc_text
from ecosystem.audit.merkle import CompactRange, MerkleTree
from projections.audit.ledger import ledger, metadata

checkpoints = Table(
    "cosell_checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root", LargeBinary(32), nullable=False),
    Column("signed_at", String(32), nullable=False),
    Column("key_id", String(32), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
    Column("frontier", LargeBinary, nullable=False),
)
PAGE = 50_000
log = logging.getLogger("cosell.audit")


class SigningKeyMissing(RuntimeError):
    """The network's signing key is not where the settings say, and checkpoints exist."""


class NetworkKey:
    """The network's Ed25519 key, in a PEM file outside the database (created on first use,
    readable by its owner only)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: Ed25519PrivateKey | None = None

    def exists(self) -> bool:
        return self.path.exists()

    def load(self, create: bool) -> Ed25519PrivateKey:
        if self._key is None:
            if self.path.exists():
                loaded = load_pem_private_key(self.path.read_bytes(), password=None)
                if not isinstance(loaded, Ed25519PrivateKey):
                    raise SigningKeyMissing(f"{self.path} does not hold an Ed25519 key")
                self._key = loaded
            elif create:
                self._key = Ed25519PrivateKey.generate()
                self._write(self._key)
            else:
                raise SigningKeyMissing(
                    f"the network's signing key is missing from {self.path}, but checkpoints "
                    "signed by it exist; restore the key file (COSELL_SIGNING_KEY_FILE)"
                )
        return self._key

    def _write(self, key: Ed25519PrivateKey) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        try:
            os.link(temporary, self.path)  # never overwrite a key another process just made
        except FileExistsError:
            self._key = None
            self.load(create=False)
        finally:
            temporary.unlink()


class Checkpoints:
    """The ledger's size and leaves, and its signed checkpoints."""

    def __init__(self, engine: Engine, key: NetworkKey) -> None:
        self._engine = engine
        self.key = key
        metadata.create_all(engine, tables=[checkpoints], checkfirst=True)

    def size(self) -> int:
        with self._engine.connect() as connection:
            last = connection.execute(select(func.max(ledger.c.leaf_index))).scalar()
        return 0 if last is None else int(last) + 1

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        hashes: list[bytes] = []
        with self._engine.connect() as connection:
            while start < end:
                stop = min(end, start + PAGE)
                query = (
                    select(ledger.c.leaf)
                    .where(ledger.c.leaf_index >= start, ledger.c.leaf_index < stop)
                    .order_by(ledger.c.leaf_index)
                )
                hashes.extend(bytes(leaf) for (leaf,) in connection.execute(query))
                start = stop
        return hashes

    def tree(self, size: int | None = None) -> MerkleTree:
        size = self.size() if size is None else size
        hashes = self.leaf_hashes(0, size)
        if len(hashes) != size:
            raise ValueError(f"the ledger has {len(hashes)} of the first {size} leaves")
        return MerkleTree(hashes)

    def all(self) -> list[Checkpoint]:
        with self._engine.connect() as connection:
            rows = connection.execute(select(checkpoints).order_by(checkpoints.c.size)).all()
        return [_checkpoint(row) for row in rows]

    def latest(self) -> Checkpoint | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(checkpoints).order_by(checkpoints.c.size.desc()).limit(1)
            ).first()
        return None if row is None else _checkpoint(row)

    def at_size(self, size: int) -> Checkpoint | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(checkpoints).where(checkpoints.c.size == size)).first()
        return None if row is None else _checkpoint(row)

    def public_key(self) -> Any:
        return self.key.load(create=self.latest() is None).public_key()

    def sign(self, at: datetime | None = None) -> Checkpoint | None:
        """A checkpoint of the ledger as it is now: a new one if the log grew since the
        latest (None while the log is empty)."""
        size = self.size()
        with self._engine.connect() as connection:
            row = connection.execute(
                select(checkpoints).order_by(checkpoints.c.size.desc()).limit(1)
            ).first()
        if row is not None and row.size >= size:
            return _checkpoint(row)
        if size == 0:
            return None
        key = self.key.load(create=row is None)
        frontier = _frontier(row)
        for hashed in self.leaf_hashes(frontier.size, size):
            frontier.append(hashed)
        if frontier.size != size:
            raise ValueError(f"the ledger lacks leaves below {size}")
        checkpoint = sign_checkpoint(key, size, frontier.root(), at or datetime.now(UTC))
        try:
            with self._engine.begin() as connection:
                connection.execute(
                    insert(checkpoints).values(
                        size=size, root=checkpoint.root, signed_at=utc_text(checkpoint.signed_at),
                        key_id=checkpoint.key_id, signature=checkpoint.signature,
                        frontier=b"".join(frontier.roots),
                    )
                )  # fmt: skip
        except IntegrityError:  # another process signed this size at the same moment
            found = self.at_size(size)
            assert found is not None and found.root == checkpoint.root, "two roots for one size"
            return found
        return checkpoint

    def key_id(self) -> str:
        return key_id_of(self.public_key())


def _frontier(row: Any) -> CompactRange:
    if row is None:
        return CompactRange()
    blob = bytes(row.frontier)
    return CompactRange(row.size, [blob[i : i + 32] for i in range(0, len(blob), 32)])


def _checkpoint(row: Any) -> Checkpoint:
    return Checkpoint(
        size=int(row.size),
        root=bytes(row.root),
        signed_at=datetime.fromisoformat(row.signed_at),
        key_id=row.key_id,
        signature=bytes(row.signature),
    )


class Checkpointer:
    """Signs a checkpoint every `seconds` while the log grows (inside `cosell serve`)."""

    def __init__(self, store: Checkpoints, seconds: float) -> None:
        self._store = store
        self._seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cosell-checkpoints", daemon=True)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                self._store.sign()
            except SigningKeyMissing as error:
                log.error("%s", error)
            except Exception as error:  # keep signing later; say what failed, not the data
                log.warning("could not sign a checkpoint: %s", type(error).__name__)
