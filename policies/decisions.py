"""The policy in force: follows SharingPolicy events, keeps the rule table current, serves masks.

Every read asks for a `Redaction` here. Asking first reads the log's head position (one
indexed MAX query); only when the log has grown is the new stretch searched for policy
events, and if there are any, their owners' rows are projected into
the Casbin table, the enforcer is reloaded from it and every compiled mask is dropped. So a
change made by any process is in force for the next read of every process. Whether two
parties are partners is asked of the log at each redaction (once per pair); the newest
partnership event seen is kept, for read-model reads to wait for.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol
from uuid import UUID

import casbin
from eventsourcing.domain import Aggregate
from sqlalchemy.exc import IntegrityError

from ecosystem.audit.sealing import PersonalData
from ecosystem.opportunities.domainmodel import SharedOpportunity
from ecosystem.opportunities.fields import CORE_FIELDS, leaves_of
from ecosystem.partnerships.domainmodel import Partnership
from ecosystem.sharing.domainmodel import SharingPolicy
from ecosystem.sharing.rules import party_viewer
from policies.masks import MaskCompiler
from policies.redaction import OBJECT_TYPE, Partners, Redaction
from policies.table import PolicyTable


class PolicySource(Protocol):
    """What the decisions need of the network: the policy events and the policies."""

    def changed_since(
        self, aggregate_class: type[Aggregate], position: int, limit: int = 500
    ) -> list[tuple[int, UUID]]: ...

    def sharing_policy_by_id(self, policy_id: UUID) -> SharingPolicy: ...

    def involved_in(self, object_id: UUID) -> frozenset[UUID]: ...

    def is_active_partnership(self, party_a: UUID, party_b: UUID) -> bool: ...

    personal_data: PersonalData

    @property
    def log_position(self) -> int: ...


class PolicyDecisions:
    def __init__(self, source: PolicySource, table: PolicyTable) -> None:
        self._source = source
        self._table = table
        self._lock = threading.Lock()
        self._position = table.position()
        self._checked = 0  # the log position up to which policy events have been looked for
        # The newest partnership event reads must reflect; before this process started, any.
        self._partnership_position = self._partnerships_checked = source.log_position
        self.enforcer: casbin.Enforcer = table.enforcer()
        self._masks = MaskCompiler(self.enforcer.get_policy(), self.enforcer.get_grouping_policy())
        self.refresh()

    @property
    def position(self) -> int:
        """The log position of the newest policy event now in force here."""
        return self._position

    @property
    def partnership_position(self) -> int:
        """The log position of the newest partnership event seen here (or, for those before
        this process started, the log's head then): read models reflect it before a list
        answers, so none shows what an ended partnership now hides."""
        return self._partnership_position

    def refresh(self) -> MaskCompiler:
        """The masks of the policy in force now, after taking in any new policy events."""
        head = self._source.log_position  # one indexed MAX(id): usually nothing is new
        if head <= self._checked:
            return self._masks
        with self._lock:
            changed = False
            start = max(self._checked, self._position)
            while batch := self._source.changed_since(SharingPolicy, start):
                self._project({owner for _, owner in batch}, batch[-1][0])
                self._position = start = batch[-1][0]
                changed = True
            self._checked = max(self._checked, head)
            while batch := self._source.changed_since(Partnership, self._partnerships_checked):
                self._partnership_position = self._partnerships_checked = batch[-1][0]
            self._partnerships_checked = max(self._partnerships_checked, head)
            if changed:
                self._reload()
        return self._masks

    def redaction(self, open_personal_data: bool = True) -> Redaction:
        """The one redaction function under the policy in force now; personal data opened for
        the reader, or kept sealed as read models hold it."""
        opener = self._source.personal_data.open_texts if open_personal_data else None
        return Redaction(
            self.refresh(), self._source.involved_in, opener, partners=self._partners_now()
        )

    def _partners_now(self) -> Partners:
        """Whether two parties are active partners, asked once per pair per redaction."""
        known: dict[frozenset[UUID], bool] = {}

        def partners(party_a: UUID, party_b: UUID) -> bool:
            pair = frozenset((party_a, party_b))
            if pair not in known:
                known[pair] = self._source.is_active_partnership(party_a, party_b)
            return known[pair]

        return partners

    def writable(self, party_id: UUID, opportunity: SharedOpportunity) -> frozenset[str]:
        """The detail fields an accepted partner was granted to write (WriteGrants): none
        unless it and the owner are active partners."""
        if not opportunity.is_partner(party_id):
            return frozenset()
        if not self._source.is_active_partnership(party_id, opportunity.owner_id):
            return frozenset()
        mask = self.refresh().mask(
            party_viewer(party_id), str(opportunity.owner_id), OBJECT_TYPE, "write"
        )
        return frozenset(path for path in CORE_FIELDS if set(leaves_of(path)) <= mask)

    def readable(
        self, party_id: UUID, found: Any, object_type: str, owner: UUID | None = None
    ) -> frozenset[str] | None:
        """The leaves of `owner`'s data on `found` the party may read, as every view decides
        them (ReadGrants): None for its own data, none when it takes no part."""
        owner = found.owner_id if owner is None else owner
        if party_id == owner:
            return None
        redaction = Redaction(self.refresh(), partners=self._partners_now())
        seat = redaction.seat(party_id, found)
        if seat is None:
            return frozenset()
        return redaction.readable(party_id, seat, owner, object_type)

    def rebuild(self) -> int:
        """The whole table again from a replay of every policy; returns the row count."""
        with self._lock:
            position = 0
            owners: set[UUID] = set()
            while batch := self._source.changed_since(SharingPolicy, position):
                owners.update(owner for _, owner in batch)
                position = batch[-1][0]
            policies = [self._source.sharing_policy_by_id(p) for p in owners]
            count = self._table.rebuild(policies, position)
            self._position = position
            self._reload()
            return count

    def _project(self, policy_ids: set[UUID], position: int) -> None:
        policies = [self._source.sharing_policy_by_id(p) for p in policy_ids]
        try:
            self._table.project(policies, position)
        except IntegrityError:  # another process created the tracking row at the same moment
            self._table.project(policies, position)

    def _reload(self) -> None:
        self.enforcer.load_policy()
        self._masks = MaskCompiler(self.enforcer.get_policy(), self.enforcer.get_grouping_policy())
