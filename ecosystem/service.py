"""The application core every command shares: loading, saving, retries and idempotency."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Recording
from eventsourcing.utils import Environment, get_topic

from ecosystem.actors import Principal
from ecosystem.audit.checkpoints import b64
from ecosystem.audit.domainmodel import SignedCommand, signed_command_id
from ecosystem.audit.requests import SignatureRejected, SignatureRequired, SignedRequest
from ecosystem.audit.sealing import PersonalData
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
        register_cosell_transcodings(transcoder, lambda: self.personal_data)

    def __init__(self, env: Any = None) -> None:
        # Keys of personal data: in memory unless the composition root wires a lasting store.
        self.personal_data = PersonalData()
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
        """Whether anything was recorded under the id: one row read, no replay."""
        return bool(self.recorder.select_events(object_id, limit=1))

    def execute(
        self,
        attempt: Attempt,
        idempotency: Idempotency | None = None,
        principal: Principal | None = None,
    ) -> Written:
        """Run a command: load, decide, save; retried on a concurrent write.

        An attempt that names an expected version re-checks it on every try, so a stale
        write fails with VersionMismatch instead of being retried onto newer state. A signed
        command is checked first and its signature saved with the events it produces.
        """
        replay = self._replayed(idempotency)
        if replay is not None:
            return replay
        signed = self._checked_signature(principal)
        for _ in range(MAX_ATTEMPTS):
            try:
                aggregates, written = attempt()
            except CosellError:
                replay = self._replayed(idempotency)  # a twin with this key may have just won
                if replay is not None:
                    return replay
                raise
            pending = list(aggregates)
            if signed is not None:
                pending.append(_signed_record(signed, aggregates))
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
                if signed is not None:
                    self._check_unused(signed)
                continue
            position = max((r.notification.id for r in recordings), default=0)
            return replace(written, position=position or 0)
        raise Conflict("the object is changing too quickly right now; retry the request")

    def signing_key(self, party_id: UUID, key_id: str) -> Ed25519PublicKey | None:
        """The party's active signing key of that id (parties know their keys)."""
        return None

    def _checked_signature(self, principal: Principal | None) -> SignedRequest | None:
        """The caller's signed request, verified; SignatureRequired when its company wants
        every command signed and this one is not."""
        if principal is None or principal.actor.is_system:
            return None
        signed = principal.signed
        if signed is None:
            if principal.signatures_required:
                raise SignatureRequired(
                    "your company requires signed commands: sign this one with one of its "
                    "keys (see docs/audit.md)"
                )
            return None
        document = signed.document
        if (document["party_id"], document["user_id"]) != (
            str(principal.party_id),
            str(principal.actor.user_id),
        ):
            raise SignatureRejected("the request was signed for another user or company")
        signed.check_fresh(datetime.now(UTC))
        key = self.signing_key(principal.party_id, signed.key_id)
        if key is None:
            raise SignatureRejected(
                f"{signed.key_id} is not an active signing key of your company; register it "
                "for your company first"
            )
        signed.verify(key)
        self._check_unused(signed)
        return signed

    def _check_unused(self, signed: SignedRequest) -> None:
        if self.exists(signed_command_id(b64(signed.signature))):
            raise Conflict("this signed request was already carried out; sign each request anew")

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
        """The object as of `version` (as it is now, for a version past its last)."""
        try:
            aggregate: Aggregate = self.repository.get(object_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} with id {object_id}") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"no {what} with id {object_id}")
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


def _signed_record(signed: SignedRequest, aggregates: Sequence[Aggregate]) -> SignedCommand:
    """The signature, and the versions of every object the signed command changes."""
    results: dict[str, list[int]] = {}
    for aggregate in aggregates:
        for pending in aggregate.pending_events:
            results.setdefault(pending.originator_id.hex, []).append(pending.originator_version)
    return SignedCommand(signed.document, b64(signed.signature), results)


def check_version(aggregate: Aggregate, expected: int | None) -> None:
    if expected is not None and expected != aggregate.version:
        raise VersionMismatch(expected, aggregate.version)
