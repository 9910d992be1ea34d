"""The port through which commands learn which fields a partner was granted to write."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from ecosystem.opportunities.domainmodel import SharedOpportunity


class WriteGrants(Protocol):
    def writable(self, party_id: UUID, opportunity: SharedOpportunity) -> frozenset[str]:
        """The detail fields `party_id` may change on an opportunity another party owns."""
        ...


class NoWriteGrants:
    """Until policies are wired in, only an opportunity's owner changes its details."""

    def writable(self, party_id: UUID, opportunity: SharedOpportunity) -> frozenset[str]:
        return frozenset()
