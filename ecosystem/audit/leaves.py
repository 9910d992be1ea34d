"""What each leaf of the Merkle tree binds: one recorded event, where it stands in the log.

    leaf = 0x01 || position (u64) || object id (16 bytes) || version (u32)
           || topic length (u16) || topic (UTF-8) || state digest (32) || commitment (32)

The state digest is SHA-256(0x11 || seed || the stored bytes), so any change to a stored
event, down to one byte, changes its leaf; the commitment binds each field for partial
disclosure (`commitments`). The seed is secret (32 random bytes per event): a leaf hash
reveals nothing of the event, so proofs can be handed to anyone.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from uuid import UUID

from ecosystem.audit.merkle import leaf_hash

FORMAT = 1
_HEAD = struct.Struct(">BQ16sIH")
_sha256 = hashlib.sha256


def state_digest(seed: bytes, state: bytes) -> bytes:
    return _sha256(b"\x11" + seed + state).digest()


@dataclass(frozen=True)
class Leaf:
    position: int
    object_id: UUID
    version: int
    topic: str
    state: bytes  # the state digest
    content: bytes  # the commitment to the event's fields

    def encoded(self) -> bytes:
        topic = self.topic.encode()
        head = _HEAD.pack(FORMAT, self.position, self.object_id.bytes, self.version, len(topic))
        return head + topic + self.state + self.content

    def hash(self) -> bytes:
        return leaf_hash(self.encoded())


def hashed_leaf(
    position: int, object_id: bytes, version: int, topic: bytes, state: bytes, content: bytes
) -> bytes:
    """The leaf hash from raw parts (the verifier's hot path: no objects built)."""
    return _sha256(
        b"\x00" + _HEAD.pack(FORMAT, position, object_id, version, len(topic)) + topic
        + state + content
    ).digest()  # fmt: skip
