"""Partnership requests and views."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel

from api.schemas.common import LongText, Strict
from ecosystem.partnerships.domainmodel import Partnership, PartnershipStatus


class PartnershipCreate(Strict):
    party_id: UUID


class PartnershipEnd(Strict):
    reason: LongText = ""


class PartnershipPublic(BaseModel):
    id: str
    proposer_id: str
    partner_id: str
    status: PartnershipStatus
    version: int
    updated_at: datetime

    @classmethod
    def of(cls, partnership: Partnership) -> PartnershipPublic:
        return cls(
            id=str(partnership.id),
            proposer_id=str(partnership.proposer_id),
            partner_id=str(partnership.partner_id),
            status=partnership.status,
            version=partnership.version,
            updated_at=partnership.modified_on,
        )
