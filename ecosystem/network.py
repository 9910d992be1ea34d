"""The Network application: every service of the co-sell network over one event store."""

from __future__ import annotations

from ecosystem.opportunities.application import OpportunityCommands


class Network(OpportunityCommands):
    """Parties, users, partnerships and shared opportunities, with one append-only history."""


__all__ = ["Network"]
