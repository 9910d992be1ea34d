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
from projections.audit.checkpoints import Checkpoints
from projections.audit.recorded import (
    EVERYTHING,
    Discloser,
    Recorded,
    RecordedLog,
    event_view,
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

    def history(self, principal: Principal, object_id: UUID) -> dict[str, Any]:
        """Who did what, when: every event of the object the company may see, with its
        position in the log and its leaf, oldest first."""
        found = self._involved(principal, object_id)
        redaction = self.policies.redaction()
        events = []
        for recorded in self.log.of(object_id):
            view = event_view(redaction, principal.party_id, found, self.log.event(recorded))
            if view is not None:
                events.append(
                    {"position": recorded.position, "leaf_index": recorded.leaf_index, **view}
                )
        return {"object_id": str(object_id), "type": KINDS[type(found)], "events": events}

    def state(
        self, principal: Principal, object_id: UUID, version: int | None = None,
        at: datetime | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """The object as it stood at a version, or at a moment, as the company may see it."""
        found = self._involved(principal, object_id)
        version = self._version_at(found, object_id, version, at)
        then = self.network.at_version(type(found), object_id, version, "object")
        redaction = self.policies.redaction()
        if isinstance(then, SharedOpportunity):
            view = redaction.opportunity_view(principal.party_id, then)
        else:
            view = redaction.shared_view(principal.party_id, then)
        return {
            "object_id": str(object_id), "type": KINDS[type(found)], "version": version,
            "as_of": utc_text(then.modified_on), "view": view,
        }  # fmt: skip

    def _version_at(
        self, found: Any, object_id: UUID, version: int | None, at: datetime | None
    ) -> int:
        if (version is None) == (at is None):
            raise InvalidCommand("name either a version or a time")
        if version is not None:
            if not 1 <= version <= found.version:
                raise InvalidCommand(f"the object has versions 1 to {found.version}")
            return version
        assert at is not None
        if at.tzinfo is None:
            raise InvalidCommand("a time needs its UTC offset, such as 2026-12-01T09:00:00Z")
        if at > datetime.now(UTC):
            raise InvalidCommand("that time is still to come")
        events: list[Any] = list(self.network.events.get(object_id))
        versions: list[int] = [e.originator_version for e in events if e.timestamp <= at]
        if not versions:
            raise InvalidCommand(f"the object did not exist yet at {utc_text(at)}")
        return versions[-1]

    def access(
        self, principal: Principal, object_id: UUID, field: str, at: datetime,
        owner: UUID | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Who could read `field` of the object at `at`, under the policy then in force."""
        found = self._involved(principal, object_id)
        version = self._version_at(found, object_id, None, at)
        then = self.network.at_version(type(found), object_id, version, "object")
        owner = owner or then.owner_id
        if owner != then.owner_id and owner not in then.participants:
            raise InvalidCommand("that party held no data on this object then")
        policy = self.network.policy_of(owner, at)

        def partners(party_a: UUID, party_b: UUID) -> bool:
            return self.network.was_active_partnership(party_a, party_b, at)

        return access_at(
            then, KINDS[type(found)], field, owner, policy, principal.party_id, at, partners
        )

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
            for recorded in self.log.of(current.id, size):
                event = self.log.event(recorded)
                view = event_view(redaction, viewer, current, event)
                entries[recorded.leaf_index] = discloser.entry(
                    recorded, view_paths(view, event, current)
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


__all__ = ["KINDS", "Auditor", "Recorded"]
