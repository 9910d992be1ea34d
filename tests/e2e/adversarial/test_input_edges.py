"""Inputs at the edge of their format: each gets a clear problem+json 4xx and writes nothing.

Times at the calendar's edge with an offset, NUL in list filters and cursors, amounts in
exponent form or negative zero, a plan ending before it starts, a checkpoint that does not
exist, a huge input (text: test_input_text.py). The PostgreSQL run is what catches NUL:
SQLite stores it, PostgreSQL refuses it with an error.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.e2e.adversarial.conftest import Four
from tests.e2e.conftest import Caller, World

EDGE_TIMES = ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
NAIVE_TIME = "2027-03-31T12:00:00"
NUL = "\x00"
NONCE, SIGNATURE = "A" * 22, "A" * 86  # 16 and 64 bytes in base64url: well formed, not valid


def assert_problem(response: Any, status: int | tuple[int, ...], *refused: str) -> str:
    """A problem+json with the status and a clear detail that repeats none of `refused`."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == response.status_code and problem["title"]
    detail: str = problem["detail"]
    assert detail.strip() and len(detail) < 1000
    for value in refused:
        assert value not in response.text
    return detail


def snapshot(world: World, caller: Caller, deal_id: str) -> tuple[Any, Any]:
    """The deal and its history as the caller sees them: a refused command changes neither."""
    seen = world.client.get(f"/v1/opportunities/{deal_id}", headers=caller.headers)
    events = world.client.get(f"/v1/opportunities/{deal_id}/events", headers=caller.headers)
    assert seen.status_code == events.status_code == 200
    return seen.json(), events.json()["events"]


