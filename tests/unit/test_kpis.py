"""KPIs as a pure function of one company's redacted views, at a fixed moment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from projections.kpis import company_kpis

ME = uuid4()
PARTNER = uuid4()
OTHER = uuid4()
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OPEN = ("Prospect", "Qualified", "Technical Validation", "Business Validation", "Committed")


def ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def seat(party: UUID, status: str = "accepted", role: str = "co_seller") -> dict[str, str]:
    return {"party_id": str(party), "role": role, "status": status, "since": ago(40)}


def view(
    owner: UUID = ME,
    stays: Sequence[tuple[str, float]] = (("Prospect", 40),),
    amount: tuple[str, str] | None = ("1000.00", "EUR"),
    partners: Sequence[dict[str, str]] = (),
    invitation: str | None = None,
    updated: float = 1,
) -> dict[str, Any]:
    """A view as `Redaction.opportunity_view` shapes it: `stays` are (stage, days ago it
    began), oldest first, the last one the current stage; `invitation` is my status on a deal
    I do not own."""
    made: dict[str, Any] = {
        "id": str(uuid4()),
        "version": 3,
        "owner_party_id": str(owner),
        "stage": stays[-1][0],
        "stage_history": [{"stage": stage, "since": ago(days)} for stage, days in stays],
        "participants": [seat(owner, role="owner"), *partners],
        "updated_at": ago(updated),
    }
    if amount is not None:
        made["expected_amount"] = {"amount": amount[0], "currency": amount[1]}
    if invitation is not None:
        made["invitation"] = {"role": "co_seller", "status": invitation, "since": ago(40)}
    return made


def invited(**overrides: Any) -> dict[str, Any]:
    """A deal of another company I am invited to: no timeline, as the invitation summary."""
    made = view(owner=OTHER, invitation="invited", **overrides)
    for hidden in ("stage_history", "participants", "updated_at"):
        del made[hidden]
    return made


def kpis(*views: dict[str, Any], inactive_days: int = 30) -> dict[str, Any]:
    return company_kpis(ME, list(views), NOW, inactive_days)


def stays_by_stage(report: dict[str, Any]) -> dict[str, tuple[int, str | None]]:
    assert [s["stage"] for s in report["stages"]] == list(OPEN)
    return {s["stage"]: (s["ended_stays"], s["average_days"]) for s in report["stages"]}


# --- days in stage -----------------------------------------------------------------------------


def test_the_average_stay_in_a_stage_is_over_the_stays_that_ended() -> None:
    report = kpis(
        view(stays=[("Prospect", 20), ("Qualified", 17)]),  # 3 days in Prospect
        view(stays=[("Prospect", 20), ("Qualified", 15), ("Committed", 13.5)]),  # 5, 1.5
        view(stays=[("Prospect", 100)]),  # still in Prospect: not counted
    )
    assert stays_by_stage(report) == {
        "Prospect": (2, "4.00"),
        "Qualified": (1, "1.50"),
        "Technical Validation": (0, None),
        "Business Validation": (0, None),
        "Committed": (0, None),
    }


def test_a_stay_is_measured_to_the_second_and_rounded_to_hundredths_of_a_day() -> None:
    six_hours = 0.25
    report = kpis(
        view(stays=[("Prospect", 10), ("Qualified", 10 - six_hours)]),
        view(stays=[("Prospect", 10), ("Qualified", 10 - 1 / 3)]),  # 8 hours
    )
    # (0.25 + 0.3333...) / 2 = 0.29166...
    assert stays_by_stage(report)["Prospect"] == (2, "0.29")


def test_stays_that_end_with_closing_or_repeat_after_a_reopen_each_count() -> None:
    report = kpis(
        view(stays=[("Prospect", 30), ("Qualified", 28), ("Launched", 20)]),  # won
        view(stays=[("Prospect", 30), ("Closed Lost", 24)]),  # lost
        view(stays=[("Prospect", 30), ("Qualified", 29), ("Prospect", 27), ("Qualified", 26)]),
    )
    by_stage = stays_by_stage(report)
    assert by_stage["Prospect"] == (4, "2.50")  # 2, 6, 1, 1
    assert by_stage["Qualified"] == (2, "5.00")  # 8, 2
    assert "Launched" not in by_stage and "Closed Lost" not in by_stage


def test_invitations_and_views_without_a_visible_stage_add_no_stays() -> None:
    hidden_stage = view(stays=[("Prospect", 9), ("Qualified", 1)], owner=OTHER)
    del hidden_stage["stage"], hidden_stage["stage_history"]
    pending = view(owner=OTHER, stays=[("Prospect", 9), ("Qualified", 1)], invitation="invited")
    report = kpis(hidden_stage, pending)
    assert all(count == 0 for count, _ in stays_by_stage(report).values())


# --- inactive deals ----------------------------------------------------------------------------


def test_open_deals_unchanged_for_longer_than_n_days_are_inactive_oldest_first() -> None:
    recent = view(updated=29)
    at_the_limit = view(updated=30)
    quiet = view(updated=31)
    quieter = view(owner=OTHER, partners=[seat(ME)], updated=90)
    won_long_ago = view(stays=[("Prospect", 200), ("Launched", 100)], updated=100)
    pending = invited()
    report = kpis(recent, at_the_limit, quiet, quieter, won_long_ago, pending)
    assert report["inactive"] == {
        "days": 30,
        "count": 2,
        "opportunities": [
            {"id": quieter["id"], "last_activity_at": quieter["updated_at"]},
            {"id": quiet["id"], "last_activity_at": quiet["updated_at"]},
        ],
    }


def test_the_inactivity_threshold_is_the_number_of_days_asked_for() -> None:
    deals = [view(updated=days) for days in (1, 5, 8, 45)]
    assert kpis(*deals, inactive_days=7)["inactive"]["count"] == 2
    assert kpis(*deals, inactive_days=1)["inactive"]["count"] == 3
    assert kpis(*deals, inactive_days=3650)["inactive"] == {
        "days": 3650, "count": 0, "opportunities": [],
    }  # fmt: skip


# --- win rate ----------------------------------------------------------------------------------

WON = (("Prospect", 9), ("Launched", 1))
LOST = (("Prospect", 9), ("Closed Lost", 1))


def test_the_win_rate_is_won_over_closed_to_four_places() -> None:
    report = kpis(view(stays=WON), view(owner=OTHER, partners=[seat(ME)], stays=WON),
                  view(stays=LOST), view())  # fmt: skip
    assert report["win_rate"] == {"won": 2, "lost": 1, "rate": "0.6667"}


def test_the_win_rate_is_null_with_nothing_closed_and_exact_at_the_ends() -> None:
    assert kpis(view())["win_rate"] == {"won": 0, "lost": 0, "rate": None}
    assert kpis(view(stays=WON))["win_rate"]["rate"] == "1.0000"
    assert kpis(view(stays=LOST))["win_rate"]["rate"] == "0.0000"


def test_a_deal_i_am_only_invited_to_counts_towards_no_win_rate() -> None:
    assert kpis(invited(stays=WON), invited(stays=LOST))["win_rate"]["rate"] is None


# --- pipeline ----------------------------------------------------------------------------------


def test_amounts_are_summed_per_currency_in_exact_decimals() -> None:
    report = kpis(
        view(amount=("0.10", "EUR")),
        view(amount=("0.20", "EUR")),
        view(amount=("100", "JPY")),
        view(amount=("200", "JPY")),
        view(amount=("0.001", "BHD")),
        view(amount=("0.002", "BHD")),
        view(amount=("999999999999999.99", "USD")),
        view(amount=("0.01", "USD")),
    )
    assert report["pipeline"]["amounts"] == [
        {"currency": "BHD", "amount": "0.003"},
        {"currency": "EUR", "amount": "0.30"},
        {"currency": "JPY", "amount": "300"},
        {"currency": "USD", "amount": "1000000000000000.00"},
    ]
    assert report["pipeline"]["open_count"] == 8


def test_the_pipeline_holds_open_deals_by_stage_and_leaves_closed_ones_out() -> None:
    report = kpis(
        view(amount=("100.00", "EUR")),
        view(stays=[("Prospect", 9), ("Committed", 2)], amount=("50.00", "USD")),
        view(stays=[("Prospect", 9), ("Committed", 2)], amount=("25.50", "USD")),
        view(stays=WON, amount=("7000.00", "EUR")),
        view(stays=LOST, amount=("8000.00", "EUR")),
    )
    pipeline = report["pipeline"]
    assert pipeline["open_count"] == 3
    assert pipeline["amounts"] == [
        {"currency": "EUR", "amount": "100.00"}, {"currency": "USD", "amount": "75.50"},
    ]  # fmt: skip
    assert pipeline["by_stage"] == [
        {"stage": "Prospect", "count": 1, "amounts": [{"currency": "EUR", "amount": "100.00"}]},
        {"stage": "Qualified", "count": 0, "amounts": []},
        {"stage": "Technical Validation", "count": 0, "amounts": []},
        {"stage": "Business Validation", "count": 0, "amounts": []},
        {"stage": "Committed", "count": 2, "amounts": [{"currency": "USD", "amount": "75.50"}]},
    ]


def test_a_deal_i_am_only_invited_to_is_an_invitation_not_pipeline() -> None:
    report = kpis(view(amount=("10.00", "EUR")), invited(amount=("5000.00", "EUR")))
    assert report["pipeline"]["open_count"] == 1
    assert report["pipeline"]["amounts"] == [{"currency": "EUR", "amount": "10.00"}]
    assert report["pipeline"]["by_stage"][0]["count"] == 1
    assert report["invitations"] == {"received": 1, "sent": 0}


def test_deals_without_a_visible_amount_are_counted_apart() -> None:
    report = kpis(
        view(amount=("10.00", "EUR")),
        view(amount=None),
        view(owner=OTHER, partners=[seat(ME)], amount=None),
        view(stays=WON, amount=None),  # closed: not in the pipeline at all
    )
    assert report["pipeline"]["open_count"] == 3
    assert report["pipeline"]["without_visible_amount"] == 2
    assert report["pipeline"]["amounts"] == [{"currency": "EUR", "amount": "10.00"}]
    assert report["pipeline"]["by_stage"][0] == {
        "stage": "Prospect", "count": 3, "amounts": [{"currency": "EUR", "amount": "10.00"}],
    }  # fmt: skip


# --- invitations and partners ------------------------------------------------------------------


def test_invitations_sent_are_my_deals_pending_invitations() -> None:
    report = kpis(
        view(partners=[seat(PARTNER, "invited"), seat(OTHER, "invited")]),
        view(partners=[seat(PARTNER, "declined"), seat(OTHER, "withdrawn")]),
        view(owner=OTHER, partners=[seat(ME), seat(PARTNER, "invited")]),  # not mine to send
        invited(),
        invited(),
    )
    assert report["invitations"] == {"received": 2, "sent": 2}


def test_deals_with_an_accepted_partner_are_partner_influenced() -> None:
    report = kpis(
        view(partners=[seat(PARTNER)], amount=("100.00", "EUR")),
        view(partners=[seat(PARTNER), seat(OTHER)], amount=("50.00", "USD")),
        view(partners=[seat(OTHER, "invited")], amount=("7.00", "EUR")),  # not yet
        view(partners=[seat(PARTNER, "withdrawn")], amount=("8.00", "EUR")),  # no longer
        view(partners=[seat(OTHER)], stays=WON, amount=("30.00", "EUR")),
        view(partners=[seat(OTHER)], stays=LOST, amount=("40.00", "EUR")),
    )
    partners = report["partners"]
    assert partners["influenced_open_count"] == 2
    assert partners["influenced_pipeline"] == [
        {"currency": "EUR", "amount": "100.00"}, {"currency": "USD", "amount": "50.00"},
    ]  # fmt: skip
    assert partners["influenced_won_count"] == 1
    assert partners["influenced_won"] == [{"currency": "EUR", "amount": "30.00"}]
    assert sorted(partners["by_partner"], key=lambda p: p["party_id"]) == partners["by_partner"]
    assert {p["party_id"]: p for p in partners["by_partner"]} == {
        str(PARTNER): {
            "party_id": str(PARTNER), "open_count": 2, "won_count": 0, "won": [],
            "pipeline": [
                {"currency": "EUR", "amount": "100.00"}, {"currency": "USD", "amount": "50.00"},
            ],
        },
        str(OTHER): {
            "party_id": str(OTHER), "open_count": 1, "won_count": 1,
            "pipeline": [{"currency": "USD", "amount": "50.00"}],
            "won": [{"currency": "EUR", "amount": "30.00"}],
        },
    }  # fmt: skip


def test_on_a_deal_i_partner_on_my_partner_is_the_owner_never_my_own_company() -> None:
    report = kpis(view(owner=OTHER, partners=[seat(ME)], amount=("60.00", "EUR")))
    assert report["partners"]["influenced_open_count"] == 1
    assert report["partners"]["by_partner"] == [
        {
            "party_id": str(OTHER), "open_count": 1, "won_count": 0, "won": [],
            "pipeline": [{"currency": "EUR", "amount": "60.00"}],
        },
    ]  # fmt: skip


def test_no_views_make_empty_figures() -> None:
    report = kpis()
    assert report["pipeline"]["open_count"] == 0
    assert report["pipeline"]["amounts"] == []
    assert report["partners"]["by_partner"] == []
    assert report["win_rate"]["rate"] is None
    assert report["invitations"] == {"received": 0, "sent": 0}
    assert report["inactive"] == {"days": 30, "count": 0, "opportunities": []}
    assert all(stays == (0, None) for stays in stays_by_stage(report).values())
