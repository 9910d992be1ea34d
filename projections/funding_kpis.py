"""Return on funds for one company, from its read model: only from what it may see.

Per co-funding plan the company takes part in: funds committed (by every funder it may see,
and by itself), approved, claimed and paid; and the pipeline and won amounts of the deals
linked to the plan that the company itself can see (summed per currency, never converted).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ecosystem.money import in_minor_units
from ecosystem.opportunities.fields import OPEN_STAGES, Stage


def funding_kpis(
    party: str, plans: Iterable[dict[str, Any]], deals: Iterable[dict[str, Any]]
) -> dict[str, Any]:
    """The `funding` KPI section: one entry per plan the party has joined, and totals."""
    by_id = {d["id"]: d for d in deals}
    entries = []
    for plan in plans:
        if (plan.get("invitation") or {}).get("status") == "invited":
            continue  # an invitation is not yet a plan the company takes part in
        linked = [by_id[link["opportunity_id"]] for link in plan.get("links") or []
                  if link["opportunity_id"] in by_id]  # fmt: skip
        open_deals = [d for d in linked if d.get("stage") in OPEN_STAGES]
        won = [d for d in linked if d.get("stage") == Stage.LAUNCHED]
        commitments = plan.get("commitments") or []
        mine = [c for c in commitments if c["party_id"] == party]
        requests = plan.get("requests") or []
        entries.append({
            "plan_id": plan["id"],
            "name": plan.get("name"),
            "currency": plan.get("currency"),
            "committed": _total(c["committed"] for c in commitments),
            "committed_by_you": _total(c["committed"] for c in mine),
            "approved": _total(r["amount"] for r in requests if r["status"] == "approved"),
            "requested": _total(r["amount"] for r in requests if r["status"] != "rejected"),
            "claimed": _total(c["amount"] for c in plan.get("claims") or []),
            "paid": _total(p["amount"] for p in plan.get("payouts") or []),
            "influenced_open_count": len(open_deals),
            "influenced_pipeline": _by_currency(d.get("expected_amount") for d in open_deals),
            "influenced_won_count": len(won),
            "influenced_won": _by_currency(d.get("expected_amount") for d in won),
        })  # fmt: skip
    return {"plans": entries}


def _total(amounts: Iterable[dict[str, str]]) -> str:
    found = list(amounts)
    total = sum((Decimal(a["amount"]) for a in found), Decimal(0))
    # A plan has one currency; with no amount to take it from, the sum is plain 0.
    return in_minor_units(total, found[0]["currency"]) if found else "0"


def _by_currency(amounts: Iterable[dict[str, str] | None]) -> list[dict[str, str]]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for amount in amounts:
        if amount:
            totals[amount["currency"]] += Decimal(amount["amount"])
    return [{"currency": c, "amount": in_minor_units(totals[c], c)} for c in sorted(totals)]
