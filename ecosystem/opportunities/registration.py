"""Registering deals: the customer index, registration conflicts and their records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ecosystem.actors import Capability, Principal
from ecosystem.errors import NotFound
from ecosystem.keys import KeyedIndex, key_id
from ecosystem.opportunities.conflicts import (
    RegistrationConflict,
    RegistrationConflictRecord,
    customer_keys,
    matched_fields,
)
from ecosystem.opportunities.domainmodel import SharedOpportunity
from ecosystem.partnerships.application import PartnershipCommands
from ecosystem.service import Idempotency, Written, check_version
from ecosystem.sharing.access import OwnDataOnly, ReadGrants, may_read

Match = tuple[SharedOpportunity, list[str]]  # an earlier deal and the fields that matched


class RegistrationCommands(PartnershipCommands):
    read_grants: ReadGrants = OwnDataOnly()  # the composition root wires in the policies

    def register_opportunity(
        self,
        principal: Principal,
        fields: dict[str, Any],
        override_conflicts: bool = False,
        idempotency: Idempotency | None = None,
    ) -> Written:
        """Register a deal. An open deal for the same customer that the caller takes part in
        refuses it (409) only if the caller may see the field that matched; otherwise the
        deal is registered and that deal's owner finds a conflict record."""
        principal.require(Capability.SELL)

        def attempt() -> tuple[Sequence[Aggregate], Written]:
            opportunity = SharedOpportunity.register(principal.party_id, fields, principal.actor)
            indexes = self._customer_indexes(opportunity)
            told, untold = self._matches(principal.party_id, opportunity, indexes)
            if told and not override_conflicts:
                raise RegistrationConflict([other.id for other, _ in told])
            for index in indexes:
                index.file(opportunity.id)
            records = self._conflict_records(principal, opportunity, told + untold)
            return [opportunity, *indexes, *records], Written(opportunity.id, opportunity.version)

        return self.execute(attempt, idempotency, principal)

    # --- the owner's records ------------------------------------------------------------------

    def registration_conflicts(self, principal: Principal) -> list[RegistrationConflictRecord]:
        """The conflict records of the caller's party's deals, oldest first. Found by a scan
        of the records' first events: an index of them would be one more object for every
        registration that leaves a record to load and write, which the registrant would
        wait for, and so could time."""
        principal.require(Capability.READ)
        party = principal.party_id
        ids = [e.originator_id for e in self.events_of(RegistrationConflictRecord, "Recorded")
               if e.owner_id == party]  # fmt: skip
        return [self.registration_conflict(principal, i) for i in ids]

    def registration_conflict(
        self, principal: Principal, record_id: UUID
    ) -> RegistrationConflictRecord:
        """One record of the caller's party's; NotFound for anyone else's."""
        principal.require(Capability.READ)
        record = self.load(RegistrationConflictRecord, record_id, "registration conflict")
        if record.owner_id != principal.party_id:
            raise NotFound(f"no registration conflict with id {record_id}")
        return record

    def acknowledge_conflict(
        self, principal: Principal, record_id: UUID, expected_version: int | None = None,
        idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        return self._answer_conflict(
            principal, record_id, lambda r: r.acknowledge(principal.actor), expected_version,
            idempotency,
        )  # fmt: skip

    def dismiss_conflict(
        self, principal: Principal, record_id: UUID, reason: str = "",
        expected_version: int | None = None, idempotency: Idempotency | None = None,
    ) -> Written:  # fmt: skip
        return self._answer_conflict(
            principal, record_id, lambda r: r.dismiss(reason, principal.actor), expected_version,
            idempotency,
        )  # fmt: skip

    # --- helpers ----------------------------------------------------------------------------

    def _matches(
        self, party_id: UUID, opportunity: SharedOpportunity, indexes: list[KeyedIndex]
    ) -> tuple[list[Match], list[Match]]:
        """Open deals for the same customer that the party takes part in: those where it may
        see a field that matched, and the others (the same work is done for both)."""
        keys = set(customer_keys(opportunity.fields))
        told: list[Match] = []
        untold: list[Match] = []
        for other in self._indexed_opportunities(indexes):
            if not other.is_open or party_id not in other.involved_parties:
                continue
            matched = matched_fields(keys, other.fields)  # the index keeps old names too
            seen = [
                f for f in matched if may_read(self.read_grants, party_id, other, "opportunity", f)
            ]
            if matched:
                (told if seen else untold).append((other, matched))
        return told, untold

    def _conflict_records(
        self, principal: Principal, opportunity: SharedOpportunity, matches: list[Match]
    ) -> list[Aggregate]:
        """A record for the owner of each earlier deal of another party's."""
        return [
            RegistrationConflictRecord(
                other.id, other.owner_id, opportunity.id, matched, principal.actor
            )
            for other, matched in matches
            if other.owner_id != principal.party_id
        ]

    def _answer_conflict(
        self, principal: Principal, record_id: UUID, act: Any, expected_version: int | None,
        idempotency: Idempotency | None,
    ) -> Written:  # fmt: skip
        def attempt() -> tuple[Sequence[Aggregate], Written]:
            record = self.registration_conflict(principal, record_id)  # 404 comes before 403
            principal.require(Capability.SELL)
            check_version(record, expected_version)
            act(record)
            return [record], Written(record.id, record.version)

        return self.execute(attempt, idempotency, principal)

    def _customer_indexes(self, opportunity: SharedOpportunity) -> list[KeyedIndex]:
        indexes = []
        for key in customer_keys(opportunity.fields):
            index_id = key_id("customer", key)
            if self.exists(index_id):
                indexes.append(self.load(KeyedIndex, index_id, "customer index"))
            else:
                indexes.append(KeyedIndex("customer", key))
        return indexes

    def _indexed_opportunities(self, indexes: list[KeyedIndex]) -> list[SharedOpportunity]:
        ids = dict.fromkeys(target for index in indexes for target in index.targets)
        return [self.load(SharedOpportunity, i, "opportunity") for i in ids]
