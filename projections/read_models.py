"""What the API reads: each company's opportunities and KPIs, as of a stated log position.

A reader may name the position it must see (its own last write, or the newest sharing-policy
change in force); the read then waits, up to a timeout, for the read models to get there.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any
from uuid import UUID

from ecosystem.network import Network
from policies.personal_data import Opener, open_views
from projections.funding_kpis import funding_kpis
from projections.kpis import company_kpis
from projections.queries import OpportunityQuery, list_opportunities, list_shared
from projections.store import ReadModelStore, shared_views_of


class ReadModelBehind(Exception):
    """The read models have not reached the position the reader needs, within the timeout."""

    def __init__(self, needed: int, reached: int) -> None:
        super().__init__(
            f"the read models are at log position {reached}, not yet at {needed}; retry in a moment"
        )
        self.needed = needed
        self.reached = reached


class ReadModels:
    """Rows hold personal data sealed; `opener` opens it for the reader as rows are served."""

    def __init__(
        self, store: ReadModelStore, wait_seconds: float = 5.0, opener: Opener | None = None
    ) -> None:
        self.store = store
        self.wait_seconds = wait_seconds
        self.opener = opener

    @classmethod
    def of(cls, network: Network, wait_seconds: float = 5.0) -> ReadModels:
        """The read models kept in the event store's own database."""
        store = ReadModelStore(network.factory.datastore)  # type: ignore[attr-defined]
        return cls(store, wait_seconds, network.personal_data.open_texts)

    def position(self) -> int:
        return self.store.position()

    def reach(self, needed: int) -> int:
        """Wait until the read models are at `needed` or later; their position then."""
        deadline = time.monotonic() + self.wait_seconds
        delay = 0.002
        while (reached := self.store.position()) < needed:
            if time.monotonic() >= deadline:
                raise ReadModelBehind(needed, reached)
            time.sleep(delay)
            delay = min(delay * 2, 0.05)
        return reached

    def opportunities(
        self, party: UUID, query: OpportunityQuery, needed: int = 0
    ) -> tuple[list[dict[str, Any]], str | None, int]:
        """(views, next cursor, position) of one page of the party's opportunities."""
        position = self.reach(needed)
        items, cursor = list_opportunities(self.store, party, query)
        open_views(items, self.opener)
        return items, cursor, position

    def kpis(
        self, party: UUID, now: datetime, inactive_days: int, needed: int = 0
    ) -> dict[str, Any]:
        """The party's KPI report: every section, and the position and time it is as of."""
        position = self.reach(needed)
        views = [json.loads(text) for text in self.store.views_of(party)]
        plans = [json.loads(text) for text in shared_views_of(self.store, party, "funding_plan")]
        return {
            "party_id": str(party),
            "position": position,
            "computed_at": now.isoformat(),
            **company_kpis(party, views, now, inactive_days),
            "funding": funding_kpis(str(party), plans, views),
        }

    def shared(
        self, party: UUID, object_type: str, relation: str | None = None, limit: int = 50,
        cursor: str | None = None, needed: int = 0,
    ) -> tuple[list[Any], str | None, int]:  # fmt: skip
        """(views, next cursor, position) of one page of the party's solutions or plans."""
        position = self.reach(needed)
        items, following = list_shared(self.store, party, object_type, relation, limit, cursor)
        return items, following, position