def cursor_of(*parts: str) -> str:
    raw = json.dumps(list(parts)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- times ------------------------------------------------------------------------------------


def test_a_signature_time_at_the_calendars_edge_is_refused_and_writes_nothing(four: Four) -> None:
    before = snapshot(four.world, four.a, four.deal["id"])
    for at in [*EDGE_TIMES, NAIVE_TIME]:
        header = f"key=k; at={at}; nonce={NONCE}; sig={SIGNATURE}"
        refused = four.client.post(
            f"/v1/opportunities/{four.deal['id']}/notes",
            json={"text": "signed at the end of time"},
            headers={**four.a.headers, "Cosell-Signature": header},
        )
        detail = assert_problem(refused, 403)
        assert "at=" in detail
    assert snapshot(four.world, four.a, four.deal["id"]) == before


def test_an_audit_time_at_the_calendars_edge_or_without_offset_is_refused(four: Four) -> None:
    auditor, deal = four.auditor(four.a), four.deal["id"]
    for at in [*EDGE_TIMES, NAIVE_TIME]:
        for path in (f"objects/{deal}/state", f"objects/{deal}/access?field=title"):
            joiner = "&" if "?" in path else "?"
            answer = four.client.get(
                f"/v1/audit/{path}{joiner}at={at.replace('+', '%2B')}", headers=auditor.headers
            )
            assert "at" in assert_problem(answer, 422)
        rules = four.client.get(
            "/v1/policies/rules",
            params={"as_of": at},
            headers=four.world.security_admin(four.a).headers,
        )
        assert_problem(rules, 422)


def test_a_bundle_naming_a_checkpoint_that_does_not_exist_is_refused_and_signs_nothing(
    four: Four,
) -> None:
    auditor = four.auditor(four.a)
    signed = four.client.post("/v1/audit/checkpoints", headers=auditor.headers)
    assert signed.status_code == 201, signed.text
    size = signed.json()["size"]
    before = four.client.get("/v1/audit/checkpoints", headers=auditor.headers).json()
    for known in (size + 1000, 2**63, -1):
        refused = four.client.get(f"/v1/audit/bundle?known={known}", headers=auditor.headers)
        assert_problem(refused, (404, 422))
    assert four.client.get("/v1/audit/checkpoints", headers=auditor.headers).json() == before
    kept = four.client.get(f"/v1/audit/bundle?known={size}", headers=auditor.headers)
    assert kept.status_code == 200, kept.text


def test_proof_sizes_beyond_what_the_log_can_hold_are_refused(four: Four) -> None:
    auditor = four.auditor(four.a)
    for query in (f"consistency?first={2**63}", f"inclusion?leaf_index={2**64}&size=1"):
        assert_problem(four.client.get(f"/v1/audit/{query}", headers=auditor.headers), 422)


# --- text filters and cursors -----------------------------------------------------------------


BAD_FILTERS = [
    {"q": f"Deal{NUL}"},
    {"customer": f"Customer{NUL}"},
    {"cursor": f"abc{NUL}"},
    {"cursor": cursor_of("-updated_at", NUL, "x")},
    {"cursor": cursor_of("-updated_at", "2027", NUL)},
    {"cursor": "not a cursor!"},
    {"amount_min": "1e3", "currency": "EUR"},
    {"amount_max": "-0", "currency": "EUR"},
]


def test_a_list_filter_postgresql_cannot_compare_is_refused(four: Four) -> None:
    for query in BAD_FILTERS:
        for path in ("/v1/opportunities", "/v1/solutions", "/v1/funding-plans"):
            if path != "/v1/opportunities" and set(query) != {"cursor"}:
                continue
            answer = four.client.get(path, params=query, headers=four.a.headers)
            assert_problem(answer, (400, 422))


# --- amounts ----------------------------------------------------------------------------------


BAD_AMOUNTS: list[Any] = ["-0", "-0.00", "1e17", "0E+5", "1E+2", " 1", "1,000", "-1", 1000]


def test_an_amount_outside_the_plain_decimal_format_is_refused_and_writes_nothing(
    four: Four,
) -> None:
    world, deal = four.world, four.deal["id"]
    before = snapshot(world, four.a, deal)
    etag = world.client.get(f"/v1/opportunities/{deal}", headers=four.a.headers).headers["ETag"]
    for amount in BAD_AMOUNTS:
        body = {"expected_amount": {"amount": amount, "currency": "EUR"}}
        refused = world.client.post(
            "/v1/opportunities",
            json={"title": "Odd amount", "customer": {"name": "Odd Co"}, **body},
            headers=four.a.headers,
        )
        assert_problem(refused, 422)
        patched = world.client.patch(
            f"/v1/opportunities/{deal}", json=body, headers={**four.a.headers, "If-Match": etag}
        )
        assert_problem(patched, 422)
    assert snapshot(world, four.a, deal) == before
    assert [d["id"] for d in world.client.get("/v1/opportunities", headers=four.a.headers)
            .json()["items"]] == [deal]  # fmt: skip


@pytest.mark.parametrize(
    ("sent", "currency", "shown"),
    [("1000", "EUR", "1000.00"), ("1000", "JPY", "1000"), ("1.5", "KWD", "1.500"),
     ("0", "EUR", "0.00"), ("100000000000000000", "EUR", "100000000000000000.00")],
)  # fmt: skip
def test_amounts_are_shown_as_plain_decimals_with_the_currencys_minor_units(
    world: World, sent: str, currency: str, shown: str
) -> None:
    owner = world.company()
    money = {"amount": sent, "currency": currency}
    deal = world.opportunity(owner, expected_amount=money)
    assert deal["expected_amount"] == {"amount": shown, "currency": currency}
    read = world.client.get(f"/v1/opportunities/{deal['id']}", headers=owner.headers).json()
    listed = world.client.get("/v1/opportunities", headers=owner.headers).json()["items"]
    assert read["expected_amount"]["amount"] == listed[0]["expected_amount"]["amount"] == shown
    pipeline = world.client.get("/v1/kpis/pipeline", headers=owner.headers).json()
    assert pipeline["figures"]["amounts"] == [{"currency": currency, "amount": shown}]


# --- plans ------------------------------------------------------------------------------------


def test_a_plan_period_that_ends_before_it_starts_is_refused_and_writes_nothing(
    world: World,
) -> None:
    funder = world.company()
    backwards = {"period_start": "2027-06-30", "period_end": "2027-01-01"}
    created = world.client.post(
        "/v1/funding-plans",
        json={"name": "Launch", "currency": "EUR", **backwards},
        headers=funder.headers,
    )
    assert "period" in assert_problem(created, 422)
    assert world.client.get("/v1/funding-plans", headers=funder.headers).json()["items"] == []
    plan = world.client.post(
        "/v1/funding-plans",
        json={"name": "Launch", "currency": "EUR", "period_start": "2027-06-30"},
        headers=funder.headers,
    )
    assert plan.status_code == 201, plan.text
    plan_id, etag = plan.json()["id"], plan.headers["ETag"]
    patched = world.client.patch(
        f"/v1/funding-plans/{plan_id}",
        json={"period_end": "2027-06-29"},
        headers={**funder.headers, "If-Match": etag},
    )
    assert_problem(patched, 422)
    after = world.client.get(f"/v1/funding-plans/{plan_id}", headers=funder.headers)
    assert after.headers["ETag"] == etag
    same_day = world.client.patch(
        f"/v1/funding-plans/{plan_id}",
        json={"period_end": "2027-06-30"},
        headers={**funder.headers, "If-Match": etag},
    )
    assert same_day.status_code == 200, same_day.text


# --- what a refusal says ----------------------------------------------------------------------


def test_a_refusal_does_not_repeat_a_huge_input(four: Four) -> None:
    huge = "h" * 100_000
    answers = [
        four.client.get("/v1/opportunities", params={"q": huge[:20_000]}, headers=four.a.headers),
        four.client.post(
            "/v1/opportunities", json={huge: 1, "title": huge}, headers=four.a.headers
        ),
        four.client.post(
            "/v1/opportunities",
            json={"title": "T", "customer": {"name": "C"}, "products": [NUL] * 500},
            headers=four.a.headers,
        ),
    ]
    for answer in answers:
        assert_problem(answer, 422, huge[:100])
