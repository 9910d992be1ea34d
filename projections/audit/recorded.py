"""Events as recorded, with their leaves: read back, shown as a party may see them, and
disclosed to it field by field with the proofs of what it may not see."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from sqlalchemy import select

from ecosystem.audit.canonical import parsed
from ecosystem.audit.commitments import Path, Reveal, disclose
from ecosystem.audit.leaves import state_digest
from ecosystem.audit.sealing import Sealed, open_sealed
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import SharedOpportunity
from policies.disclosure import disclosed_paths
from projections.audit.ledger import LedgerRecorder, ledger
from projections.audit.verify_store import SIGNED_TOPIC

EVERYTHING: list[Path] = [()]
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)


@dataclass(frozen=True)
class Recorded:
    """One stored event and its ledger row."""

    position: int
    leaf_index: int
    object_id: UUID
    version: int
    topic: str
    state: bytes
    seed: bytes
    leaf: bytes

    @property
    def stored(self) -> StoredEvent:
        return StoredEvent(self.object_id, self.version, self.topic, self.state)


class RecordedLog:
    """Read access to the recorded events of the network's store, with their leaves."""

    def __init__(self, network: Network) -> None:
        self.network = network
        recorder = network.recorder
        assert isinstance(recorder, LedgerRecorder)
        self._recorder = recorder
        self._events = recorder.events_record_cls.__table__

    def of(self, object_id: UUID, below: int | None = None) -> list[Recorded]:
        """An object's events, oldest first (those among the first `below` leaves)."""
        condition = self._events.c.originator_id == object_id
        return self._select(condition, below, self._events.c.originator_version)

    def signed_commands(self, below: int) -> dict[tuple[str, int], Recorded]:
        """Each signed command among the first `below` leaves, by the acts it signed."""
        found: dict[tuple[str, int], Recorded] = {}
        condition = self._events.c.topic == SIGNED_TOPIC
        for recorded in self._select(condition, below, self._events.c.id):
            for object_hex, versions in self.plain(recorded).get("results", {}).items():
                for version in versions:
                    found[(object_hex, int(version))] = recorded
        return found

    def _select(self, condition: Any, below: int | None, order: Any) -> list[Recorded]:
        e = self._events
        query = (
            select(e.c.id, ledger.c.leaf_index, e.c.originator_id, e.c.originator_version,
                   e.c.topic, e.c.state, ledger.c.seed, ledger.c.leaf)
            .join(ledger, ledger.c.position == e.c.id)
            .where(condition)
            .order_by(order)
        )  # fmt: skip
        if below is not None:
            query = query.where(ledger.c.leaf_index < below)
        engine: Any = self.network.factory.datastore.engine  # type: ignore[attr-defined]
        with engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            Recorded(r[0], r[1], UUID(str(r[2])), r[3], r[4], bytes(r[5]), bytes(r[6]),
                     bytes(r[7]))
            for r in rows
        ]  # fmt: skip

    def event(self, recorded: Recorded) -> Any:
        return self.network.mapper.to_domain_event(recorded.stored)

    def plain(self, recorded: Recorded) -> Any:
        return parsed(self._recorder.plain(recorded.state))


class Discloser:
    """Bundle entries for recorded events: disclosed as far as `paths` say, or withheld."""

    def __init__(self, log: RecordedLog, erased: Iterable[UUID] = ()) -> None:
        self._log = log
        self._keys: dict[UUID, bytes | None] = {}
        self._erased = set(erased)

    def entry(self, recorded: Recorded, paths: list[Path]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "leaf_index": recorded.leaf_index, "position": recorded.position,
            "object_id": recorded.object_id.hex, "version": recorded.version,
            "leaf": recorded.leaf.hex(),
        }  # fmt: skip
        if not paths:
            entry["withheld"] = True
            return entry
        content = disclose(self._log.plain(recorded), recorded.seed, Reveal(paths), self._open)
        entry.update(
            topic=recorded.topic,
            state=state_digest(recorded.seed, recorded.state).hex(),
            content=content,
        )
        return entry

    def _open(self, data: dict[str, Any]) -> tuple[bytes, str] | None:
        sealed = Sealed.from_data(data)
        if sealed.subject in self._erased:
            return None
        if sealed.subject not in self._keys:
            found = self._log.network.personal_data.store.keys([sealed.subject])
            self._keys[sealed.subject] = found.get(sealed.subject)
        key = self._keys[sealed.subject]
        return None if key is None else open_sealed(key, sealed)


def view_paths(view: dict[str, Any] | None, event: Any, found: Any) -> list[Path]:
    return disclosed_paths(event, view, shared=not isinstance(found, SharedOpportunity))


def uuids_in(text: str) -> set[UUID]:
    return {UUID(match) for match in _UUID.findall(text)}
