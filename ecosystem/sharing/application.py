"""Sharing policy administration: a company's security admins edit the rules for its own data."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ecosystem.actors import SYSTEM, Actor, Capability, Principal
from ecosystem.errors import InvalidCommand, NotFound, NotPermitted, VersionMismatch
from ecosystem.partnerships.application import PartnershipCommands
from ecosystem.service import Idempotency, Written
from ecosystem.sharing.domainmodel import SharingPolicy, sharing_policy_id
from ecosystem.sharing.rules import checked_rule, checked_viewer


@dataclass(frozen=True)
class PolicyChange:
    """One edit of a sharing policy, to apply or only to simulate.

    `op` is add_rule (viewer, object_type, field, action, effect), remove_rule (rule_id),
    apply_preset (viewer, object_type, preset), add_tier_member or remove_tier_member
    (tier, party_id).
    """

    op: str
    viewer: str = ""
    object_type: str = "opportunity"
    field: str = ""
    action: str = "read"
    effect: str = "allow"
    rule_id: str = ""
    preset: str = ""
    tier: str = ""
    party_id: UUID | None = None


class SharingCommands(PartnershipCommands):
    def change_sharing_policy(
        self,
        principal: Principal,
        owner_id: UUID,
        change: PolicyChange,
        idempotency: Idempotency | None = None,
        expected_version: int | None = None,
    ) -> Written:
        """Apply one change to the company's own policy (security admins only)."""
        self._check_policy_admin(principal, owner_id)
        act = self._act(principal, change)

        def attempt() -> tuple[Sequence[Aggregate], Written]:
            policy = self.policy_of(owner_id, actor=principal.actor)
            if expected_version is not None and expected_version != saved_version(policy):
                raise VersionMismatch(expected_version, saved_version(policy))
            act(policy)
            return [policy], Written(policy.id, policy.version)

        return self.execute(attempt, idempotency, principal)

    def simulate_sharing_change(
        self, principal: Principal, owner_id: UUID, change: PolicyChange
    ) -> tuple[SharingPolicy, SharingPolicy]:
        """The policy now and as it would be after the change; nothing is saved."""
        self._check_policy_admin(principal, owner_id)
        act = self._act(principal, change)
        before = self.policy_of(owner_id)
        after = copy.deepcopy(before)
        act(after)
        return before, after

    def _act(self, principal: Principal, change: PolicyChange) -> Callable[[SharingPolicy], None]:
        """The change checked (parties named must exist) as an action on a policy."""
        actor = principal.actor
        if change.op == "add_rule":
            c = change
            rule = checked_rule(c.viewer, c.object_type, c.field, c.action, c.effect)
            self._check_viewer_exists(rule.viewer)
            return lambda policy: policy.add_rule(rule, actor)
        if change.op == "remove_rule":
            return lambda policy: policy.remove_rule(change.rule_id, actor)
        if change.op == "apply_preset":
            self._check_viewer_exists(checked_viewer(change.viewer))
            c = change
            return lambda policy: policy.apply_preset(c.preset, c.viewer, c.object_type, actor)
        if change.op in ("add_tier_member", "remove_tier_member"):
            if change.party_id is None:
                raise InvalidCommand("a tier change names a party_id")
            party_id = change.party_id
            if change.op == "add_tier_member":
                self.party(party_id)
                return lambda policy: policy.add_to_tier(change.tier, party_id, actor)
            return lambda policy: policy.remove_from_tier(change.tier, party_id, actor)
        raise InvalidCommand(
            "op must be one of: add_rule, remove_rule, apply_preset, add_tier_member, "
            "remove_tier_member"
        )

    # --- reads ------------------------------------------------------------------------------

    def sharing_policy(
        self, principal: Principal, owner_id: UUID, as_of: datetime | None = None
    ) -> SharingPolicy:
        """The company's policy now, or as it stood at `as_of` (by replaying its events)."""
        self._check_policy_reader(principal, owner_id)
        return self.policy_of(owner_id, as_of)

    def sharing_policy_history(self, principal: Principal, owner_id: UUID) -> list[Any]:
        self._check_policy_reader(principal, owner_id)
        return list(self.events.get(sharing_policy_id(owner_id)))

    def policy_of(
        self, owner_id: UUID, as_of: datetime | None = None, actor: Actor = SYSTEM
    ) -> SharingPolicy:
        """A company's policy (a new, empty one if it never changed it); no access check."""
        policy_id = sharing_policy_id(owner_id)
        if as_of is None:
            try:
                return self.load(SharingPolicy, policy_id, "sharing policy")
            except NotFound:
                return SharingPolicy(owner_id, actor)
        events: list[Any] = list(self.events.get(policy_id))
        versions = [e.originator_version for e in events if e.timestamp <= as_of]
        if not versions:
            return SharingPolicy(owner_id, actor)
        return self.at_version(SharingPolicy, policy_id, versions[-1], "sharing policy")

    def sharing_policy_by_id(self, policy_id: UUID) -> SharingPolicy:
        return self.load(SharingPolicy, policy_id, "sharing policy")

    # --- helpers ----------------------------------------------------------------------------

    def _check_policy_admin(self, principal: Principal, owner_id: UUID) -> None:
        principal.require(Capability.MANAGE_POLICY)
        self._check_own_policy(principal, owner_id)

    def _check_policy_reader(self, principal: Principal, owner_id: UUID) -> None:
        principal.require(Capability.READ_POLICY)
        self._check_own_policy(principal, owner_id)

    def _check_own_policy(self, principal: Principal, owner_id: UUID) -> None:
        if principal.party_id != owner_id and not principal.actor.is_system:
            raise NotPermitted("a company administers only the sharing policy for its own data")
        self.party(owner_id)

    def _check_viewer_exists(self, viewer: str) -> None:
        if viewer.startswith("party:"):
            self.party(UUID(viewer.removeprefix("party:")))


def saved_version(policy: SharingPolicy) -> int:
    """The version as stored: 0 for a company that never changed its policy."""
    return policy.version - len(policy.pending_events)
