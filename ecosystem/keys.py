"""Key aggregates: unique claims, customer indexes and idempotency records.

Each lives at an id derived from its key, so claiming a key twice collides in the event
store itself: two concurrent writers cannot both win, whatever process they run in.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ecosystem.actors import Actor

_NAMESPACE = uuid5(NAMESPACE_URL, "https://cosell.dev/keys")


def key_id(scope: str, key: str) -> UUID:
    return uuid5(_NAMESPACE, f"{scope}:{key}")


class UniqueKey(Aggregate):
    """A claim that one key (a party's domain, a token hash) belongs to one object."""

    @event("Claimed")
    def __init__(self, scope: str, key: str, target_id: UUID, actor: Actor) -> None:
        self.scope = scope
        self.target_id = target_id

    @staticmethod
    def create_id(scope: str, key: str, target_id: UUID, actor: Actor) -> UUID:
        return key_id(scope, key)


class KeyedIndex(Aggregate):
    """The objects filed under one key, in the order they were filed (never removed)."""

    @event("Opened")
    def __init__(self, scope: str, key: str) -> None:
        self.targets: list[UUID] = []

    @staticmethod
    def create_id(scope: str, key: str) -> UUID:
        return key_id(scope, key)

    def file(self, target_id: UUID) -> None:
        if target_id not in self.targets:
            self._filed(target_id=target_id)

    @event("Filed")
    def _filed(self, target_id: UUID) -> None:
        self.targets.append(target_id)


class IdempotencyRecord(Aggregate):
    """The first outcome of a request sent with an Idempotency-Key, kept for retries."""

    @event("Recorded")
    def __init__(self, user_id: UUID, key: str, fingerprint: str, outcome: dict[str, Any]) -> None:
        self.fingerprint = fingerprint
        self.outcome = outcome

    @staticmethod
    def create_id(user_id: UUID, key: str, fingerprint: str, outcome: dict[str, Any]) -> UUID:
        return key_id("idempotency", f"{user_id}:{key}")
