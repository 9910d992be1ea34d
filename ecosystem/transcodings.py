"""How Cosell's value types are written into stored events (JSON, no pickles)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Transcoding

from ecosystem.actors import Actor
from ecosystem.audit.sealing import PersonalData, Sealed
from ecosystem.money import Money
from ecosystem.opportunities.fields import Contact


class MoneyAsDict(Transcoding):
    type = Money
    name = "money"

    def encode(self, obj: Money) -> dict[str, str]:
        return {"amount": obj.text, "currency": obj.currency}

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
    """A customer contact, its name, email and phone sealed with the person's own key."""

    type = Contact
    name = "contact"

    def __init__(self, personal_data: Callable[[], PersonalData]) -> None:
        self._personal_data = personal_data

    def encode(self, obj: Contact) -> dict[str, Any]:
        name, email, phone = obj.name, obj.email, obj.phone
        if any(isinstance(part, str) and part for part in (name, email, phone)):
            name, email, phone = self._personal_data().seal_parts(
                _plain(name), _plain(email), _plain(phone)
            )
        return {"name": name, "email": email, "phone": phone, "title": obj.title}

    def decode(self, data: dict[str, Any]) -> Contact:
        return Contact(**data)


def _plain(part: str | Sealed) -> str:
    assert isinstance(part, str), "a contact is sealed once, when it is first recorded"
    return part


class SealedAsDict(Transcoding):
    type = Sealed
    name = "sealed"  # ecosystem.audit.commitments.SEALED: its commitment is kept with it

    def encode(self, obj: Sealed) -> dict[str, str]:
        return obj.as_data()

    def decode(self, data: dict[str, str]) -> Sealed:
        return Sealed.from_data(data)


def register_cosell_transcodings(
    transcoder: JSONTranscoder, personal_data: Callable[[], PersonalData]
) -> None:
    for transcoding in (
        MoneyAsDict(), ActorAsDict(), DateAsISO(), ContactAsDict(personal_data), SealedAsDict()
    ):  # fmt: skip
        transcoder.register(transcoding)
