"""How Cosell's value types are written into stored events (JSON, no pickles)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Transcoding

from ecosystem.actors import Actor
from ecosystem.money import Money
from ecosystem.opportunities.fields import Contact


class MoneyAsDict(Transcoding):
    type = Money
    name = "money"

    def encode(self, obj: Money) -> dict[str, str]:
        return {"amount": str(obj.amount), "currency": obj.currency}

    def decode(self, data: dict[str, str]) -> Money:
        return Money(Decimal(data["amount"]), data["currency"])


class ActorAsDict(Transcoding):
    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> dict[str, str]:
        return {"party_id": obj.party_id.hex, "user_id": obj.user_id.hex}

    def decode(self, data: dict[str, str]) -> Actor:
        return Actor(UUID(data["party_id"]), UUID(data["user_id"]))


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ContactAsDict(Transcoding):
    type = Contact
    name = "contact"

    def encode(self, obj: Contact) -> dict[str, Any]:
        return {"name": obj.name, "email": obj.email, "phone": obj.phone, "title": obj.title}

    def decode(self, data: dict[str, Any]) -> Contact:
        return Contact(**data)


def register_cosell_transcodings(transcoder: JSONTranscoder) -> None:
    for transcoding in (MoneyAsDict(), ActorAsDict(), DateAsISO(), ContactAsDict()):
        transcoder.register(transcoding)
