"""Registration conflict records: views and answers."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import LongText, Strict
from ecosystem.opportunities.conflicts import ConflictStatus


class ConflictDismissal(Strict):
    reason: LongText = ""


class RegistrationConflictPublic(BaseModel):
    id: UUID
    version: int
    status: ConflictStatus
    opportunity_id: UUID = Field(description="Your deal, whose customer the new deal matched.")
    matched_fields: list[str] = Field(
        description="Which of your deal's fields matched: customer.name, customer.website_domain."
    )
    recorded_at: datetime
    updated_at: datetime
    answered_by_user_id: UUID | None = None
    reason: str | None = None
    registered_opportunity_id: UUID | None = Field(
        None, description="The new deal: shown only once your party takes part in it."
    )
    registered_by_party_id: UUID | None = Field(
        None, description="Who registered it: shown only once your party takes part in it."
    )


class RegistrationConflictList(BaseModel):
    items: list[RegistrationConflictPublic]
