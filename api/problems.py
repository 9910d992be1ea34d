"""Errors as RFC 9457 problem details (application/problem+json), each with a clear detail."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ecosystem.audit.requests import SignatureRejected, SignatureRequired
from ecosystem.errors import (
    Conflict,
    CosellError,
    IdempotencyKeyReused,
    InvalidCommand,
    NotFound,
    NotPermitted,
    RoleNotAllowed,
    Unauthenticated,
    VersionMismatch,
)
from projections import BadQuery, ReadModelBehind

log = logging.getLogger("cosell.api")
MAX_ERRORS = 20  # validation errors listed in one problem
MAX_NAME = 60  # characters of one part of an error's location

STATUS: dict[type[CosellError], int] = {
    Unauthenticated: 401,
    SignatureRejected: 403,
    SignatureRequired: 403,
    RoleNotAllowed: 403,
    NotPermitted: 403,
    NotFound: 404,
    Conflict: 409,
    VersionMismatch: 412,
    InvalidCommand: 422,
    IdempotencyKeyReused: 422,
}


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


def problem(status: int, title: str, detail: str, **extra: Any) -> ProblemResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return ProblemResponse(body, status_code=status, headers=headers)


class PreconditionRequired(CosellError):
    title = "Precondition required"


class BadRequest(CosellError):
    title = "Bad request"


class TooManyWaits(CosellError):
    """The caller already has as many reads waiting for the read models as it may."""

    title = "Too many waiting reads"


class BodyTooLarge(StarletteHTTPException):
    """A request body past the configured limit, refused before any more of it is read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"a request body may hold at most {limit} bytes")
        self.limit = limit


def too_large(limit: int) -> ProblemResponse:
    """413, closing the connection: the rest of the body is never read."""
    response = problem(413, "Content too large", f"a request body may hold at most {limit} bytes")
    response.headers["Connection"] = "close"
    return response


def status_of(error: CosellError) -> int:
    if isinstance(error, PreconditionRequired):
        return 428
    if isinstance(error, BadRequest):
        return 400
    if isinstance(error, TooManyWaits):
        return 429
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def install(app: FastAPI) -> None:
    @app.exception_handler(CosellError)
    async def refused(request: Request, error: CosellError) -> ProblemResponse:
        extra = {}
        conflicting = getattr(error, "conflicting", None)
        if conflicting:
            extra["conflicting_opportunities"] = [str(i) for i in conflicting]
        response = problem(status_of(error), error.title, error.detail, **extra)
        if isinstance(error, TooManyWaits):
            response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(ReadModelBehind)
    async def behind(request: Request, error: ReadModelBehind) -> ProblemResponse:
        # Says no position: how far the network's log is is none of a party's business.
        detail = "your read model has not yet caught up with what you asked to read; retry"
        response = problem(503, "Read model catching up", detail)
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, error: BodyTooLarge) -> ProblemResponse:
        return too_large(error.limit)

    @app.exception_handler(BadQuery)
    async def bad_query(request: Request, error: BadQuery) -> ProblemResponse:
        return problem(400, "Bad request", str(error))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> ProblemResponse:
        # Messages name the format, never the value; a location can hold a name the client
        # sent (an unknown field), so it is cut short, and so is the list.
        found = error.errors()
        errors = [
            {"location": [str(part)[:MAX_NAME] for part in e["loc"]], "message": e["msg"]}
            for e in found[:MAX_ERRORS]
        ]
        detail = "; ".join(f"{'.'.join(e['location'])}: {e['message']}" for e in errors[:5])
        if len(found) > 5:
            detail += f"; and {len(found) - 5} more"
        return problem(422, "Invalid request", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> ProblemResponse:
        return problem(error.status_code, "Request refused", str(error.detail))

    @app.exception_handler(Exception)
    async def crashed(request: Request, error: Exception) -> ProblemResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "Internal error", "the server failed to handle this request")
