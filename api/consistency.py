"""Consistency tokens: read-your-writes without telling a party how far the network's log is.

A token seals a log position for one party (AES-GCM-SIV under a key only the server holds,
the party's id as associated data), so it reads as random bytes: two tokens cannot be
compared, and one party's token is refused for another.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCMSIV
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import BadRequest
from ecosystem.network import Network

TOKEN = "Cosell-Consistency-Token"  # on every change and every read-model read
READ_AFTER = "Cosell-Read-After"  # a token sent back: read what it stood for, or later
CALLER_PARTY = "caller_party"  # request state: the authenticated caller's company
_FORMAT = b"\x01"
_NONCE = 12
_POSITION = struct.Struct(">Q")


class BadToken(BadRequest):
    """A consistency token this server did not issue to the caller's company."""


class TokenKey:
    """The 32-byte key that seals tokens, in a file outside the database: created on first
    use, readable by its owner only, shared by every process that serves the network."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: bytes | None = None

    def load(self) -> bytes:
        if self._key is None:
            if not self.path.exists():
                self._create()
            key = self.path.read_bytes()
            if len(key) != 32:
                raise RuntimeError(f"{self.path} does not hold a 32-byte token key")
            self._key = key
        return self._key

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(AESGCMSIV.generate_key(256))
        try:
            os.link(temporary, self.path)  # never overwrite a key another process just made
        except FileExistsError:
            pass
        finally:
            temporary.unlink()


class ConsistencyTokens:
    """Seal a log position for a party, and open what a party sends back."""

    def __init__(self, key: TokenKey) -> None:
        self.key = key

    def issue(self, party_id: UUID, position: int) -> str:
        nonce = os.urandom(_NONCE)
        sealed = AESGCMSIV(self.key.load()).encrypt(nonce, _POSITION.pack(position), party_id.bytes)
        return base64.urlsafe_b64encode(_FORMAT + nonce + sealed).decode().rstrip("=")

    def position(self, party_id: UUID, token: str) -> int:
        """The position `token` stands for; BadToken unless this server issued it to the party."""
        try:
            raw = base64.urlsafe_b64decode(token.strip() + "=" * (-len(token.strip()) % 4))
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 1 + _NONCE + _POSITION.size + 16 or raw[:1] != _FORMAT:
            raise BadToken(_REFUSED)
        nonce, sealed = raw[1 : 1 + _NONCE], raw[1 + _NONCE :]
        try:
            opened = AESGCMSIV(self.key.load()).decrypt(nonce, sealed, party_id.bytes)
        except InvalidTag:
            raise BadToken(_REFUSED) from None
        position: int = _POSITION.unpack(opened)[0]
        return position


_REFUSED = (
    f"{READ_AFTER} must be a {TOKEN} this network gave your company; send the token of your "
    "last change as it came, or leave the header out"
)


class TokensOnChanges:
    """Every successful change answers with a token for the log as it stood when answered,
    which covers the change (pure ASGI: the response passes through untouched otherwise)."""

    def __init__(self, app: ASGIApp, network: Network, tokens: ConsistencyTokens) -> None:
        self.app = app
        self.network = network
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 300:
                party = scope.get("state", {}).get(CALLER_PARTY)
                headers = MutableHeaders(scope=message)
                if isinstance(party, UUID) and TOKEN not in headers:
                    position = await run_in_threadpool(lambda: self.network.log_position)
                    headers[TOKEN] = self.tokens.issue(party, position)
            await send(message)

        await self.app(scope, receive, stamped)
