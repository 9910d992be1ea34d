"""The shape of KPI answers: amounts are per currency, as strings, never floats."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Amount(BaseModel):
    currency: str
    amount: str


class StageFigures(BaseModel):
    stage: str
    count: int
    amounts: list[Amount]


class Pipeline(BaseModel):
    open_count: int
    amounts: list[Amount]
    by_stage: list[StageFigures]
    without_visible_amount: int = Field(description="Open deals whose amount you may not see.")


class PartnerFigures(BaseModel):
    party_id: str
    open_count: int
    pipeline: list[Amount]
    won_count: int
    won: list[Amount]


class Partners(BaseModel):
    by_partner: list[PartnerFigures]
    influenced_pipeline: list[Amount] = Field(
        description="Open deals you work with at least one other accepted company."
    )
    influenced_won: list[Amount]
    influenced_open_count: int
    influenced_won_count: int


class WinRate(BaseModel):
    won: int
    lost: int
    rate: str | None = Field(description="won / (won + lost), 4 places; null with none closed.")


class StageDays(BaseModel):
    stage: str
    ended_stays: int
    average_days: str | None


class Invitations(BaseModel):
    received: int = Field(description="Invitations to your company still waiting for an answer.")
    sent: int = Field(description="Your deals' invitations still waiting for a partner.")


class QuietDeal(BaseModel):
    id: str
    last_activity_at: str


class Inactive(BaseModel):
    days: int
    count: int
    opportunities: list[QuietDeal]


class KpiHeader(BaseModel):
    party_id: str
    computed_at: str


class PlanFigures(BaseModel):
    plan_id: str
    name: str | None = None
    currency: str | None = None
    committed: str = Field(description="Committed by every funder whose commitment you see.")
    committed_by_you: str
    requested: str
    approved: str
    claimed: str
    paid: str
    influenced_open_count: int
    influenced_pipeline: list[Amount] = Field(
        description="Open deals linked to the plan that you take part in, per currency."
    )
    influenced_won_count: int
    influenced_won: list[Amount]


class Funding(BaseModel):
    plans: list[PlanFigures]


class KpiReport(KpiHeader):
    pipeline: Pipeline
    partners: Partners
    win_rate: WinRate
    stages: list[StageDays]
    invitations: Invitations
    inactive: Inactive
    funding: Funding


class KpiSection(KpiHeader):
    section: str
    figures: Any
