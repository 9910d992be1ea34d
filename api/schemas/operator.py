"""What the network operator did to a company, as the company reads it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ecosystem.parties.operator import OperatorAct


class ActorPublic(BaseModel):
    party_id: str
    user_id: str = Field(description="The nil UUID for both: the operator's local command line.")


class OperatorActPublic(BaseModel):
    """One act of the operator on the company's party entry or one of its users."""

    at: datetime
    what: str = Field(description="The event: Registered, Suspended, Reinstated, Added, …")
    object_type: str = Field(description="party or user")
    object_id: str
    version: int
    actor: ActorPublic
    details: dict[str, Any] = Field(description="What the event recorded (no token hashes).")

    @classmethod
    def of(cls, act: OperatorAct) -> OperatorActPublic:
        return cls(
            at=act.at,
            what=act.what,
            object_type=act.object_type,
            object_id=str(act.object_id),
            version=act.version,
            actor=ActorPublic(party_id=str(act.actor.party_id), user_id=str(act.actor.user_id)),
            details=act.details,
        )
