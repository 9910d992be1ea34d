"""Co-funding plan requests: commitments, activities, fund requests, claims and payouts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import Field

from api.schemas.common import CurrencyCode, LongText, MoneyIn, RequiredText, Strict, Text
from ecosystem.funding.records import ActivityKind


class PlanDetails(Strict):
    name: RequiredText | None = None
    objective: LongText | None = None
    period_start: date | None = None
    period_end: date | None = None

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set - {"currency"}}


class PlanCreate(PlanDetails):
    name: RequiredText
    currency: CurrencyCode = Field(description="The plan's one ISO 4217 currency.")


class PlanUpdate(PlanDetails):
    """A partial update: send only the fields to change."""


class Commitment(Strict):
    amount: MoneyIn = Field(description="Your party's total commitment to the plan.")


class FunderShare(Strict):
    party_id: UUID
    percent: Decimal = Field(gt=0, le=100, max_digits=7, decimal_places=4)


class ActivityCreate(Strict):
    kind: ActivityKind
    name: RequiredText
    budget: MoneyIn
    shares: list[FunderShare] = Field(
        min_length=1, max_length=20,
        description="Which funders pay for the activity and each one's share of every "
        "request, in percent (adding up to 100).",
    )  # fmt: skip

    def shares_by_party(self) -> dict[UUID, Decimal]:
        return {s.party_id: s.percent for s in self.shares}


class FundRequestCreate(Strict):
    activity_id: UUID
    amount: MoneyIn
    description: LongText = ""


class Answer(Strict):
    reason: LongText = Field(description="Why: required for a rejection or a question.")


class InformationReply(Strict):
    reply: LongText
    amount: MoneyIn | None = Field(None, description="A changed amount, if any.")


class Proof(Strict):
    name: RequiredText = Field(description="The document's name.")
    sha256: str = Field(pattern="^[0-9a-fA-F]{64}$", description="The document's SHA-256.")


class ClaimCreate(Strict):
    amount: MoneyIn
    proofs: list[Proof] = Field(min_length=1, max_length=20)


class PayoutCreate(Strict):
    amount: MoneyIn
    reference: Text = Field("", description="Your payment reference.")


class PlanCounterpart(Strict):
    crm_reference: Text | None = None
    budget_notes: LongText | None = None

    def changes(self) -> dict[str, Any]:
        return {
            n: "" if getattr(self, n) is None else getattr(self, n) for n in self.model_fields_set
        }
