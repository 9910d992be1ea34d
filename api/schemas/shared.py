"""Requests and views common to joint solutions and co-funding plans."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Cursor, Strict


class SharedInvitation(Strict):
    party_id: UUID
    role: str = Field(description="solution: builder, integrator, reseller, cloud_provider; "
                      "funding plan: funder, partner.")  # fmt: skip


class LinkCreate(Strict):
    opportunity_id: UUID = Field(description="A deal your party takes part in.")


class SharedPublic(BaseModel):
    """A solution or plan as the caller may see it; fields it may not see are absent."""

    model_config = ConfigDict(extra="allow")

    id: str
    version: int
    owner_party_id: str


class SharedEventHistory(BaseModel):
    object_id: str
    events: list[dict[str, Any]]


class SharedFilters(BaseModel):
    """Which of your solutions or plans to list, newest change first, a page at a time."""

    model_config = ConfigDict(extra="forbid")

    relation: Literal["owned", "partner", "invited"] | None = Field(
        None, description="owned: yours; partner: you accepted; invited: pending."
    )
    limit: int = Field(50, ge=1, le=200)
    cursor: Cursor | None = None


class SharedPage(BaseModel):
    items: list[SharedPublic]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")
