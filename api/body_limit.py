"""Request bodies past a set size are refused (413) before they are read, let alone parsed.

A declared `Content-Length` over the limit is answered at once, before authentication or
routing; a chunked body is counted as it arrives and refused when it passes the limit, so
the server never holds more than the limit (and the server's read buffer) of any body.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import BodyTooLarge, too_large


class BodyLimit:
    """Pure ASGI, so nothing buffers the body on its way through."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _declared_length(scope) > self.max_bytes:
            await too_large(self.max_bytes)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:  # read where no exception handler answers it
            if started:
                raise
            await too_large(self.max_bytes)(scope, receive, send)


def _declared_length(scope: Scope) -> int:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.strip().isdigit() else 0
    return 0
