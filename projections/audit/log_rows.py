"""The event and ledger tables read back for a verification: plain driver tuples, a page at
a time, the next page read on a reader thread while the check works through this one.

This is the verifier's hot path, so no result objects are built: object ids come as their 16
bytes, binary columns as bytes. One reader thread serves both tables, so no connection is
ever used by two threads at once (an in-memory SQLite store has but one). The database waits
and the drivers' decoding then overlap the check's own work, most of all its signature
verifications, which release the GIL.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from psycopg2 import BINARY
from psycopg2.extensions import new_type, register_type
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

PAGE = 5_000
EVENT_COLUMNS = ("id", "originator_id", "originator_version", "topic", "state")
LEDGER_COLUMNS = ("leaf_index", "position", "seed", "content", "leaf")
_BYTEA = 17  # PostgreSQL's type oid


def _bytes_caster() -> Any:
    """A psycopg2 caster giving bytea as bytes (its own gives a memoryview, to be copied):
    from the hex form servers send by default, else by psycopg2's own decoding."""
    unhex = bytes.fromhex

    def cast(text: str | bytes | None, cursor: Any) -> bytes | None:
        if isinstance(text, str) and text.startswith("\\x"):
            return unhex(text[2:])
        return None if text is None else bytes(BINARY(text, cursor))

    return new_type((_BYTEA,), "COSELL_BYTES", cast)


class LogRows:
    """Reads the stored log for one check; a context manager (it stops its reader thread)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._caster = _bytes_caster() if self._postgres else None
        self._reader = ThreadPoolExecutor(1, "cosell-read")

    def __enter__(self) -> LogRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self._reader.shutdown(wait=True, cancel_futures=True)

    def events(self, table: Any, head: int) -> Iterator[tuple[Any, ...]]:
        """(position, object id bytes, version, topic, state) to log position `head`."""
        columns = [table.c[name] for name in EVENT_COLUMNS]
        if self._postgres:  # its 16 bytes, where the driver would build a UUID per row
            columns[1] = func.uuid_send(columns[1])
        for row in self._pages(columns, table.c.id, head):
            if row[0] > head:
                return
            yield row

    def ledger(self, table: Any, head: int) -> Iterator[tuple[Any, ...]]:
        """(leaf index, position, seed, content, leaf) of the leaves to log position `head`:
        all of them, in leaf order (a ledger rewritten out of order shows in that order)."""
        columns = [table.c[name] for name in LEDGER_COLUMNS]
        return (row for row in self._pages(columns, table.c.leaf_index) if row[1] <= head)

    def _pages(
        self, columns: list[Any], key: Any, last: int | None = None
    ) -> Iterator[tuple[Any, ...]]:
        """The rows in `key` order (read ahead no further than key `last`). The bound is the
        caller's to apply, not SQL's: a page is then always an index range, however stale
        the database's statistics (PostgreSQL may otherwise sort the rest of the log for
        each page)."""

        def after(previous: int) -> Future[Sequence[tuple[Any, ...]]]:
            query = select(*columns).where(key > previous).order_by(key).limit(PAGE)
            sql = str(query.compile(self._engine, compile_kwargs={"literal_binds": True}))
            return self._reader.submit(self._fetched, sql)  # the bound is an integer

        pending = after(-1)
        while True:
            page = pending.result()
            more = len(page) == PAGE and (last is None or page[-1][0] < last)
            if more:
                pending = after(page[-1][0])
            yield from page
            if not more:
                return

    def _fetched(self, sql: str) -> Sequence[tuple[Any, ...]]:
        with self._engine.connect() as connection:
            cursor: Any = connection.connection.cursor()
            try:
                if self._caster is not None:
                    register_type(self._caster, cursor)
                cursor.execute(sql)
                page: Sequence[tuple[Any, ...]] = cursor.fetchall()
                return page
            finally:
                cursor.close()
