"""JSON-ready values for views: flat field paths nested, amounts as strings, times in UTC."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from ecosystem.money import Money
from ecosystem.opportunities.fields import Contact


def quarter(day: date | None) -> str | None:
    return None if day is None else f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    """`{"customer.name": v}` -> `{"customer": {"name": v}}`, each value made JSON-ready."""
    tree: dict[str, Any] = {}
    for path, value in flat.items():
        node = tree
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = as_json(value)
    return tree


_PLAIN = (str, int, bool, type(None))


def as_json(value: Any) -> Any:
    """Plain JSON values: amounts as strings (never floats), times in ISO 8601 UTC."""
    kind = type(value)
    if kind in _PLAIN:  # most values: nothing to do (exact types; enums are not)
        return value
    if kind is dict:
        return {k: as_json(v) for k, v in value.items()}
    if kind is list:
        return [as_json(v) for v in value]
    if kind is UUID:
        return str(value)
    if kind is datetime:
        return value.isoformat()
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Contact):
        return {
            "name": value.name,
            "email": value.email,
            "phone": value.phone,
            "title": value.title,
        }
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_json(v) for v in value]
    return value
