"""The ports through which commands learn what a party may write or read of another's data."""

from __future__ import annotations

from typing import Any, Protocol
from uuid import UUID

from ecosystem.errors import CosellError
from ecosystem.opportunities.domainmodel import SharedOpportunity


class WriteGrants(Protocol):
    def writable(self, party_id: UUID, opportunity: SharedOpportunity) -> frozenset[str]:
        """The detail fields `party_id` may change on an opportunity another party owns."""
        ...


class NoWriteGrants:
    """Until policies are wired in, only an opportunity's owner changes its details."""

    def writable(self, party_id: UUID, opportunity: SharedOpportunity) -> frozenset[str]:
        return frozenset()


class ReadGrants(Protocol):
    """What a command may tell a party: an answer that depends on a value is given only to a
    party that may read it (the sharing policies decide, through the one redaction)."""

    def readable(
        self, party_id: UUID, found: Any, object_type: str, owner: UUID | None = None
    ) -> frozenset[str] | None:
        """The leaves of `owner`'s data on `found` (the object owner's, by default) that
        `party_id` may read: None for all (its own data), none if it takes no part."""
        ...


class OwnDataOnly:
    """Until policies are wired in, a party may read only its own data."""

    def readable(
        self, party_id: UUID, found: Any, object_type: str, owner: UUID | None = None
    ) -> frozenset[str] | None:
        return None if party_id == (found.owner_id if owner is None else owner) else frozenset()


def may_read(grants: ReadGrants, party_id: UUID, found: Any, object_type: str, leaf: str,
             owner: UUID | None = None) -> bool:  # fmt: skip
    """Whether `party_id` may read that leaf of `owner`'s data on `found`."""
    readable = grants.readable(party_id, found, object_type, owner)
    return readable is None or leaf in readable


def refusal_for(
    refused: CosellError, grants: ReadGrants, party_id: UUID, found: Any, object_type: str
) -> CosellError:
    """The refusal as `party_id` may have it: one that reveals data the party may not read
    gives way to the answer it would get were that data not there (the same status and
    text for a right guess as for a wrong one)."""
    while refused.otherwise is not None and not all(
        may_read(grants, party_id, found, object_type, leaf, owner)
        for leaf, owner in refused.reveals
    ):
        refused = refused.otherwise
    return refused
