"""The ONE redaction function: an opportunity, or one of its events, as a given party may see it.

Every output (API responses, lists, histories, error details, and later read models, feeds
and exports) takes its view from here. Each value has an owner (the object's owner for core
fields, the participant for its counterpart fields and notes) and a policy leaf; it leaves
only if the viewer is that owner, or the two are active partners and the owner's compiled
mask for the viewer holds the leaf.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from ecosystem.actors import Actor
from ecosystem.opportunities.domainmodel import Outcome, SharedOpportunity
from ecosystem.opportunities.fields import CONTACT_PARTS, CORE_FIELDS, Stage
from ecosystem.shared_objects import SharedObject
from ecosystem.sharing.rules import INVITED, party_viewer
from policies.masks import MaskCompiler
from policies.personal_data import Opener, open_views
from policies.rendering import as_json, nest, quarter
from policies.shared_views import Audience, shared_event_view, shared_view
from policies.timeline import Seen, history_of

OBJECT_TYPE = "opportunity"
Partners = Callable[[UUID, UUID], bool]  # whether two parties are active partners
_CONTACTS = "customer.contacts"


class Redaction:
    """Views of shared objects under one compiled snapshot of every company's policy.

    `audience` says who takes part in an object now; a link between a deal and a solution or
    plan is shown only to the parties of the other side too (without it, links are hidden).
    `opener` opens sealed personal data for the reader; without it (read models) views keep
    it sealed, to be opened as they are served. `partners` says whether two parties are
    active partners (at the moment the views are of): no data crosses between others.
    """

    def __init__(
        self, masks: MaskCompiler, audience: Audience | None = None, opener: Opener | None = None,
        *, partners: Partners,
    ) -> None:  # fmt: skip
        self._masks = masks
        self.audience = audience
        self.opener = opener
        self.partners = partners

    def seat(self, viewer: UUID, opportunity: Any) -> str | None:
        """How the viewer asks: as itself when it accepted, as `invited`, or not at all."""
        if opportunity.is_partner(viewer):
            return party_viewer(viewer)
        if opportunity.is_invited(viewer):
            return INVITED
        return None

    def readable(
        self, viewer: UUID, seat: str, owner: UUID, object_type: str = OBJECT_TYPE
    ) -> frozenset[str] | None:
        """The leaves of `owner`'s data the viewer may read; None means all (its own data).

        Nothing of a party's data reaches another once their partnership is not active,
        whatever the policy says and whoever owns the object it is on."""
        if owner == viewer:
            return None
        if not self.partners(viewer, owner):
            return frozenset()
        return self._masks.mask(seat, str(owner), object_type, "read")

    def shared_view(self, viewer: UUID, found: SharedObject) -> dict[str, Any] | None:
        """A joint solution or co-funding plan as `viewer` may see it; None for outsiders."""
        return shared_view(self, viewer, found, self.audience)

    def shared_event_view(
        self, viewer: UUID, found: SharedObject, event: Any, seat: str | None = None
    ) -> dict[str, Any] | None:
        """One recorded event of a solution or plan as `viewer` may see it (from `seat`,
        its seat when the event happened; by default its seat now)."""
        return shared_event_view(self, viewer, found, event, self.audience, seat)

    def history(self, viewer: UUID, found: Any, events: Iterable[Any]) -> list[Seen]:
        """The events of a deal, solution or plan that reach `viewer`, as it may see them."""
        return history_of(self, viewer, found, events)

    def _visible_links(self, viewer: UUID, opportunity: SharedOpportunity) -> list[Any]:
        audience = self.audience
        if audience is None:
            return []
        return [
            {"object_id": link.object_id, "kind": link.kind, "linked_by": link.linked_by,
             "since": link.since}
            for link in opportunity.links.values() if viewer in audience(link.object_id)
        ]  # fmt: skip

    def opportunity_view(
        self, viewer: UUID, opportunity: SharedOpportunity
    ) -> dict[str, Any] | None:
        """The opportunity as `viewer` may see it, as JSON-ready data; None for outsiders."""
        seat = self.seat(viewer, opportunity)
        if seat is None:
            return None
        core = _Gate(self.readable(viewer, seat, opportunity.owner_id))
        flat: dict[str, Any] = {
            "id": opportunity.id,
            "version": opportunity.version,
            "owner_party_id": opportunity.owner_id,
        }
        if seat != INVITED:  # an invitation summary says nothing of the deal's timeline
            flat.update(created_at=opportunity.created_on, updated_at=opportunity.modified_on)
        mine = opportunity.participants.get(viewer)
        if mine is not None:
            flat["invitation"] = {"role": mine.role, "status": mine.status, "since": mine.since}
        for path, value in _core_values(opportunity).items():
            core.put(flat, path, value)
        if seat != INVITED:  # when each stage began is part of the stage, and of the timeline
            stays = [{"stage": s.stage, "since": s.since} for s in opportunity.stage_history]
            core.put(flat, "stage_history", stays, leaf="stage")
        notes = [
            n for n in opportunity.notes
            if _Gate(self.readable(viewer, seat, n.author.party_id)).allows("notes")
        ]  # fmt: skip
        if notes or core.allows("notes"):
            flat["notes"] = [_note(n) for n in notes]
        if opportunity.links and core.allows("links"):
            flat["links"] = self._visible_links(viewer, opportunity)
        for party_id, counterpart in opportunity.counterparts.items():
            gate = _Gate(self.readable(viewer, seat, party_id))
            for name, value in counterpart.fields.items():
                if gate.allows(f"counterparts.{name}"):
                    flat[f"counterparts.{party_id}.{name}"] = value
        view = nest(flat)
        open_views([view], self.opener, opportunity.erased_subjects)
        return view

    def event_view(
        self, viewer: UUID, opportunity: SharedOpportunity, event: Any, seat: str | None = None
    ) -> dict[str, Any] | None:
        """One recorded event as `viewer` may see it; None when none of it is visible.

        `seat` is the viewer's seat when the event happened (see `policies.timeline`, which
        decides which events reach a party at all); by default its seat now."""
        seat = seat or self.seat(viewer, opportunity)
        if seat is None:
            return None
        owner = opportunity.owner_id
        actor: Actor = event.actor
        if type(event).__name__ in ("Linked", "Unlinked") and (
            self.audience is None or viewer not in self.audience(event.object_id)
        ):
            return None
        visible: dict[str, Any] = {}
        entries = _event_entries(viewer, opportunity, event)
        for key, (leaf, data_owner, value) in entries.items():
            gate = _Gate(None if leaf is None else self.readable(viewer, seat, data_owner))
            gate.put(visible, key, value, leaf)
        if entries and not visible:
            return None
        view: dict[str, Any] = {
            "version": event.originator_version,
            "type": type(event).__name__,
            "occurred_at": event.timestamp.isoformat(),
            "data": {path: as_json(value) for path, value in visible.items()},
        }
        # Who acted is itself a fact about the deal: shown as far as participants are.
        if actor.party_id in (viewer, owner) or _Gate(self.readable(viewer, seat, owner)).allows(
            "participants"
        ):
            view["actor"] = {"party_id": str(actor.party_id), "user_id": str(actor.user_id)}
        open_views([view], self.opener, opportunity.erased_subjects)
        return view


class _Gate:
    """One owner's mask for one viewer; None lets everything through."""

    def __init__(self, mask: frozenset[str] | None) -> None:
        self.mask = mask

    def allows(self, leaf: str) -> bool:
        return self.mask is None or leaf in self.mask

    def put(self, flat: dict[str, Any], path: str, value: Any, leaf: str | None = None) -> None:
        """Copy the value if visible; contacts keep only the parts that are."""
        leaf = path if leaf is None else leaf
        if leaf == _CONTACTS:
            parts = [p for p in CONTACT_PARTS if self.allows(f"{_CONTACTS}.{p}")]
            if parts:
                flat[path] = [{p: getattr(c, p) for p in parts} for c in value]
        elif self.allows(leaf):
            flat[path] = value


