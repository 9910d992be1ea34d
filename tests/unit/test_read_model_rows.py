"""Read-model rows: sort keys order as the values do, and every column comes from the view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from projections.rows import amount_key, digest_of, moment_key, row_of

AMOUNTS = st.decimals(min_value=0, max_value=Decimal(10) ** 18 - 1, places=4)
MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(AMOUNTS, AMOUNTS)
def test_amount_keys_sort_as_the_amounts_do(a: Decimal, b: Decimal) -> None:
    assert (amount_key(a) < amount_key(b)) == (a < b)
    assert (amount_key(a) == amount_key(b)) == (a == b)


@given(MOMENTS, MOMENTS)
def test_moment_keys_sort_as_the_times_do_whatever_the_offset_written(
    a: datetime, b: datetime
) -> None:
    shifted = b.astimezone(timezone(timedelta(hours=5, minutes=30)))  # same instant, +05:30
    assert (moment_key(a.isoformat()) < moment_key(shifted.isoformat())) == (a < b)


def test_a_hidden_time_sorts_before_any_shown_one() -> None:
    assert moment_key(None) == "" < moment_key(datetime(2000, 1, 1, tzinfo=UTC).isoformat())


def test_a_row_takes_every_column_from_the_view_and_nothing_else() -> None:
    party, owner, partner, hidden = uuid4(), uuid4(), uuid4(), uuid4()
    view = {
        "id": str(uuid4()),
        "version": 4,
        "owner_party_id": str(owner),
        "title": "Lakehouse for ACME",
        "participants": [
            {"party_id": str(owner), "role": "owner", "status": "accepted", "since": "x"},
            {"party_id": str(partner), "role": "co_seller", "status": "invited", "since": "x"},
        ],
        "invitation": {"role": "co_seller", "status": "accepted", "since": "x"},
    }
    row = row_of(party, owner, view)
    assert row["relation"] == "partner"
    assert row["partner_ids"] == f",{partner.hex},"
    assert hidden.hex not in str(row)
    assert row["stage"] is None and row["customer_key"] == "" and row["amount_key"] == ""
    assert row["search_text"] == "lakehouse for acme\n"
    assert row["close_date"] == row["created_at"] == ""


def test_digests_differ_when_any_row_differs_and_ignore_order() -> None:
    rows = [("a", "1", "x"), ("b", "2", "y")]
    assert digest_of(rows) == digest_of(reversed(rows))
    assert digest_of(rows) != digest_of([("a", "1", "x"), ("b", "2", "z")])
    assert digest_of(rows) != digest_of(rows[:1])


def test_an_updated_at_a_microsecond_later_sorts_later() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    later = now + timedelta(microseconds=1)
    assert moment_key(now.isoformat()) < moment_key(later.isoformat())


def test_keys_of_a_title_written_before_control_characters_were_refused_drop_nul() -> None:
    owner = uuid4()
    view = {"id": str(uuid4()), "version": 1, "owner_party_id": str(owner), "title": "Q3\x00 deal"}
    row = row_of(owner, owner, view)
    assert row["title_key"] == "q3 deal" and "\x00" not in row["search_text"]
    assert "\\u0000" in row["view"]  # the view itself keeps what was recorded, escaped
