"""The FastAPI application: routers, problem+json errors, OpenAPI, over one wired Network."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import cache

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from api import problems
from api.bootstrap import (
    build_network,
    checkpoints_of,
    policies_of,
    projection_runner,
    read_models_of,
)
from api.deps import LOG_POSITION
from api.routers import (
    audit,
    conflicts,
    funding_plans,
    kpis,
    operator,
    opportunities,
    parties,
    partnerships,
    policies,
    signing,
    solutions,
)
from api.settings import Settings
from ecosystem.network import Network
from projections.audit.auditor import Auditor
from projections.audit.checkpoints import Checkpointer

DESCRIPTION = """
Cosell is a multi-party co-sell network. Companies share opportunities with their partners
in one append-only, event-sourced object-space; each party sees only what it may see.

Authenticate with `Authorization: Bearer <token>`. Errors are `application/problem+json`.
Reads return an `ETag` (the version); changes take `If-Match`. POSTs accept an
`Idempotency-Key`: a retry with the same key writes nothing and answers as a GET would now.

Lists and KPIs come from each company's read model and state the log position they reflect
(`Cosell-Read-Model-Position`). Every change answers with `Cosell-Log-Position`; send it
back as `Cosell-Min-Position` on a list or KPI read to be sure to read your own writes.
"""


@cache
def _api_routes() -> list[BaseRoute]:
    """The API's routes, built once per process and shared by every app built in it: FastAPI
    analyses each endpoint's signature and models for each inclusion of a router (about
    150 ms, paid on an app's first request), and the endpoints take all they use from
    `request.app.state`, so one route table serves any number of apps."""
    routes = APIRouter()
    for module in (
        parties, signing, partnerships, opportunities, conflicts, solutions, funding_plans,
        policies, kpis, audit, operator,
    ):  # fmt: skip
        routes.include_router(module.router)
    return list(routes.routes)


def create_app(settings: Settings | None = None, network: Network | None = None) -> FastAPI:
    settings = settings or Settings()
    network = network or build_network(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner = projection_runner(network, settings).start() if settings.run_projections else None
        seconds = settings.checkpoint_seconds
        signer = Checkpointer(app.state.checkpoints, seconds).start() if seconds else None
        try:
            yield
        finally:
            if signer is not None:
                signer.stop()
            if runner is not None:
                network.recorded_listeners.remove(runner.wake)
                runner.stop()

    app = FastAPI(title="Cosell", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.network = network
    app.state.policies = policies_of(network)
    app.state.read_models = read_models_of(network, settings)
    app.state.checkpoints = checkpoints_of(network, settings)
    app.state.auditor = Auditor(network, app.state.checkpoints, app.state.policies)
    problems.install(app)
    app.router.routes.extend(_api_routes())

    @app.middleware("http")
    async def log_position(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        """Every successful change says how far the log had reached when it was answered."""
        response = await call_next(request)
        changed = request.method != "GET" and response.status_code < 300
        if changed and LOG_POSITION not in response.headers:
            position = await run_in_threadpool(lambda: network.log_position)
            response.headers[LOG_POSITION] = str(position)
        return response

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app