def _core_values(opportunity: SharedOpportunity) -> dict[str, Any]:
    return {
        "stage": opportunity.stage,
        "closing_reason": opportunity.closing_reason,
        "expected_close_quarter": quarter(opportunity.fields.get("target_close_date")),
        "participants": [
            {"party_id": p.party_id, "role": p.role, "status": p.status, "since": p.since}
            for p in opportunity.participants.values()
        ],
        **opportunity.fields,
    }


def _note(note: Any) -> dict[str, Any]:
    return {
        "note_id": note.note_id,
        "author_party_id": note.author.party_id,
        "author_user_id": note.author.user_id,
        "text": note.text,
        "written_at": note.written_at,
    }


Entry = tuple[str | None, UUID, Any]  # (policy leaf or None for always visible, owner, value)


def _event_entries(viewer: UUID, opportunity: SharedOpportunity, event: Any) -> dict[str, Entry]:
    """An event's payload by output key, each with the leaf and owner that govern it."""
    name = type(event).__name__
    owner = opportunity.owner_id
    author = event.actor.party_id
    if name == "Registered":
        fields = {p: (p, owner, v) for p, v in event.fields.items() if p in CORE_FIELDS}
        return {"owner_party_id": (None, owner, event.owner_id), **fields}
    if name == "DetailsUpdated":
        return {path: (path, owner, value) for path, value in event.changes.items()}
    if name == "CounterpartUpdated":
        return {
            f"counterparts.{author}.{path}": (f"counterparts.{path}", author, value)
            for path, value in event.changes.items()
        }
    if name in ("PartnerInvited", "PartnerWithdrawn", "InvitationDeclined", "InvitationAccepted"):
        party = getattr(event, "party_id", author)
        data = {"party_id": party}
        data.update({k: getattr(event, k) for k in ("role", "reason") if hasattr(event, k)})
        leaf = None if party == viewer else "participants"  # its own invitation: always
        return {"participants": (leaf, owner, data)}
    if name == "StageChanged":
        return {"stage": ("stage", owner, event.stage)}
    if name == "Closed":
        stage = Stage.LAUNCHED if Outcome(event.outcome) is Outcome.WON else Stage.CLOSED_LOST
        return {
            "stage": ("stage", owner, stage),
            "closing_reason": ("closing_reason", owner, event.reason),
        }
    if name in ("Linked", "Unlinked"):
        link = {"object_id": event.object_id, "kind": getattr(event, "kind", None)}
        return {"links": ("links", owner, link)}
    if name == "NoteAdded":
        return {"notes": ("notes", author, {"note_id": event.note_id, "text": event.text})}
    if name == "PersonalDataErased":
        return {}  # every participant may know that a contact's personal data was erased
    return {"unknown": ("unknown", owner, name)}  # a leaf no mask holds: never shown
