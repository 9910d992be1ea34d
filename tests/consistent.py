"""A test client that reads its own writes: every GET names the log head as its min position.

This is the documented read-your-writes protocol (`Cosell-Min-Position`), applied to every
read, so tests that act and then list see what they just did. A test that sends the header
itself keeps its own value.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ecosystem.network import Network

MIN_POSITION = "Cosell-Min-Position"


class ConsistentClient(TestClient):
    def __init__(self, app: FastAPI, network: Network, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.network = network

    def request(self, method: str, url: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if method.upper() == "GET":
            headers = dict(kwargs.pop("headers", None) or {})
            if not any(name.lower() == MIN_POSITION.lower() for name in headers):
                headers[MIN_POSITION] = str(self.network.log_position)
            kwargs["headers"] = headers
        return super().request(method, url, **kwargs)
