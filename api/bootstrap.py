"""The composition root: settings in, a wired Network (event store and services) out."""

from __future__ import annotations

from api.settings import Settings
from ecosystem.network import Network


def build_network(settings: Settings) -> Network:
    """The same code on SQLite and PostgreSQL; only the URL differs."""
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return Network(
        {
            "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
            "SQLALCHEMY_URL": settings.database_url,
        }
    )
