"""CoFundingPlan: commitments, activities, requests, approvals, claims and payouts."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from decimal import ROUND_DOWN, Decimal
from itertools import pairwise
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosystem.actors import Actor
from ecosystem.currencies import MINOR_UNITS
from ecosystem.errors import Conflict, CosellError, InvalidCommand, NotPermitted
from ecosystem.funding.domainmodel import CoFundingPlan
from ecosystem.funding.money_rules import split
from ecosystem.funding.records import ActivityKind, PlanRole, RequestStatus
from ecosystem.money import Money
from ecosystem.opportunities.domainmodel import ParticipantStatus

OWNER = Actor(uuid4(), uuid4())
FUNDER = Actor(uuid4(), uuid4())
PARTNER = Actor(uuid4(), uuid4())
INVITEE = Actor(uuid4(), uuid4())
STRANGER = Actor(uuid4(), uuid4())
ACTIVITY = uuid4()
SHARES = {OWNER.party_id: Decimal("66.67"), FUNDER.party_id: Decimal("33.33")}
PROOF = {"name": "invoice.pdf", "sha256": "ab" * 32}


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def create(currency: str = "EUR", fields: dict[str, Any] | None = None) -> CoFundingPlan:
    return CoFundingPlan.create(
        OWNER.party_id, currency, {"name": "Q3 MDF", **(fields or {})}, OWNER
    )


def written(plan: CoFundingPlan) -> list[str]:
    """The names of the events a command left pending."""
    return [type(e).__name__ for e in plan.collect_events()]


def state_of(plan: CoFundingPlan) -> dict[str, Any]:
    return copy.deepcopy({k: v for k, v in vars(plan).items() if k != "_pending_events"})


def assert_refused(
    plan: CoFundingPlan,
    error: type[CosellError],
    command: Callable[..., object],
    *args: Any,
    match: str | None = None,
) -> None:
    """The command is refused with `error` and leaves the plan as it was, nothing pending."""
    plan.collect_events()
    before = state_of(plan)
    with pytest.raises(error, match=match) as refusal:
        command(*args)
    assert type(refusal.value) is error
    assert plan.collect_events() == []
    assert state_of(plan) == before


@pytest.fixture
def plan() -> CoFundingPlan:
    """OWNER and FUNDER fund 1000 EUR each; PARTNER takes part; INVITEE is invited as funder;
    ACTIVITY has a 500 EUR budget, paid 66.67 % by OWNER and 33.33 % by FUNDER."""
    made = create()
    made.invite(FUNDER.party_id, PlanRole.FUNDER, OWNER, partnership_active=True)
    made.accept_invitation(FUNDER)
    made.invite(PARTNER.party_id, "partner", OWNER, partnership_active=True)
    made.accept_invitation(PARTNER)
    made.invite(INVITEE.party_id, "funder", OWNER, partnership_active=True)
    made.commit_funds(eur("1000"), OWNER)
    made.commit_funds(eur("1000"), FUNDER)
    made.add_activity(ACTIVITY, "campaign", "Webinar series", eur("500"), SHARES, OWNER)
    made.collect_events()
    return made


def requested(plan: CoFundingPlan, amount: str = "100.01", by: Actor = PARTNER) -> UUID:
    request_id = uuid4()
    plan.request_funds(request_id, ACTIVITY, eur(amount), "Three webinars", by)
    plan.collect_events()
    return request_id


def approved(plan: CoFundingPlan, amount: str = "100.01") -> UUID:
    request_id = requested(plan, amount)
    plan.approve(request_id, OWNER)
    plan.approve(request_id, FUNDER)
    plan.collect_events()
    return request_id


def claimed(plan: CoFundingPlan, amount: str = "60.00") -> UUID:
    claim_id = uuid4()
    plan.claim(approved(plan), claim_id, eur(amount), [PROOF], PARTNER)
    plan.collect_events()
    return claim_id


# --- creating a plan ------------------------------------------------------------------------


def test_a_new_plan_is_owned_by_its_creator_as_an_accepted_funder() -> None:
    made = create("USD", {"objective": " Pipeline ", "period_start": date(2030, 1, 1)})
    assert made.currency == "USD"
    assert made.role_of(OWNER.party_id) is PlanRole.FUNDER
    assert made.funders() == [OWNER.party_id]
    assert made.fields == {
        "name": "Q3 MDF",
        "objective": "Pipeline",
        "period_start": date(2030, 1, 1),
        "period_end": None,
    }
    assert made.commitments == {} and made.activities == {} and made.requests == {}
    assert written(made) == ["Created"]


@pytest.mark.parametrize("currency", ["EURO", "eur", "XYZ", "", "€"])
def test_a_plan_is_in_an_iso_4217_currency(currency: str) -> None:
    with pytest.raises(InvalidCommand, match="ISO 4217"):
        create(currency)


def test_a_plan_needs_a_name() -> None:
    with pytest.raises(InvalidCommand, match="missing fields: name"):
        CoFundingPlan.create(OWNER.party_id, "EUR", {"objective": "no name"}, OWNER)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("name", ""),
        ("name", "   "),
        ("name", "n" * 201),
        ("name", "Q3\x00MDF"),
        ("objective", "o" * 5001),
        ("period_start", "2030-01-01"),
        ("period_end", date(1999, 12, 31)),
        ("currency", "USD"),
        ("budget", "1000"),
    ],
)
def test_a_bad_field_is_refused_when_creating_and_when_updating(
    plan: CoFundingPlan, path: str, value: Any
) -> None:
    with pytest.raises(InvalidCommand):
        create(fields={path: value})
    assert_refused(plan, InvalidCommand, plan.update_details, {path: value}, OWNER)


@pytest.mark.parametrize("who", [FUNDER, PARTNER, STRANGER], ids=["funder", "partner", "other"])
def test_only_the_owner_changes_the_plan_details(plan: CoFundingPlan, who: Actor) -> None:
    assert_refused(plan, NotPermitted, plan.update_details, {"name": "Mine"}, who)


# --- participants ---------------------------------------------------------------------------


def test_an_invited_funder_is_pending_until_it_accepts(plan: CoFundingPlan) -> None:
    assert plan.is_invited(INVITEE.party_id)
    assert INVITEE.party_id not in plan.funders()
    plan.accept_invitation(INVITEE)
    assert written(plan) == ["InvitationAccepted"]
    assert INVITEE.party_id in plan.funders()


def test_an_invited_party_can_decline(plan: CoFundingPlan) -> None:
    plan.decline_invitation("no budget left", INVITEE)
    assert written(plan) == ["InvitationDeclined"]
    assert plan.status_of(INVITEE.party_id) is ParticipantStatus.DECLINED


@pytest.mark.parametrize("who", [FUNDER, PARTNER, INVITEE, STRANGER])
def test_only_the_owner_invites(plan: CoFundingPlan, who: Actor) -> None:
    assert_refused(plan, NotPermitted, plan.invite, uuid4(), "funder", who, True)


@pytest.mark.parametrize("role", ["owner", "builder", "Funder", ""])
def test_a_party_is_invited_only_as_funder_or_partner(plan: CoFundingPlan, role: str) -> None:
    assert_refused(plan, InvalidCommand, plan.invite, uuid4(), role, OWNER, True)


@pytest.mark.parametrize("who", [OWNER, FUNDER, PARTNER, INVITEE])
def test_a_party_already_on_the_plan_cannot_be_invited_again(
    plan: CoFundingPlan, who: Actor
) -> None:
    assert_refused(plan, InvalidCommand, plan.invite, who.party_id, "partner", OWNER, True)


def test_a_plan_is_shared_only_with_active_partners(plan: CoFundingPlan) -> None:
    assert_refused(plan, Conflict, plan.invite, STRANGER.party_id, "funder", OWNER, False)


@pytest.mark.parametrize("who", [OWNER, FUNDER, STRANGER])
def test_only_a_pending_invitee_accepts_or_declines(plan: CoFundingPlan, who: Actor) -> None:
    assert_refused(plan, InvalidCommand, plan.accept_invitation, who)
    assert_refused(plan, InvalidCommand, plan.decline_invitation, "", who)


@pytest.mark.parametrize("by", [OWNER, FUNDER], ids=["owner", "itself"])
def test_a_funder_that_pays_for_activities_cannot_leave(plan: CoFundingPlan, by: Actor) -> None:
    assert_refused(
        plan, InvalidCommand, plan.withdraw, FUNDER.party_id, "", by, match="pays for activities"
    )
    assert FUNDER.party_id in plan.funders()


def test_a_funder_without_activities_can_leave() -> None:
    made = create()
    made.invite(FUNDER.party_id, "funder", OWNER, partnership_active=True)
    made.accept_invitation(FUNDER)
    made.commit_funds(eur("50"), FUNDER)
    made.withdraw(FUNDER.party_id, "budget moved", FUNDER)
    assert made.status_of(FUNDER.party_id) is ParticipantStatus.WITHDRAWN
    assert made.funders() == [OWNER.party_id]


def test_a_partner_with_a_live_request_cannot_leave_until_it_is_rejected(
    plan: CoFundingPlan,
) -> None:
    request_id = requested(plan)
    assert_refused(
        plan, InvalidCommand, plan.withdraw, PARTNER.party_id, "", PARTNER, match="live fund"
    )
    plan.reject(request_id, "out of scope", OWNER)
    plan.withdraw(PARTNER.party_id, "", PARTNER)
    assert plan.status_of(PARTNER.party_id) is ParticipantStatus.WITHDRAWN


@pytest.mark.parametrize("who", [PARTNER, INVITEE, STRANGER])
def test_nobody_else_withdraws_a_participant(plan: CoFundingPlan, who: Actor) -> None:
    assert_refused(plan, NotPermitted, plan.withdraw, FUNDER.party_id, "", who)


def test_the_owner_cannot_withdraw_from_its_own_plan(plan: CoFundingPlan) -> None:
    assert_refused(plan, InvalidCommand, plan.withdraw, OWNER.party_id, "", OWNER)


# --- commitments ----------------------------------------------------------------------------


def test_a_funder_sets_its_total_commitment_and_can_raise_or_lower_it(
    plan: CoFundingPlan,
) -> None:
    plan.commit_funds(eur("1500.50"), FUNDER)
    assert plan.commitments[FUNDER.party_id] == Decimal("1500.50")
    plan.commit_funds(eur("200"), FUNDER)
    assert written(plan) == ["FundsCommitted", "FundsCommitted"]
    assert plan.commitments[FUNDER.party_id] == Decimal("200")
    assert plan.left_of(FUNDER.party_id) == Decimal("200")


@pytest.mark.parametrize("who", [PARTNER, INVITEE, STRANGER], ids=["partner", "invitee", "other"])
def test_only_accepted_funders_commit_funds(plan: CoFundingPlan, who: Actor) -> None:
    assert_refused(plan, NotPermitted, plan.commit_funds, eur("100"), who)


@pytest.mark.parametrize(
    "amount",
    [eur("0"), eur("0.00"), Money.of("100", "USD"), Decimal("100"), "100", None],
    ids=["zero", "zero-cents", "usd", "decimal", "text", "none"],
)
def test_a_commitment_is_a_positive_amount_in_the_plan_currency(
    plan: CoFundingPlan, amount: Any
) -> None:
    assert_refused(plan, InvalidCommand, plan.commit_funds, amount, FUNDER)


def test_committing_the_same_total_again_is_refused(plan: CoFundingPlan) -> None:
    assert_refused(
        plan, InvalidCommand, plan.commit_funds, eur("1000.00"), FUNDER, match="already committed"
    )


def test_a_funder_cannot_commit_less_than_it_has_approved(plan: CoFundingPlan) -> None:
    request_id = requested(plan)
    plan.approve(request_id, FUNDER)
    assert plan.approved_by(FUNDER.party_id) == Decimal("33.33")
    assert_refused(
        plan, InvalidCommand, plan.commit_funds, eur("33.32"), FUNDER, match="already approved"
    )
    plan.commit_funds(eur("33.33"), FUNDER)
    assert plan.left_of(FUNDER.party_id) == 0


# --- activities -----------------------------------------------------------------------------


def test_a_funder_adds_an_activity_with_its_budget_and_shares(plan: CoFundingPlan) -> None:
    activity_id = uuid4()
    plan.add_activity(
        activity_id,
        "event",
        " Summit booth ",
        eur("2000"),
        {FUNDER.party_id.hex: Decimal("25"), str(OWNER.party_id): Decimal("75")},
        FUNDER,
    )
    assert written(plan) == ["ActivityAdded"]
    activity = plan.activities[activity_id]
    assert activity.kind is ActivityKind.EVENT
    assert activity.name == "Summit booth"
    assert activity.budget == Decimal("2000")
    assert activity.shares == {FUNDER.party_id: Decimal("25"), OWNER.party_id: Decimal("75")}
    assert activity.added_by == FUNDER.party_id


@pytest.mark.parametrize("who", [PARTNER, INVITEE, STRANGER], ids=["partner", "invitee", "other"])
def test_only_accepted_funders_add_activities(plan: CoFundingPlan, who: Actor) -> None:
    assert_refused(
        plan, NotPermitted, plan.add_activity, uuid4(), "campaign", "Ads", eur("10"), SHARES, who
    )


@pytest.mark.parametrize(
    "shares",
    [
        {PARTNER.party_id: Decimal("100")},
        {INVITEE.party_id: Decimal("100")},
        {STRANGER.party_id: Decimal("100")},
        {OWNER.party_id: Decimal("50"), PARTNER.party_id: Decimal("50")},
        {"not-a-party": Decimal("100")},
    ],
    ids=["partner", "invitee", "stranger", "funder-and-partner", "not-an-id"],
)
def test_activity_shares_belong_to_accepted_funders(
    plan: CoFundingPlan, shares: dict[Any, Decimal]
) -> None:
    assert_refused(
        plan,
        InvalidCommand,
        plan.add_activity,
        uuid4(),
        "campaign",
        "Ads",
        eur("10"),
        shares,
        OWNER,
    )


@pytest.mark.parametrize(
    "shares",
    [
        {},
        {OWNER.party_id: Decimal("100"), FUNDER.party_id: Decimal("0")},
        {OWNER.party_id: Decimal("110"), FUNDER.party_id: Decimal("-10")},
        {OWNER.party_id: Decimal("66.67"), FUNDER.party_id: Decimal("33.32")},
        {OWNER.party_id: Decimal("66.67"), FUNDER.party_id: Decimal("33.3301")},
        {OWNER.party_id: Decimal("99.99999"), FUNDER.party_id: Decimal("0.00001")},
        {OWNER.party_id: Decimal("NaN")},
        {OWNER.party_id: 100},
        {OWNER.party_id: 100.0},
        {OWNER.party_id: "100"},
        [(OWNER.party_id, Decimal("100"))],
    ],
    ids=[
        "none",
        "zero",
        "negative",
        "short-of-100",
        "over-100",
        "too-precise",
        "nan",
        "int",
        "float",
        "text",
        "not-a-mapping",
    ],
)
def test_activity_shares_are_positive_decimals_adding_up_to_exactly_100(
    plan: CoFundingPlan, shares: Any
) -> None:
    assert_refused(
        plan,
        InvalidCommand,
        plan.add_activity,
        uuid4(),
        "campaign",
        "Ads",
        eur("10"),
        shares,
        OWNER,
    )


@pytest.mark.parametrize(
    "budget",
    [eur("0"), Money.of("10", "USD"), Decimal("10"), None],
    ids=["zero", "usd", "decimal", "none"],
)
def test_an_activity_budget_is_positive_and_in_the_plan_currency(
    plan: CoFundingPlan, budget: Any
) -> None:
    assert_refused(
        plan, InvalidCommand, plan.add_activity, uuid4(), "campaign", "Ads", budget, SHARES, OWNER
    )


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("webinar", "Ads"),
        ("", "Ads"),
        ("campaign", ""),
        ("campaign", "a" * 201),
        ("event", "A\x00"),
    ],
)
def test_an_activity_has_a_known_kind_and_a_name(plan: CoFundingPlan, kind: str, name: str) -> None:
    assert_refused(
        plan, InvalidCommand, plan.add_activity, uuid4(), kind, name, eur("10"), SHARES, OWNER
    )


# --- splitting a request --------------------------------------------------------------------


def test_a_request_is_split_by_the_shares_with_the_remainder_to_the_largest_share(
    plan: CoFundingPlan,
) -> None:
    request_id = uuid4()
    plan.request_funds(request_id, ACTIVITY, eur("100.01"), " Three webinars ", PARTNER)
    assert written(plan) == ["FundsRequested"]
    request = plan.requests[request_id]
    assert request.portions == {OWNER.party_id: Decimal("66.68"), FUNDER.party_id: Decimal("33.33")}
    assert sum(request.portions.values()) == Decimal("100.01")
    assert (request.requester, request.amount, request.description) == (
        PARTNER.party_id,
        Decimal("100.01"),
        "Three webinars",
    )
    assert request.status is RequestStatus.SUBMITTED
    assert plan.requested_of(ACTIVITY) == Decimal("100.01")


def test_a_yen_request_is_split_into_whole_yen() -> None:
    made = create("JPY")
    made.invite(FUNDER.party_id, "funder", OWNER, partnership_active=True)
    made.accept_invitation(FUNDER)
    made.add_activity(ACTIVITY, "campaign", "Ads", Money.of("1000", "JPY"), SHARES, OWNER)
    request_id = uuid4()
    made.request_funds(request_id, ACTIVITY, Money.of("100", "JPY"), "", FUNDER)
    assert made.requests[request_id].portions == {
        OWNER.party_id: Decimal("67"),
        FUNDER.party_id: Decimal("33"),
    }
    with pytest.raises(InvalidCommand, match="JPY amounts have at most 0 decimal places"):
        Money.of("100.5", "JPY")


LOW = UUID(int=1)
MID = UUID(int=2)
HIGH = UUID(int=3)


@pytest.mark.parametrize(
    ("amount", "shares", "portions"),
    [
        (eur("100.01"), {LOW: "66.67", MID: "33.33"}, {LOW: "66.68", MID: "33.33"}),
        (eur("100.01"), {LOW: "33.33", MID: "66.67"}, {LOW: "33.33", MID: "66.68"}),
        (eur("0.01"), {LOW: "50", MID: "50"}, {LOW: "0.01"}),
        (eur("0.01"), {MID: "50", LOW: "50"}, {LOW: "0.01"}),
        (
            eur("0.02"),
            {LOW: "33.3333", MID: "33.3333", HIGH: "33.3334"},
            {LOW: "0.01", HIGH: "0.01"},
        ),
        (eur("100"), {LOW: "100"}, {LOW: "100"}),
        (Money.of("100", "JPY"), {LOW: "66.67", MID: "33.33"}, {LOW: "67", MID: "33"}),
        (Money.of("1", "JPY"), {LOW: "10", MID: "90"}, {MID: "1"}),
        (Money.of("1.000", "KWD"), {LOW: "33.3333", MID: "66.6667"}, {LOW: "0.333", MID: "0.667"}),
    ],
)
def test_split_rounds_down_and_hands_out_the_remainder_by_share_then_party(
    amount: Money, shares: dict[UUID, str], portions: dict[UUID, str]
) -> None:
    parts = split(amount, {p: Decimal(s) for p, s in shares.items()})
    assert parts == {p: Decimal(v) for p, v in portions.items()}
    assert sum(parts.values()) == amount.amount


@st.composite
def percentages(draw: st.DrawFn) -> dict[UUID, Decimal]:
    """One to five positive shares with up to 4 decimal places, adding up to exactly 100."""
    count = draw(st.integers(min_value=1, max_value=5))
    cuts = draw(
        st.lists(
            st.integers(min_value=1, max_value=999_999),
            min_size=count - 1,
            max_size=count - 1,
            unique=True,
        )
    )
    bounds = [0, *sorted(cuts), 1_000_000]
    return {
        UUID(int=i + 1): Decimal(high - low).scaleb(-4)
        for i, (low, high) in enumerate(pairwise(bounds))
    }


@given(
    units=st.integers(min_value=1, max_value=10**12),
    shares=percentages(),
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_split_portions_always_add_up_and_the_largest_shares_get_the_remainder(
    units: int, shares: dict[UUID, Decimal], currency: str
) -> None:
    unit = Decimal(1).scaleb(-MINOR_UNITS[currency])
    amount = Money(units * unit, currency)
    parts = split(amount, shares)
    assert sum(parts.values()) == amount.amount
    floors = {p: (amount.amount * s / 100).quantize(unit, ROUND_DOWN) for p, s in shares.items()}
    topped = [p for p in parts if parts[p] == floors[p] + unit]
    assert all(parts[p] in (floors[p], floors[p] + unit) for p in parts)
    order = sorted(shares, key=lambda p: (-shares[p], p.hex))
    assert set(topped) == set(order[: len(topped)])


# --- requests -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [OWNER, FUNDER, PARTNER], ids=["owner", "funder", "partner"])
def test_any_accepted_participant_requests_funds(plan: CoFundingPlan, who: Actor) -> None:
    request_id = requested(plan, "10", by=who)
    assert plan.requests[request_id].requester == who.party_id


@pytest.mark.parametrize("who", [INVITEE, STRANGER], ids=["invitee", "other"])
def test_only_accepted_participants_request_funds(plan: CoFundingPlan, who: Actor) -> None:
    assert_refused(plan, NotPermitted, plan.request_funds, uuid4(), ACTIVITY, eur("10"), "", who)


def test_a_request_names_an_activity_of_the_plan(plan: CoFundingPlan) -> None:
    assert_refused(
        plan, InvalidCommand, plan.request_funds, uuid4(), uuid4(), eur("10"), "", PARTNER
    )


@pytest.mark.parametrize(
    "amount", [eur("0"), Money.of("10", "GBP"), Decimal("10")], ids=["zero", "gbp", "decimal"]
)
def test_a_request_is_a_positive_amount_in_the_plan_currency(
    plan: CoFundingPlan, amount: Any
) -> None:
    assert_refused(plan, InvalidCommand, plan.request_funds, uuid4(), ACTIVITY, amount, "", PARTNER)


@pytest.mark.parametrize("description", ["d" * 5001, "bell\x07", 42])
def test_a_request_description_is_bounded_plain_text(plan: CoFundingPlan, description: Any) -> None:
    assert_refused(
        plan, InvalidCommand, plan.request_funds, uuid4(), ACTIVITY, eur("10"), description, PARTNER
    )


def test_requests_never_exceed_what_is_left_of_the_activity_budget(plan: CoFundingPlan) -> None:
    assert_refused(
        plan,
        InvalidCommand,
        plan.request_funds,
        uuid4(),
        ACTIVITY,
        eur("500.01"),
        "",
        PARTNER,
        match="over budget",
    )
    requested(plan, "300")
    assert_refused(
        plan, InvalidCommand, plan.request_funds, uuid4(), ACTIVITY, eur("200.01"), "", FUNDER
    )
    requested(plan, "200", by=FUNDER)
    assert plan.requested_of(ACTIVITY) == Decimal("500")


# --- approvals ------------------------------------------------------------------------------


def test_a_request_is_approved_only_when_every_funder_with_a_portion_has_approved(
    plan: CoFundingPlan,
) -> None:
    request_id = requested(plan)
    plan.approve(request_id, OWNER)
    assert written(plan) == ["RequestApproved"]
    assert plan.requests[request_id].status is RequestStatus.SUBMITTED
    assert plan.approved_by(OWNER.party_id) == Decimal("66.68")
    assert plan.left_of(OWNER.party_id) == Decimal("933.32")
    assert plan.approved_by(FUNDER.party_id) == 0
    plan.approve(request_id, FUNDER)
    assert plan.requests[request_id].status is RequestStatus.APPROVED
    assert set(plan.requests[request_id].approvals) == {OWNER.party_id, FUNDER.party_id}
    assert plan.left_of(FUNDER.party_id) == Decimal("966.67")


@pytest.mark.parametrize("who", [PARTNER, INVITEE, STRANGER], ids=["partner", "invitee", "other"])
def test_a_party_that_funds_nothing_of_the_request_cannot_approve_it(
    plan: CoFundingPlan, who: Actor
) -> None:
    request_id = requested(plan)
    assert_refused(plan, NotPermitted, plan.approve, request_id, who)


def test_a_funder_without_a_share_of_the_activity_cannot_approve(plan: CoFundingPlan) -> None:
    activity_id = uuid4()
    plan.add_activity(
        activity_id, "enablement", "Training", eur("50"), {OWNER.party_id: Decimal("100")}, OWNER
    )
    request_id = uuid4()
    plan.request_funds(request_id, activity_id, eur("10"), "", PARTNER)
    assert_refused(plan, NotPermitted, plan.approve, request_id, FUNDER)
    plan.approve(request_id, OWNER)
    assert plan.requests[request_id].status is RequestStatus.APPROVED


def test_a_funder_approves_a_request_only_once(plan: CoFundingPlan) -> None:
    request_id = requested(plan)
    plan.approve(request_id, OWNER)
    assert_refused(plan, Conflict, plan.approve, request_id, OWNER, match="already approved")
    plan.approve(request_id, FUNDER)
    assert_refused(plan, Conflict, plan.approve, request_id, FUNDER)


def test_approvals_never_exceed_what_a_funder_has_left(plan: CoFundingPlan) -> None:
    plan.commit_funds(eur("40"), FUNDER)
    first = requested(plan, "100.01")
    plan.approve(first, FUNDER)
    assert plan.left_of(FUNDER.party_id) == Decimal("6.67")
    second = requested(plan, "30")
    assert_refused(plan, InvalidCommand, plan.approve, second, FUNDER, match="only 6.67 EUR")
    plan.commit_funds(eur("43.32"), FUNDER)
    plan.approve(second, FUNDER)
    assert plan.left_of(FUNDER.party_id) == 0


def test_a_funder_that_committed_nothing_cannot_approve_its_portion() -> None:
    made = create()
    made.invite(FUNDER.party_id, "funder", OWNER, partnership_active=True)
    made.accept_invitation(FUNDER)
    made.add_activity(ACTIVITY, "campaign", "Ads", eur("100"), SHARES, OWNER)
    request_id = uuid4()
    made.request_funds(request_id, ACTIVITY, eur("10"), "", FUNDER)
    assert_refused(made, InvalidCommand, made.approve, request_id, OWNER)


def test_an_unknown_request_cannot_be_approved(plan: CoFundingPlan) -> None:
    assert_refused(plan, InvalidCommand, plan.approve, uuid4(), OWNER)


# --- rejections and questions ---------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", None, "r" * 5001, "why\x00"])
def test_a_rejection_or_a_question_needs_a_reason(plan: CoFundingPlan, reason: Any) -> None:
    request_id = requested(plan)
    assert_refused(plan, InvalidCommand, plan.reject, request_id, reason, OWNER)
    assert_refused(plan, InvalidCommand, plan.ask_for_information, request_id, reason, OWNER)


@pytest.mark.parametrize("who", [PARTNER, INVITEE, STRANGER], ids=["partner", "invitee", "other"])
def test_only_a_funder_of_the_request_rejects_or_asks_about_it(
    plan: CoFundingPlan, who: Actor
) -> None:
    request_id = requested(plan)
    assert_refused(plan, NotPermitted, plan.reject, request_id, "no", who)
    assert_refused(plan, NotPermitted, plan.ask_for_information, request_id, "why?", who)


def test_a_rejected_request_releases_the_approved_money_and_the_budget(
    plan: CoFundingPlan,
) -> None:
    request_id = requested(plan, "500")
    plan.approve(request_id, OWNER)
    assert plan.left_of(OWNER.party_id) == Decimal("666.65")
    plan.collect_events()
    plan.reject(request_id, "  out of scope ", FUNDER)
    assert written(plan) == ["RequestRejected"]
    request = plan.requests[request_id]
    assert request.status is RequestStatus.REJECTED
    assert [(a.party_id, a.kind, a.text) for a in request.answers] == [
        (FUNDER.party_id, "rejected", "out of scope")
    ]
    assert plan.approved_by(OWNER.party_id) == 0
    assert plan.left_of(OWNER.party_id) == Decimal("1000")
    assert plan.requested_of(ACTIVITY) == 0
    requested(plan, "500")


def test_a_rejected_request_is_final(plan: CoFundingPlan) -> None:
    request_id = requested(plan)
    plan.reject(request_id, "no", OWNER)
    assert_refused(plan, InvalidCommand, plan.approve, request_id, FUNDER)
    assert_refused(plan, InvalidCommand, plan.reject, request_id, "again", FUNDER)
    assert_refused(plan, InvalidCommand, plan.ask_for_information, request_id, "why?", FUNDER)
    assert_refused(plan, InvalidCommand, plan.provide_information, request_id, "pls", None, PARTNER)


def test_an_approved_request_can_no_longer_be_rejected_or_asked_about(plan: CoFundingPlan) -> None:
    request_id = approved(plan)
    assert_refused(plan, InvalidCommand, plan.reject, request_id, "changed my mind", OWNER)
    assert_refused(plan, InvalidCommand, plan.ask_for_information, request_id, "why?", OWNER)


def test_a_request_waiting_for_information_is_not_approved_but_may_be_rejected(
    plan: CoFundingPlan,
) -> None:
    request_id = requested(plan)
    plan.ask_for_information(request_id, "Which webinars?", FUNDER)
    assert written(plan) == ["InformationRequested"]
    assert plan.requests[request_id].status is RequestStatus.MORE_INFO_NEEDED
    assert_refused(plan, InvalidCommand, plan.approve, request_id, OWNER)
    assert_refused(plan, InvalidCommand, plan.ask_for_information, request_id, "and?", OWNER)
    plan.reject(request_id, "no answer", OWNER)
    assert plan.requests[request_id].status is RequestStatus.REJECTED


# --- providing information ------------------------------------------------------------------


def test_providing_information_clears_the_approvals_and_resubmits(plan: CoFundingPlan) -> None:
    request_id = requested(plan)
    plan.approve(request_id, OWNER)
    plan.ask_for_information(request_id, "Which webinars?", FUNDER)
    assert plan.approved_by(OWNER.party_id) == Decimal("66.68")
    plan.collect_events()
    plan.provide_information(request_id, " Data, AI, Security ", None, PARTNER)
    assert written(plan) == ["InformationProvided"]
    request = plan.requests[request_id]
    assert request.status is RequestStatus.SUBMITTED
    assert request.approvals == {}
    assert request.amount == Decimal("100.01")
    assert [(a.kind, a.text) for a in request.answers] == [
        ("more_info_needed", "Which webinars?"),
        ("information_provided", "Data, AI, Security"),
    ]
    assert plan.approved_by(OWNER.party_id) == 0
    plan.approve(request_id, OWNER)
    plan.approve(request_id, FUNDER)
    assert plan.requests[request_id].status is RequestStatus.APPROVED


def test_providing_information_can_change_the_amount_within_the_budget(
    plan: CoFundingPlan,
) -> None:
    request_id = requested(plan, "400")
    requested(plan, "50")
    plan.ask_for_information(request_id, "Too much?", OWNER)
    assert_refused(
        plan,
        InvalidCommand,
        plan.provide_information,
        request_id,
        "More",
        eur("450.01"),
        PARTNER,
        match="over budget",
    )
    plan.provide_information(request_id, "More", eur("450"), PARTNER)
    request = plan.requests[request_id]
    assert request.amount == Decimal("450")
    assert request.portions == {
        OWNER.party_id: Decimal("300.02"),
        FUNDER.party_id: Decimal("149.98"),
    }
    assert plan.requested_of(ACTIVITY) == Decimal("500")


@pytest.mark.parametrize(
    "amount", [eur("0"), Money.of("10", "USD"), Decimal("10")], ids=["zero", "usd", "decimal"]
)
def test_a_changed_amount_is_positive_and_in_the_plan_currency(
    plan: CoFundingPlan, amount: Any
) -> None:
    request_id = requested(plan)
    plan.ask_for_information(request_id, "Too much?", OWNER)
    assert_refused(
        plan, InvalidCommand, plan.provide_information, request_id, "Less", amount, PARTNER
    )


@pytest.mark.parametrize("who", [OWNER, FUNDER, STRANGER], ids=["owner", "funder", "other"])
def test_only_the_requester_provides_information(plan: CoFundingPlan, who: Actor) -> None:
    request_id = requested(plan)
    plan.ask_for_information(request_id, "Which webinars?", OWNER)
    assert_refused(plan, NotPermitted, plan.provide_information, request_id, "these", None, who)


def test_information_is_provided_only_when_a_funder_asked(plan: CoFundingPlan) -> None:
    request_id = requested(plan)
    assert_refused(
        plan, InvalidCommand, plan.provide_information, request_id, "unasked", None, PARTNER
    )


@pytest.mark.parametrize("reply", ["", "  ", None])
def test_information_needs_a_reply(plan: CoFundingPlan, reply: Any) -> None:
    request_id = requested(plan)
    plan.ask_for_information(request_id, "Which webinars?", OWNER)
    assert_refused(plan, InvalidCommand, plan.provide_information, request_id, reply, None, PARTNER)


# --- claims ---------------------------------------------------------------------------------


def test_the_requester_claims_approved_funds_over_several_claims(plan: CoFundingPlan) -> None:
    request_id = approved(plan)
    first, second = uuid4(), uuid4()
    plan.claim(request_id, first, eur("60"), [PROOF], PARTNER)
    plan.claim(request_id, second, eur("40.01"), [{"name": "b.pdf", "sha256": "AB" * 32}], PARTNER)
    assert written(plan) == ["FundsClaimed", "FundsClaimed"]
    assert plan.claimed_of(request_id) == Decimal("100.01")
    assert plan.claims[second].proofs == [{"name": "b.pdf", "sha256": "ab" * 32}]
    assert plan.claims[first].claimant == PARTNER.party_id
    assert_refused(
        plan,
        InvalidCommand,
        plan.claim,
        request_id,
        uuid4(),
        eur("0.01"),
        [PROOF],
        PARTNER,
        match="never exceed the approved amount",
    )


def test_a_claim_never_exceeds_what_is_left_of_the_approved_amount(plan: CoFundingPlan) -> None:
    request_id = approved(plan)
    assert_refused(
        plan, InvalidCommand, plan.claim, request_id, uuid4(), eur("100.02"), [PROOF], PARTNER
    )
    plan.claim(request_id, uuid4(), eur("60"), [PROOF], PARTNER)
    assert_refused(
        plan,
        InvalidCommand,
        plan.claim,
        request_id,
        uuid4(),
        eur("40.02"),
        [PROOF],
        PARTNER,
        match="40.01 EUR of 100.01 EUR is left",
    )


@pytest.mark.parametrize("who", [OWNER, FUNDER, STRANGER], ids=["owner", "funder", "other"])
def test_only_the_requester_claims(plan: CoFundingPlan, who: Actor) -> None:
    request_id = approved(plan)
    assert_refused(plan, NotPermitted, plan.claim, request_id, uuid4(), eur("10"), [PROOF], who)


@pytest.mark.parametrize("answer", ["none", "one-approval", "more-info", "rejected"])
def test_only_approved_funds_are_claimed(plan: CoFundingPlan, answer: str) -> None:
    request_id = requested(plan)
    if answer == "one-approval":
        plan.approve(request_id, OWNER)
    if answer == "more-info":
        plan.ask_for_information(request_id, "why?", OWNER)
    if answer == "rejected":
        plan.reject(request_id, "no", OWNER)
    assert_refused(
        plan, InvalidCommand, plan.claim, request_id, uuid4(), eur("10"), [PROOF], PARTNER
    )


def test_an_unknown_request_cannot_be_claimed(plan: CoFundingPlan) -> None:
    assert_refused(plan, InvalidCommand, plan.claim, uuid4(), uuid4(), eur("10"), [PROOF], PARTNER)


@pytest.mark.parametrize(
    "amount", [eur("0"), Money.of("10", "USD"), Decimal("10")], ids=["zero", "usd", "decimal"]
)
def test_a_claim_is_a_positive_amount_in_the_plan_currency(
    plan: CoFundingPlan, amount: Any
) -> None:
    request_id = approved(plan)
    assert_refused(plan, InvalidCommand, plan.claim, request_id, uuid4(), amount, [PROOF], PARTNER)


@pytest.mark.parametrize(
    "proofs",
    [
        [],
        None,
        PROOF,
        ["invoice.pdf"],
        [{"sha256": "ab" * 32}],
        [{"name": "  ", "sha256": "ab" * 32}],
        [{"name": "n" * 201, "sha256": "ab" * 32}],
        [{"name": "in\x00voice.pdf", "sha256": "ab" * 32}],
        [{"name": "invoice.pdf"}],
        [{"name": "invoice.pdf", "sha256": "ab" * 31}],
        [{"name": "invoice.pdf", "sha256": "ab" * 32 + "a"}],
        [{"name": "invoice.pdf", "sha256": "zz" * 32}],
        [{"name": "invoice.pdf", "sha256": " " + "ab" * 32}],
        [PROOF] * 21,
    ],
    ids=[
        "empty",
        "none",
        "not-a-list",
        "not-a-mapping",
        "no-name",
        "blank-name",
        "long-name",
        "control-in-name",
        "no-hash",
        "63-hex",
        "65-hex",
        "not-hex",
        "padded-hash",
        "21-proofs",
    ],
)
def test_a_claim_needs_proofs_with_a_name_and_a_sha256(plan: CoFundingPlan, proofs: Any) -> None:
    request_id = approved(plan)
    assert_refused(
        plan, InvalidCommand, plan.claim, request_id, uuid4(), eur("10"), proofs, PARTNER
    )


def test_a_claim_keeps_up_to_twenty_proofs(plan: CoFundingPlan) -> None:
    request_id, claim_id = approved(plan), uuid4()
    plan.claim(request_id, claim_id, eur("10"), [PROOF] * 20, PARTNER)
    assert len(plan.claims[claim_id].proofs) == 20


# --- payouts --------------------------------------------------------------------------------


def test_funders_of_the_request_pay_a_claim_over_several_payouts(plan: CoFundingPlan) -> None:
    claim_id = claimed(plan, "60")
    first, second = uuid4(), uuid4()
    plan.pay(claim_id, first, eur("40"), " SEPA-1 ", OWNER)
    plan.pay(claim_id, second, eur("20"), "SEPA-2", FUNDER)
    assert written(plan) == ["PayoutRecorded", "PayoutRecorded"]
    assert plan.paid_of(claim_id) == Decimal("60")
    assert (plan.payouts[first].payer, plan.payouts[first].reference) == (OWNER.party_id, "SEPA-1")
    assert_refused(
        plan,
        InvalidCommand,
        plan.pay,
        claim_id,
        uuid4(),
        eur("0.01"),
        "",
        OWNER,
        match="never exceed the claim",
    )


def test_a_payout_never_exceeds_what_is_left_of_the_claim(plan: CoFundingPlan) -> None:
    claim_id = claimed(plan, "60")
    assert_refused(plan, InvalidCommand, plan.pay, claim_id, uuid4(), eur("60.01"), "", OWNER)
    plan.pay(claim_id, uuid4(), eur("59.99"), "", OWNER)
    assert_refused(
        plan,
        InvalidCommand,
        plan.pay,
        claim_id,
        uuid4(),
        eur("0.02"),
        "",
        FUNDER,
        match="0.01 EUR of 60.00 EUR is left",
    )


@pytest.mark.parametrize("who", [PARTNER, INVITEE, STRANGER], ids=["requester", "invitee", "other"])
def test_only_a_funder_of_the_request_pays(plan: CoFundingPlan, who: Actor) -> None:
    claim_id = claimed(plan)
    assert_refused(plan, NotPermitted, plan.pay, claim_id, uuid4(), eur("10"), "", who)


def test_a_funder_without_a_portion_of_the_request_cannot_pay(plan: CoFundingPlan) -> None:
    activity_id = uuid4()
    plan.add_activity(
        activity_id, "campaign", "Ads", eur("50"), {OWNER.party_id: Decimal("100")}, OWNER
    )
    request_id, claim_id = uuid4(), uuid4()
    plan.request_funds(request_id, activity_id, eur("10"), "", PARTNER)
    plan.approve(request_id, OWNER)
    plan.claim(request_id, claim_id, eur("10"), [PROOF], PARTNER)
    assert_refused(plan, NotPermitted, plan.pay, claim_id, uuid4(), eur("10"), "", FUNDER)


def test_an_unknown_claim_cannot_be_paid(plan: CoFundingPlan) -> None:
    assert_refused(plan, InvalidCommand, plan.pay, uuid4(), uuid4(), eur("10"), "", OWNER)


@pytest.mark.parametrize(
    ("amount", "reference"),
    [
        (eur("0"), ""),
        (Money.of("10", "USD"), ""),
        (Decimal("10"), ""),
        (eur("10"), "r" * 201),
        (eur("10"), "SEPA\x00"),
    ],
    ids=["zero", "usd", "decimal", "long-reference", "control-in-reference"],
)
def test_a_payout_is_a_positive_amount_with_a_plain_reference(
    plan: CoFundingPlan, amount: Any, reference: Any
) -> None:
    claim_id = claimed(plan)
    assert_refused(plan, InvalidCommand, plan.pay, claim_id, uuid4(), amount, reference, OWNER)


# --- links and counterparts -----------------------------------------------------------------


def test_a_funder_keeps_its_own_budget_notes(plan: CoFundingPlan) -> None:
    plan.update_counterpart({"budget_notes": "from Q3 pool"}, FUNDER)
    plan.update_counterpart({"crm_reference": "SF-7"}, PARTNER)
    assert plan.counterparts == {
        FUNDER.party_id: {"budget_notes": "from Q3 pool"},
        PARTNER.party_id: {"crm_reference": "SF-7"},
    }
    assert_refused(plan, InvalidCommand, plan.update_counterpart, {"name": "Mine"}, FUNDER)
    assert_refused(plan, NotPermitted, plan.update_counterpart, {"budget_notes": "x"}, INVITEE)


def test_participants_link_opportunities_and_only_the_linker_or_owner_unlinks(
    plan: CoFundingPlan,
) -> None:
    opportunity_id = uuid4()
    plan.link_opportunity(opportunity_id, PARTNER)
    assert_refused(plan, InvalidCommand, plan.link_opportunity, opportunity_id, FUNDER)
    assert_refused(plan, NotPermitted, plan.link_opportunity, uuid4(), INVITEE)
    assert_refused(plan, NotPermitted, plan.unlink_opportunity, opportunity_id, FUNDER)
    plan.unlink_opportunity(opportunity_id, OWNER)
    assert plan.links == {}
