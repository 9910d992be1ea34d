"""The ONE redaction function: an opportunity, or one of its events, as a given party may see it.

Every output (API responses, lists, histories, error details, and later read models, feeds
and exports) takes its view from here. A view is built from field paths: the state is
flattened to `path -> value`, the viewer's mask keeps some paths, and the rest never leave.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from ecosystem.actors import Actor
from ecosystem.money import Money
from ecosystem.opportunities.domainmodel import Outcome, SharedOpportunity
from ecosystem.opportunities.fields import Contact, Stage

# What an invited party sees before it accepts: enough to decide, nothing personal or priced.
INVITATION_SUMMARY = frozenset(
    {
        "id", "version", "owner_party_id", "title", "stage", "customer.industry",
        "customer.country", "expected_close_quarter", "invitation",
    }
)  # fmt: skip
_ALWAYS_HIDDEN_PREFIX = "counterparts."


def visible_paths(viewer: UUID, opportunity: SharedOpportunity) -> frozenset[str] | None:
    """The paths `viewer` may read, or None when the viewer may not know the deal exists."""
    if opportunity.is_partner(viewer):
        flat = _flatten(viewer, opportunity)
        own = f"{_ALWAYS_HIDDEN_PREFIX}{viewer}."
        return frozenset(
            p for p in flat if not p.startswith(_ALWAYS_HIDDEN_PREFIX) or p.startswith(own)
        )
    if opportunity.is_invited(viewer):
        return INVITATION_SUMMARY
    return None


def opportunity_view(viewer: UUID, opportunity: SharedOpportunity) -> dict[str, Any] | None:
    """The opportunity as `viewer` may see it, as JSON-ready data; None for non-participants."""
    mask = visible_paths(viewer, opportunity)
    if mask is None:
        return None
    flat = _flatten(viewer, opportunity)
    return _nest({path: value for path, value in flat.items() if path in mask})


def event_view(viewer: UUID, opportunity: SharedOpportunity, event: Any) -> dict[str, Any] | None:
    """One recorded event as `viewer` may see it; None when none of it is visible."""
    mask = visible_paths(viewer, opportunity)
    if mask is None:
        return None
    data = _event_paths(event)
    visible = {path: value for path, value in data.items() if _allowed(path, mask)}
    if data and not visible:
        return None
    actor: Actor = event.actor
    return {
        "version": event.originator_version,
        "type": type(event).__name__,
        "occurred_at": event.timestamp.isoformat(),
        "actor": {"party_id": str(actor.party_id), "user_id": str(actor.user_id)},
        "data": {path: _json(value) for path, value in visible.items()},
    }


def _allowed(path: str, mask: frozenset[str]) -> bool:
    return path in mask or any(path.startswith(f"{m}.") for m in mask)


def _event_paths(event: Any) -> dict[str, Any]:
    """An event's payload keyed by the field paths it reveals."""
    name = type(event).__name__
    if name == "Registered":
        return {"owner_party_id": event.owner_id, **event.fields}
    if name == "DetailsUpdated":
        return dict(event.changes)
    if name == "CounterpartUpdated":
        prefix = f"{_ALWAYS_HIDDEN_PREFIX}{event.actor.party_id}"
        return {f"{prefix}.{path}": value for path, value in event.changes.items()}
    if name == "PartnerInvited":
        return {"participants": {"party_id": event.party_id, "role": event.role}}
    if name == "PartnerWithdrawn":
        return {"participants": {"party_id": event.party_id, "reason": event.reason}}
    if name == "InvitationDeclined":
        return {"participants": {"party_id": event.actor.party_id, "reason": event.reason}}
    if name == "InvitationAccepted":
        return {"participants": {"party_id": event.actor.party_id}}
    if name == "StageChanged":
        return {"stage": event.stage}
    if name == "Closed":
        stage = Stage.LAUNCHED if Outcome(event.outcome) is Outcome.WON else Stage.CLOSED_LOST
        return {"stage": stage, "closing_reason": event.reason}
    if name == "NoteAdded":
        return {"notes": {"note_id": event.note_id, "text": event.text}}
    return {"unknown": name}


def _flatten(viewer: UUID, opportunity: SharedOpportunity) -> dict[str, Any]:
    flat: dict[str, Any] = {
        "id": opportunity.id,
        "version": opportunity.version,
        "owner_party_id": opportunity.owner_id,
        "created_at": opportunity.created_on,
        "updated_at": opportunity.modified_on,
        "stage": opportunity.stage,
        "closing_reason": opportunity.closing_reason,
        "expected_close_quarter": _quarter(opportunity.fields.get("target_close_date")),
        "participants": [
            {"party_id": p.party_id, "role": p.role, "status": p.status, "since": p.since}
            for p in opportunity.participants.values()
        ],
        "notes": [
            {
                "note_id": n.note_id,
                "author_party_id": n.author.party_id,
                "author_user_id": n.author.user_id,
                "text": n.text,
                "written_at": n.written_at,
            }
            for n in opportunity.notes
        ],
        **opportunity.fields,
    }
    mine = opportunity.participants.get(viewer)
    if mine is not None:
        flat["invitation"] = {"role": mine.role, "status": mine.status, "since": mine.since}
    for party_id, counterpart in opportunity.counterparts.items():
        for path, value in counterpart.fields.items():
            flat[f"{_ALWAYS_HIDDEN_PREFIX}{party_id}.{path}"] = value
    return flat


def _quarter(day: date | None) -> str | None:
    return None if day is None else f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, value in flat.items():
        node = tree
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = _json(value)
    return tree


def _json(value: Any) -> Any:
    """Plain JSON values: amounts as strings (never floats), times in ISO 8601 UTC."""
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Contact):
        return {
            "name": value.name,
            "email": value.email,
            "phone": value.phone,
            "title": value.title,
        }
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value
