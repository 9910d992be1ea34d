"""The CoFundingPlan aggregate: funders commit money, partners request it, claim and get paid.

Invariants, each a refused command that records nothing: approvals never exceed what each
funder committed and has left; a request never exceeds what is left of its activity's
budget; claims never exceed the approved amount; payouts never exceed the claim; no amount
is zero or negative; every amount is in the plan's one currency.
"""

from __future__ import annotations

import copy
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import event

from ecosystem.actors import Actor
from ecosystem.errors import Conflict, InvalidCommand
from ecosystem.funding.fields import (
    COUNTERPART_FIELDS,
    PLAN_DEFAULTS,
    PLAN_FIELDS,
    check_period,
)
from ecosystem.funding.ledger import PlanLedger, unknown_claim
from ecosystem.funding.money_rules import checked_proofs, checked_shares, positive, split
from ecosystem.funding.records import (
    Activity,
    ActivityKind,
    Answer,
    Claim,
    FundRequest,
    Payout,
    PlanRole,
    RequestStatus,
)
from ecosystem.money import Money, check_currency
from ecosystem.opportunities.domainmodel import ParticipantStatus
from ecosystem.opportunities.fields import MAX_LONG_TEXT, MAX_TEXT, checked, text
from ecosystem.shared_objects import SharedObject, parsed

ZERO = Decimal(0)


