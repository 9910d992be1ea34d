"""Commands a party signs: the HTTP request, described in canonical JSON, signed with Ed25519.

The signed document is the RFC 8785 canonical JSON of

    {"body", "idempotency_key", "if_match", "key_id", "method", "party_id", "path",
     "signed_at", "user_id", "v": 1}

where `body` is SHA-256(b"cosell/body" || 0x00 || nonce || the exact body bytes) in hex. The
16-byte nonce travels in the `Cosell-Signature` header but is not kept: the digest binds the
body when the request arrives, yet reveals nothing of it afterwards (not to an auditor who may
not see some fields, and not once personal data in it is erased).

    Cosell-Signature: key=<key id>; at=<signed_at>; nonce=<base64url>; sig=<base64url>
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ecosystem.audit.canonical import canonical
from ecosystem.audit.checkpoints import b64, key_id_of, unb64, utc_text
from ecosystem.errors import CosellError
from ecosystem.values import InvalidValue, moment_from_text

HEADER = "Cosell-Signature"
FRESH_FOR = timedelta(minutes=5)


class SignatureRejected(CosellError):
    """A signed request whose signature, key or freshness does not hold."""

    title = "Signature rejected"


class SignatureRequired(CosellError):
    """The caller's company requires every command to be signed."""

    title = "Signature required"


def body_digest(nonce: bytes, body: bytes) -> str:
    return hashlib.sha256(b"cosell/body\x00" + nonce + body).hexdigest()


def request_document(
    *, method: str, path: str, body: bytes, nonce: bytes, if_match: str | None,
    idempotency_key: str | None, party_id: UUID, user_id: UUID, key_id: str, signed_at: datetime,
) -> dict[str, Any]:  # fmt: skip
    return {
        "body": body_digest(nonce, body),
        "idempotency_key": idempotency_key,
        "if_match": if_match,
        "key_id": key_id,
        "method": method.upper(),
        "party_id": str(party_id),
        "path": path,
        "signed_at": utc_text(signed_at),
        "user_id": str(user_id),
        "v": 1,
    }


@dataclass(frozen=True)
class SignedRequest:
    """A request document and the signature over its canonical form."""

    document: dict[str, Any]
    signature: bytes

    @property
    def message(self) -> bytes:
        return canonical(self.document)

    @property
    def key_id(self) -> str:
        return str(self.document["key_id"])

    @property
    def signed_at(self) -> datetime:
        return datetime.fromisoformat(self.document["signed_at"])

    def verify(self, key: Ed25519PublicKey) -> None:
        if key_id_of(key) != self.key_id:
            raise SignatureRejected(f"the request names key {self.key_id}, not this key")
        try:
            key.verify(self.signature, self.message)
        except InvalidSignature:
            raise SignatureRejected(
                "the signature does not match the request: it was signed with another key, "
                "or the request differs from what was signed (method, path, body, "
                "If-Match, Idempotency-Key, user or time)"
            ) from None

    def check_fresh(self, now: datetime) -> None:
        if abs(now - self.signed_at) > FRESH_FOR:
            raise SignatureRejected(
                f"the request was signed at {self.document['signed_at']}; a signature is "
                f"accepted for {int(FRESH_FOR.total_seconds() // 60)} minutes either side of "
                "the server's time"
            )


def header_value(key_id: str, signed_at: datetime, nonce: bytes, signature: bytes) -> str:
    return f"key={key_id}; at={utc_text(signed_at)}; nonce={b64(nonce)}; sig={b64(signature)}"


def parse_header(value: str) -> tuple[str, datetime, bytes, bytes]:
    """(key id, signed at, nonce, signature) of a Cosell-Signature header."""
    parts: dict[str, str] = {}
    for item in value.split(";"):
        name, _, text = item.strip().partition("=")
        parts[name.strip()] = text.strip()
    try:
        nonce, signature = unb64(parts["nonce"]), unb64(parts["sig"])
        key_id, at = parts["key"], parts["at"]
    except (KeyError, ValueError):
        raise SignatureRejected(
            f"{HEADER} must read 'key=<key id>; at=<UTC time>; nonce=<base64url>; sig=<base64url>'"
        ) from None
    try:
        signed_at = moment_from_text(at, "the signing time (at=)")
    except InvalidValue as error:
        raise SignatureRejected(f"{HEADER}: {error}") from None
    if len(nonce) != 16 or len(signature) != 64:
        raise SignatureRejected(
            f"{HEADER}: the nonce is 16 bytes and an Ed25519 signature 64 bytes"
        )
    return key_id, signed_at, nonce, signature


def sign_request(
    key: Ed25519PrivateKey, *, method: str, path: str, body: bytes, party_id: UUID,
    user_id: UUID, if_match: str | None = None, idempotency_key: str | None = None,
    signed_at: datetime | None = None,
) -> tuple[str, SignedRequest]:  # fmt: skip
    """The Cosell-Signature header for a request, and what it signs (for the signer's records)."""
    nonce = os.urandom(16)
    at = signed_at or datetime.now(UTC)
    key_id = key_id_of(key.public_key())
    document = request_document(
        method=method, path=path, body=body, nonce=nonce, if_match=if_match,
        idempotency_key=idempotency_key, party_id=party_id, user_id=user_id, key_id=key_id,
        signed_at=at,
    )  # fmt: skip
    signed = SignedRequest(document, key.sign(canonical(document)))
    return header_value(key_id, at, nonce, signed.signature), signed
