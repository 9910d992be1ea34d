"""What the network operator does to a company: suspend and reinstate it, and the record of
every act the operator made on the company's own objects (its party entry and its users)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from ecosystem.actors import Actor, Capability, Principal
from ecosystem.parties.application import PartyCommands
from ecosystem.service import Idempotency, Written

# Never shown, even to the company: a token's hash identifies the token to whoever holds it.
_UNSHOWN = {"originator_id", "originator_version", "timestamp", "actor", "token_hash"}


@dataclass(frozen=True)
class OperatorAct:
    """One event on a company's own objects recorded by someone outside the company."""

    at: datetime
    what: str  # the event's name, such as Registered, Suspended, Added, TokenIssued
    object_type: str  # party or user
    object_id: UUID
    version: int
    actor: Actor
    details: dict[str, Any]


class OperatorCommands(PartyCommands):
    def suspend_party(
        self, principal: Principal, party_id: UUID, idempotency: Idempotency | None = None
    ) -> Written:
        """A network admin suspends a party: its users' tokens stop working at once."""
        principal.require(Capability.SUSPEND_PARTY)
        act = lambda party: party.suspend(principal.actor)  # noqa: E731
        return self._change_party(principal, party_id, act, idempotency)

    def reinstate_party(
        self, principal: Principal, party_id: UUID, idempotency: Idempotency | None = None
    ) -> Written:
        """A network admin lifts a suspension: the party's tokens work again."""
        principal.require(Capability.SUSPEND_PARTY)
        act = lambda party: party.reinstate(principal.actor)  # noqa: E731
        return self._change_party(principal, party_id, act, idempotency)

    def operator_acts(self, principal: Principal, party_id: UUID) -> list[OperatorAct]:
        """Every act made on the party's entry or its users by anyone outside the party (the
        network operator, over the API or its command line), oldest first: for the party's
        own admins and auditors."""
        self._check_inside(principal, party_id, "operator acts")
        principal.require(Capability.SEE_OPERATOR_ACTS)
        acts = _outsiders(self.events.get(party_id), party_id, "party")
        for user in self._users(party_id):
            acts += _outsiders(self.events.get(user.id), party_id, "user")
        return sorted(acts, key=lambda act: (act.at, str(act.object_id), act.version))


def _outsiders(events: Any, party_id: UUID, object_type: str) -> list[OperatorAct]:
    return [
        OperatorAct(
            at=event.timestamp,
            what=type(event).__name__,
            object_type=object_type,
            object_id=event.originator_id,
            version=event.originator_version,
            actor=event.actor,
            details={k: _shown(v) for k, v in vars(event).items() if k not in _UNSHOWN},
        )
        for event in events
        if event.actor.party_id != party_id
    ]


def _shown(value: Any) -> Any:
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, Sequence | set | frozenset):
        return sorted(str(v) for v in value)
    return str(value)


__all__ = ["OperatorAct", "OperatorCommands"]
