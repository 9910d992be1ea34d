"""A party's history of an object: event by event, what its seat at that event let it see.

The one redaction function decides what a party may see of an event; this module decides
which events reach it at all, from the party's seat in the object as it stood just after each
event (the object is replayed alongside):

- no seat then (not yet invited, declined, withdrawn): nothing, not even that the event was;
- invited: only the event that invited it (the invitation summary has no timeline);
- a participant (owner or accepted): the event as the policy in force now lets its seat see it.

An event a party may not see must not show through the ones it may: each shown event is
numbered by its place in the party's own history (1, 2, 3, ... with no gaps), not by the
object's version, so the numbering tells nothing of the events left out.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ecosystem.opportunities.domainmodel import SharedOpportunity
from ecosystem.sharing.rules import INVITED

if TYPE_CHECKING:
    from policies.redaction import Redaction


@dataclass(frozen=True)
class Seen:
    """One event of a party's history: the recorded event and the party's view of it."""

    event: Any
    view: dict[str, Any]

    @property
    def object_version(self) -> int:
        """The object's version the event made (never shown to the party)."""
        return int(self.event.originator_version)


def history_of(
    redaction: Redaction, viewer: UUID, current: Any, events: Iterable[Any]
) -> list[Seen]:
    """The events of `current` (oldest first, all of them) that reach `viewer`, as it sees them."""
    seen: list[Seen] = []
    then: Any = None
    seat: str | None = None
    for event in events:
        before = seat
        then = copy.deepcopy(event).mutate(then)  # replaying must not alter the event shown
        seat = redaction.seat(viewer, then)
        if seat is None or (seat == INVITED and before == INVITED):
            continue
        if isinstance(current, SharedOpportunity):
            view = redaction.event_view(viewer, current, event, seat)
        else:
            view = redaction.shared_event_view(viewer, current, event, seat)
        if view is not None:
            view["version"] = len(seen) + 1
            seen.append(Seen(event, view))
    return seen


__all__ = ["Seen", "history_of"]
