"""The Casbin rule table, derived from SharingPolicy events and rebuildable from them.

Rows live in `casbin_rule` (the maintained casbin-sqlalchemy-adapter's table) in the event
store's own database, so a security engineer can load them with Casbin's own tools. The log
position they reflect is kept in `cosell_policy_tracking`, written in the same transaction
as the rows; the tracking row is locked first, so concurrent processes take turns.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import casbin
from casbin_sqlalchemy_adapter import Adapter, CasbinRule
from sqlalchemy import (
    BigInteger,
    Column,
    MetaData,
    String,
    Table,
    and_,
    delete,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from ecosystem.sharing.domainmodel import SharingPolicy
from ecosystem.sharing.rules import party_viewer

MODEL_PATH = Path(__file__).with_name("model.conf")
DEFAULTS_PATH = Path(__file__).with_name("defaults.csv")
_NAME = "casbin_rule"
_metadata = MetaData()
_tracking = Table(
    "cosell_policy_tracking",
    _metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)
_rules: Any = CasbinRule.__table__

Rows = tuple[list[list[str]], list[list[str]]]


def default_rows() -> Rows:
    """The network's defaults for every owner (`policies/defaults.csv`)."""
    with DEFAULTS_PATH.open() as f:
        rows = [[cell.strip() for cell in row] for row in csv.reader(f) if row]
    return [r[1:] for r in rows if r[0] == "p"], [r[1:] for r in rows if r[0] == "g"]


def policy_rows(policy: SharingPolicy) -> Rows:
    """A company's policy as Casbin rows: its rules, and its tiers in its own domain."""
    owner = str(policy.owner_id)
    p_rows = [
        [r.viewer, owner, r.object_type, r.field, str(r.action), str(r.effect)]
        for r in sorted(policy.rules.values(), key=lambda r: r.rule_id)
    ]
    g_rows = [
        [party_viewer(member), tier, owner]
        for tier, members in sorted(policy.tiers.items())
        for member in sorted(members)
    ]
    return p_rows, g_rows


class PolicyTable:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.adapter = self._create_tables()
        try:
            self._install_defaults()
        except IntegrityError:  # another process created the tracking row at the same moment
            self._install_defaults()

    def _create_tables(self) -> Adapter:
        """Create the tables if missing; processes starting together may race to do it."""
        for attempt in range(3):
            try:
                adapter = Adapter(self._engine)  # creates casbin_rule if it is missing
                _metadata.create_all(self._engine)
                return adapter
            except DBAPIError:  # another process created a table first: look again
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _install_defaults(self) -> None:
        """The shipped defaults, as of this version of the code, replace any older ones."""
        with self._engine.begin() as conn:
            self._locked_position(conn)
            self._replace(conn, [])

    def enforcer(self) -> casbin.Enforcer:
        """A Casbin enforcer over the model and this table, exactly as Casbin's tools load it."""
        enforcer = casbin.Enforcer(str(MODEL_PATH), self.adapter)
        enforcer.enable_auto_save(False)  # the table is written from events only
        return enforcer

    def position(self) -> int:
        with self._engine.connect() as conn:
            found = conn.execute(select(_tracking.c.position).where(_tracking.c.name == _NAME))
            return int(found.scalar() or 0)

    def project(self, policies: Iterable[SharingPolicy], position: int) -> bool:
        """Replace these owners' rows and move to `position`; False if already there."""
        with self._engine.begin() as conn:
            current = self._locked_position(conn)
            if current >= position:
                return False
            self._replace(conn, list(policies))
            conn.execute(
                update(_tracking).where(_tracking.c.name == _NAME).values(position=position)
            )
        return True

    def rebuild(self, policies: Iterable[SharingPolicy], position: int) -> int:
        """Every row again from the given policies (replayed from events); returns the count."""
        with self._engine.begin() as conn:
            self._locked_position(conn)
            conn.execute(delete(_rules))
            count = self._replace(conn, list(policies))
            conn.execute(
                update(_tracking).where(_tracking.c.name == _NAME).values(position=position)
            )
        return count

    def _locked_position(self, conn: Connection) -> int:
        """Lock the tracking row (so writers take turns), creating it with the defaults."""
        touched = conn.execute(
            update(_tracking).where(_tracking.c.name == _NAME).values(position=_tracking.c.position)
        )
        if touched.rowcount == 0:
            conn.execute(insert(_tracking).values(name=_NAME, position=0))
        found = conn.execute(select(_tracking.c.position).where(_tracking.c.name == _NAME))
        return int(found.scalar_one())

    def _replace(self, conn: Connection, policies: list[SharingPolicy]) -> int:
        owners = ["*", *(str(p.owner_id) for p in policies)]
        conn.execute(
            delete(_rules).where(
                or_(
                    and_(_rules.c.ptype == "p", _rules.c.v1.in_(owners)),
                    and_(_rules.c.ptype == "g", _rules.c.v2.in_(owners)),
                )
            )
        )
        rows = [default_rows(), *(policy_rows(p) for p in policies)]
        values = [
            {"ptype": ptype, **{f"v{i}": row[i] if i < len(row) else None for i in range(6)}}
            for p_rows, g_rows in rows
            for ptype, group in (("p", p_rows), ("g", g_rows))
            for row in group
        ]
        if values:
            conn.execute(insert(_rules), values)
        return len(values)
