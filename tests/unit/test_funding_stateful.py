"""Whatever its funders, partner and an outsider try, a co-funding plan's books stay sound."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ecosystem.actors import Actor
from ecosystem.errors import CosellError, InvalidCommand
from ecosystem.funding.domainmodel import CoFundingPlan
from ecosystem.funding.records import RequestStatus
from ecosystem.money import Money
from ecosystem.network import Network
from tests.unit.funding_books import (
    ACTIVITY,
    ACTORS,
    CAMPAIGN,
    HASH,
    MONEY,
    PARTIES,
    POSITIVE,
    PROOFS,
    REASON,
    ROLES,
    TEXT,
    UNKNOWN,
    VALID_SHARES,
    WHO,
    ZERO,
    A,
    B,
    C,
    D,
    Drawn,
    Part,
    by,
    check_books,
    money,
    mostly,
    state_of,
    stored,
)


class FundingPlanMachine(RuleBasedStateMachine):
    """One plan in EUR, owned by funder A, with funder B and partner C; D stays outside."""

    def __init__(self, network: Network) -> None:
        super().__init__()
        self.network = network
        self.plan = CoFundingPlan.create(A.party_id, "EUR", {"name": "MDF 2025"}, A)
        for party, role in ROLES.items():
            self.plan.invite(party.party_id, role, A, partnership_active=True)
            self.plan.accept_invitation(party)
        network.save(self.plan)
        self.in_store = stored(network, self.plan.id)
        self.ids = 0
        self.activity_ids: list[UUID] = []
        self.request_ids: list[UUID] = []
        self.claim_ids: list[UUID] = []
        self.payout_ids: list[UUID] = []

    def new_id(self) -> UUID:
        """Ids counted up from 0x1000: readable in a falsifying example, and the same each run."""
        self.ids += 1
        return UUID(int=0x1000 + self.ids)

    def attempt(self, command: Callable[[], object]) -> bool:
        """Run one command: saved if accepted; if refused, nothing pending, stored or changed."""
        plan, (count, version) = self.plan, self.in_store
        before = state_of(plan)
        try:
            command()
        except CosellError:
            assert plan.collect_events() == []
            assert plan.version == version
            assert state_of(plan) == before
            assert stored(self.network, plan.id) == self.in_store
            return False
        assert plan.version > version
        self.network.save(plan)
        self.in_store = stored(self.network, plan.id)
        assert self.in_store == (count + plan.version - version, plan.version)
        return True

    def an_id(self, data: st.DataObject, used: list[UUID]) -> UUID:
        """A new id, or (1 in 10) one the plan already uses for the same kind of thing."""
        if not used or data.draw(st.integers(0, 9), label="reuse an id") < 9:
            return self.new_id()
        return data.draw(st.sampled_from(used), label="reused id")

    def record(self, ids: list[UUID], new: UUID, accepted: bool) -> None:
        """An accepted command adds its id; one that reuses an id is always refused."""
        if new in ids:
            assert not accepted, f"{new} was accepted a second time"
        elif accepted:
            ids.append(new)

    def pick(
        self, data: st.DataObject, ids: list[UUID], label: str,
        ready: Callable[[UUID], bool] = lambda _: True,
    ) -> UUID:  # fmt: skip
        """Mostly (7 in 10) one ready for the command, else any one or (1 in 10) an unknown id."""
        preferred = [i for i in ids if ready(i)] or ids
        draw = st.tuples(
            st.integers(0, 9), st.sampled_from(preferred[::-1]), st.sampled_from(ids[::-1])
        )
        return data.draw(
            draw.map(lambda d: UNKNOWN if d[0] == 9 else d[2] if d[0] >= 7 else d[1]), label=label
        )

    def in_status(self, *statuses: RequestStatus) -> Callable[[UUID], bool]:
        return lambda request_id: self.plan.requests[request_id].status in statuses

    def requester_of(self, request_id: UUID) -> Actor:
        request = self.plan.requests.get(request_id)
        return next((p for p in PARTIES if request and p.party_id == request.requester), C)

    def funders_of(self, request_id: UUID) -> list[Actor]:
        """The funders whose money the request draws on, those yet to approve first."""
        request = self.plan.requests.get(request_id)
        if request is None:
            return [A]
        funders = [p for p in PARTIES if p.party_id in request.portions]
        return sorted(funders, key=lambda p: p.party_id in request.approvals)

    # --- commitments and activities ---------------------------------------------------------

    @initialize(
        budget=POSITIVE,
        shares=VALID_SHARES,
        committed=st.tuples(*[st.builds(Part, st.decimals("0.5", 2, places=2))] * 2),
        requested=st.builds(Part, st.decimals(0, 1, places=2)),
        approved=mostly(st.just(True), st.just(False), one_in=3),
        claimed=st.builds(Part, st.decimals(0, 1, places=2)),
    )
    def start_funded(
        self, budget: Decimal, shares: dict[UUID, Decimal], committed: tuple[Part, ...],
        requested: Part, approved: bool, claimed: Part,
    ) -> None:  # fmt: skip
        """Examples start from a plan in use, so that they get to claims and payouts: an
        activity, the funders' commitments about as large as its budget, and C's request for a
        part of it, mostly approved by its funders and partly claimed."""
        for funder, part in zip((A, B), committed, strict=True):
            euros = money((part, "EUR"), budget)
            if euros.amount > 0:
                assert self.attempt(lambda: self.plan.commit_funds(euros, funder))  # noqa: B023
        activity_id = self.new_id()
        assert self.attempt(
            lambda: self.plan.add_activity(
                activity_id, "campaign", "Launch", Money(budget, "EUR"), shares, A
            )
        )
        self.activity_ids.append(activity_id)
        euros, request_id = money((requested, "EUR"), budget), self.new_id()
        if euros.amount == 0:
            return
        assert self.attempt(
            lambda: self.plan.request_funds(request_id, activity_id, euros, "booth", C)
        )
        self.request_ids.append(request_id)
        for funder in self.funders_of(request_id) if approved else []:
            self.attempt(lambda: self.plan.approve(request_id, funder))  # noqa: B023
        euros, claim_id = money((claimed, "EUR"), euros.amount), self.new_id()
        if self.plan.requests[request_id].status is RequestStatus.APPROVED and euros.amount > 0:
            proofs = [{"name": "invoice.pdf", "sha256": HASH}]
            assert self.attempt(lambda: self.plan.claim(request_id, claim_id, euros, proofs, C))
            self.claim_ids.append(claim_id)

    @rule(data=st.data(), who=by("A", "B"), amount=MONEY, activity=st.none() | ACTIVITY)
    def commit_or_add_activity(
        self, data: st.DataObject, who: str, amount: Drawn,
        activity: tuple[str, str, dict[UUID, Decimal]] | None,
    ) -> None:  # fmt: skip
        """A funder sets its commitment (near what it approved, or a part of twice the budgets),
        or adds an activity with that amount as its budget."""
        actor = ACTORS[who]
        budgets = sum((a.budget for a in self.plan.activities.values()), ZERO)
        if activity is None:
            approved = self.plan.approved_by(actor.party_id)
            self.attempt(
                lambda: self.plan.commit_funds(money(amount, approved, 2 * budgets), actor)
            )
            return
        kind, name, shares = activity
        activity_id = self.an_id(data, self.activity_ids)
        committed = sum(self.plan.commitments.values(), ZERO)
        budget = (amount, committed - budgets, committed)
        accepted = self.attempt(
            lambda: self.plan.add_activity(activity_id, kind, name, money(*budget), shares, actor)
        )
        self.record(self.activity_ids, activity_id, accepted)

    # --- fund requests ----------------------------------------------------------------------

    @precondition(lambda self: self.activity_ids)
    @rule(data=st.data(), who=by("C", "C", "A", "B"), amount=MONEY, description=TEXT)
    def request(self, data: st.DataObject, who: str, amount: Drawn, description: str) -> None:
        actor = ACTORS[who]
        activity_id = self.pick(
            data, self.activity_ids, "activity",
            lambda a: self.plan.requested_of(a) < self.plan.activities[a].budget,
        )  # fmt: skip
        request_id = self.an_id(data, self.request_ids)
        activity = self.plan.activities.get(activity_id)
        left = activity.budget - self.plan.requested_of(activity_id) if activity else ZERO
        accepted = self.attempt(
            lambda: self.plan.request_funds(
                request_id, activity_id, money(amount, left), description, actor
            )
        )
        self.record(self.request_ids, request_id, accepted)

    @precondition(lambda self: self.request_ids)
    @rule(data=st.data(), who=WHO)
    def approve(self, data: st.DataObject, who: str | None) -> None:
        """The funders who have not approved yet approve in turn, or someone tries."""
        request_id = self.pick(
            data, self.request_ids, "request", self.in_status(RequestStatus.SUBMITTED)
        )
        request = self.plan.requests.get(request_id)
        approvals = request.approvals if request and who is None else {}
        for actor in [ACTORS[who]] if who else self.funders_of(request_id):
            if actor.party_id in approvals:
                break
            self.attempt(lambda: self.plan.approve(request_id, actor))  # noqa: B023

    @precondition(lambda self: self.request_ids)
    @rule(data=st.data(), who=WHO, rejected=st.booleans(), reason=REASON)
    def reject_or_ask(
        self, data: st.DataObject, who: str | None, rejected: bool, reason: str | None
    ) -> None:
        request_id = self.pick(
            data,
            self.request_ids,
            "request",
            self.in_status(RequestStatus.SUBMITTED, RequestStatus.MORE_INFO_NEEDED),
        )
        actor = ACTORS[who] if who else self.funders_of(request_id)[0]
        if rejected:
            self.attempt(lambda: self.plan.reject(request_id, reason, actor))
        else:
            self.attempt(lambda: self.plan.ask_for_information(request_id, reason, actor))

    @precondition(lambda self: self.request_ids)
    @rule(data=st.data(), who=WHO, reply=REASON, amount=st.none() | MONEY)
    def provide_information(
        self, data: st.DataObject, who: str | None, reply: str | None, amount: Drawn | None
    ) -> None:
        request_id = self.pick(
            data, self.request_ids, "request", self.in_status(RequestStatus.MORE_INFO_NEEDED)
        )
        actor = ACTORS[who] if who else self.requester_of(request_id)
        request = self.plan.requests.get(request_id)
        left = ZERO
        if request is not None:
            budget = self.plan.activities[request.activity_id].budget
            left = budget - self.plan.requested_of(request.activity_id, but=request_id)
        self.attempt(
            lambda: self.plan.provide_information(
                request_id, reply, None if amount is None else money(amount, left), actor
            )
        )

    # --- claims and payouts -----------------------------------------------------------------

    @precondition(lambda self: self.request_ids)
    @rule(data=st.data(), who=WHO, amount=MONEY, proofs=PROOFS)
    def claim(
        self, data: st.DataObject, who: str | None, amount: Drawn, proofs: list[dict[str, str]]
    ) -> None:
        request_id = self.pick(
            data, self.request_ids, "request", self.in_status(RequestStatus.APPROVED)
        )
        claim_id = self.an_id(data, self.claim_ids)
        actor = ACTORS[who] if who else self.requester_of(request_id)
        request = self.plan.requests.get(request_id)
        left = request.amount - self.plan.claimed_of(request_id) if request else ZERO
        accepted = self.attempt(
            lambda: self.plan.claim(request_id, claim_id, money(amount, left), proofs, actor)
        )
        self.record(self.claim_ids, claim_id, accepted)

    @precondition(lambda self: self.claim_ids)
    @rule(data=st.data(), who=WHO, amount=MONEY, reference=TEXT)
    def pay(self, data: st.DataObject, who: str | None, amount: Drawn, reference: str) -> None:
        claim_id = self.pick(
            data, self.claim_ids, "claim",
            lambda c: self.plan.paid_of(c) < self.plan.claims[c].amount,
        )  # fmt: skip
        claim = self.plan.claims.get(claim_id)
        actor = ACTORS[who] if who else self.funders_of(claim.request_id if claim else UNKNOWN)[0]
        left = claim.amount - self.plan.paid_of(claim_id) if claim else ZERO
        payout_id = self.an_id(data, self.payout_ids)
        accepted = self.attempt(
            lambda: self.plan.pay(claim_id, payout_id, money(amount, left), reference, actor)
        )
        self.record(self.payout_ids, payout_id, accepted)

    # --- participants and strangers ---------------------------------------------------------

    @rule(
        who=WHO, whom=st.sampled_from("BCD"), reason=REASON,
        accepts=mostly(st.just(True), st.just(False), one_in=3),
    )  # fmt: skip
    def withdraw_or_come_back(
        self, who: str | None, whom: str, reason: str | None, accepts: bool
    ) -> None:
        """A party leaves (refused while it pays for activities or has live requests), or the
        owner invites it back and it accepts or declines; D is never invited."""
        party = ACTORS[whom]
        if self.plan.is_partner(party.party_id) or party is D:
            actor = ACTORS[who] if who else party
            self.attempt(lambda: self.plan.withdraw(party.party_id, reason or "", actor))
        elif self.attempt(
            lambda: self.plan.invite(party.party_id, ROLES[party], ACTORS[who or "A"], True)
        ):
            if accepts:
                assert self.attempt(lambda: self.plan.accept_invitation(party))
            else:
                assert self.attempt(lambda: self.plan.decline_invitation(reason or "", party))

    # --- what holds after every step --------------------------------------------------------

    @invariant()
    def the_books_are_sound(self) -> None:
        check_books(self.plan)

    @invariant()
    def the_stored_history_rebuilds_the_live_plan(self) -> None:
        replayed: CoFundingPlan = self.network.repository.get(self.plan.id)
        assert replayed is not self.plan
        assert isinstance(replayed, CoFundingPlan)
        assert state_of(replayed) == state_of(self.plan)
        check_books(replayed)


def machine_settings() -> settings:
    """Quick by default; a profile asking for more examples than the default one (long) wins."""
    loaded = settings()
    if loaded.max_examples > settings.get_profile("default").max_examples:
        return settings(loaded, deadline=None)
    return settings(
        loaded,
        max_examples=50,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def test_a_plan_keeps_its_books_whatever_its_parties_try(network: Network) -> None:
    run_state_machine_as_test(lambda: FundingPlanMachine(network), settings=machine_settings())


# --- examples: the checks above fire ---------------------------------------------------------


@pytest.fixture
def machine(network: Network) -> FundingPlanMachine:
    """A plan where A committed 100 EUR and added a 1000 EUR campaign it pays alone."""
    machine = FundingPlanMachine(network)
    plan = machine.plan
    assert machine.attempt(lambda: plan.commit_funds(Money.of("100.00", "EUR"), A))
    assert machine.attempt(
        lambda: plan.add_activity(
            CAMPAIGN,
            "campaign",
            "Spring",
            Money.of("1000.00", "EUR"),
            {A.party_id: Decimal(100)},
            A,
        )
    )
    return machine


def request(machine: FundingPlanMachine, amount: str) -> UUID:
    request_id = uuid4()
    assert machine.attempt(
        lambda: machine.plan.request_funds(
            request_id, CAMPAIGN, Money.of(amount, "EUR"), "booth", C
        )
    )
    return request_id


def refused_and_nothing_written(machine: FundingPlanMachine, command: Callable[[], object]) -> None:
    plan, network = machine.plan, machine.network
    before, was_stored = state_of(plan), stored(network, plan.id)
    with pytest.raises(InvalidCommand):
        command()
    assert plan.collect_events() == []
    assert state_of(plan) == before
    assert stored(network, plan.id) == was_stored
    assert state_of(network.repository.get(plan.id)) == before


def test_an_approval_over_what_the_funder_has_left_is_refused_and_writes_nothing(
    machine: FundingPlanMachine,
) -> None:
    first, second = request(machine, "60.00"), request(machine, "40.01")
    assert machine.attempt(lambda: machine.plan.approve(first, A))

    refused_and_nothing_written(machine, lambda: machine.plan.approve(second, A))
    for amount in (Money.of("500.00", "USD"), Money.of("59.99", "EUR")):
        refused_and_nothing_written(machine, lambda: machine.plan.commit_funds(amount, A))  # noqa: B023
    assert machine.plan.left_of(A.party_id) == Decimal("40.00")


def test_claims_and_payouts_over_what_is_left_are_refused_and_write_nothing(
    machine: FundingPlanMachine,
) -> None:
    plan, request_id, claim_id = machine.plan, request(machine, "50.00"), uuid4()
    proofs = [{"name": "invoice.pdf", "sha256": HASH}]
    assert machine.attempt(lambda: plan.approve(request_id, A))
    assert machine.attempt(
        lambda: plan.claim(request_id, claim_id, Money.of("30.00", "EUR"), proofs, C)
    )
    assert machine.attempt(lambda: plan.pay(claim_id, uuid4(), Money.of("29.99", "EUR"), "", A))

    refused_and_nothing_written(
        machine, lambda: plan.claim(request_id, uuid4(), Money.of("20.01", "EUR"), proofs, C)
    )
    refused_and_nothing_written(
        machine, lambda: plan.pay(claim_id, uuid4(), Money.of("0.02", "EUR"), "", A)
    )
    check_books(plan)


def test_the_checks_catch_books_broken_behind_the_commands_back(
    machine: FundingPlanMachine,
) -> None:
    plan, first, second = machine.plan, request(machine, "60.00"), request(machine, "40.01")
    assert machine.attempt(lambda: plan.approve(first, A))
    plan._request_approved(request_id=second, actor=A)  # the event, without the command's check
    with pytest.raises(AssertionError):
        check_books(plan)

    machine.plan = machine.network.repository.get(plan.id)
    machine.the_stored_history_rebuilds_the_live_plan()
    machine.plan.commitments[A.party_id] = Decimal("100.0")  # equal, but not the stored digits
    with pytest.raises(AssertionError):
        machine.the_stored_history_rebuilds_the_live_plan()
