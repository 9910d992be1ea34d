"""Opportunity requests (turned into field-path changes) and the redacted view's shape."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import (
    CountryCode,
    Cursor,
    EmailOrEmpty,
    LongText,
    MoneyIn,
    MoneyOut,
    PhoneOrEmpty,
    PlainDecimal,
    QueryText,
    RequiredText,
    Strict,
    Text,
)
from ecosystem.opportunities.domainmodel import Outcome, PartnerRole
from ecosystem.opportunities.fields import Contact, Stage


class ContactIn(Strict):
    name: RequiredText
    email: EmailOrEmpty = Field("", description="An email address, or empty.")
    phone: PhoneOrEmpty = Field(
        "", description="International form: +, 7 to 15 digits, spaces or hyphens between."
    )
    title: Text = ""


class CustomerIn(Strict):
    name: RequiredText | None = None
    website_domain: Text | None = None
    industry: Text | None = None
    country: CountryCode | None = Field(None, description="ISO 3166-1 alpha-2 code, such as DE.")
    contacts: list[ContactIn] | None = Field(None, max_length=50)


class DetailsIn(Strict):
    title: RequiredText | None = None
    customer: CustomerIn | None = None
    expected_amount: MoneyIn | None = None
    target_close_date: date | None = None
    next_steps: LongText | None = None
    products: list[RequiredText] | None = Field(None, max_length=50)

    def changes(self) -> dict[str, Any]:
        """The sent fields as field-path changes; absent fields are left as they are."""
        changes: dict[str, Any] = {}
        for name in self.model_fields_set - {"override_conflicts"}:
            value = getattr(self, name)
            if name == "customer" and value is not None:
                for part in value.model_fields_set:
                    changes[f"customer.{part}"] = _customer_value(part, getattr(value, part))
            elif name == "expected_amount":
                changes[name] = value.to_money() if value is not None else None
            elif name == "customer":
                changes["customer.name"] = None  # refused by the domain with a clear message
            else:
                changes[name] = value
        return changes


def _customer_value(part: str, value: Any) -> Any:
    if part == "contacts":
        return [Contact(c.name, c.email, c.phone, c.title) for c in value or []]
    return value


class OpportunityCreate(DetailsIn):
    title: RequiredText
    customer: CustomerIn
    override_conflicts: bool = Field(
        False, description="Register even though an open deal for this customer involves you."
    )


class OpportunityUpdate(DetailsIn):
    """A partial update: send only the fields to change (JSON merge-patch style)."""


class InvitationCreate(Strict):
    party_id: UUID
    role: PartnerRole = PartnerRole.CO_SELLER


class Reason(Strict):
    reason: LongText = ""


class StageChange(Strict):
    stage: Stage
    reopen: bool = Field(False, description="Needed to move back, or out of a closed stage.")


class Closing(Strict):
    outcome: Outcome
    reason: LongText = ""


class NoteCreate(Strict):
    text: LongText


class CounterpartUpdate(Strict):
    crm_reference: Text | None = None
    forecast_amount: MoneyIn | None = None
    internal_notes: LongText | None = None

    def changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name in self.model_fields_set:
            value = getattr(self, name)
            if name == "forecast_amount":
                changes[name] = value.to_money() if value is not None else None
            else:
                changes[name] = "" if value is None else value
        return changes


# --- the redacted view: every field is optional because the viewer may not see it -----------


class ContactOut(BaseModel):
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    erased: bool | None = Field(
        None, description="True when the person's personal data was erased (docs/audit.md)."
    )


class CustomerOut(BaseModel):
    name: str | None = None
    website_domain: str | None = None
    industry: str | None = None
    country: str | None = None
    contacts: list[ContactOut] | None = None


class ParticipantOut(BaseModel):
    party_id: str
    role: PartnerRole
    status: str
    since: str


class StageStayOut(BaseModel):
    stage: Stage
    since: str


class InvitationOut(BaseModel):
    role: PartnerRole
    status: str
    since: str


class NoteOut(BaseModel):
    note_id: str
    author_party_id: str
    author_user_id: str
    text: str
    written_at: str


class LinkOut(BaseModel):
    object_id: str
    kind: Literal["solution", "funding_plan"]
    linked_by: str
    since: str


class CounterpartOut(BaseModel):
    crm_reference: str | None = None
    forecast_amount: MoneyOut | None = None
    internal_notes: str | None = None


class OpportunityPublic(BaseModel):
    """An opportunity as the caller may see it. Fields the caller may not see are absent."""

    id: str
    version: int
    owner_party_id: str | None = None
    title: str | None = None
    stage: Stage | None = None
    stage_history: list[StageStayOut] | None = Field(
        None, description="When the deal entered each stage, oldest first (shown with stage)."
    )
    closing_reason: str | None = None
    customer: CustomerOut | None = None
    expected_amount: MoneyOut | None = None
    target_close_date: str | None = None
    expected_close_quarter: str | None = None
    next_steps: str | None = None
    products: list[str] | None = None
    participants: list[ParticipantOut] | None = None
    invitation: InvitationOut | None = None
    notes: list[NoteOut] | None = None
    links: list[LinkOut] | None = Field(
        None, description="Joint solutions and co-funding plans linked to the deal that you "
        "also take part in.",
    )  # fmt: skip
    counterparts: dict[str, CounterpartOut] | None = None
    created_at: str | None = None
    updated_at: str | None = None


class OpportunityPage(BaseModel):
    items: list[OpportunityPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


Sort = Literal[
    "created_at", "-created_at", "updated_at", "-updated_at", "target_close_date",
    "-target_close_date", "expected_amount", "-expected_amount", "title", "-title",
    "customer", "-customer",
]  # fmt: skip


class ListFilters(BaseModel):
    """Filters on what you may see of each deal; a hidden value never matches."""

    model_config = {"extra": "forbid"}

    stage: Stage | None = Field(None, description="Only deals in this stage.")
    relation: Literal["owned", "partner", "invited"] | None = Field(
        None, description="owned: you registered it; partner: you accepted; invited: pending."
    )
    owner: UUID | None = Field(None, description="Only deals registered by this party.")
    partner: UUID | None = Field(
        None, description="Only deals this party is invited to or takes part in (not as owner)."
    )
    customer: QueryText | None = Field(None, description="Customer name, any case.")
    q: QueryText | None = Field(None, description="Text in the title or customer name.")
    close_from: date | None = Field(None, description="Target close date on or after.")
    close_to: date | None = Field(None, description="Target close date on or before.")
    amount_min: PlainDecimal | None = Field(
        None, description="Expected amount at least (with currency)."
    )
    amount_max: PlainDecimal | None = Field(
        None, description="Expected amount at most (with currency)."
    )
    currency: str | None = Field(
        None, pattern="^[A-Z]{3}$", description="Only amounts in this ISO 4217 currency."
    )
    sort: Sort = "-updated_at"
    limit: int = Field(50, ge=1, le=200)
    cursor: Cursor | None = None

    def query_fields(self) -> dict[str, Any]:
        return {**self.model_dump(exclude={"q"}), "text": self.q}


class EventActor(BaseModel):
    party_id: str
    user_id: str


class EventPublic(BaseModel):
    version: int
    type: str
    occurred_at: str
    actor: EventActor | None = Field(
        None, description="Shown when you may see the deal's participants, or it was you."
    )
    data: dict[str, Any]


class EventHistory(BaseModel):
    opportunity_id: str
    events: list[EventPublic]
