"""Read-model tables and their tracking position, written together in one transaction.

The tracking table is the eventsourcing library's own (`SQLAlchemyTrackingRecorder`), so the
position a read model has reached is recorded the way the library records it, in the same
transaction as the rows. The tracking row is locked first, so concurrent projectors (threads
or processes, on SQLite or PostgreSQL) take turns, and a projector that finds the position
moved since it read its events writes nothing and starts again from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import suppress
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing_sqlalchemy.datastore import SQLAlchemyDatastore
from eventsourcing_sqlalchemy.recorders import SQLAlchemyTrackingRecorder
from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from projections.rows import digest_of

NAME = "cosell_read_models"
CHUNK = 500

metadata = MetaData()
opportunity_rows = Table(
    "cosell_read_opportunities",
    metadata,
    Column("party_id", String(32), primary_key=True),
    Column("opportunity_id", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("relation", String(8), nullable=False),
    Column("owner_party_id", String(32), nullable=False),
    Column("stage", String(32), nullable=True),
    Column("title_key", Text, nullable=False),
    Column("customer_key", Text, nullable=False),
    Column("search_text", Text, nullable=False),
    Column("currency", String(3), nullable=True),
    Column("amount_key", String(24), nullable=False),
    Column("close_date", String(10), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("partner_ids", Text, nullable=False),
    Column("view", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Index("cosell_read_opportunities_deal", "opportunity_id"),
    Index("cosell_read_opportunities_updated", "party_id", "updated_at", "opportunity_id"),
)
# Joint solutions and co-funding plans: one row per involved party and object.
shared_rows = Table(
    "cosell_read_shared",
    metadata,
    Column("party_id", String(32), primary_key=True),
    Column("object_id", String(32), primary_key=True),
    Column("object_type", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("relation", String(8), nullable=False),
    Column("owner_party_id", String(32), nullable=False),
    Column("name_key", Text, nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("view", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Index("cosell_read_shared_object", "object_id"),
    Index("cosell_read_shared_party", "party_id", "object_type", "updated_at"),
)
# Bookkeeping, not anyone's read model: which parties' data each deal holds (whose policy
# changes re-project it) and the deal's version as of the tracking position. Solutions and
# plans have their entries here too (the column keeps its first name).
deal_index = Table(
    "cosell_read_deal_index",
    metadata,
    Column("opportunity_id", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("data_owners", Text, nullable=False),
)


class Outpaced(Exception):
    """Another projector moved the position since these events were read."""

    def __init__(self, position: int) -> None:
        super().__init__(f"the read models are already at position {position}")
        self.position = position


class ReadModelStore(SQLAlchemyTrackingRecorder):
    def __init__(self, datastore: SQLAlchemyDatastore, name: str = NAME) -> None:
        super().__init__(datastore, tracking_table_name="cosell_read_tracking")
        self.name = name
        for attempt in range(3):  # processes starting together race to create the tables
            try:
                self.create_table()
                assert datastore.engine is not None
                metadata.create_all(datastore.engine)
                break
            except DBAPIError:
                if attempt == 2:
                    raise
        if self.max_tracking_id(name) is None:
            with suppress(IntegrityError):  # another process created it at the same moment
                self.insert_tracking(Tracking(name, 0))

    @property
    def tracking(self) -> Table:
        return self.tracking_table

    def position(self) -> int:
        return self.max_tracking_id(self.name) or 0

    # --- writing ----------------------------------------------------------------------------

    def write(
        self,
        start: int,
        end: int,
        rows: Sequence[dict[str, Any]],
        replaced_deals: Iterable[str],
        replaced_pairs: Iterable[tuple[str, str]],
        index: Sequence[dict[str, Any]],
        companies: frozenset[UUID] | None = None,
        shared: Sequence[dict[str, Any]] = (),
        replaced_shared: Iterable[str] = (),
    ) -> None:
        """Move from `start` to `end`: replace these deals' rows (or just these (party, deal)
        rows) with `rows`, these solutions' and plans' rows with `shared`, and their index
        entries, in one transaction with the position."""
        with self.transaction(commit=True) as session:
            self._lock(session, expected=start)
            for chunk in _chunks(list(replaced_shared)):
                where: Any = shared_rows.c.object_id.in_(chunk)
                if companies is not None:
                    where = and_(where, shared_rows.c.party_id.in_([c.hex for c in companies]))
                session.execute(delete(shared_rows).where(where))
            if shared:
                session.execute(insert(shared_rows), list(shared))
            table = opportunity_rows
            deals = list(replaced_deals)
            for chunk in _chunks(deals):
                condition: Any = table.c.opportunity_id.in_(chunk)
                if companies is not None:
                    condition = and_(condition, table.c.party_id.in_([c.hex for c in companies]))
                session.execute(delete(table).where(condition))
            pairs = [{"p": p, "d": d} for p, d in replaced_pairs]
            if pairs:
                session.execute(
                    delete(table).where(
                        table.c.party_id == bindparam("p"),
                        table.c.opportunity_id == bindparam("d"),
                    ),
                    pairs,
                )
            if rows:
                session.execute(insert(table), list(rows))
            self._replace_index(session, index)
            if end > start:
                self._insert_tracking(session, Tracking(self.name, end))

    def replace_all(
        self,
        rows: Sequence[dict[str, Any]],
        index: Sequence[dict[str, Any]],
        position: int,
        companies: frozenset[UUID] | None,
        shared: Sequence[dict[str, Any]] = (),
    ) -> None:
        """A rebuild's result: every row (of `companies`) as of `position`.

        All companies may move the position forward; one company's rows must be for the
        position the others are at."""
        with self.transaction(commit=True) as session:
            current = self._lock(session)
            if current > position or (companies is not None and current != position):
                raise Outpaced(current)
            condition = (
                opportunity_rows.c.party_id.in_([c.hex for c in companies])
                if companies is not None
                else None
            )
            session.execute(
                delete(opportunity_rows)
                if condition is None
                else delete(opportunity_rows).where(condition)
            )
            for chunk in _chunks(list(rows)):
                session.execute(insert(opportunity_rows), chunk)
            by_party = shared_rows.c.party_id.in_([c.hex for c in companies]) if companies else None
            session.execute(
                delete(shared_rows) if by_party is None else delete(shared_rows).where(by_party)
            )
            for chunk in _chunks(list(shared)):
                session.execute(insert(shared_rows), chunk)
            if companies is None:
                session.execute(delete(deal_index))
                for chunk in _chunks(list(index)):
                    session.execute(insert(deal_index), chunk)
                if position > current:
                    self._insert_tracking(session, Tracking(self.name, position))

    def _lock(self, session: Session, expected: int | None = None) -> int:
        """Lock the tracking row (writers take turns here) and read the position."""
        t = self.tracking_table
        mine = t.c.application_name == self.name
        session.execute(update(t).where(mine).values(notification_id=t.c.notification_id))
        current = int(session.execute(select(t.c.notification_id).where(mine)).scalar_one())
        if expected is not None and current != expected:
            raise Outpaced(current)
        return current

    def _replace_index(self, session: Session, index: Sequence[dict[str, Any]]) -> None:
        for chunk in _chunks([entry["opportunity_id"] for entry in index]):
            session.execute(delete(deal_index).where(deal_index.c.opportunity_id.in_(chunk)))
        if index:
            session.execute(insert(deal_index), list(index))

    # --- reading ----------------------------------------------------------------------------

    def deals_holding_data_of(self, owners: Iterable[UUID]) -> dict[UUID, int]:
        """Deal id -> version (as of the position) of each deal holding any owner's data."""
        found: dict[UUID, int] = {}
        with self.transaction(commit=False) as session:
            for owner in owners:
                query = select(deal_index.c.opportunity_id, deal_index.c.version).where(
                    deal_index.c.data_owners.like(f"%,{owner.hex},%")
                )
                for deal_id, version in session.execute(query):
                    found[UUID(deal_id)] = int(version)
        return found

    def row_digests(self, deal_ids: Iterable[UUID]) -> dict[tuple[str, str], str]:
        """(party, deal) -> digest of the stored rows of these deals."""
        t = opportunity_rows
        found: dict[tuple[str, str], str] = {}
        with self.transaction(commit=False) as session:
            for chunk in _chunks([d.hex for d in deal_ids]):
                query = select(t.c.party_id, t.c.opportunity_id, t.c.digest).where(
                    t.c.opportunity_id.in_(chunk)
                )
                for party, deal, digest in session.execute(query):
                    found[(party, deal)] = digest
        return found

    def digest(self, companies: frozenset[UUID] | None = None) -> tuple[int, str, int]:
        """(position, digest, row count) of the read models (of `companies`), read together."""
        t, o = opportunity_rows, shared_rows
        query = select(t.c.party_id, t.c.opportunity_id, t.c.digest)
        objects = select(o.c.party_id, o.c.object_id, o.c.digest)
        if companies is not None:
            query = query.where(t.c.party_id.in_([c.hex for c in companies]))
            objects = objects.where(o.c.party_id.in_([c.hex for c in companies]))
        with self.transaction(commit=False) as session:
            mine = self.tracking_table.c.application_name == self.name
            position = session.execute(
                select(self.tracking_table.c.notification_id).where(mine)
            ).scalar_one()
            found = [(p, d, g) for p, d, g in session.execute(query)]
            found += [(p, d, g) for p, d, g in session.execute(objects)]
        return int(position), digest_of(found), len(found)

    def views_of(self, party: UUID) -> list[str]:
        """Every row's view (JSON text) of one party."""
        t = opportunity_rows
        with self.transaction(commit=False) as session:
            query = select(t.c.view).where(t.c.party_id == party.hex)
            return [str(view) for (view,) in session.execute(query)]


def shared_views_of(store: ReadModelStore, party: UUID, object_type: str) -> list[str]:
    """The party's views (JSON text) of its solutions or plans, newest change first."""
    t = shared_rows
    query = (
        select(t.c.view)
        .where(t.c.party_id == party.hex, t.c.object_type == object_type)
        .order_by(t.c.updated_at.desc(), t.c.object_id)
    )
    with store.transaction(commit=False) as session:
        return [str(view) for (view,) in session.execute(query)]


def index_version(store: ReadModelStore, object_id: UUID) -> int | None:
    """An object's version as of the read models' position (None if not projected yet)."""
    query = select(deal_index.c.version).where(deal_index.c.opportunity_id == object_id.hex)
    with store.transaction(commit=False) as session:
        found = session.execute(query).scalar_one_or_none()
    return None if found is None else int(found)


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
