"""Party and User aggregates: who is on the network and who may act for each company."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ecosystem.actors import Actor, Role
from ecosystem.errors import InvalidCommand, NotFound


class PartyKind(StrEnum):
    ISV = "isv"
    SI = "si"
    RESELLER = "reseller"
    DISTRIBUTOR = "distributor"
    CLOUD_PROVIDER = "cloud_provider"


class Party(Aggregate):
    """A company on the network. Its name, domain and kind are public to every party."""

    @event("Registered")
    def __init__(
        self,
        name: str,
        website_domain: str,
        kind: PartyKind,
        network_operator: bool,
        actor: Actor,
    ) -> None:
        self.name = name
        self.website_domain = website_domain
        self.kind = PartyKind(kind)
        self.network_operator = network_operator


@dataclass
class Token:
    token_id: UUID
    label: str
    issued_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class User(Aggregate):
    """A person acting for one party, with roles, and bearer tokens kept only as hashes."""

    @event("Added")
    def __init__(
        self, party_id: UUID, name: str, email: str, roles: list[Role], actor: Actor
    ) -> None:
        self.party_id = party_id
        self.name = name
        self.email = email
        self.roles = frozenset(Role(r) for r in roles)
        self.tokens: dict[UUID, Token] = {}
        self.token_hashes: dict[str, UUID] = {}

    def issue_token(self, token_id: UUID, token_hash: str, label: str, actor: Actor) -> None:
        self._token_issued(token_id=token_id, token_hash=token_hash, label=label, actor=actor)

    @event("TokenIssued")
    def _token_issued(
        self,
        token_id: UUID,
        token_hash: str,
        label: str,
        actor: Actor,
        timestamp: datetime | None = None,
    ) -> None:
        assert timestamp is not None  # the library passes each event's own time
        self.tokens[token_id] = Token(token_id, label, issued_at=timestamp)
        self.token_hashes[token_hash] = token_id

    def revoke_token(self, token_id: UUID, actor: Actor) -> None:
        token = self.tokens.get(token_id)
        if token is None:
            raise NotFound("no such token for this user")
        if not token.active:
            raise InvalidCommand("the token is already revoked")
        self._token_revoked(token_id=token_id, actor=actor)

    @event("TokenRevoked")
    def _token_revoked(
        self, token_id: UUID, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self.tokens[token_id].revoked_at = timestamp

    def accepts(self, token_hash: str) -> bool:
        token_id = self.token_hashes.get(token_hash)
        return token_id is not None and self.tokens[token_id].active
