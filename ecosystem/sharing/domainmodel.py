"""The SharingPolicy aggregate: one company's rules for the data it owns, and its tiers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ecosystem.actors import Actor
from ecosystem.errors import Conflict, InvalidCommand, NotFound
from ecosystem.keys import key_id
from ecosystem.sharing.rules import Rule, party_viewer, preset_rules, tier_name


def sharing_policy_id(owner_id: UUID) -> UUID:
    return key_id("sharing-policy", str(owner_id))


class SharingPolicy(Aggregate):
    """What a company shares of its own data; every change records the rules before and after."""

    @event("Created")
    def __init__(self, owner_id: UUID, actor: Actor) -> None:
        self.owner_id = owner_id
        self.rules: dict[str, Rule] = {}
        self.tiers: dict[str, set[UUID]] = {}

    @staticmethod
    def create_id(owner_id: UUID, actor: Actor) -> UUID:
        return sharing_policy_id(owner_id)

    def add_rule(self, rule: Rule, actor: Actor) -> None:
        self._check_viewer(rule.viewer)
        if rule.rule_id in self.rules:
            raise Conflict(f"that rule is already in the policy (rule id {rule.rule_id})")
        self._rule_added(rule=rule.as_dict(), actor=actor)

    @event("RuleAdded")
    def _rule_added(self, rule: dict[str, Any], actor: Actor) -> None:
        added = Rule.from_dict(rule)
        self.rules[added.rule_id] = added

    def remove_rule(self, rule_id: str, actor: Actor) -> None:
        if rule_id not in self.rules:
            raise NotFound(f"no rule with id {rule_id} in your policy")
        self._rule_removed(rule=self.rules[rule_id].as_dict(), actor=actor)

    @event("RuleRemoved")
    def _rule_removed(self, rule: dict[str, Any], actor: Actor) -> None:
        del self.rules[Rule.from_dict(rule).rule_id]

    def apply_preset(self, preset: str, viewer: str, object_type: str, actor: Actor) -> None:
        """Replace the viewer's rules for an object type with a preset's rules."""
        added = preset_rules(preset, viewer, object_type)
        scope = (added[0].viewer, object_type)
        self._check_viewer(scope[0])
        removed = [r for r in self.rules.values() if (r.viewer, r.object_type) == scope]
        self._preset_applied(
            preset=preset,
            viewer=scope[0],
            object_type=object_type,
            removed=[r.as_dict() for r in removed],
            added=[r.as_dict() for r in added],
            actor=actor,
        )

    @event("PresetApplied")
    def _preset_applied(
        self, preset: str, viewer: str, object_type: str,
        removed: list[dict[str, Any]], added: list[dict[str, Any]], actor: Actor,
    ) -> None:  # fmt: skip
        for rule in map(Rule.from_dict, removed):
            self.rules.pop(rule.rule_id, None)
        for rule in map(Rule.from_dict, added):
            self.rules[rule.rule_id] = rule

    def add_to_tier(self, tier: str, party_id: UUID, actor: Actor) -> None:
        tier = tier_name(tier)
        self._check_viewer(party_viewer(party_id))
        if party_id in self.tiers.get(tier, set()):
            raise Conflict(f"that party is already in {tier}")
        self._tier_member_added(tier=tier, party_id=party_id, actor=actor)

    @event("TierMemberAdded")
    def _tier_member_added(self, tier: str, party_id: UUID, actor: Actor) -> None:
        self.tiers.setdefault(tier, set()).add(party_id)

    def remove_from_tier(self, tier: str, party_id: UUID, actor: Actor) -> None:
        tier = tier_name(tier)
        if party_id not in self.tiers.get(tier, set()):
            raise NotFound(f"that party is not in {tier}")
        self._tier_member_removed(tier=tier, party_id=party_id, actor=actor)

    @event("TierMemberRemoved")
    def _tier_member_removed(self, tier: str, party_id: UUID, actor: Actor) -> None:
        members = self.tiers[tier]
        members.discard(party_id)
        if not members:
            del self.tiers[tier]

    def _check_viewer(self, viewer: str) -> None:
        if viewer == party_viewer(self.owner_id):
            raise InvalidCommand("a company always sees its own data; name another viewer")
