"""What an auditor may read: histories, the state as of a version or time, who could see a
field when, and a bundle to verify offline. Everything an auditor sees of another company's
data comes through the one redaction function, under the policy in force now."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ecosystem.actors import Capability, Principal
from ecosystem.audit.bundle import FORMAT
from ecosystem.audit.checkpoints import b64, key_id_of, raw_public_key, utc_text
from ecosystem.audit.commitments import Path
from ecosystem.errors import InvalidCommand, NotFound
from ecosystem.funding.domainmodel import CoFundingPlan
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import SharedOpportunity
from ecosystem.sharing.domainmodel import sharing_policy_id
from ecosystem.solutions.domainmodel import JointSolution
from policies import PolicyDecisions
from policies.access import access_at
from policies.timeline import Seen
from projections.audit.checkpoints import Checkpoints
from projections.audit.recorded import (
    EVERYTHING,
    Discloser,
    Recorded,
    RecordedLog,
    uuids_in,
    view_paths,
)

KINDS: dict[type, str] = {
    SharedOpportunity: "opportunity", JointSolution: "solution", CoFundingPlan: "funding_plan",
}  # fmt: skip


class Auditor:
    def __init__(self, network: Network, checkpoints: Checkpoints, policies: PolicyDecisions):
        self.network = network
        self.checkpoints = checkpoints
        self.policies = policies
        self.log = RecordedLog(network)

    def found(self, principal: Principal, object_id: UUID) -> Any:
        """A deal, solution or plan the auditor's company takes part in (else NotFound)."""
        principal.require(Capability.AUDIT)
        found = self.network.load(Aggregate, object_id, "object")
        if type(found) not in KINDS:
            raise NotFound(f"no object with id {object_id}")
        return found

    def _involved(self, principal: Principal, object_id: UUID) -> Any:
        found = self.found(principal, object_id)
        if principal.party_id not in found.involved_parties:
            raise NotFound(f"no object with id {object_id}")
        return found

    def _timeline(
        self, principal: Principal, found: Any
    ) -> tuple[list[tuple[Recorded, Any]], list[Seen]]:
        """The object's recorded events, and the company's history of it: event by event,
        as its seat then allowed (numbered in that history, see `policies.timeline`)."""
        recorded = [(r, self.log.event(r)) for r in self.log.of(found.id)]
        events = [event for _, event in recorded]
        return recorded, self.policies.redaction().history(principal.party_id, found, events)

    def history(self, principal: Principal, object_id: UUID) -> dict[str, Any]:
        """Who did what, when: every event of the object the company may see, with its
        position in the log and its leaf, oldest first."""
        found = self._involved(principal, object_id)
        recorded, seen = self._timeline(principal, found)
        where = {r.version: r for r, _ in recorded}
        events = [
            {"position": where[s.object_version].position,
             "leaf_index": where[s.object_version].leaf_index, **s.view}
            for s in seen
        ]  # fmt: skip
        return {"object_id": str(object_id), "type": KINDS[type(found)], "events": events}

    def state(
        self, principal: Principal, object_id: UUID, version: int | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """The object as it stood at an event of the company's history (by its number there,
        or the last one by a moment), as the company saw it; 404 before it saw the object."""
        if (version is None) == (at is None):
            raise InvalidCommand("name either a version or a time")
        moment = None if at is None else _checked_time(at)
        found = self._involved(principal, object_id)
        _, seen = self._timeline(principal, found)
        if moment is not None:
            version = len([s for s in seen if s.event.timestamp <= moment])
        if version is None or not 1 <= version <= len(seen):
            raise NotFound(f"no object with id {object_id}")  # as for an object never made
        event = seen[version - 1].event
        then = self.network.at_version(type(found), object_id, event.originator_version, "object")
        redaction = self.policies.redaction()
        if isinstance(then, SharedOpportunity):
            view = redaction.opportunity_view(principal.party_id, then)
        else:
            view = redaction.shared_view(principal.party_id, then)
        if view is not None:
            view["version"] = version
        return {
            "object_id": str(object_id), "type": KINDS[type(found)], "version": version,
            "as_of": utc_text(event.timestamp), "view": view,
        }  # fmt: skip

    def access(
        self, principal: Principal, object_id: UUID, field: str, at: datetime,
        owner: UUID | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Who could read `field` of the object at `at`, under the policy then in force, as
        far as the company may know who took part then; 404 where it had no seat then."""
        moment = _checked_time(at)
        found = self._involved(principal, object_id)
        recorded, seen = self._timeline(principal, found)
        versions = [r.version for r, event in recorded if event.timestamp <= moment]
        shown = len([s for s in seen if s.event.timestamp <= moment])
        redaction = self.policies.redaction()
        then = (
            self.network.at_version(type(found), object_id, versions[-1], "object")
            if shown else None
        )  # fmt: skip
        if then is None or redaction.seat(principal.party_id, then) is None:
            raise NotFound(f"no object with id {object_id}")  # it had no seat then
        owner = owner or then.owner_id
        policy = self.network.policy_of(owner, at)

        def partners(party_a: UUID, party_b: UUID) -> bool:
            return self.network.was_active_partnership(party_a, party_b, at)

        answer = access_at(
            then, KINDS[type(found)], field, owner, policy, principal.party_id, at, partners,
            redaction,
        )  # fmt: skip
        answer["version"] = shown  # its number in the company's history, as for states
        return answer

    # --- the bundle -------------------------------------------------------------------------

    def bundle(self, principal: Principal, known: list[int] | None = None) -> dict[str, Any]:
        """Everything the company takes part in, disclosed as it may see it, with proofs."""
        principal.require(Capability.AUDIT)
        checkpoint = self.checkpoints.sign()
        if checkpoint is None:
            raise NotFound("nothing is recorded yet")
        size, viewer = checkpoint.size, principal.party_id
        tree = self.checkpoints.tree(size)
        entries: dict[int, dict[str, Any]] = {}
        actors = self._shared_objects(principal, size, entries)
        objects = {e["object_id"] for e in entries.values()}
        self._signatures(size, entries, objects | {viewer.hex} | actors, viewer)
        for party in {viewer, *(UUID(a) for a in actors)}:
            self._add_all(party, size, entries)
        policy_id = sharing_policy_id(viewer)
        if self.network.exists(policy_id):
            self._add_all(policy_id, size, entries)
        for partnership in self.network.partnerships_of(principal):
            self._add_all(partnership.id, size, entries)
        indices = sorted(entries)
        older = [c for c in self.checkpoints.all() if c.size < size]
        wanted = set(known or ()) | ({older[-1].size} if older else set())
        earlier = [c for c in older if c.size in wanted]
        key = self.checkpoints.public_key()
        return {
            "format": FORMAT,
            "exported_at": utc_text(datetime.now(UTC)),
            "exported_for": {"party_id": str(viewer), "user_id": str(principal.actor.user_id)},
            "network_key": {"key_id": key_id_of(key), "public_key": b64(raw_public_key(key))},
            "checkpoint": checkpoint.as_json(),
            "earlier_checkpoints": [
                {**c.as_json(), "consistency": [h.hex() for h in tree.consistency_proof(c.size)]}
                for c in earlier
            ],
            "events": [entries[i] for i in indices],
            "proof": [h.hex() for h in tree.batch_proof(indices, size)],
        }

    def _shared_objects(self, principal: Principal, size: int, entries: dict[int, Any]) -> set[str]:
        """Entries of every deal, solution and plan the company takes part in; the parties
        whose acts it may see."""
        network, viewer = self.network, principal.party_id
        redaction = self.policies.redaction()
        found = [
            *network.opportunities_for(principal), *network.solutions_for(principal),
            *network.funding_plans_for(principal),
        ]  # fmt: skip
        actors: set[str] = set()
        for current in found:
            erased = getattr(current, "erased_subjects", ())
            discloser = Discloser(self.log, erased)
            recorded = self.log.of(current.id, size)
            events = [self.log.event(r) for r in recorded]
            seen = {s.object_version: s.view for s in redaction.history(viewer, current, events)}
            for stored, event in zip(recorded, events, strict=True):
                view = seen.get(stored.version)  # the others stay as their bare leaves
                entries[stored.leaf_index] = discloser.entry(
                    stored, view_paths(view, event, current)
                )
                if view is not None and "actor" in view:
                    actors.add(UUID(view["actor"]["party_id"]).hex)
        return actors

    def _signatures(
        self, size: int, entries: dict[int, Any], known: set[str], viewer: UUID
    ) -> None:
        """The signed commands behind acts the company sees the actor of: disclosed when
        they name nothing it may not see, else withheld with the acts they cover."""
        signed = self.log.signed_commands(size)
        discloser = Discloser(self.log)
        for entry in list(entries.values()):
            actor = (entry.get("content") or {}).get("d", {}).get("actor")
            record = signed.get((entry["object_id"], entry["version"]))
            if actor is None or record is None or record.leaf_index in entries:
                continue
            state = self.log.plain(record)
            named = {u.hex for u in uuids_in(state["document"]["path"])}
            covers = [[o, v] for o, vs in state["results"].items() for v in vs if o in known]
            if named <= known:
                paths: list[Path] = [("timestamp",), ("originator_topic",), ("document",),
                                     ("signature",)]  # fmt: skip
                paths += [("results", o) for o in state["results"] if o in known]
                entries[record.leaf_index] = discloser.entry(record, paths)
            else:
                entries[record.leaf_index] = {**discloser.entry(record, []), "covers": covers}

    def _add_all(self, object_id: UUID, size: int, entries: dict[int, Any]) -> None:
        """Every event of an object the company may see in full (its own, or public)."""
        discloser = Discloser(self.log)
        for recorded in self.log.of(object_id, size):
            entries.setdefault(recorded.leaf_index, discloser.entry(recorded, EVERYTHING))


def _checked_time(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InvalidCommand("a time needs its UTC offset, such as 2026-12-01T09:00:00Z")
    if at > datetime.now(UTC):
        raise InvalidCommand("that time is still to come")
    return at


__all__ = ["KINDS", "Auditor", "Recorded"]
