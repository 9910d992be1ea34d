"""The FastAPI application: routers, problem+json errors, OpenAPI, over one wired Network."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute

from api import problems
from api.body_limit import BodyLimit
from api.bootstrap import (
    build_network,
    checkpoints_of,
    policies_of,
    projection_runner,
    read_models_of,
)
from api.consistency import ConsistencyTokens, TokenKey, TokensOnChanges
from api.read_waits import ReadWaits
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

Every change, and every list or KPI read, answers with an opaque `Cosell-Consistency-Token`;
send the token of your change back as `Cosell-Read-After` on a list or KPI read to be sure
to read your own writes. Request bodies larger than the server's limit are refused (413).
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
    app.state.tokens = ConsistencyTokens(TokenKey(settings.consistency_key_path()))
    app.state.read_waits = ReadWaits(
        app.state.read_models.position, lambda: network.log_position,
        settings.read_wait_seconds, settings.read_waits_per_user,
    )  # fmt: skip
    problems.install(app)
    app.router.routes.extend(_api_routes())
    app.add_middleware(TokensOnChanges, network=network, tokens=app.state.tokens)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)  # outermost: first to run

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """Liveness: the process answers (on the event loop, so busy workers do not delay it)."""
        return {"status": "ok"}

    return app
