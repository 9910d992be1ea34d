"""The FastAPI application: routers, problem+json errors, OpenAPI, over one wired Network."""

from __future__ import annotations

from fastapi import FastAPI

from api import problems
from api.bootstrap import build_network, policies_of
from api.routers import opportunities, parties, partnerships, policies
from api.settings import Settings
from ecosystem.network import Network

DESCRIPTION = """
Cosell is a multi-party co-sell network. Companies share opportunities with their partners
in one append-only, event-sourced object-space; each party sees only what it may see.

Authenticate with `Authorization: Bearer <token>`. Errors are `application/problem+json`.
Reads return an `ETag` (the version); changes take `If-Match`. POSTs accept an
`Idempotency-Key`: a retry with the same key returns the first result and writes nothing.
"""


def create_app(settings: Settings | None = None, network: Network | None = None) -> FastAPI:
    settings = settings or Settings()
    app = FastAPI(title="Cosell", version="0.1.0", description=DESCRIPTION)
    app.state.settings = settings
    app.state.network = network or build_network(settings)
    app.state.policies = policies_of(app.state.network)
    problems.install(app)
    for module in (parties, partnerships, opportunities, policies):
        app.include_router(module.router)

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    return app
