"""Parties, users, tokens and the caller's own identity."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.common import Email, RequiredText, Strict, Text
from ecosystem.actors import Role
from ecosystem.parties.domainmodel import Party, PartyKind, User


class PartyCreate(Strict):
    name: RequiredText
    website_domain: Text = Field(description="The company's website, such as example.com.")
    kind: PartyKind
    network_operator: bool = Field(False, description="Operator parties' admins run the network.")


class PartyPublic(BaseModel):
    """What every party on the network may know of another: its public directory entry."""

    id: str
    name: str
    website_domain: str
    kind: PartyKind
    network_operator: bool
    registered_at: datetime
    signatures_required: bool = Field(
        description="Whether the party's users must sign every command (see docs/audit.md)."
    )
    suspended: bool = Field(description="Suspended by the network operator: it cannot act.")

    @classmethod
    def of(cls, party: Party) -> PartyPublic:
        return cls(
            id=str(party.id),
            name=party.name,
            website_domain=party.website_domain,
            kind=party.kind,
            network_operator=party.network_operator,
            registered_at=party.created_on,
            signatures_required=party.signatures_required,
            suspended=party.suspended,
        )


class UserCreate(Strict):
    name: RequiredText
    email: Email = Field(description="Unique among the party's users (any case).")
    roles: list[Role] = Field(min_length=1, max_length=5)


class TokenPublic(BaseModel):
    token_id: str
    label: str
    issued_at: datetime
    revoked_at: datetime | None


class UserPublic(BaseModel):
    id: str
    party_id: str
    name: str
    email: str
    roles: list[Role]
    tokens: list[TokenPublic]

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            id=str(user.id),
            party_id=str(user.party_id),
            name=user.name,
            email=user.email,
            roles=sorted(user.roles),
            tokens=[
                TokenPublic(
                    token_id=str(t.token_id),
                    label=t.label,
                    issued_at=t.issued_at,
                    revoked_at=t.revoked_at,
                )
                for t in user.tokens.values()
            ],
        )


class TokenCreate(Strict):
    label: Text = ""


class IssuedTokenPublic(BaseModel):
    token_id: str
    token: str = Field(description="Shown this once; only its hash is kept.")


class UserWithToken(BaseModel):
    user: UserPublic
    token: IssuedTokenPublic | None = Field(
        description="The new user's first token; null on an idempotent retry (it is shown once)."
    )


class Me(BaseModel):
    user: UserPublic
    party: PartyPublic
    network_admin: bool
