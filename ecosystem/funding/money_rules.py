"""The money rules of a co-funding plan: amounts, shares and how a request is split.

A plan has one currency. Each activity names the funders that pay for it and each one's
share in percent (the shares add up to exactly 100). A request's amount is split by those
shares, rounded down to the currency's minor unit; the minor units left over go one by one
to the funders with the largest shares (ties: the lower party id), so the portions always
add up to the amount exactly.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, Decimal
from typing import Any
from uuid import UUID

from ecosystem.currencies import MINOR_UNITS
from ecosystem.errors import InvalidCommand
from ecosystem.money import Money

HUNDRED = Decimal(100)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_PROOFS = 20


def positive(amount: Any, currency: str, what: str) -> Money:
    """A positive amount in the plan's currency, or a refusal saying which rule it breaks."""
    if not isinstance(amount, Money):
        raise InvalidCommand(f"{what} must be an amount with a currency")
    if amount.currency != currency:
        raise InvalidCommand(
            f"{what} is in {amount.currency}, but this plan is in {currency}; "
            "a plan never mixes currencies"
        )
    if amount.amount <= 0:
        raise InvalidCommand(f"{what} must be greater than zero")
    return amount


def checked_shares(shares: Any, funders: set[UUID]) -> dict[UUID, Decimal]:
    """Funder -> percent; every funder accepted (and among `funders`, those the caller may
    see), every share positive, 100 in all."""
    if not isinstance(shares, dict) or not shares:
        raise InvalidCommand("an activity names its funders and each one's share in percent")
    found: dict[UUID, Decimal] = {}
    for party, share in shares.items():
        party_id = party if isinstance(party, UUID) else _uuid(party)
        if party_id not in funders:  # the same answer whether it is a funder one may not see
            raise InvalidCommand(
                f"{party_id} is not a funder who accepted this plan, as far as your party may "
                "see the plan's participants"
            )
        if not isinstance(share, Decimal) or not share.is_finite() or share <= 0:
            raise InvalidCommand("each funder's share is a percentage greater than zero")
        if share.as_tuple().exponent < -4:  # type: ignore[operator]
            raise InvalidCommand("a share has at most 4 decimal places")
        found[party_id] = share
    if sum(found.values()) != HUNDRED:
        raise InvalidCommand("the funders' shares of an activity must add up to exactly 100")
    return found


def split(amount: Money, shares: dict[UUID, Decimal]) -> dict[UUID, Decimal]:
    """Each funder's portion of `amount`; the portions add up to `amount` exactly. A funder
    whose share rounds to nothing has no portion (and no say on the request)."""
    unit = Decimal(1).scaleb(-MINOR_UNITS[amount.currency])
    portions = {
        party: (amount.amount * share / HUNDRED).quantize(unit, rounding=ROUND_DOWN)
        for party, share in shares.items()
    }
    left = amount.amount - sum(portions.values())
    order = sorted(shares, key=lambda p: (-shares[p], p.hex))
    i = 0
    while left > 0:
        portions[order[i % len(order)]] += unit
        left -= unit
        i += 1
    return {party: portion for party, portion in portions.items() if portion > 0}


def checked_proofs(proofs: Any) -> list[dict[str, str]]:
    """Proof-of-execution references: document names and SHA-256 hashes, never files."""
    if not isinstance(proofs, list | tuple) or not proofs:
        raise InvalidCommand("a claim needs at least one proof of execution")
    if len(proofs) > MAX_PROOFS:
        raise InvalidCommand(f"a claim has at most {MAX_PROOFS} proofs")
    checked: list[dict[str, str]] = []
    for proof in proofs:
        name = str(proof.get("name", "")).strip() if isinstance(proof, dict) else ""
        digest = str(proof.get("sha256", "")).lower() if isinstance(proof, dict) else ""
        if not name or len(name) > 200 or any(ord(c) < 32 for c in name):
            raise InvalidCommand("each proof needs a document name of 1 to 200 characters")
        if not _SHA256.match(digest):
            raise InvalidCommand("each proof needs the document's SHA-256 as 64 hex digits")
        checked.append({"name": name, "sha256": digest})
    return checked


def _uuid(value: Any) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise InvalidCommand(f"{value!r} is not a party id") from None
