"""A read-model row: one party's redacted view of one deal, and the keys it is found by.

Every column is taken from the view, never from the deal itself, so filtering, sorting and
searching can only ever find what the party may see.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ecosystem.opportunities.domainmodel import SharedOpportunity
from policies import Redaction

LIVE = ("invited", "accepted")
AMOUNT_WIDTH = 19  # 18 digits at most, and 4 decimal places at most (see ecosystem.money)


def rows_of(
    deal: SharedOpportunity, redaction: Redaction, companies: frozenset[UUID] | None
) -> dict[UUID, dict[str, Any]]:
    """The rows of every involved party (of `companies`, when given) for one deal."""
    rows: dict[UUID, dict[str, Any]] = {}
    for party in deal.involved_parties:
        if companies is not None and party not in companies:
            continue
        view = redaction.opportunity_view(party, deal)
        if view is not None:
            rows[party] = row_of(party, deal.owner_id, view)
    return rows


def row_of(party: UUID, owner: UUID, view: dict[str, Any]) -> dict[str, Any]:
    """The row for a view; `owner` is always part of the view (`owner_party_id`)."""
    text = canonical(view)
    customer = view.get("customer") or {}
    amount = view.get("expected_amount") or {}
    partners = [
        p["party_id"]
        for p in view.get("participants") or []
        if p["status"] in LIVE and p["party_id"] != str(owner)
    ]
    if owner == party:
        relation = "owned"
    elif (view.get("invitation") or {}).get("status") == "invited":
        relation = "invited"
    else:
        relation = "partner"
    # Keys drop NUL: older events may hold it, and PostgreSQL text columns cannot.
    title = (view.get("title") or "").replace("\x00", "")
    name = (customer.get("name") or "").replace("\x00", "")
    return {
        "party_id": party.hex,
        "opportunity_id": UUID(view["id"]).hex,
        "version": view["version"],
        "relation": relation,
        "owner_party_id": owner.hex,
        "stage": view.get("stage"),
        "title_key": title.casefold(),
        "customer_key": name.casefold(),
        "search_text": f"{title}\n{name}".casefold(),
        "currency": amount.get("currency"),
        "amount_key": amount_key(Decimal(amount["amount"])) if amount else "",
        "close_date": view.get("target_close_date") or "",
        "created_at": moment_key(view.get("created_at")),
        "updated_at": moment_key(view.get("updated_at")),
        "partner_ids": "," + "".join(f"{UUID(p).hex}," for p in partners),
        "view": text,
        "digest": hashlib.sha256(text.encode()).hexdigest(),
    }


def canonical(view: dict[str, Any]) -> str:
    return json.dumps(view, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def amount_key(amount: Decimal) -> str:
    """A non-negative amount as text that sorts as the number does (fixed width)."""
    whole, _, fraction = f"{amount:.4f}".partition(".")
    return f"{whole.zfill(AMOUNT_WIDTH)}.{fraction}"


def moment_key(value: str | None) -> str:
    """An ISO 8601 time as fixed-width UTC text that sorts as time does; '' when not shown."""
    if not value:
        return ""
    if len(value) == 32 and value.endswith("+00:00"):  # how views write UTC: already in order
        return value[:26] + "Z"
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def digest_of(rows: Iterable[tuple[str, str, str]]) -> str:
    """One SHA-256 over (party, deal, row digest) triples, in order: equal read models, equal."""
    total = hashlib.sha256()
    for party, deal, digest in sorted(rows):
        total.update(f"{party}:{deal}:{digest}\n".encode())
    return total.hexdigest()