class CoFundingPlan(PlanLedger, SharedObject):
    """Market development funds or co-investment, drawn from several funders' budgets."""

    kind = "funding plan"
    role_kind = PlanRole
    counterpart_fields = COUNTERPART_FIELDS

    @event("Created")
    def __init__(self, owner_id: UUID, currency: str, fields: dict[str, Any], actor: Actor) -> None:
        self._start(owner_id, PlanRole.FUNDER, self.created_on)
        self.currency = currency
        self.fields: dict[str, Any] = {**copy.deepcopy(PLAN_DEFAULTS), **fields}
        self.commitments: dict[UUID, Decimal] = {}
        self.activities: dict[UUID, Activity] = {}
        self.requests: dict[UUID, FundRequest] = {}
        self.claims: dict[UUID, Claim] = {}
        self.payouts: dict[UUID, Payout] = {}

    @classmethod
    def create(
        cls, owner_id: UUID, currency: str, fields: dict[str, Any], actor: Actor
    ) -> CoFundingPlan:
        if "name" not in fields:
            raise InvalidCommand("missing fields: name")
        check_currency(currency)
        fields = checked(PLAN_FIELDS, fields)
        check_period({**PLAN_DEFAULTS, **fields})
        return cls(owner_id, currency, fields, actor)

    # --- core details and participants ------------------------------------------------------

    def update_details(self, changes: dict[str, Any], actor: Actor) -> None:
        self.check_owner(actor, "change the plan's details")
        changes = checked(PLAN_FIELDS, changes)
        check_period({**self.fields, **changes})
        changed = {path: v for path, v in changes.items() if self.fields.get(path) != v}
        if changed:
            self._details_updated(changes=changed, actor=actor)

    @event("DetailsUpdated")
    def _details_updated(self, changes: dict[str, Any], actor: Actor) -> None:
        self.fields.update(changes)

    @event("PartnerInvited")
    def _partner_invited(
        self, party_id: UUID, role: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self._record_invited(party_id, PlanRole(role), timestamp)

    @event("InvitationAccepted")
    def _invitation_accepted(self, actor: Actor, timestamp: datetime | None = None) -> None:
        self._record_status(actor.party_id, ParticipantStatus.ACCEPTED, timestamp)

    @event("InvitationDeclined")
    def _invitation_declined(
        self, reason: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self._record_status(actor.party_id, ParticipantStatus.DECLINED, timestamp)

    def check_may_leave(self, party_id: UUID) -> None:
        if any(party_id in a.shares for a in self.activities.values()):
            raise InvalidCommand("that funder pays for activities of this plan; it cannot leave")
        if any(r.requester == party_id and r.is_live for r in self.requests.values()):
            raise InvalidCommand("that partner has live fund requests; it cannot leave")

    @event("PartnerWithdrawn")
    def _partner_withdrawn(
        self, party_id: UUID, reason: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self._record_status(party_id, ParticipantStatus.WITHDRAWN, timestamp)

    # --- commitments and activities ---------------------------------------------------------

    def commit_funds(self, amount: Any, actor: Actor) -> None:
        """A funder sets the total it commits to the plan (never below what it approved)."""
        self._check_funder(actor, "commit funds")
        total = positive(amount, self.currency, "a commitment").amount
        approved = self.approved_by(actor.party_id)
        if total < approved:
            raise InvalidCommand(
                f"your party has already approved {approved} {self.currency}; "
                "it cannot commit less than that"
            )
        if total == self.commitments.get(actor.party_id):
            raise InvalidCommand(f"your party has already committed {total} {self.currency}")
        self._funds_committed(amount=total, actor=actor)

    @event("FundsCommitted")
    def _funds_committed(self, amount: Decimal, actor: Actor) -> None:
        self.commitments[actor.party_id] = Decimal(amount)

    def add_activity(
        self, activity_id: UUID, kind: Any, name: Any, budget: Any, shares: Any, actor: Actor,
        nameable: Collection[UUID] | None = None,
    ) -> None:  # fmt: skip
        """A funder adds a campaign, event or enablement, its budget and who pays what share.
        `nameable`: the parties the funder may name (those it may see to be funders)."""
        self._check_funder(actor, "add activities")
        if activity_id in self.activities:
            raise InvalidCommand(f"the plan already has an activity {activity_id}")
        kind = parsed(ActivityKind, kind)
        name = text(MAX_TEXT, required=True)("name", name)
        total = positive(budget, self.currency, "an activity's budget").amount
        funders = set(self.funders())
        parts = checked_shares(shares, funders if nameable is None else funders & set(nameable))
        self._activity_added(
            activity_id=activity_id, kind=kind, name=name, budget=total,
            shares={p.hex: s for p, s in parts.items()}, actor=actor,
        )  # fmt: skip

    @event("ActivityAdded")
    def _activity_added(
        self, activity_id: UUID, kind: str, name: str, budget: Decimal,
        shares: dict[str, Decimal], actor: Actor,
    ) -> None:  # fmt: skip
        self.activities[activity_id] = Activity(
            activity_id, ActivityKind(kind), name, Decimal(budget),
            {UUID(p): Decimal(s) for p, s in shares.items()}, actor.party_id,
        )  # fmt: skip

    # --- fund requests ----------------------------------------------------------------------

    def request_funds(
        self, request_id: UUID, activity_id: UUID, amount: Any, description: Any, actor: Actor
    ) -> None:
        self.check_partner(actor, "request funds")
        if request_id in self.requests:
            raise InvalidCommand(f"the plan already has a fund request {request_id}")
        activity = self._activity(activity_id)
        asked = positive(amount, self.currency, "a request").amount
        self._check_budget(activity, asked)
        portions = split(Money(asked, self.currency), activity.shares)
        self._funds_requested(
            request_id=request_id, activity_id=activity_id, amount=asked,
            description=text(MAX_LONG_TEXT)("description", description),
            portions={p.hex: v for p, v in portions.items()}, actor=actor,
        )  # fmt: skip

    @event("FundsRequested")
    def _funds_requested(
        self, request_id: UUID, activity_id: UUID, amount: Decimal, description: str,
        portions: dict[str, Decimal], actor: Actor,
    ) -> None:  # fmt: skip
        self.requests[request_id] = FundRequest(
            request_id, activity_id, actor.party_id, Decimal(amount), description,
            {UUID(p): Decimal(v) for p, v in portions.items()},
        )  # fmt: skip

    def approve(self, request_id: UUID, actor: Actor) -> None:
        request = self._request_of_funder(request_id, actor, "approve it")
        if actor.party_id in request.approvals:
            raise Conflict("your party has already approved this request")
        if request.status is not RequestStatus.SUBMITTED:
            raise InvalidCommand(
                f"the request is {request.status}; only a submitted one is approved"
            )
        portion = request.portions[actor.party_id]
        left = self.left_of(actor.party_id)
        if portion > left:
            raise InvalidCommand(
                f"approving would draw {portion} {self.currency} of your party's funds, "
                f"but only {left} {self.currency} of what it committed is left"
            )
        self._request_approved(request_id=request_id, actor=actor)

    @event("RequestApproved")
    def _request_approved(
        self, request_id: UUID, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        assert timestamp is not None
        request = self.requests[request_id]
        request.approvals[actor.party_id] = timestamp
        if set(request.approvals) >= set(request.portions):
            request.status = RequestStatus.APPROVED

    def reject(self, request_id: UUID, reason: Any, actor: Actor) -> None:
        request = self._request_of_funder(request_id, actor, "reject it")
        if request.status not in (RequestStatus.SUBMITTED, RequestStatus.MORE_INFO_NEEDED):
            raise InvalidCommand(f"the request is {request.status}; it can no longer be rejected")
        self._request_rejected(request_id=request_id, reason=_reason(reason), actor=actor)

    def ask_for_information(self, request_id: UUID, reason: Any, actor: Actor) -> None:
        request = self._request_of_funder(request_id, actor, "ask about it")
        if request.status is not RequestStatus.SUBMITTED:
            raise InvalidCommand(
                f"the request is {request.status}; only a submitted one is asked about"
            )
        self._information_requested(request_id=request_id, reason=_reason(reason), actor=actor)

    def provide_information(self, request_id: UUID, reply: Any, amount: Any, actor: Actor) -> None:
        """The requester answers a question (and may change the amount); funders approve anew."""
        request = self._request_of_requester(request_id, actor, "answer for it")
        if request.status is not RequestStatus.MORE_INFO_NEEDED:
            raise InvalidCommand("no funder has asked for more information on this request")
        new_amount = request.amount
        if amount is not None:
            new_amount = positive(amount, self.currency, "a request").amount
            self._check_budget(self.activities[request.activity_id], new_amount, request_id)
        portions = split(
            Money(new_amount, self.currency), self.activities[request.activity_id].shares
        )
        self._information_provided(
            request_id=request_id, text=_reason(reply), amount=new_amount,
            portions={p.hex: v for p, v in portions.items()}, actor=actor,
        )  # fmt: skip

    @event("InformationProvided")
    def _information_provided(
        self, request_id: UUID, text: str, amount: Decimal, portions: dict[str, Decimal],
        actor: Actor, timestamp: datetime | None = None,
    ) -> None:  # fmt: skip
        assert timestamp is not None
        request = self.requests[request_id]
        request.amount = Decimal(amount)
        request.portions = {UUID(p): Decimal(v) for p, v in portions.items()}
        request.approvals = {}
        request.status = RequestStatus.SUBMITTED
        request.answers.append(Answer(actor.party_id, "information_provided", text, timestamp))

    @event("RequestRejected")
    def _request_rejected(
        self, request_id: UUID, reason: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self._answer(request_id, RequestStatus.REJECTED, reason, actor, timestamp)

    @event("InformationRequested")
    def _information_requested(
        self, request_id: UUID, reason: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self._answer(request_id, RequestStatus.MORE_INFO_NEEDED, reason, actor, timestamp)

    def _answer(
        self, request_id: UUID, status: RequestStatus, reason: str, actor: Actor,
        when: datetime | None,
    ) -> None:  # fmt: skip
        assert when is not None
        request = self.requests[request_id]
        request.status = status
        request.answers.append(Answer(actor.party_id, str(status), reason, when))

    # --- claims and payouts -----------------------------------------------------------------

    def claim(
        self, request_id: UUID, claim_id: UUID, amount: Any, proofs: Any, actor: Actor
    ) -> None:
        """The requester claims approved funds, with proof that the work was done."""
        request = self._request_of_requester(request_id, actor, "claim against it")
        if request.status is not RequestStatus.APPROVED:
            raise InvalidCommand(
                f"the request is {request.status}; only approved funds are claimed"
            )
        if claim_id in self.claims:
            raise InvalidCommand(f"the plan already has a claim {claim_id}")
        asked = positive(amount, self.currency, "a claim").amount
        left = request.amount - self.claimed_of(request_id)
        if asked > left:
            raise InvalidCommand(
                f"claims never exceed the approved amount: {left} {self.currency} "
                f"of {request.amount} {self.currency} is left to claim"
            )
        self._claimed(
            request_id=request_id, claim_id=claim_id, amount=asked,
            proofs=checked_proofs(proofs), actor=actor,
        )  # fmt: skip

    @event("FundsClaimed")
    def _claimed(
        self, request_id: UUID, claim_id: UUID, amount: Decimal, proofs: list[dict[str, str]],
        actor: Actor, timestamp: datetime | None = None,
    ) -> None:  # fmt: skip
        assert timestamp is not None
        self.claims[claim_id] = Claim(
            claim_id, request_id, actor.party_id, Decimal(amount), list(proofs), timestamp
        )

    def pay(
        self, claim_id: UUID, payout_id: UUID, amount: Any, reference: Any, actor: Actor
    ) -> None:
        """A funder whose money the claim draws on records a payout against it."""
        claim = self.claims.get(claim_id)
        if claim is None:
            raise unknown_claim(claim_id)
        seen = ("claims", claim.claimant, unknown_claim(claim_id))
        self._check_funder_of(self.requests[claim.request_id], actor, "pay claims against it", seen)
        if payout_id in self.payouts:
            raise InvalidCommand(f"the plan already has a payout {payout_id}")
        paid = positive(amount, self.currency, "a payout").amount
        left = claim.amount - self.paid_of(claim_id)
        if paid > left:
            raise InvalidCommand(
                f"payouts never exceed the claim: {left} {self.currency} "
                f"of {claim.amount} {self.currency} is left to pay"
            )
        reference = text(MAX_TEXT)("reference", reference)
        self._paid(
            claim_id=claim_id, payout_id=payout_id, amount=paid, reference=reference, actor=actor
        )

    @event("PayoutRecorded")
    def _paid(
        self, claim_id: UUID, payout_id: UUID, amount: Decimal, reference: str, actor: Actor,
        timestamp: datetime | None = None,
    ) -> None:  # fmt: skip
        assert timestamp is not None
        self.payouts[payout_id] = Payout(
            payout_id, claim_id, actor.party_id, Decimal(amount), reference, timestamp
        )

    # --- links and counterparts -------------------------------------------------------------

    @event("OpportunityLinked")
    def _opportunity_linked(
        self, opportunity_id: UUID, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self._record_link(opportunity_id, actor.party_id, timestamp)

    @event("OpportunityUnlinked")
    def _opportunity_unlinked(self, opportunity_id: UUID, actor: Actor) -> None:
        del self.links[opportunity_id]

    @event("CounterpartUpdated")
    def _counterpart_updated(self, changes: dict[str, Any], actor: Actor) -> None:
        self._record_counterpart(actor.party_id, changes)


def _reason(value: Any) -> str:
    reason: str = text(MAX_LONG_TEXT)("reason", value if value is not None else "")
    if not reason:
        raise InvalidCommand("a reason is required")
    return reason
