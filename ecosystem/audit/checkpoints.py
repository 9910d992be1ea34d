"""Checkpoints: the network's signed statement of the log's size and root at a moment.

A checkpoint signs, with the network's Ed25519 key, the RFC 8785 canonical JSON of
`{"key_id", "log": "cosell", "root", "signed_at", "size", "v": 1}`. A party that keeps a
checkpoint can later demand a consistency proof to any newer one: if history before it was
rewritten, no such proof exists. Two checkpoints of one size with different roots prove the
network showed two histories (a split view).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ecosystem.audit.canonical import canonical


class CheckpointError(ValueError):
    """A checkpoint that does not verify, or checkpoints that contradict each other."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id_of(key: Ed25519PublicKey | bytes) -> str:
    """A key's id: the first 16 bytes of SHA-256 over its 32 raw bytes, in hex."""
    raw = key if isinstance(key, bytes) else raw_public_key(key)
    return hashlib.sha256(raw).hexdigest()[:32]


def public_key_from(text: str) -> Ed25519PublicKey:
    """An Ed25519 public key from its 32 raw bytes in base64url; ValueError if it is not."""
    try:
        raw = unb64(text.strip())
    except (ValueError, TypeError):
        raise ValueError("a public key is its 32 raw bytes in base64url") from None
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("times are timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root: bytes
    signed_at: datetime
    key_id: str
    signature: bytes = b""

    def statement(self) -> bytes:
        return canonical(
            {
                "key_id": self.key_id,
                "log": "cosell",
                "root": self.root.hex(),
                "signed_at": utc_text(self.signed_at),
                "size": self.size,
                "v": 1,
            }
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "root": self.root.hex(),
            "signed_at": utc_text(self.signed_at),
            "key_id": self.key_id,
            "signature": b64(self.signature),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        try:
            checkpoint = cls(
                size=int(data["size"]),
                root=bytes.fromhex(data["root"]),
                signed_at=datetime.fromisoformat(data["signed_at"]),
                key_id=str(data["key_id"]),
                signature=unb64(data["signature"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError(f"a malformed checkpoint: {error}") from None
        if checkpoint.size < 0 or len(checkpoint.root) != 32:
            raise CheckpointError("a checkpoint has a size of 0 or more and a 32-byte root")
        if checkpoint.signed_at.tzinfo is None:
            raise CheckpointError("a checkpoint's time carries its UTC offset")
        return checkpoint

    def verify(self, key: Ed25519PublicKey) -> None:
        if key_id_of(key) != self.key_id:
            raise CheckpointError(
                f"checkpoint {self.size} is signed by key {self.key_id}, not by {key_id_of(key)}"
            )
        try:
            key.verify(self.signature, self.statement())
        except InvalidSignature:
            raise CheckpointError(f"the signature of checkpoint {self.size} is not valid") from None


def sign_checkpoint(key: Ed25519PrivateKey, size: int, root: bytes, at: datetime) -> Checkpoint:
    if at.tzinfo is None:
        raise ValueError("times are timezone-aware")
    unsigned = Checkpoint(size, root, at.astimezone(UTC), key_id_of(key.public_key()))
    return Checkpoint(
        size, root, unsigned.signed_at, unsigned.key_id, key.sign(unsigned.statement())
    )


def check_no_split_view(checkpoints: Iterable[Checkpoint]) -> None:
    """Checkpoints of one size share one root, and a bigger log was not signed earlier than
    a smaller one; raises CheckpointError naming the two that contradict each other."""
    found = list(checkpoints)
    by_size: dict[int, Checkpoint] = {}
    for checkpoint in found:
        seen = by_size.setdefault(checkpoint.size, checkpoint)
        if seen.root != checkpoint.root:
            raise CheckpointError(
                f"two checkpoints of size {checkpoint.size} have different roots "
                f"({seen.root.hex()[:16]}… signed {utc_text(seen.signed_at)}, "
                f"{checkpoint.root.hex()[:16]}… signed {utc_text(checkpoint.signed_at)}): "
                "the network has shown two different histories"
            )
    latest: Checkpoint | None = None  # the last signed of all smaller sizes so far
    for size in sorted(by_size):
        same = [c for c in found if c.size == size]
        earliest = min(same, key=lambda c: c.signed_at)
        if latest is not None and earliest.signed_at < latest.signed_at:
            raise CheckpointError(
                f"checkpoint {size} was signed before checkpoint {latest.size}: a log never shrinks"
            )
        newest = max(same, key=lambda c: c.signed_at)
        latest = newest if latest is None or newest.signed_at > latest.signed_at else latest
