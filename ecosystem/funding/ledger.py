"""A plan's books: what each funder committed and has left, what was requested, claimed and
paid, and the lookups and checks the plan's commands share."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from ecosystem.actors import Actor
from ecosystem.errors import CosellError, InvalidCommand, NotPermitted
from ecosystem.funding.records import Activity, Claim, FundRequest, Payout, PlanRole

ZERO = Decimal(0)
Seen = tuple[str, UUID, CosellError]  # a leaf, its owner, the answer for who may not see it


class PlanLedger:
    """Read-only sums over a plan's state (mixed into CoFundingPlan, which holds the state)."""

    if TYPE_CHECKING:  # set by CoFundingPlan's events; declared here for the type checker
        currency: str
        commitments: dict[UUID, Decimal]
        activities: dict[UUID, Activity]
        requests: dict[UUID, FundRequest]
        claims: dict[UUID, Claim]
        payouts: dict[UUID, Payout]

        def role_of(self, party_id: UUID) -> str | None: ...
        def is_partner(self, party_id: UUID) -> bool: ...
        def accepted_in_role(self, role: str) -> list[UUID]: ...

    def approved_by(self, funder: UUID) -> Decimal:
        """What the funder has approved of live requests: its money already spoken for."""
        return sum(
            (r.portions[funder] for r in self.requests.values()
             if r.is_live and funder in r.approvals),
            ZERO,
        )  # fmt: skip

    def left_of(self, funder: UUID) -> Decimal:
        return self.commitments.get(funder, ZERO) - self.approved_by(funder)

    def requested_of(self, activity_id: UUID, but: UUID | None = None) -> Decimal:
        return sum(
            (r.amount for r in self.requests.values()
             if r.activity_id == activity_id and r.is_live and r.request_id != but),
            ZERO,
        )  # fmt: skip

    def claimed_of(self, request_id: UUID) -> Decimal:
        return sum((c.amount for c in self.claims.values() if c.request_id == request_id), ZERO)

    def paid_of(self, claim_id: UUID) -> Decimal:
        return sum((p.amount for p in self.payouts.values() if p.claim_id == claim_id), ZERO)

    def funders(self) -> list[UUID]:
        return self.accepted_in_role(PlanRole.FUNDER)

    # --- checks -----------------------------------------------------------------------------

    def _check_funder(self, actor: Actor, what: str) -> None:
        if self.role_of(actor.party_id) != PlanRole.FUNDER:
            raise NotPermitted(f"only funders who accepted the plan may {what}")

    def _activity(self, activity_id: UUID) -> Activity:
        activity = self.activities.get(activity_id)
        if activity is None:
            raise InvalidCommand(f"the plan has no activity {activity_id}")
        return activity

    def _request(self, request_id: UUID) -> FundRequest:
        request = self.requests.get(request_id)
        if request is None:
            raise unknown_request(request_id)
        return request

    def _request_of_funder(self, request_id: UUID, actor: Actor, what: str) -> FundRequest:
        request = self._request(request_id)
        hidden = unknown_request(request_id)
        self._check_funder_of(request, actor, what, ("requests", request.requester, hidden))
        return request

    def _request_of_requester(self, request_id: UUID, actor: Actor, what: str) -> FundRequest:
        request = self._request(request_id)
        if request.requester != actor.party_id:
            refused = NotPermitted(f"only the party that made the request may {what}")
            if actor.party_id in request.portions:  # its funders always see a request
                raise refused
            raise refused.unless_hidden("requests", unknown_request(request_id), request.requester)
        return request

    def _check_funder_of(self, request: FundRequest, actor: Actor, what: str, seen: Seen) -> None:
        """Only a funder with a portion acts on a request. A party that may not see what it
        acts on (`seen`: a leaf of an owner's data) is answered as if it did not exist."""
        if actor.party_id not in request.portions or not self.is_partner(actor.party_id):
            leaf, owner, otherwise = seen
            refused = NotPermitted(f"only a funder whose money the request draws on may {what}")
            raise refused.unless_hidden(leaf, otherwise, owner)

    def _check_budget(self, activity: Activity, amount: Decimal, but: UUID | None = None) -> None:
        left = activity.budget - self.requested_of(activity.activity_id, but)
        if amount > left:  # the figures are the funders' to share: the message names none
            raise InvalidCommand(
                "the request is over budget: it asks for more than is left of the activity's "
                "budget; the activity's funders can say how much is left"
            )


def unknown_request(request_id: UUID) -> InvalidCommand:
    return InvalidCommand(f"the plan has no fund request {request_id}")


def unknown_claim(claim_id: UUID) -> InvalidCommand:
    return InvalidCommand(f"the plan has no claim {claim_id}")
