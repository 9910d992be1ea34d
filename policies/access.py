"""Who could read one field of an object at a moment: the sharing policy then in force.

An auditor asks this of its own company's data (every party then involved that its company
may know of, with the rules then in force) or of another company's data (only whether its own
company could read it: a company's policy towards others is its own business).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ecosystem.audit.checkpoints import utc_text
from ecosystem.errors import InvalidCommand
from ecosystem.sharing.domainmodel import SharingPolicy
from ecosystem.sharing.rules import OBJECT_LEAVES
from policies.masks import MaskCompiler
from policies.redaction import Partners, Redaction
from policies.table import default_rows, policy_rows


def access_at(
    found: Any, object_type: str, field: str, owner: UUID, policy: SharingPolicy,
    viewer: UUID, at: datetime, partners: Partners, redaction: Redaction,
) -> dict[str, Any]:  # fmt: skip
    """`found`, `policy` and `partners` as they stood at `at`; the answer as the viewer may
    have it.

    `redaction` (the policies now, as for every view) says which participants the viewer may
    know of: a party it may not know took part is answered for exactly as one that did not."""
    if field not in OBJECT_LEAVES[object_type]:
        leaves = ", ".join(OBJECT_LEAVES[object_type])
        raise InvalidCommand(f"{field!r} is not a field of a {object_type}; one of: {leaves}")
    known = known_participants(redaction, viewer, found, object_type)
    if owner not in known:
        raise InvalidCommand("that party held no data on this object then, as far as you know")
    p_rows, g_rows = default_rows()
    own_p, own_g = policy_rows(policy)
    masks = MaskCompiler(p_rows + own_p, g_rows + own_g)
    seats = Redaction(masks, partners=partners)
    parties = sorted((found.involved_parties | {owner}) & known) if viewer == owner else [viewer]
    decisions = []
    for party in parties:
        seat = seats.seat(party, found)
        readable = None if seat is None else seats.readable(party, seat, owner, object_type)
        could = party == owner or (seat is not None and readable is not None and field in readable)
        decisions.append({"party_id": str(party), "seat": seat, "could_read": could})
    answer: dict[str, Any] = {
        "object_id": str(found.id), "object_type": object_type, "version": found.version,
        "field": field, "owner_party_id": str(owner), "at": utc_text(at),
        "decisions": decisions,
    }  # fmt: skip
    if viewer == owner:  # how often, and how, a company changed its policy is its own business
        answer["policy_version"] = policy.version
        answer["rules_in_force"] = [
            {"viewer": r[0], "object_type": r[2], "field": r[3], "action": r[4], "effect": r[5]}
            for r in own_p
        ]
    return answer


def known_participants(
    redaction: Redaction, viewer: UUID, found: Any, object_type: str
) -> set[UUID]:
    """The parties `viewer` may know took part in `found`: itself and the owner, and every
    participant (invitees too) where the owner's policy shows its seat the participants."""
    seat = redaction.seat(viewer, found)
    if seat is None:
        return set()
    mask = redaction.readable(viewer, seat, found.owner_id, object_type)
    if mask is None or "participants" in mask:
        return {found.owner_id, *found.participants}
    return {found.owner_id, viewer}
