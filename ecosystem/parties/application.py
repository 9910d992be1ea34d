"""Party and user services: register companies, add users, issue and check bearer tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.domain import Aggregate

from ecosystem import values
from ecosystem.actors import Actor, Capability, Principal, Role
from ecosystem.audit.checkpoints import b64, key_id_of, public_key_from, raw_public_key
from ecosystem.errors import (
    Conflict,
    InvalidCommand,
    NotFound,
    NotPermitted,
    RoleNotAllowed,
    Unauthenticated,
)
from ecosystem.keys import UniqueKey, key_id
from ecosystem.names import normalise_domain
from ecosystem.parties.domainmodel import Party, PartyKind, PartySuspended, SigningKey, User
from ecosystem.service import Idempotency, NetworkBase, Written

TOKEN_PREFIX = "csl_"
FIRST_USER = "party-first-user"  # claimed with a party's first user: it has users from then on
OPERATOR_ADDS_FIRST_ADMIN_ONLY = (
    "a network administrator adds only a party's first user, who must hold the admin role, "
    "while the party has no user; from then on only the party's own admins add its users"
)


def hash_token(token: str) -> str:
    """Tokens carry 256 random bits, so one SHA-256 round is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A token in plain text: returned once, at issue, and never stored."""

    token_id: UUID
    token: str


class PartyCommands(NetworkBase):
    def register_party(
        self,
        principal: Principal,
        name: str,
        website_domain: str,
        kind: PartyKind,
        network_operator: bool = False,
        idempotency: Idempotency | None = None,
    ) -> Written:
        principal.require(Capability.REGISTER_PARTY)
        name = _line(name, "a party name")
        if not name or len(name) > 200:
            raise InvalidCommand("a party name must be 1 to 200 characters")
        domain = normalise_domain(website_domain)

        def attempt() -> tuple[Sequence[Aggregate], Written]:
            if self.exists(key_id("party-domain", domain)):
                raise Conflict(f"a party with the website domain {domain} is already registered")
            party = Party(name, domain, PartyKind(kind), network_operator, principal.actor)
            claim = UniqueKey("party-domain", domain, party.id, principal.actor)
            return [party, claim], Written(party.id, party.version)

        return self.execute(attempt, idempotency, principal)

    def party(self, party_id: UUID) -> Party:
        return self.load(Party, party_id, "party")

    def parties(self) -> list[Party]:
        return [self.party(e.originator_id) for e in self.events_of(Party, "Registered")]

    def add_user(
        self,
        principal: Principal,
        party_id: UUID,
        name: str,
        email: str,
        roles: list[Role],
        idempotency: Idempotency | None = None,
    ) -> tuple[Written, IssuedToken | None]:
        """A party's admin adds a user to it; a network admin only a party's first admin."""
        first_admin_only = self._check_user_adder(principal, party_id, roles)
        if not roles:
            raise InvalidCommand("a user needs at least one role")
        name = _line(name, "a user's name")
        if not name or len(name) > 200 or len(email) > 200:
            raise InvalidCommand("a user needs a name and an email of at most 200 characters")
        email = values.refused_unless(values.email, email, "a user's email")
        issued = _new_token()

        def attempt() -> tuple[Sequence[Aggregate], Written]:
            first = not self.exists(key_id(FIRST_USER, str(party_id)))
            if first_admin_only and not (first and not self._has_users(party_id)):
                raise NotPermitted(OPERATOR_ADDS_FIRST_ADMIN_ONLY)
            # One email, one user of a party: a key claim, so two concurrent adds of the same
            # address cannot both win. Only within the party: whether an address is in use at
            # another company is that company's business, and a 409 must not tell.
            email_key = f"{party_id.hex}:{values.email_key(email)}"
            if self.exists(key_id("user-email", email_key)):
                raise Conflict("a user of this party already has this email")
            user = User(party_id, name, email, list(roles), principal.actor)
            claims = [
                self._issue(user, issued, "initial", principal.actor),
                UniqueKey("user-email", email_key, user.id, principal.actor),
            ]
            if first:  # two "first" users at once collide here: one of them is retried
                claims.append(UniqueKey(FIRST_USER, str(party_id), user.id, principal.actor))
            return [user, *claims], Written(user.id, user.version)

        written = self.execute(attempt, idempotency, principal)
        return written, None if written.replayed else issued

    def issue_token(
        self, principal: Principal, user_id: UUID, label: str = ""
    ) -> tuple[Written, IssuedToken]:
        user = self.user(user_id)
        self._check_user_admin(principal, user.party_id, own_user_id=user_id)
        issued = _new_token()

        def attempt() -> tuple[Sequence[Aggregate], Written]:
            fresh = self.user(user_id)
            claim = self._issue(fresh, issued, _line(label, "a token label")[:100], principal.actor)
            return [fresh, claim], Written(fresh.id, fresh.version)

        return self.execute(attempt, principal=principal), issued

    def revoke_token(self, principal: Principal, user_id: UUID, token_id: UUID) -> Written:
        user = self.user(user_id)
        self._check_user_admin(principal, user.party_id, own_user_id=user_id)

        def attempt() -> tuple[Sequence[Aggregate], Written]:
            fresh = self.user(user_id)
            fresh.revoke_token(token_id, principal.actor)
            return [fresh], Written(fresh.id, fresh.version)

        return self.execute(attempt, principal=principal)

    def user(self, user_id: UUID) -> User:
        return self.load(User, user_id, "user")

    def users_of(self, principal: Principal, party_id: UUID) -> list[User]:
        self._check_inside(principal, party_id, "users")
        self._check_user_admin(principal, party_id)
        return self._users(party_id)

    def _users(self, party_id: UUID) -> list[User]:
        users = (self.user(e.originator_id) for e in self.events_of(User, "Added"))
        return [user for user in users if user.party_id == party_id]

    def _has_users(self, party_id: UUID) -> bool:
        """Whether anyone was ever added to the party (users are never removed)."""
        if self.exists(key_id(FIRST_USER, str(party_id))):
            return True
        return bool(self._users(party_id))  # a party whose users came before the claim

    def authenticate(self, token: str) -> Principal:
        """The principal a bearer token stands for; revoked or unknown tokens are refused."""
        token_hash = hash_token(token)
        try:
            claim = self.load(UniqueKey, key_id("token", token_hash), "token")
            user = self.user(claim.target_id)
        except NotFound:
            raise Unauthenticated("the bearer token is not valid") from None
        if not user.accepts(token_hash):
            raise Unauthenticated("the bearer token is not valid")
        party = self.party(user.party_id)
        if party.suspended:
            raise PartySuspended(
                "your company is suspended from the network: its users cannot act until the "
                "network operator reinstates it"
            )
        return Principal(
            actor=Actor(party.id, user.id),
            roles=user.roles,
            network_admin=party.network_operator and Role.ADMIN in user.roles,
            signatures_required=party.signatures_required,
        )

    # --- signing keys -----------------------------------------------------------------------

    def signing_key(self, party_id: UUID, key_id: str) -> Ed25519PublicKey | None:
        key = self.party(party_id).active_key(key_id)
        return None if key is None else public_key_from(key.public_key)

    def signing_keys(self, principal: Principal, party_id: UUID) -> list[SigningKey]:
        """A party's signing keys, active and revoked: public, so anyone can check its acts."""
        principal.require(Capability.READ)
        return list(self.party(party_id).signing_keys.values())

    def register_signing_key(
        self, principal: Principal, party_id: UUID, public_key: str, label: str = "",
        idempotency: Idempotency | None = None,
    ) -> tuple[Written, str]:  # fmt: skip
        """A party admin registers a public key its users sign with; returns the key id."""
        self._check_own_admin(principal, party_id, "register its signing keys")
        try:
            key = public_key_from(public_key)
        except ValueError as error:
            raise InvalidCommand(str(error)) from None
        key_id = key_id_of(key)
        text, label = b64(raw_public_key(key)), _line(label, "a key label")[:100]
        act = lambda party: party.register_signing_key(key_id, text, label, principal.actor)  # noqa: E731
        return self._change_party(principal, party_id, act, idempotency), key_id

    def revoke_signing_key(self, principal: Principal, party_id: UUID, key_id: str) -> Written:
        self._check_own_admin(principal, party_id, "revoke its signing keys")
        act = lambda party: party.revoke_signing_key(key_id, principal.actor)  # noqa: E731
        return self._change_party(principal, party_id, act)

    def require_signatures(self, principal: Principal, party_id: UUID, required: bool) -> Written:
        """A party admin makes signed commands mandatory for its users, or stops. Only the
        local command line (whoever holds the database) may lift it for a company that lost
        its keys; that act is recorded as the operator's and shows in its operator acts."""
        if required or not principal.actor.is_system:
            self._check_own_admin(principal, party_id, "decide whether its commands are signed")
        act = lambda party: party.require_signatures(required, principal.actor)  # noqa: E731
        return self._change_party(principal, party_id, act)

    def _change_party(
        self, principal: Principal, party_id: UUID, act: Callable[[Party], None],
        idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        def attempt() -> tuple[Sequence[Aggregate], Written]:
            party = self.party(party_id)
            act(party)
            return [party], Written(party.id, party.version)

        return self.execute(attempt, idempotency, principal)

    def _check_own_admin(self, principal: Principal, party_id: UUID, what: str) -> None:
        """Only the party's own admins: the network operator must never hold a party's keys."""
        if principal.party_id != party_id:
            self.party(party_id)
            raise RoleNotAllowed(f"only the party's own admins may {what}")
        principal.require(Capability.MANAGE_USERS)

    def _issue(self, user: User, issued: IssuedToken, label: str, actor: Actor) -> UniqueKey:
        token_hash = hash_token(issued.token)
        user.issue_token(issued.token_id, token_hash, label, actor)
        return UniqueKey("token", token_hash, user.id, actor)

    def _check_inside(self, principal: Principal, party_id: UUID, what: str) -> None:
        """A network admin may see that a party exists (the directory), never what is inside
        it: it is told so plainly (403); another company is told of no such party (404)."""
        if _network_admin_of_another_party(principal, party_id):
            self.party(party_id)
            raise NotPermitted(
                f"a network administrator does not see a company's {what}: only the company "
                "itself does"
            )
        if principal.party_id != party_id and not principal.actor.is_system:
            raise NotFound(f"no party with id {party_id}")

    def _check_user_adder(self, principal: Principal, party_id: UUID, roles: list[Role]) -> bool:
        """Who may add a user to a party; True when only a first admin may be added (a network
        admin, for another party: it registers a company and its first admin, nothing more)."""
        if _network_admin_of_another_party(principal, party_id):
            self.party(party_id)
            if Role.ADMIN not in roles:
                raise NotPermitted(OPERATOR_ADDS_FIRST_ADMIN_ONLY)
            return True
        self._check_user_admin(principal, party_id)
        return False

    def _check_user_admin(
        self, principal: Principal, party_id: UUID, own_user_id: UUID | None = None
    ) -> None:
        """A party's admins manage its users, and users their own tokens; the local command
        line anyone's. Anyone else, a network admin too, is told of no such user or party."""
        if principal.actor.is_system:
            self.party(party_id)
            return
        if principal.party_id != party_id:
            if own_user_id is not None:
                raise NotFound(f"no user with id {own_user_id}")
            raise NotFound(f"no party with id {party_id}")
        if own_user_id is not None and principal.actor.user_id == own_user_id:
            return
        principal.require(Capability.MANAGE_USERS)


def _network_admin_of_another_party(principal: Principal, party_id: UUID) -> bool:
    """A network admin over the API, about a party not its own (the local command line is not
    one: it holds the database)."""
    outside = principal.party_id != party_id
    return principal.network_admin and outside and not principal.actor.is_system


def _line(value: str, what: str) -> str:
    return values.refused_unless(values.line, value, what)


def _new_token() -> IssuedToken:
    return IssuedToken(uuid4(), TOKEN_PREFIX + secrets.token_urlsafe(32))
