"""Partner KPIs of one company, computed from its read model: only from what it may see.

Each figure is a function of the company's redacted views, so a value a partner's policy
hides (an amount, a stage, who takes part) never counts towards it. Amounts are summed per
currency, never converted. A deal counts towards pipeline once the company takes part
(owner or accepted partner); invitations count only as invitations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any
from uuid import UUID

from ecosystem.money import in_minor_units
from ecosystem.opportunities.fields import OPEN_STAGES, Stage

SECTIONS = ("pipeline", "partners", "win_rate", "stages", "invitations", "inactive", "funding")
DAY = Decimal(86_400)


def company_kpis(
    party: UUID, views: Iterable[dict[str, Any]], now: datetime, inactive_days: int = 30
) -> dict[str, Any]:
    """Every KPI section for `party`, from its views, as of `now` (timezone-aware)."""
    views = list(views)
    mine = str(party)
    joined = [v for v in views if _relation(v, mine) != "invited"]
    open_deals = [v for v in joined if v.get("stage") in OPEN_STAGES]
    won = [v for v in joined if v.get("stage") == Stage.LAUNCHED]
    lost = [v for v in joined if v.get("stage") == Stage.CLOSED_LOST]
    influenced = {v["id"] for v in joined if _partners(v, mine)}
    return {
        "pipeline": _pipeline(open_deals),
        "partners": {
            "by_partner": _by_partner(open_deals, won, mine),
            "influenced_pipeline": _amounts(v for v in open_deals if v["id"] in influenced),
            "influenced_won": _amounts(v for v in won if v["id"] in influenced),
            "influenced_open_count": sum(1 for v in open_deals if v["id"] in influenced),
            "influenced_won_count": sum(1 for v in won if v["id"] in influenced),
        },
        "win_rate": {
            "won": len(won),
            "lost": len(lost),
            "rate": _ratio(len(won), len(won) + len(lost)),
        },
        "stages": _days_in_stage(joined),
        "invitations": {
            "received": sum(1 for v in views if _relation(v, mine) == "invited"),
            "sent": sum(
                1
                for v in joined
                if v.get("owner_party_id") == mine
                for p in v.get("participants") or []
                if p["status"] == "invited"
            ),
        },
        "inactive": _inactive(joined, now, inactive_days),
    }


def _relation(view: dict[str, Any], party: str) -> str:
    if view.get("owner_party_id") == party:
        return "owned"
    return "invited" if (view.get("invitation") or {}).get("status") == "invited" else "partner"


def _partners(view: dict[str, Any], party: str) -> list[str]:
    """The companies `party` co-sells the deal with: the other accepted participants (the
    owner among them, on a deal `party` partners on), as far as the view shows them."""
    return [
        p["party_id"]
        for p in view.get("participants") or []
        if p["status"] == "accepted" and p["party_id"] != party
    ]


def _amounts(views: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """Visible expected amounts summed per currency, sorted by currency code."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for view in views:
        amount = view.get("expected_amount")
        if amount:
            totals[amount["currency"]] += Decimal(amount["amount"])
    return [{"currency": c, "amount": in_minor_units(totals[c], c)} for c in sorted(totals)]


def _pipeline(open_deals: list[dict[str, Any]]) -> dict[str, Any]:
    by_stage = []
    for stage in OPEN_STAGES:
        here = [v for v in open_deals if v.get("stage") == stage]
        by_stage.append({"stage": str(stage), "count": len(here), "amounts": _amounts(here)})
    return {
        "open_count": len(open_deals),
        "amounts": _amounts(open_deals),
        "by_stage": by_stage,
        "without_visible_amount": sum(1 for v in open_deals if not v.get("expected_amount")),
    }


def _by_partner(
    open_deals: list[dict[str, Any]], won: list[dict[str, Any]], party: str
) -> list[Any]:
    partners = sorted({p for v in [*open_deals, *won] for p in _partners(v, party)})
    return [
        {
            "party_id": p,
            "open_count": sum(1 for v in open_deals if p in _partners(v, party)),
            "pipeline": _amounts(v for v in open_deals if p in _partners(v, party)),
            "won_count": sum(1 for v in won if p in _partners(v, party)),
            "won": _amounts(v for v in won if p in _partners(v, party)),
        }
        for p in partners
    ]


def _days_in_stage(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Average days spent in each stage, over stays that have ended (the deal moved on)."""
    stays: dict[str, list[Decimal]] = defaultdict(list)
    for view in views:
        history = view.get("stage_history") or []
        for stay, following in pairwise(history):
            began = datetime.fromisoformat(stay["since"])
            ended = datetime.fromisoformat(following["since"])
            stays[stay["stage"]].append(Decimal((ended - began).total_seconds()) / DAY)
    return [
        {
            "stage": str(stage),
            "ended_stays": len(stays[stage]),
            "average_days": _mean(stays[stage]),
        }
        for stage in OPEN_STAGES
    ]


def _inactive(views: list[dict[str, Any]], now: datetime, days: int) -> dict[str, Any]:
    """Open deals whose last visible change is older than `days` days."""
    cutoff = now - timedelta(days=days)
    quiet = [
        v
        for v in views
        if v.get("stage") in OPEN_STAGES
        and v.get("updated_at")
        and datetime.fromisoformat(v["updated_at"]) < cutoff
    ]
    quiet.sort(key=lambda v: (v["updated_at"], v["id"]))
    return {
        "days": days,
        "count": len(quiet),
        "opportunities": [{"id": v["id"], "last_activity_at": v["updated_at"]} for v in quiet],
    }


def _ratio(part: int, whole: int) -> str | None:
    return None if whole == 0 else str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")))


def _mean(values: list[Decimal]) -> str | None:
    if not values:
        return None
    return str((sum(values, Decimal(0)) / len(values)).quantize(Decimal("0.01")))
