"""JSON-ready values for views: flat field paths nested, amounts as strings, times in UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from ecosystem.audit.sealing import Sealed
from ecosystem.money import Money
from ecosystem.opportunities.fields import Contact

SEALED = "$sealed"  # how a view carries sealed personal data until it is opened for a reader


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


def as_json(value: Any) -> Any:
    """Plain JSON values: amounts as strings (never floats), times in ISO 8601 UTC."""
    if type(value) in _PLAIN:
        return value
    convert = _BY_TYPE.get(type(value))
    if convert is None:
        convert = _BY_TYPE[type(value)] = _converter(type(value))
    return convert(value)


def _converter(kind: type) -> Callable[[Any], Any]:
    """How values of one exact type become JSON-ready (decided once per type: hot path)."""
    if issubclass(kind, Money):
        return lambda v: {"amount": v.text, "currency": v.currency}
    if issubclass(kind, Contact):
        return lambda v: {
            "name": as_json(v.name), "email": as_json(v.email), "phone": as_json(v.phone),
            "title": v.title,
        }  # fmt: skip
    if issubclass(kind, Sealed):
        return lambda v: {SEALED: v.token}
    if issubclass(kind, UUID | Decimal):
        return str
    if issubclass(kind, datetime | date):
        return lambda v: v.isoformat()
    if issubclass(kind, Enum):
        return lambda v: v.value
    if issubclass(kind, dict):
        return lambda v: {k: as_json(item) for k, item in v.items()}
    if issubclass(kind, list | tuple):
        return lambda v: [as_json(item) for item in v]
    return lambda v: v


_PLAIN = frozenset({str, int, bool, float, type(None)})
_BY_TYPE: dict[type, Callable[[Any], Any]] = {}
