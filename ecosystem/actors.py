"""Who acts: the actor recorded on every event, the principal behind a request, and roles."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from ecosystem.errors import RoleNotAllowed

if TYPE_CHECKING:
    from ecosystem.audit.requests import SignedRequest


class Role(StrEnum):
    ADMIN = "admin"
    PARTNER_MANAGER = "partner_manager"
    SALES = "sales"
    SECURITY_ADMIN = "security_admin"
    AUDITOR = "auditor"


class Capability(StrEnum):
    """What a role lets a user do; the single table below is the one place this is decided."""

    REGISTER_PARTY = "register_party"
    SUSPEND_PARTY = "suspend_party"
    MANAGE_USERS = "manage_users"
    MANAGE_PARTNERSHIPS = "manage_partnerships"
    SELL = "sell"
    MANAGE_FUNDS = "manage_funds"
    READ = "read"
    MANAGE_POLICY = "manage_policy"
    READ_POLICY = "read_policy"
    AUDIT = "audit"
    ERASE_PERSONAL_DATA = "erase_personal_data"
    SEE_OPERATOR_ACTS = "see_operator_acts"


CAPABILITIES: dict[Capability, frozenset[Role]] = {
    Capability.REGISTER_PARTY: frozenset({Role.ADMIN}),  # and only network admins
    Capability.SUSPEND_PARTY: frozenset({Role.ADMIN}),  # and only network admins
    Capability.MANAGE_USERS: frozenset({Role.ADMIN}),
    Capability.MANAGE_PARTNERSHIPS: frozenset({Role.ADMIN, Role.PARTNER_MANAGER}),
    Capability.SELL: frozenset({Role.ADMIN, Role.PARTNER_MANAGER, Role.SALES}),
    Capability.MANAGE_FUNDS: frozenset({Role.ADMIN, Role.PARTNER_MANAGER}),
    Capability.READ: frozenset(Role),
    Capability.MANAGE_POLICY: frozenset({Role.SECURITY_ADMIN}),
    Capability.READ_POLICY: frozenset({Role.SECURITY_ADMIN, Role.AUDITOR, Role.ADMIN}),
    Capability.AUDIT: frozenset({Role.AUDITOR}),
    Capability.ERASE_PERSONAL_DATA: frozenset({Role.ADMIN}),  # and only network admins
    Capability.SEE_OPERATOR_ACTS: frozenset({Role.ADMIN, Role.AUDITOR}),
}

# The network operator's only powers (docs/audit.md lists them): nothing inside a company.
NETWORK_POWERS: dict[Capability, str] = {
    Capability.REGISTER_PARTY: "register parties",
    Capability.SUSPEND_PARTY: "suspend or reinstate parties",
    Capability.ERASE_PERSONAL_DATA: "erase personal data",
}

SYSTEM_ID = UUID(int=0)


@dataclass(frozen=True)
class Actor:
    """The party and user behind an event. The operator's command line acts as SYSTEM."""

    party_id: UUID
    user_id: UUID

    @property
    def is_system(self) -> bool:
        return self.party_id == SYSTEM_ID


SYSTEM = Actor(party_id=SYSTEM_ID, user_id=SYSTEM_ID)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a command: an actor with roles, and, when the caller signed
    the command, its signed request (required when the caller's company says so)."""

    actor: Actor
    roles: frozenset[Role]
    network_admin: bool = False
    signatures_required: bool = False
    signed: SignedRequest | None = None

    @property
    def party_id(self) -> UUID:
        return self.actor.party_id

    def require(self, capability: Capability) -> None:
        if self.actor.is_system:
            return
        if capability in NETWORK_POWERS and not self.network_admin:
            raise RoleNotAllowed(f"only a network administrator may {NETWORK_POWERS[capability]}")
        if not self.roles & CAPABILITIES[capability]:
            allowed = ", ".join(sorted(CAPABILITIES[capability]))
            raise RoleNotAllowed(f"this needs one of the roles: {allowed}")


OPERATOR = Principal(actor=SYSTEM, roles=frozenset(Role), network_admin=True)
"""The local command line's principal (`cosell admin …`): whoever runs it holds the database and
could write anything, so it is refused nothing; every act it makes is recorded as SYSTEM's and
shows in the company's operator acts. A network admin over the API is an ordinary principal."""
