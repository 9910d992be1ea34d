"""What a co-funding plan holds: activities, fund requests, claims and payouts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID


class PlanRole(StrEnum):
    FUNDER = "funder"
    PARTNER = "partner"  # takes part and may request funds, commits none


class ActivityKind(StrEnum):
    CAMPAIGN = "campaign"
    EVENT = "event"
    ENABLEMENT = "enablement"


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    MORE_INFO_NEEDED = "more_info_needed"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass
class Activity:
    activity_id: UUID
    kind: ActivityKind
    name: str
    budget: Decimal
    shares: dict[UUID, Decimal]  # funder -> percent of each request it pays
    added_by: UUID


@dataclass(frozen=True)
class Answer:
    """A funder's rejection or question, or the requester's reply, with its reason."""

    party_id: UUID
    kind: str  # rejected | more_info_needed | information_provided
    text: str
    at: datetime


@dataclass
class FundRequest:
    request_id: UUID
    activity_id: UUID
    requester: UUID
    amount: Decimal
    description: str
    portions: dict[UUID, Decimal]  # what each funder's money pays of the amount
    status: RequestStatus = RequestStatus.SUBMITTED
    approvals: dict[UUID, datetime] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)

    @property
    def is_live(self) -> bool:
        return self.status is not RequestStatus.REJECTED


@dataclass
class Claim:
    claim_id: UUID
    request_id: UUID
    claimant: UUID
    amount: Decimal
    proofs: list[dict[str, str]]
    submitted_at: datetime


@dataclass(frozen=True)
class Payout:
    payout_id: UUID
    claim_id: UUID
    payer: UUID
    amount: Decimal
    reference: str
    paid_at: datetime
