"""The parties, strategies and bookkeeping checks of the co-funding plan state machine."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

from ecosystem.actors import Actor
from ecosystem.funding.domainmodel import CoFundingPlan
from ecosystem.funding.records import PlanRole, RequestStatus
from ecosystem.money import Money
from ecosystem.network import Network

A = Actor(UUID(int=0xA), UUID(int=0xA0))  # the owner, a funder
B = Actor(UUID(int=0xB), UUID(int=0xB0))  # a funder
C = Actor(UUID(int=0xC), UUID(int=0xC0))  # a partner, who only requests
D = Actor(UUID(int=0xD), UUID(int=0xD0))  # an outsider
PARTIES = [A, B, C, D]
ACTORS = {"A": A, "B": B, "C": C, "D": D}  # by name, so that falsifying examples read well
ROLES = {B: PlanRole.FUNDER, C: PlanRole.PARTNER}
ZERO = Decimal(0)
HASH = "ab" * 32
CENT = Decimal("0.01")
CAMPAIGN = UUID(int=0xCA)
UNKNOWN = UUID(int=0xDEAD)  # an activity, request or claim the plan never had


@dataclass(frozen=True)
class Near:
    """An amount just around the limit a command is checked against: the limit plus `delta`."""

    delta: Decimal


@dataclass(frozen=True)
class Part:
    """A part of the limit a command is checked against, in whole cents."""

    fraction: Decimal


Amount = Decimal | Near | Part
Drawn = tuple[Amount, str]  # an amount and a currency


def money(drawn: Drawn, limit: Decimal, whole: Decimal | None = None) -> Money:
    """The amount as Money: near `limit`, a part of `whole` (by default the limit), or as drawn.
    Building it refuses negatives and too many decimal places."""
    amount, currency = drawn
    if isinstance(amount, Near):
        return Money(limit + amount.delta, currency)
    if isinstance(amount, Part):
        part = (limit if whole is None else whole) * amount.fraction
        return Money(part.quantize(CENT, rounding=ROUND_DOWN), currency)
    return Money(amount, currency)


def mostly(
    usual: st.SearchStrategy[Any], unusual: st.SearchStrategy[Any], one_in: int = 8
) -> st.SearchStrategy[Any]:
    """Values of `usual`, one time in `one_in` of `unusual`: each command then has a fair chance
    to pass all of its checks, and each check still meets what breaks it."""
    draw = st.tuples(st.integers(0, one_in - 1), usual, unusual)
    return draw.map(lambda d: d[2] if d[0] == one_in - 1 else d[1])


def by(*right: str) -> st.SearchStrategy[str]:
    """Mostly a party the command is meant for, sometimes anyone."""
    return mostly(st.sampled_from(right), st.sampled_from(sorted(ACTORS)), one_in=5)


# None stands for the party the plan's state says should act (the requester, a funder...).
WHO = mostly(st.none(), st.sampled_from(sorted(ACTORS)), one_in=5)
POSITIVE = st.decimals(min_value=Decimal("0.01"), max_value=3000, places=2)
AMOUNT = mostly(
    mostly(
        st.builds(Part, st.decimals(min_value=0, max_value=1, places=2)),
        st.builds(Near, st.decimals(min_value=-2, max_value=2, places=2)),
        one_in=3,
    ),
    st.decimals(min_value=-5, max_value=3000, places=2),
)
CURRENCY = mostly(st.just("EUR"), st.sampled_from(["USD", "JPY"]))
MONEY = st.tuples(AMOUNT, CURRENCY)
TEXT = mostly(st.sampled_from(["why this venue?", "the budget is spent", "booth"]), st.text())
REASON = mostly(TEXT, st.sampled_from(["", None, "  "]))
KIND = mostly(st.sampled_from(["campaign", "event", "enablement"]), st.just("webinar"))
NAME = mostly(st.just("Spring campaign"), st.text(max_size=8))
SHARE = st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99.9999"), places=4)
VALID_SHARES = st.one_of(
    SHARE.map(lambda share: {A.party_id: share, B.party_id: 100 - share}),
    st.sampled_from([{A.party_id: Decimal(100)}, {B.party_id: Decimal(100)}]),
)
SHARES = mostly(
    VALID_SHARES,
    st.dictionaries(
        st.sampled_from([p.party_id for p in PARTIES]),
        st.decimals(min_value=-10, max_value=110, places=5),
        max_size=3,
    ),
)
ACTIVITY = st.tuples(KIND, NAME, SHARES)
PROOFS = mostly(
    st.just([{"name": "invoice.pdf", "sha256": HASH}]),
    st.lists(
        st.fixed_dictionaries(
            {
                "name": st.sampled_from(["invoice.pdf", "", " photos.zip "]),
                "sha256": st.sampled_from([HASH, HASH.upper(), "abc"]),
            }
        ),
        max_size=2,
    ),
)


def typed(value: Any) -> tuple[str, Any]:
    """An enum read back as a plain string would compare equal; its type tells them apart."""
    return (type(value).__name__, value)


def exact(value: Any) -> tuple[str, str]:
    """A Decimal by type and digits: 10.00 and 10, or a float, are not the same stored amount."""
    return (type(value).__name__, str(value))


def state_of(plan: CoFundingPlan) -> dict[str, Any]:
    return {
        "version": plan.version,
        "modified_on": plan.modified_on,
        "owner": plan.owner_id,
        "currency": plan.currency,
        "fields": copy.deepcopy(plan.fields),
        "participants": {
            party: (typed(m.role), typed(m.status), m.since)
            for party, m in plan.participants.items()
        },
        "counterparts": copy.deepcopy(plan.counterparts),
        "links": dict(plan.links),
        "commitments": {funder: exact(v) for funder, v in plan.commitments.items()},
        "activities": {
            a.activity_id: (
                typed(a.kind),
                a.name,
                exact(a.budget),
                a.added_by,
                {funder: exact(s) for funder, s in a.shares.items()},
            )
            for a in plan.activities.values()
        },
        "requests": {
            r.request_id: (
                r.activity_id,
                r.requester,
                exact(r.amount),
                r.description,
                typed(r.status),
                {funder: exact(v) for funder, v in r.portions.items()},
                dict(r.approvals),
                [(n.party_id, n.kind, n.text, n.at) for n in r.answers],
            )
            for r in plan.requests.values()
        },
        "claims": {
            c.claim_id: (
                c.request_id,
                c.claimant,
                exact(c.amount),
                copy.deepcopy(c.proofs),
                c.submitted_at,
            )
            for c in plan.claims.values()
        },
        "payouts": {
            p.payout_id: (p.claim_id, p.payer, exact(p.amount), p.reference, p.paid_at)
            for p in plan.payouts.values()
        },
    }


def check_books(plan: CoFundingPlan) -> None:
    """The money invariants a plan keeps after any sequence of commands, summed here from its
    records (so that a wrong ledger query cannot hide a broken invariant), and the ledger's
    queries checked against those sums."""
    amounts = [
        *plan.commitments.values(),
        *(a.budget for a in plan.activities.values()),
        *(r.amount for r in plan.requests.values()),
        *(c.amount for c in plan.claims.values()),
        *(p.amount for p in plan.payouts.values()),
    ]
    assert all(type(v) is Decimal and v > 0 for v in amounts), amounts
    live = [r for r in plan.requests.values() if r.status is not RequestStatus.REJECTED]
    for party in PARTIES:
        funder, committed = party.party_id, plan.commitments.get(party.party_id, ZERO)
        approved = sum((r.portions[funder] for r in live if funder in r.approvals), ZERO)
        assert plan.approved_by(funder) == approved <= committed
        assert plan.left_of(funder) == committed - approved
    for activity in plan.activities.values():
        requested = sum((r.amount for r in live if r.activity_id == activity.activity_id), ZERO)
        assert plan.requested_of(activity.activity_id) == requested <= activity.budget
        assert all(type(s) is Decimal and s > 0 for s in activity.shares.values())
        assert sum(activity.shares.values()) == 100
    for request in plan.requests.values():
        assert all(type(v) is Decimal and v > 0 for v in request.portions.values())
        assert set(request.portions) <= set(plan.activities[request.activity_id].shares)
        assert sum(request.portions.values()) == request.amount
        assert set(request.approvals) <= set(request.portions)
        claims = [c.amount for c in plan.claims.values() if c.request_id == request.request_id]
        assert plan.claimed_of(request.request_id) == sum(claims, ZERO) <= request.amount
    for claim in plan.claims.values():
        request = plan.requests[claim.request_id]
        assert request.status is RequestStatus.APPROVED
        assert set(request.approvals) == set(request.portions)
        paid = [p.amount for p in plan.payouts.values() if p.claim_id == claim.claim_id]
        assert plan.paid_of(claim.claim_id) == sum(paid, ZERO) <= claim.amount
    assert all(p.claim_id in plan.claims for p in plan.payouts.values())


def stored(network: Network, plan_id: UUID) -> tuple[int, int]:
    """How many events the store holds for the plan, and the version of the last one."""
    events = list(network.events.get(plan_id))
    return len(events), events[-1].originator_version
