"""The fields of a shared opportunity, by path, with the checks each value must pass.

Paths (`customer.name`) are the unit of ownership and, later, of sharing policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from ecosystem import values
from ecosystem.audit.sealing import Sealed
from ecosystem.countries import country
from ecosystem.errors import InvalidCommand
from ecosystem.money import Money
from ecosystem.names import normalise_domain

MAX_TEXT = 200
MAX_LONG_TEXT = 5000
MAX_ITEMS = 50


class Stage(StrEnum):
    """The stages of a deal, in order, as partners know them from cloud co-sell programmes."""

    PROSPECT = "Prospect"
    QUALIFIED = "Qualified"
    TECHNICAL_VALIDATION = "Technical Validation"
    BUSINESS_VALIDATION = "Business Validation"
    COMMITTED = "Committed"
    LAUNCHED = "Launched"
    CLOSED_LOST = "Closed Lost"

    @property
    def rank(self) -> int:
        return list(Stage).index(self)

    @property
    def is_open(self) -> bool:
        return self not in (Stage.LAUNCHED, Stage.CLOSED_LOST)


OPEN_STAGES = tuple(stage for stage in Stage if stage.is_open)


@dataclass(frozen=True)
class Contact:
    """A person at the customer. Personal data: shared only as the owner's policy allows, and
    recorded sealed with the person's own key (name, email, phone) so it can be erased."""

    name: str | Sealed
    email: str | Sealed = ""
    phone: str | Sealed = ""
    title: str = ""


def _text(limit: int, required: bool = False) -> Callable[[str, Any], Any]:
    """Text of at most `limit` characters: one line up to MAX_TEXT (names, titles), several
    lines beyond (next steps, notes, objectives)."""
    form = values.line if limit <= MAX_TEXT else values.text

    def check(path: str, value: Any) -> Any:
        if not isinstance(value, str):
            raise InvalidCommand(f"{path} must be text")
        value = values.refused_unless(form, value, path)
        if required and not value:
            raise InvalidCommand(f"{path} must not be empty")
        if len(value) > limit:
            raise InvalidCommand(f"{path} is longer than {limit} characters")
        return value

    return check


def _country(path: str, value: Any) -> Any:
    if not isinstance(value, str):
        raise InvalidCommand(f"{path} must be an ISO 3166-1 alpha-2 code such as DE")
    return values.refused_unless(country, value, path)


def _domain(path: str, value: Any) -> Any:
    if not isinstance(value, str):
        raise InvalidCommand(f"{path} must be text")
    return normalise_domain(value) if value.strip() else ""


def _money(path: str, value: Any) -> Any:
    if value is not None and not isinstance(value, Money):
        raise InvalidCommand(f"{path} must be an amount with a currency")
    return value


def _date(path: str, value: Any) -> Any:
    if value is not None and not isinstance(value, date):
        raise InvalidCommand(f"{path} must be a date")
    if value is not None and not 2000 <= value.year <= 2100:
        raise InvalidCommand(f"{path} must fall between the years 2000 and 2100")
    return value


def _contacts(path: str, value: Any) -> Any:
    if not isinstance(value, list | tuple) or not all(isinstance(c, Contact) for c in value):
        raise InvalidCommand(f"{path} must be a list of contacts")
    if len(value) > MAX_ITEMS:
        raise InvalidCommand(f"{path} holds at most {MAX_ITEMS} contacts")
    return [_contact(path, contact) for contact in value]


def _contact(path: str, contact: Contact) -> Contact:
    """A contact's email and phone are what an erasure finds the person by: each must be
    one, or be left empty."""
    name = _text(MAX_TEXT, required=True)(f"{path}.name", contact.name)
    title = _text(MAX_TEXT)(f"{path}.title", contact.title)
    email = _text(MAX_TEXT)(f"{path}.email", contact.email)
    phone = _text(MAX_TEXT)(f"{path}.phone", contact.phone)
    email = values.refused_unless(values.email, email, f"{path}.email") if email else ""
    phone = values.refused_unless(values.phone, phone, f"{path}.phone") if phone else ""
    return Contact(name, email, phone, title)


def text_list(what: str) -> Callable[[str, Any], Any]:
    """A list of at most MAX_ITEMS short, non-empty texts (product names, regions, ...)."""

    def check(path: str, value: Any) -> Any:
        if not isinstance(value, list | tuple) or len(value) > MAX_ITEMS:
            raise InvalidCommand(f"{path} must be a list of at most {MAX_ITEMS} {what}")
        return [_text(MAX_TEXT, required=True)(path, item) for item in value]

    return check


# Field rules other shared objects reuse.
text = _text
date_field = _date


CORE_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "title": _text(MAX_TEXT, required=True),
    "customer.name": _text(MAX_TEXT, required=True),
    "customer.website_domain": _domain,
    "customer.industry": _text(MAX_TEXT),
    "customer.country": _country,
    "customer.contacts": _contacts,
    "expected_amount": _money,
    "target_close_date": _date,
    "next_steps": _text(MAX_LONG_TEXT),
    "products": text_list("product names"),
}

CORE_DEFAULTS: dict[str, Any] = {
    "customer.website_domain": "",
    "customer.industry": "",
    "customer.country": None,
    "customer.contacts": [],
    "expected_amount": None,
    "target_close_date": None,
    "next_steps": "",
    "products": [],
}

COUNTERPART_FIELDS: dict[str, Callable[[str, Any], Any]] = {
    "crm_reference": _text(MAX_TEXT),
    "forecast_amount": _money,
    "internal_notes": _text(MAX_LONG_TEXT),
}


def checked(rules: dict[str, Callable[[str, Any], Any]], changes: dict[str, Any]) -> dict[str, Any]:
    """Each change checked and normalised; unknown paths are refused by name."""
    unknown = sorted(set(changes) - set(rules))
    if unknown:
        raise InvalidCommand(f"unknown fields: {', '.join(unknown)}")
    checked_changes: dict[str, Any] = {}
    for path, value in changes.items():
        if value is None and path in ("customer.country",):
            checked_changes[path] = None
            continue
        checked_changes[path] = rules[path](path, value)
    return checked_changes


# The leaves a sharing rule can name on an opportunity, each the smallest unit a policy
# decides. Contacts are split into their parts so a partner may see names but not phones.
CONTACT_PARTS = ("name", "email", "phone", "title")
SHARED_LEAVES: tuple[str, ...] = (
    "title",
    "stage",
    "closing_reason",
    "participants",
    "expected_close_quarter",
    "customer.name",
    "customer.website_domain",
    "customer.industry",
    "customer.country",
    *(f"customer.contacts.{part}" for part in CONTACT_PARTS),
    "expected_amount",
    "target_close_date",
    "next_steps",
    "products",
    "notes",
    "links",
    *(f"counterparts.{name}" for name in COUNTERPART_FIELDS),
)


def leaves_of(path: str) -> tuple[str, ...]:
    """The shared leaves at or under `path` (`customer.contacts` -> its four parts)."""
    return tuple(leaf for leaf in SHARED_LEAVES if leaf == path or leaf.startswith(f"{path}."))
