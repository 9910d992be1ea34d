"""The input types: each accepts its documented format and refuses the rest with a message
that names the format and never repeats the value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from api.schemas.common import (
    Cursor,
    Email,
    EmailOrEmpty,
    LongText,
    Moment,
    MoneyIn,
    PhoneOrEmpty,
    PlainDecimal,
    Position,
    QueryText,
    Text,
)
from ecosystem import values
from ecosystem.audit.requests import SignatureRejected, parse_header
from ecosystem.countries import ASSIGNED, country
from ecosystem.errors import InvalidCommand
from ecosystem.money import Money
from ecosystem.transcodings import MoneyAsDict
from policies.rendering import as_json
from projections.queries import BadQuery, _cursor, _read_cursor

SECRET = "s3cret-value"


def refused(kind: Any, value: Any) -> str:
    """The message a refused value gets; it must not repeat the value."""
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(kind).validate_python(value)
    messages = " ".join(e["msg"] for e in caught.value.errors())
    if isinstance(value, str) and len(value) > 3:
        assert value not in messages
    return messages


# --- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\n", "\r", "\t"])
def test_one_line_of_text_holds_no_control_character(control: str) -> None:
    assert "control" in refused(Text, f"{SECRET}{control}")
    with pytest.raises(values.InvalidValue):
        values.line(f"a{control}b")


@pytest.mark.parametrize("control", ["\x00", "\x07", "\x1b", "\x7f", "\x9f"])
def test_multi_line_text_holds_no_control_character_but_breaks_and_tabs(control: str) -> None:
    assert "control" in refused(LongText, f"{SECRET}{control}")
    assert TypeAdapter(LongText).validate_python("one\r\ntwo\tthree") == "one\r\ntwo\tthree"


def test_text_keeps_any_printable_character() -> None:
    assert TypeAdapter(Text).validate_python(" Zürich — Ω 李 ") == "Zürich — Ω 李"


def test_a_list_filter_holds_no_nul() -> None:
    assert "NUL" in refused(QueryText, f"{SECRET}\x00")
    assert TypeAdapter(QueryText).validate_python("acme") == "acme"


def test_a_cursor_is_base64url() -> None:
    refused(Cursor, "x" * 501)
    for bad in ("a\x00b", "not a cursor", "a+b/c=", cursor_of("x") + "\x00"):
        with pytest.raises(BadQuery, match="not one this API returned"):
            _read_cursor(bad, "x")


def cursor_of(sort: str) -> str:
    return _cursor(sort, "k", "i")


def test_a_cursor_naming_nul_is_not_one_this_api_returned() -> None:
    with pytest.raises(BadQuery, match="not one this API returned"):
        _read_cursor(_cursor("-updated_at", "\x00", "id"), "-updated_at")
    with pytest.raises(BadQuery):
        _read_cursor(_cursor("-updated_at", "key", "\x00"), "-updated_at")
    assert _read_cursor(_cursor("title", "k", "i"), "title") == ("k", "i")


# --- emails and phones ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["dana", "dana@", "@acme.example", "dana@acme", "da na@acme.example", "a@@b.example",
            "dana@acme.example\nBcc: x@y.example", "dana\x00@acme.example"],
)  # fmt: skip
def test_an_email_is_an_address(bad: str) -> None:
    assert "email" in refused(Email, bad)
    refused(EmailOrEmpty, bad)


def test_an_email_keeps_its_local_part_and_lowers_its_domain() -> None:
    assert TypeAdapter(Email).validate_python(" Dana@ACME.example ") == "Dana@acme.example"
    assert TypeAdapter(EmailOrEmpty).validate_python("  ") == ""
    assert values.email_key("Dana@acme.example") == values.email_key("dana@ACME.EXAMPLE")


@pytest.mark.parametrize(
    "bad", ["call me", "030 1234567", "+49 1", "+1234567890123456", "+49  30 1234567",
            "+49 30 1234567 ", "+49-", "+(49) 30 1234567", "+\uff14\uff19 30 1234567"],
)  # fmt: skip
def test_a_phone_is_in_international_form(bad: str) -> None:
    if bad.strip() == bad:
        assert "+" in refused(PhoneOrEmpty, bad)
    else:
        assert values.phone(bad) == bad.strip()  # outer spaces are trimmed, not refused


@pytest.mark.parametrize("good", ["+4930123", "+49 30 1234567", "+1-555-0100-123", "+" + "9" * 15])
def test_a_phone_in_international_form_is_kept_as_written(good: str) -> None:
    assert TypeAdapter(PhoneOrEmpty).validate_python(good) == good


# --- countries --------------------------------------------------------------------------------


def test_only_assigned_iso_3166_codes_are_countries() -> None:
    assert len(ASSIGNED) == 249
    assert country("DE") == "DE"
    for bad in ("AB", "XK", "UK", "EU", "ZZ", "de", "DEU", ""):
        with pytest.raises(values.InvalidValue, match="ISO 3166-1"):
            country(bad)


# --- moments ----------------------------------------------------------------------------------


@pytest.mark.parametrize("edge", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_time_outside_the_calendar_once_in_utc_is_refused(edge: str) -> None:
    assert "UTC" in refused(Moment, edge)
    with pytest.raises(values.InvalidValue):
        values.moment_from_text(edge)


def test_a_time_needs_its_offset() -> None:
    assert refused(Moment, "2027-03-31T12:00:00")
    with pytest.raises(values.InvalidValue, match="offset"):
        values.moment(datetime(2027, 3, 31, 12))
    with pytest.raises(values.InvalidValue, match="ISO 8601"):
        values.moment_from_text("tomorrow")


def test_a_time_is_taken_in_utc() -> None:
    taken = TypeAdapter(Moment).validate_python("2027-03-31T14:00:00+02:00")
    assert taken == datetime(2027, 3, 31, 12, tzinfo=UTC) and taken.tzinfo is UTC
    late = datetime(9999, 12, 31, 9, tzinfo=timezone(timedelta(hours=-14)))
    assert values.moment(late).year == 9999


@pytest.mark.parametrize("edge", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_signature_at_the_calendars_edge_is_rejected_not_crashed_on(edge: str) -> None:
    with pytest.raises(SignatureRejected, match="at="):
        parse_header(f"key=k; at={edge}; nonce={'A' * 22}; sig={'A' * 86}")


def test_positions_fit_the_databases_integers() -> None:
    refused(Position, 2**63)
    refused(Position, -1)
    assert TypeAdapter(Position).validate_python(2**63 - 1) == 2**63 - 1


# --- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["-0", "-0.00", "1e17", "0E+5", "-1", "+1", " 1", "1.", ".5", "1,5", "NaN",
            "Infinity", "0x10", "١٢", 1000, 10.5, None],
)  # fmt: skip
def test_an_amount_is_a_plain_decimal_string(bad: Any) -> None:
    assert "plain decimal" in refused(MoneyIn, {"amount": bad, "currency": "EUR"})
    refused(PlainDecimal, bad)


@pytest.mark.parametrize(
    ("amount", "currency"), [("1.001", "EUR"), ("1.5", "JPY"), ("0.0001", "KWD"),
                             ("1000000000000000000", "JPY"), ("1", "XXZ")],
)  # fmt: skip
def test_an_amount_fits_its_currency(amount: str, currency: str) -> None:
    refused(MoneyIn, {"amount": amount, "currency": currency})


@pytest.mark.parametrize(
    ("amount", "currency", "shown"),
    [("1000", "EUR", "1000.00"), ("1000", "JPY", "1000"), ("1.5", "BHD", "1.500"),
     ("0", "KWD", "0.000"), ("007.10", "EUR", "7.10"), ("999999999999999999", "JPY",
     "999999999999999999")],
)  # fmt: skip
def test_an_amount_is_shown_with_its_currencys_minor_units(
    amount: str, currency: str, shown: str
) -> None:
    money = TypeAdapter(MoneyIn).validate_python({"amount": amount, "currency": currency})
    assert as_json(money.to_money()) == {"amount": shown, "currency": currency}


@pytest.mark.parametrize(
    ("stored", "shown"), [("1000", "1000.00"), ("1E+3", "1000.00"), ("-0", "0.00"),
                          ("0E+5", "0.00"), ("12.5", "12.50")],
)  # fmt: skip
def test_an_amount_recorded_before_minor_units_renders_with_them(stored: str, shown: str) -> None:
    money = MoneyAsDict().decode({"amount": stored, "currency": "EUR"})
    assert as_json(money)["amount"] == shown == money.text


def test_money_refuses_what_no_currency_allows() -> None:
    for amount in (Decimal("-1"), Decimal("1E+18"), Decimal("NaN"), Decimal("0.001")):
        with pytest.raises(InvalidCommand):
            Money(amount, "EUR")
