"""A test client that reads its own writes: every GET sends a consistency token for the log
head, issued to the caller's company.

This is the documented read-your-writes protocol (`Cosell-Read-After` with a
`Cosell-Consistency-Token`), applied to every read, so tests that act (as any company) and
then list see what was just done. A test that sends the header itself keeps its own value.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.consistency import READ_AFTER
from ecosystem.errors import CosellError
from ecosystem.network import Network


class ConsistentClient(TestClient):
    def __init__(self, app: FastAPI, network: Network, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.network = network

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if method.upper() == "GET":
            headers = dict(kwargs.pop("headers", None) or {})
            names = {name.lower() for name in headers}
            if READ_AFTER.lower() not in names and "cosell-min-position" not in names:
                token = self._head_token({**self.headers, **headers})
                if token is not None:
                    headers[READ_AFTER] = token
            kwargs["headers"] = headers
        return super().request(method, url, **kwargs)

    def _head_token(self, headers: Any) -> str | None:
        """A token for the log head, as the server would give the caller after a change."""
        bearer = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if not bearer.startswith("Bearer "):
            return None
        try:
            party = self.network.authenticate(bearer.removeprefix("Bearer ")).party_id
        except CosellError:  # an unknown token, a suspended company: the server will say so
            return None
        tokens = self.app.state.tokens  # type: ignore[attr-defined]
        return str(tokens.issue(party, self.network.log_position))
