"""Listing one company's opportunities from its read model: filters, sorts and cursor pages.

Every condition is on columns taken from the company's own redacted views, so a filter can
only match what the company may see. Pages are keyset pages: a cursor names the sort key and
id of the last item, so inserts and updates between pages neither repeat nor skip items.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import and_, or_, select

from projections.rows import amount_key
from projections.store import ReadModelStore, opportunity_rows, shared_rows

SORT_COLUMNS = {
    "created_at": "created_at",
    "updated_at": "updated_at",
    "target_close_date": "close_date",
    "expected_amount": "amount_key",
    "title": "title_key",
    "customer": "customer_key",
}


_BASE64URL = re.compile(r"^[A-Za-z0-9_-]*$")


class BadQuery(ValueError):
    """A filter, sort or cursor the list cannot take; the message says which and why."""


@dataclass(frozen=True)
class OpportunityQuery:
    stage: str | None = None
    relation: str | None = None
    owner: UUID | None = None
    partner: UUID | None = None
    customer: str | None = None
    text: str | None = None
    close_from: date | None = None
    close_to: date | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    currency: str | None = None
    sort: str = "-updated_at"
    limit: int = 50
    cursor: str | None = None


def list_opportunities(
    store: ReadModelStore, party: UUID, query: OpportunityQuery
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the party's views, and the cursor of the next page (None at the end)."""
    t = opportunity_rows
    name = query.sort.removeprefix("-")
    if name not in SORT_COLUMNS:
        raise BadQuery(f"sort must be one of: {', '.join(_sorts())}")
    descending = query.sort.startswith("-")
    key = t.c[SORT_COLUMNS[name]]
    conditions = [t.c.party_id == party.hex, *_filters(query)]
    if query.cursor is not None:
        last_key, last_id = _read_cursor(query.cursor, query.sort)
        if descending:
            after = or_(key < last_key, and_(key == last_key, t.c.opportunity_id < last_id))
        else:
            after = or_(key > last_key, and_(key == last_key, t.c.opportunity_id > last_id))
        conditions.append(after)
    order = (key.desc(), t.c.opportunity_id.desc()) if descending else (key, t.c.opportunity_id)
    statement = (
        select(t.c.view, key, t.c.opportunity_id)
        .where(*conditions)
        .order_by(*order)
        .limit(query.limit + 1)
    )
    with store.transaction(commit=False) as session:
        found = list(session.execute(statement))
    page = found[: query.limit]
    more = len(found) > query.limit
    cursor = _cursor(query.sort, page[-1][1], page[-1][2]) if more and page else None
    return [json.loads(view) for view, _, _ in page], cursor


def list_shared(
    store: ReadModelStore, party: UUID, object_type: str, relation: str | None = None,
    limit: int = 50, cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:  # fmt: skip
    """One page of the party's solutions or plans, newest change first, and the next cursor."""
    t = shared_rows
    conditions = [t.c.party_id == party.hex, t.c.object_type == object_type]
    if relation is not None:
        conditions.append(t.c.relation == relation)
    if cursor is not None:
        last_key, last_id = _read_cursor(cursor, "-updated_at")
        conditions.append(
            or_(
                t.c.updated_at < last_key, and_(t.c.updated_at == last_key, t.c.object_id < last_id)
            )
        )
    statement = (
        select(t.c.view, t.c.updated_at, t.c.object_id)
        .where(*conditions)
        .order_by(t.c.updated_at.desc(), t.c.object_id.desc())
        .limit(limit + 1)
    )
    with store.transaction(commit=False) as session:
        found = list(session.execute(statement))
    page = found[:limit]
    more = len(found) > limit and page
    following = _cursor("-updated_at", page[-1][1], page[-1][2]) if more else None
    return [json.loads(view) for view, _, _ in page], following


def _filters(query: OpportunityQuery) -> list[Any]:
    t = opportunity_rows
    found: list[Any] = []
    if query.stage is not None:
        found.append(t.c.stage == query.stage)
    if query.relation is not None:
        found.append(t.c.relation == query.relation)
    if query.owner is not None:
        found.append(t.c.owner_party_id == query.owner.hex)
    if query.partner is not None:
        found.append(t.c.partner_ids.contains(f",{query.partner.hex},", autoescape=True))
    if query.customer:
        found.append(t.c.customer_key == query.customer.strip().casefold())
    if query.text:
        found.append(t.c.search_text.contains(query.text.strip().casefold(), autoescape=True))
    if query.close_from is not None or query.close_to is not None:
        found.append(t.c.close_date != "")
    if query.close_from is not None:
        found.append(t.c.close_date >= query.close_from.isoformat())
    if query.close_to is not None:
        found.append(t.c.close_date <= query.close_to.isoformat())
    bounded = query.amount_min is not None or query.amount_max is not None
    if bounded and query.currency is None:
        raise BadQuery("an amount range needs a currency: amounts compare within one")
    if query.currency is not None:
        found.append(t.c.currency == query.currency)
    if query.amount_min is not None:
        found.append(t.c.amount_key >= _amount(query.amount_min))
    if query.amount_max is not None:
        found.append(t.c.amount_key <= _amount(query.amount_max))
    return found


def _amount(value: Decimal) -> str:
    if not value.is_finite() or value < 0 or value >= Decimal(10) ** 18:
        raise BadQuery("an amount bound is a non-negative number below 10^18")
    return amount_key(value)


def _sorts() -> list[str]:
    return [f"{sign}{name}" for name in SORT_COLUMNS for sign in ("", "-")]


def _cursor(sort: str, key: str, opportunity_id: str) -> str:
    raw = json.dumps([sort, key, opportunity_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_cursor(cursor: str, sort: str) -> tuple[str, str]:
    if not _BASE64URL.match(cursor):
        raise BadQuery("the cursor is not one this API returned")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        made_for, key, last_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        # The key and id go into SQL text comparisons, which PostgreSQL refuses with NUL.
        valid = all(isinstance(v, str) and "\x00" not in v for v in (made_for, key, last_id))
    except (ValueError, TypeError, binascii.Error):
        valid = False
    if not valid:
        raise BadQuery("the cursor is not one this API returned")
    if made_for != sort:
        raise BadQuery("the cursor belongs to another sort order; start again without it")
    return key, last_id
