"""Party and User aggregates: who is on the network and who may act for each company."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ecosystem.actors import Actor, Role
from ecosystem.errors import Conflict, InvalidCommand, NotFound, NotPermitted


class PartyKind(StrEnum):
    ISV = "isv"
    SI = "si"
    RESELLER = "reseller"
    DISTRIBUTOR = "distributor"
    CLOUD_PROVIDER = "cloud_provider"


@dataclass
class SigningKey:
    """A public key the party's users sign commands with (Ed25519, raw bytes in base64url)."""

    key_id: str
    public_key: str
    label: str
    registered_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class PartySuspended(NotPermitted):
    """The caller's company is suspended from the network: its users cannot act."""

    title = "Party suspended"


class Party(Aggregate):
    """A company on the network. Its name, domain, kind, signing keys and whether it is
    suspended are public."""

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
        self.signing_keys: dict[str, SigningKey] = {}
        self.signatures_required = False
        self.suspended_at: datetime | None = None

    # --- suspension (the network operator's) --------------------------------------------------

    @property
    def suspended(self) -> bool:
        return self.suspended_at is not None

    def suspend(self, actor: Actor) -> None:
        if self.suspended:
            raise InvalidCommand("the party is already suspended")
        if actor.party_id == self.id:
            raise InvalidCommand("a network administrator cannot suspend its own party")
        self._suspended(actor=actor)

    @event("Suspended")
    def _suspended(self, actor: Actor, timestamp: datetime | None = None) -> None:
        self.suspended_at = timestamp

    def reinstate(self, actor: Actor) -> None:
        if not self.suspended:
            raise InvalidCommand("the party is not suspended")
        self._reinstated(actor=actor)

    @event("Reinstated")
    def _reinstated(self, actor: Actor) -> None:
        self.suspended_at = None

    # --- signing keys -----------------------------------------------------------------------

    def active_key(self, key_id: str) -> SigningKey | None:
        key = self.signing_keys.get(key_id)
        return key if key is not None and key.active else None

    def register_signing_key(self, key_id: str, public_key: str, label: str, actor: Actor) -> None:
        if key_id in self.signing_keys:
            raise Conflict(f"the key {key_id} is already registered for this party")
        self._signing_key_registered(key_id=key_id, public_key=public_key, label=label, actor=actor)

    @event("SigningKeyRegistered")
    def _signing_key_registered(
        self, key_id: str, public_key: str, label: str, actor: Actor,
        timestamp: datetime | None = None,
    ) -> None:  # fmt: skip
        assert timestamp is not None
        self.signing_keys[key_id] = SigningKey(key_id, public_key, label, timestamp)

    def revoke_signing_key(self, key_id: str, actor: Actor) -> None:
        key = self.signing_keys.get(key_id)
        if key is None:
            raise NotFound(f"no signing key {key_id} for this party")
        if not key.active:
            raise InvalidCommand(f"the key {key_id} is already revoked")
        others = [k for k in self.signing_keys.values() if k.active and k.key_id != key_id]
        if self.signatures_required and not others:
            raise InvalidCommand(
                "this is the party's last active key and it requires signed commands: "
                "register another key first, or stop requiring signatures"
            )
        self._signing_key_revoked(key_id=key_id, actor=actor)

    @event("SigningKeyRevoked")
    def _signing_key_revoked(
        self, key_id: str, actor: Actor, timestamp: datetime | None = None
    ) -> None:
        self.signing_keys[key_id].revoked_at = timestamp

    def require_signatures(self, required: bool, actor: Actor) -> None:
        if required == self.signatures_required:
            state = "already requires" if required else "does not require"
            raise InvalidCommand(f"the party {state} signed commands")
        if required and not any(k.active for k in self.signing_keys.values()):
            raise InvalidCommand("register a signing key before requiring signed commands")
        self._signature_requirement_changed(required=required, actor=actor)

    @event("SignatureRequirementChanged")
    def _signature_requirement_changed(self, required: bool, actor: Actor) -> None:
        self.signatures_required = required


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
