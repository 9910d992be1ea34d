"""Test wiring: the same pieces as production, on a temporary SQLite file or a fresh PostgreSQL.

PostgreSQL tests use COSELL_TEST_POSTGRES_URL (an admin URL on any database). Each test run
creates its own database and drops it at the end. With COSELL_TEST_REQUIRE_POSTGRES=1 (CI),
a missing server fails the run instead of skipping.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.bootstrap import build_network
from api.settings import Settings
from ecosystem.network import Network

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile(
    "long", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

POSTGRES_URL = os.environ.get("COSELL_TEST_POSTGRES_URL", "")

# Checkpoints are signed with the network's key file: the tests' stays out of the work tree.
_KEYS = tempfile.mkdtemp(prefix="cosell-test-keys-")
atexit.register(shutil.rmtree, _KEYS, True)
os.environ.setdefault("COSELL_SIGNING_KEY_FILE", str(Path(_KEYS) / "network-signing-key.pem"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `runs_long` start first: with the run spread over several workers, they
    then end alongside the rest instead of after it (the sort is stable: order is kept)."""
    items.sort(key=lambda item: item.get_closest_marker("runs_long") is None)


REQUIRE_POSTGRES = os.environ.get("COSELL_TEST_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database created for this test run, dropped afterwards; its SQLAlchemy URL."""
    if not POSTGRES_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("COSELL_TEST_POSTGRES_URL is not set, but PostgreSQL tests are required")
        pytest.skip("PostgreSQL tests need COSELL_TEST_POSTGRES_URL (see docs/operations.md)")
    admin_url = make_url(POSTGRES_URL)
    name = f"cosell_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # any connection failure
        engine.dispose()
        if REQUIRE_POSTGRES:
            pytest.fail(f"cannot reach PostgreSQL at {admin_url!r}: {error}")
        pytest.skip(f"PostgreSQL is not reachable at {admin_url!r}: {error}")
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        tables = connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        names = ", ".join(f'"{t}"' for t in tables)
        if names:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test gets an empty store: a new SQLite file, or the run's PostgreSQL emptied."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cosell.db'}"
    url: str = request.getfixturevalue("postgres_database")
    _truncate_all(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cosell.db'}"


@pytest.fixture
def network(database_url: str) -> Iterator[Network]:
    net = build_network(Settings(database_url=database_url))
    yield net
    net.close()


@pytest.fixture
def sqlite_network(sqlite_url: str) -> Iterator[Network]:
    net = build_network(Settings(database_url=sqlite_url))
    yield net
    net.close()
