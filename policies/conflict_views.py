"""A registration conflict record as the earlier deal's owner may see it.

The new deal is the registrant's: its id and its registrant are shown only once the owner
takes part in it (it would see them on the deal anyway); until then the owner learns only
that a party taking part in its deal registered another deal for the same customer, when,
and which of its own fields matched.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ecosystem.opportunities.conflicts import RegistrationConflictRecord
from policies.redaction import Redaction


def conflict_view(
    redaction: Redaction, viewer: UUID, record: RegistrationConflictRecord
) -> dict[str, Any] | None:
    """The record for its owner; None for anyone else."""
    if viewer != record.owner_id:
        return None
    view: dict[str, Any] = {
        "id": record.id,
        "version": record.version,
        "status": record.status,
        "opportunity_id": record.opportunity_id,
        "matched_fields": list(record.matched),
        "recorded_at": record.created_on,
        "updated_at": record.modified_on,
    }
    if record.answered_by is not None:
        view["answered_by_user_id"] = record.answered_by
    if record.reason:
        view["reason"] = record.reason
    audience = redaction.audience
    if audience is not None and viewer in audience(record.registered_id):
        view["registered_opportunity_id"] = record.registered_id
        view["registered_by_party_id"] = record.registrant_id
    return view
