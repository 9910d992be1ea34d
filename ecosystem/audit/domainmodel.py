"""A signed command, recorded in the same transaction as the events it produced."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ecosystem.keys import key_id


def signed_command_id(signature: str) -> UUID:
    """One id per signature, so a signed request can be used once only."""
    return key_id("signed-command", hashlib.sha256(signature.encode()).hexdigest())


class SignedCommand(Aggregate):
    """What a party signed, its signature, and the events (object -> versions) it produced."""

    @event("Recorded")
    def __init__(
        self, document: dict[str, Any], signature: str, results: dict[str, list[int]]
    ) -> None:
        self.document = document
        self.signature = signature
        self.results = results

    @staticmethod
    def create_id(document: dict[str, Any], signature: str, results: dict[str, list[int]]) -> UUID:
        return signed_command_id(signature)
