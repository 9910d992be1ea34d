"""Party signing keys and whether a party requires its commands to be signed."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import Strict, Text
from ecosystem.parties.domainmodel import SigningKey


class SigningKeyCreate(Strict):
    public_key: str = Field(
        max_length=100, description="The Ed25519 public key: its 32 raw bytes in base64url."
    )
    label: Text = Field("", description="What the key is for, such as the signer's laptop.")


class SigningKeyPublic(BaseModel):
    key_id: str = Field(description="SHA-256 of the raw key, first 16 bytes, in hex.")
    public_key: str
    label: str
    registered_at: datetime
    revoked_at: datetime | None
    active: bool

    @classmethod
    def of(cls, key: SigningKey) -> SigningKeyPublic:
        return cls(
            key_id=key.key_id, public_key=key.public_key, label=key.label,
            registered_at=key.registered_at, revoked_at=key.revoked_at, active=key.active,
        )  # fmt: skip


class SigningRequirement(Strict):
    required: bool = Field(description="Refuse every unsigned command of the party's users.")


class SigningPublic(BaseModel):
    party_id: str
    required: bool
    keys: list[SigningKeyPublic]
