"""The formats the network accepts for free text, emails, phones and moments.

Every check returns the value as it is kept (trimmed, normalised) or raises `InvalidValue`,
whose message says what the format is and never repeats the value: a refusal must not echo
what it refused (it may be long, or personal).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from email_validator import EmailNotValidError, validate_email

from ecosystem.errors import InvalidCommand

# Unicode's control characters (Cc: C0, DEL and C1). PostgreSQL cannot store NUL in text at
# all, and the others break logs, CSV exports and terminals. Multi-line text (notes,
# reasons, descriptions) may hold line breaks and tabs; a single line (a name, a label, an
# email) may not.
_CONTROL_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NUL = "\x00"

# A phone as people write it in international form: `+`, then 7 to 15 digits (E.164 allows
# at most 15), groups separated by single spaces or hyphens: `+49 30 1234567`.
_PHONE = re.compile(r"^\+[0-9]+(?:[ -][0-9]+)*$")
PHONE_DIGITS = (7, 15)


class InvalidValue(ValueError):
    """A value that breaks its format; the message says the format, not the value."""


def refused_unless(form: Callable[[str, str], str], value: str, what: str) -> str:
    """`value` in its format, or the command refused with the format's message."""
    try:
        return form(value, what)
    except InvalidValue as error:
        raise InvalidCommand(str(error)) from None


def line(value: str, what: str = "this text") -> str:
    """One line of text, trimmed: no control characters, not even a line break."""
    if _CONTROL_IN_LINE.search(value):
        raise InvalidValue(f"{what} must not contain control characters or line breaks")
    return value.strip()


def text(value: str, what: str = "this text") -> str:
    """Free text that may span lines (notes, reasons): line breaks and tabs, no other
    control characters."""
    if _CONTROL_IN_TEXT.search(value):
        raise InvalidValue(
            f"{what} must not contain control characters (line breaks and tabs are allowed)"
        )
    return value.strip()


def without_nul(value: str, what: str = "this parameter") -> str:
    """A query value compared in the database: PostgreSQL cannot compare text holding NUL."""
    if _NUL in value:
        raise InvalidValue(f"{what} must not contain the NUL character")
    return value


def email(value: str, what: str = "an email") -> str:
    """An email address as RFC 5321/5322 and IDNA allow (syntax only: no DNS look-up), its
    domain in lower case: `Dana@Acme.example` -> `Dana@acme.example`."""
    line(value, what)
    try:
        return str(validate_email(value.strip(), check_deliverability=False).normalized)
    except EmailNotValidError:
        raise InvalidValue(f"{what} must be an email address such as name@example.com") from None


def email_key(address: str) -> str:
    """The form two addresses are compared in: `Dana@acme.example` is `dana@acme.example`."""
    return address.casefold()


def phone(value: str, what: str = "a phone number") -> str:
    """A phone in international form, kept as written (trimmed): `+49 30 1234567`."""
    trimmed = line(value, what)
    digits = sum(c.isdigit() for c in trimmed)
    low, high = PHONE_DIGITS
    if not (_PHONE.match(trimmed) and trimmed.isascii() and low <= digits <= high):
        raise InvalidValue(
            f"{what} must be in international form: '+', then {low} to {high} digits, "
            "groups separated by single spaces or hyphens, such as +49 30 1234567"
        )
    return trimmed


def moment(value: datetime, what: str = "a time") -> datetime:
    """A time with its UTC offset, as UTC. Refuses a time without an offset (it would be read
    in the server's zone), and one that falls outside years 1 to 9999 once in UTC
    (`0001-01-01T00:00:00+14:00` is still year 0 in UTC)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(f"{what} needs a UTC offset, such as 2027-03-31T12:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(f"{what} falls outside the years 1 to 9999 once in UTC") from None


def moment_from_text(value: str, what: str = "a time") -> datetime:
    """An ISO 8601 time with its offset, as UTC (see `moment`)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidValue(
            f"{what} must be an ISO 8601 time with its offset, such as 2027-03-31T12:00:00Z"
        ) from None
    return moment(parsed, what)
