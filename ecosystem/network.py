"""The Network application: every service of the co-sell network over one event store."""

from __future__ import annotations

from ecosystem.opportunities.application import OpportunityCommands
from ecosystem.sharing.application import SharingCommands


class Network(OpportunityCommands, SharingCommands):
    """Parties, partnerships, shared opportunities and sharing policies, in one history."""


__all__ = ["Network"]
