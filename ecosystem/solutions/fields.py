"""The fields of a joint solution, by path, with the checks each value must pass."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from ecosystem.errors import InvalidCommand
from ecosystem.opportunities.fields import MAX_LONG_TEXT, MAX_TEXT, text, text_list

_URL = re.compile(r"^https://[^\s/$.?#][^\s]*$")


class Lifecycle(StrEnum):
    """A solution's life, in order; Retired ends it."""

    PROPOSED = "Proposed"
    IN_DEVELOPMENT = "In Development"
    VALIDATED = "Validated"
    PUBLISHED = "Published"
    RETIRED = "Retired"


class PricingModel(StrEnum):
    FREE = "free"
    BYOL = "byol"
    SUBSCRIPTION = "subscription"
    USAGE = "usage"
    CONTRACT = "contract"


def _url(path: str, value: Any) -> Any:
    value = text(MAX_TEXT)(path, value)
    if value and not _URL.match(value):
        raise InvalidCommand(f"{path} must be an https:// address")
    return value


def _pricing(path: str, value: Any) -> Any:
    if value is None:
        return None
    try:
        return PricingModel(value)
    except ValueError:
        allowed = ", ".join(PricingModel)
        raise InvalidCommand(f"{path} must be one of: {allowed}") from None


SOLUTION_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "name": text(MAX_TEXT, required=True),
    "summary": text(MAX_LONG_TEXT),
    "use_cases": text_list("use cases"),
    "target_industries": text_list("industries"),
    "listing.url": _url,
    "listing.pricing_model": _pricing,
    "listing.regions": text_list("regions"),
}

SOLUTION_DEFAULTS: dict[str, Any] = {
    "summary": "",
    "use_cases": [],
    "target_industries": [],
    "listing.url": "",
    "listing.pricing_model": None,
    "listing.regions": [],
}

COMPONENT_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "name": text(MAX_TEXT, required=True),
    "description": text(MAX_LONG_TEXT),
}

COUNTERPART_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "crm_reference": text(MAX_TEXT),
    "internal_notes": text(MAX_LONG_TEXT),
}

# The leaves a sharing rule can name on a solution.
SOLUTION_LEAVES: tuple[str, ...] = (
    *SOLUTION_FIELDS,
    "lifecycle",
    "participants",
    "sign_offs",
    "components",
    "links",
    *(f"counterparts.{name}" for name in COUNTERPART_FIELDS),
)
