"""Read-model rows of joint solutions and co-funding plans: one party's view of one object.

As for deals, every column is taken from the party's redacted view, so a list can only show,
sort by or count what the party may see.
"""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from ecosystem.shared_objects import SharedObject
from policies import Redaction
from policies.shared_views import OBJECT_TYPES
from projections.rows import canonical, moment_key


def shared_rows_of(
    found: SharedObject, redaction: Redaction, companies: frozenset[UUID] | None
) -> list[dict[str, Any]]:
    """The rows of every involved party (of `companies`, when given) for one object."""
    rows = []
    for party in found.involved_parties:
        if companies is not None and party not in companies:
            continue
        view = redaction.shared_view(party, found)
        if view is not None:
            rows.append(shared_row(party, OBJECT_TYPES[type(found)], view))
    return rows


def shared_row(party: UUID, object_type: str, view: dict[str, Any]) -> dict[str, Any]:
    text = canonical(view)
    owner = view["owner_party_id"]
    if owner == str(party):
        relation = "owned"
    elif (view.get("invitation") or {}).get("status") == "invited":
        relation = "invited"
    else:
        relation = "partner"
    return {
        "party_id": party.hex,
        "object_id": UUID(view["id"]).hex,
        "object_type": object_type,
        "version": view["version"],
        "relation": relation,
        "owner_party_id": UUID(owner).hex,
        "name_key": (view.get("name") or "").replace("\x00", "").casefold(),
        "updated_at": moment_key(view.get("updated_at")),
        "view": text,
        "digest": hashlib.sha256(text.encode()).hexdigest(),
    }


def shared_index_entry(found: SharedObject) -> dict[str, Any]:
    """Whose data the object may hold: every party that ever took part in it."""
    owners = sorted(found.participants)
    return {
        "opportunity_id": found.id.hex,
        "version": found.version,
        "data_owners": "," + "".join(f"{o.hex}," for o in owners),
    }
