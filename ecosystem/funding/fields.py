"""The fields of a co-funding plan, by path, with the checks each value must pass."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecosystem.errors import InvalidCommand
from ecosystem.opportunities.fields import MAX_LONG_TEXT, MAX_TEXT, date_field, text

PLAN_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "name": text(MAX_TEXT, required=True),
    "objective": text(MAX_LONG_TEXT),
    "period_start": date_field,
    "period_end": date_field,
}

PLAN_DEFAULTS: dict[str, Any] = {"objective": "", "period_start": None, "period_end": None}


def check_period(fields: dict[str, Any]) -> None:
    """A plan's period, once it has both ends, ends on or after the day it starts."""
    start, end = fields.get("period_start"), fields.get("period_end")
    if start is not None and end is not None and end < start:
        raise InvalidCommand("period_end must not be before period_start")


# A funder's internal budget notes are its own: counterpart fields, private by default.
COUNTERPART_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "crm_reference": text(MAX_TEXT),
    "budget_notes": text(MAX_LONG_TEXT),
}

# The leaves a sharing rule can name on a plan. Money leaves are of the party they concern:
# `commitments` of each funder, `requests` and `claims` of the plan owner.
PLAN_LEAVES: tuple[str, ...] = (
    *PLAN_FIELDS,
    "currency",
    "participants",
    "commitments",
    "activities",
    "requests",
    "claims",
    "payouts",
    "links",
    *(f"counterparts.{name}" for name in COUNTERPART_FIELDS),
)
