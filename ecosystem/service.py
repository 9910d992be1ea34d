"""The application core every command shares: loading, saving, retries and idempotency."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording
from eventsourcing.utils import Environment, get_topic

from ecosystem.errors import (
    Conflict,
    CosellError,
    IdempotencyKeyReused,
    NotFound,
    VersionMismatch,
)
from ecosystem.keys import IdempotencyRecord, key_id
from ecosystem.transcodings import register_cosell_transcodings

A = TypeVar("A", bound=Aggregate)

MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Idempotency:
    """A client's Idempotency-Key with a fingerprint of the request it came with."""

    user_id: UUID
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Written:
    """What a command wrote: the object it is about and that object's new version."""

    object_id: UUID
    version: int
    extra: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False
    position: int = 0  # the log position of the write (or, for a replay, a later one)


Attempt = Callable[[], tuple[Sequence[Aggregate], Written]]


class NetworkBase(Application[UUID]):
    """Event store plumbing shared by the party, partnership and opportunity services."""

    name = "Cosell"

    def construct_env(self, name: str, env: Any = None) -> Environment:
        # Settings are read once, by the composition root; not from os.environ here.
        return Environment(name, dict(env or {}))

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_cosell_transcodings(transcoder)

    def __init__(self, env: Any = None) -> None:
        super().__init__(env)
        self.recorded_listeners: list[Callable[[], None]] = []

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """Tell in-process followers (the projection runner) that the log has grown."""
        super()._notify(recordings)
        for listener in self.recorded_listeners:
            listener()

    def close(self) -> None:
        super().close()
        engine = getattr(getattr(self.factory, "datastore", None), "engine", None)
        if engine is not None:
            engine.dispose()  # return pooled connections now, not at garbage collection

    def load(self, cls: type[A], object_id: UUID, what: str) -> A:
        try:
            aggregate: Aggregate = self.repository.get(object_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} with id {object_id}") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"no {what} with id {object_id}")
        return aggregate

    def exists(self, object_id: UUID) -> bool:
        return object_id in self.repository

    def execute(self, attempt: Attempt, idempotency: Idempotency | None = None) -> Written:
        """Run a command: load, decide, save; retried on a concurrent write.

        An attempt that names an expected version re-checks it on every try, so a stale
        write fails with VersionMismatch instead of being retried onto newer state.
        """
        replay = self._replayed(idempotency)
        if replay is not None:
            return replay
        for _ in range(MAX_ATTEMPTS):
            try:
                aggregates, written = attempt()
            except CosellError:
                replay = self._replayed(idempotency)  # a twin with this key may have just won
                if replay is not None:
                    return replay
                raise
            pending = list(aggregates)
            if idempotency is not None:
                outcome = {
                    "object_id": written.object_id.hex,
                    "version": written.version,
                    "extra": {name: str(value) for name, value in written.extra.items()},
                }
                pending.append(
                    IdempotencyRecord(
                        idempotency.user_id, idempotency.key, idempotency.fingerprint, outcome
                    )
                )
            try:
                recordings = self.save(*pending)
            except IntegrityError:
                replay = self._replayed(idempotency)
                if replay is not None:
                    return replay
                continue
            position = max((r.notification.id for r in recordings), default=0)
            return replace(written, position=position or 0)
        raise Conflict("the object is changing too quickly right now; retry the request")

    def _replayed(self, idempotency: Idempotency | None) -> Written | None:
        if idempotency is None:
            return None
        record_id = key_id("idempotency", f"{idempotency.user_id}:{idempotency.key}")
        try:
            record: IdempotencyRecord = self.repository.get(record_id)
        except AggregateNotFoundError:
            return None
        if record.fingerprint != idempotency.fingerprint:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was already used with a different request; "
                "use a new key for a new request"
            )
        outcome = record.outcome
        # The first write is at or before today's head: waiting for the head reads it.
        extra = {name: UUID(value) for name, value in outcome.get("extra", {}).items()}
        return Written(
            UUID(outcome["object_id"]), outcome["version"], extra, replayed=True,
            position=self.log_position,
        )  # fmt: skip

    def at_version(self, cls: type[A], object_id: UUID, version: int, what: str) -> A:
        aggregate = self.load(cls, object_id, what)
        if version != aggregate.version:
            aggregate = self.repository.get(object_id, version=version)
        return aggregate

    def events_of(self, aggregate_class: type[Aggregate], *event_names: str) -> Iterator[Any]:
        """Every recorded event of the given names, oldest first (a scan of the log)."""
        assert all(hasattr(aggregate_class, name) for name in event_names), event_names
        topics = [f"{get_topic(aggregate_class)}.{name}" for name in event_names]
        start = 1
        while True:
            notifications = self.recorder.select_notifications(start, 500, topics=topics)
            for notification in notifications:
                yield self.mapper.to_domain_event(notification)
            if len(notifications) < 500:
                return
            start = notifications[-1].id + 1

    def changed_since(
        self, aggregate_class: type[Aggregate], position: int, limit: int = 500
    ) -> list[tuple[int, UUID]]:
        """(log position, object id) of each event of that class recorded after `position`."""
        topics = [
            f"{get_topic(aggregate_class)}.{name}"
            for name, value in vars(aggregate_class).items()
            if isinstance(value, type) and issubclass(value, Aggregate.Event)
        ]
        found = self.recorder.select_notifications(position + 1, limit, topics=topics)
        return [(n.id, UUID(str(n.originator_id))) for n in found]

    @property
    def log_position(self) -> int:
        """The position of the newest recorded event (0 for an empty log)."""
        return self.recorder.max_notification_id() or 0


def check_version(aggregate: Aggregate, expected: int | None) -> None:
    if expected is not None and expected != aggregate.version:
        raise VersionMismatch(expected, aggregate.version)
