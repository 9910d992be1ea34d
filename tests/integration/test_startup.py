"""Several processes starting at once on an empty PostgreSQL database all come up."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from policies.table import default_rows

START = """
import sys
from api.bootstrap import build_network, policies_of
from api.settings import Settings
network = build_network(Settings(database_url=sys.argv[1]))
print(len(policies_of(network).enforcer.get_policy()))
network.close()
"""


DEFAULTS = len(default_rows()[0])


@pytest.fixture
def empty_postgres(postgres_database: str) -> Iterator[str]:
    admin = make_url(postgres_database)
    name = f"cosell_start_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.mark.postgres
def test_processes_starting_together_create_the_tables_once_and_all_serve(
    empty_postgres: str,
) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", START, empty_postgres],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(6)
    ]
    outcomes = [process.communicate(timeout=120) for process in processes]
    for process, (out, err) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, err
        assert out.strip() == str(DEFAULTS)  # every process sees the network's default rules
    engine = create_engine(empty_postgres)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT count(*) FROM casbin_rule")).scalar_one()
    engine.dispose()
    assert rows == DEFAULTS
