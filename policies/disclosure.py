"""Which recorded fields of an event a view shows: the disclosure of that event to a party.

The one redaction function decides what a party may see of an event (`Redaction.event_view`
and `shared_event_view`); this module only names, for each value such a view shows, the
paths of the recorded state it came from. A disclosure reveals those paths and withholds
every other field (see `ecosystem.audit.commitments`), so it never shows more than the view.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ecosystem.audit.commitments import Path
from ecosystem.opportunities.fields import CONTACT_PARTS

ALWAYS: tuple[Path, ...] = (("timestamp",), ("originator_topic",))
_CONTACTS = "customer.contacts"
_PARTICIPATION = ("PartnerInvited", "InvitationAccepted", "InvitationDeclined", "PartnerWithdrawn")


def disclosed_paths(event: Any, view: dict[str, Any] | None, shared: bool) -> list[Path]:
    """The recorded paths behind an event view (of a deal, or of a solution or plan)."""
    if view is None:
        return []
    paths = list(ALWAYS)
    if "actor" in view:
        paths.append(("actor",))
    for key, value in view["data"].items():
        found = _shared(event, key, value) if shared else _opportunity(event, key, value)
        paths.extend(found)
    return paths


def _opportunity(event: Any, key: str, value: Any) -> Iterator[Path]:
    name = type(event).__name__
    if name in ("Registered", "DetailsUpdated"):
        base = "fields" if name == "Registered" else "changes"
        if key == "owner_party_id":
            yield ("owner_id",)
        elif key == _CONTACTS:
            yield from _contacts((base, _CONTACTS), value)
        else:
            yield (base, key)
    elif name == "CounterpartUpdated":
        yield ("changes", key.rsplit(".", 1)[-1])
    elif name in _PARTICIPATION:
        yield from ((a,) for a in ("party_id", "role", "reason") if hasattr(event, a))
    elif name == "Closed":
        yield ("outcome",) if key == "stage" else ("reason",)
    elif name in ("Linked", "Unlinked"):
        yield from ((a,) for a in ("object_id", "kind") if hasattr(event, a))
    elif name == "NoteAdded":
        yield from (("note_id",), ("text",))
    else:
        yield (key,)  # StageChanged: `stage`, as recorded


def _contacts(base: Path, shown: list[dict[str, Any]]) -> Iterator[Path]:
    for index, contact in enumerate(shown):
        yield (*base, index, "_type_")
        yield from ((*base, index, "_data_", part) for part in CONTACT_PARTS if part in contact)


def _shared(event: Any, key: str, value: Any) -> Iterator[Path]:
    for holder in ("fields", "changes"):
        if key in (getattr(event, holder, None) or {}):
            yield (holder, key)
            return
    if key in vars(event):
        yield (key,)
