"""Personal data sealed with a key per data subject (AES-256-GCM), so it can be erased.

Each value is encrypted with its subject's key together with a random 16-byte salt; beside
the ciphertext is kept a commitment SHA-256(0x05 || salt || text), which binds the value into
the event's commitment (see `commitments`) without revealing it. Erasing a subject deletes
its key: the ciphertext can no longer be opened, and the commitment, whose salt was inside
the ciphertext, says nothing; the event, its commitment and the Merkle tree stay as they were.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ecosystem.audit.commitments import sealed_commitment

KEY_BYTES = 32


@dataclass(frozen=True)
class Sealed:
    """One sealed value: whose it is, the nonce and ciphertext, and its commitment."""

    subject: UUID
    nonce: bytes
    ciphertext: bytes
    commit: bytes

    def as_data(self) -> dict[str, str]:
        return {
            "s": self.subject.hex,
            "n": _b64(self.nonce),
            "c": _b64(self.ciphertext),
            "h": self.commit.hex(),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Sealed:
        return cls(UUID(data["s"]), _unb64(data["n"]), _unb64(data["c"]), bytes.fromhex(data["h"]))

    @property
    def token(self) -> str:
        """How a view carries it until it is opened for a reader (never the commitment)."""
        return f"{self.subject.hex}.{_b64(self.nonce)}.{_b64(self.ciphertext)}"

    @classmethod
    def from_token(cls, token: str) -> Sealed:
        subject, nonce, ciphertext = token.split(".")
        return cls(UUID(subject), _unb64(nonce), _unb64(ciphertext), b"")


def seal(key: bytes, subject: UUID, text: str) -> Sealed:
    salt, nonce = os.urandom(16), os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, salt + text.encode(), subject.bytes)
    return Sealed(subject, nonce, ciphertext, sealed_commitment(salt, text))


def open_sealed(key: bytes, sealed: Sealed) -> tuple[bytes, str] | None:
    """(salt, text) of a sealed value; None if the key is not its subject's, or it was altered."""
    try:
        plain = AESGCM(key).decrypt(sealed.nonce, sealed.ciphertext, sealed.subject.bytes)
    except (InvalidTag, ValueError):
        return None
    return plain[:16], plain[16:].decode()


def identity_of(name: str, email: str, phone: str) -> str:
    """One way a contact is known, normalised: the email, else the phone, else the name."""
    if email.strip():
        return "email:" + email.strip().casefold()
    digits = "".join(c for c in phone if c.isdigit() or c == "+")
    if any(c.isdigit() for c in digits):
        return "phone:" + digits
    return "name:" + " ".join(name.casefold().split())


def identities_of(name: str, email: str, phone: str) -> list[str]:
    """Every way a contact can be found again to erase it: its email and its phone, or, for
    a contact with neither, its name (a name alone is weak: erasing it erases every contact
    recorded with only that name). Kept only as hashes, and only until the erasure."""
    found = [identity_of("", email, "")] if email.strip() else []
    if any(c.isdigit() for c in phone):
        found.append(identity_of("", "", phone))
    return found or [identity_of(name, "", "")]


def lookup_of(identity: str) -> str:
    return hashlib.sha256(f"cosell/subject/{identity}".encode()).hexdigest()


class KeyStore(Protocol):
    """Where each data subject's key lives; the only place anything is ever deleted."""

    def subject_for(self, *identities: str) -> tuple[UUID, bytes]:
        """The subject and key of the person any of these identities names (each then names
        it), created on first use."""
        ...

    def find(self, identity: str) -> UUID | None: ...

    def keys(self, subjects: Iterable[UUID]) -> dict[UUID, bytes]:
        """The keys of those subjects that still have one (erased ones are absent)."""
        ...

    def destroy(self, subject: UUID) -> None:
        """Delete the subject's key and its identity hashes, for good."""
        ...


class MemoryKeyStore:
    """Keys held in memory: for a network built without a database-backed store."""

    def __init__(self) -> None:
        self._keys: dict[UUID, bytes] = {}
        self._subjects: dict[str, UUID] = {}

    def subject_for(self, *identities: str) -> tuple[UUID, bytes]:
        lookups = [lookup_of(i) for i in identities]
        known = [self._subjects[k] for k in lookups if self._subjects.get(k) in self._keys]
        subject = known[0] if known else UUID(bytes=os.urandom(16))
        self._keys.setdefault(subject, AESGCM.generate_key(KEY_BYTES * 8))
        for lookup in lookups:
            if self._subjects.get(lookup) not in self._keys:
                self._subjects[lookup] = subject
        return subject, self._keys[subject]

    def find(self, identity: str) -> UUID | None:
        subject = self._subjects.get(lookup_of(identity))
        return subject if subject in self._keys else None

    def keys(self, subjects: Iterable[UUID]) -> dict[UUID, bytes]:
        return {s: self._keys[s] for s in subjects if s in self._keys}

    def destroy(self, subject: UUID) -> None:
        self._keys.pop(subject, None)
        for lookup in [k for k, v in self._subjects.items() if v == subject]:
            del self._subjects[lookup]


def open_all(store: KeyStore, values: Iterable[Sealed]) -> dict[Sealed, tuple[bytes, str]]:
    """Every value that can still be opened, with one key lookup for all their subjects."""
    values = list(values)
    keys = store.keys({v.subject for v in values})
    opened = {}
    for value in values:
        key = keys.get(value.subject)
        result = open_sealed(key, value) if key is not None else None
        if result is not None:
            opened[value] = result
    return opened


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PersonalData:
    """Seals contacts' personal data as it is recorded and opens it for readers, with the
    keys of a KeyStore; the network's one way to both."""

    def __init__(self, store: KeyStore | None = None) -> None:
        self.store: KeyStore = store or MemoryKeyStore()

    def seal_parts(self, name: str, email: str, phone: str) -> tuple[Sealed | str, ...]:
        """A contact's name, email and phone sealed with its subject's key (empty ones kept)."""
        subject, key = self.store.subject_for(*identities_of(name, email, phone))
        return tuple(seal(key, subject, part) if part else part for part in (name, email, phone))

    def open_texts(self, values: Iterable[Sealed]) -> dict[Sealed, str]:
        return {value: text for value, (_, text) in open_all(self.store, values).items()}

    def open_with_salts(self, values: Iterable[Sealed]) -> dict[Sealed, tuple[bytes, str]]:
        return open_all(self.store, values)
