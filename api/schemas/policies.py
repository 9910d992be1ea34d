"""Sharing policy requests and views: rules, presets, tiers, history and simulations."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import Strict
from ecosystem.sharing.application import PolicyChange, saved_version
from ecosystem.sharing.domainmodel import SharingPolicy
from ecosystem.sharing.rules import OBJECT_PRESETS, Rule

ViewerText = Field(
    description="partners, invited, tier:<name> or party:<party id>", min_length=1, max_length=80
)
OwnerField = Field(
    None, description="Whose policy; only your own party's is accepted (omit for yours)."
)


class RuleCreate(Strict):
    owner_party_id: UUID | None = OwnerField
    viewer: str = ViewerText
    object_type: str = Field("opportunity", max_length=40)
    field: str = Field(
        description="A field (expected_amount) or pattern (customer.*, *).", max_length=80
    )
    action: Literal["read", "write"] = "read"
    effect: Literal["allow", "deny"] = "allow"

    def change(self) -> PolicyChange:
        return PolicyChange(
            "add_rule", viewer=self.viewer, object_type=self.object_type,
            field=self.field, action=self.action, effect=self.effect,
        )  # fmt: skip


class PresetApply(Strict):
    owner_party_id: UUID | None = OwnerField
    viewer: str = ViewerText
    object_type: str = Field("opportunity", max_length=40)
    preset: Literal["hidden", "summary", "standard", "full"]

    def change(self) -> PolicyChange:
        return PolicyChange(
            "apply_preset", viewer=self.viewer, object_type=self.object_type, preset=self.preset
        )


class TierMemberCreate(Strict):
    owner_party_id: UUID | None = OwnerField
    party_id: UUID


class ChangeIn(Strict):
    """A proposed change, as one of the policy endpoints would take it."""

    op: Literal["add_rule", "remove_rule", "apply_preset", "add_tier_member", "remove_tier_member"]
    viewer: str = Field("", max_length=80)
    object_type: str = Field("opportunity", max_length=40)
    field: str = Field("", max_length=80)
    action: Literal["read", "write"] = "read"
    effect: Literal["allow", "deny"] = "allow"
    rule_id: str = Field("", max_length=64)
    preset: str = Field("", max_length=40)
    tier: str = Field("", max_length=60)
    party_id: UUID | None = None

    def change(self) -> PolicyChange:
        return PolicyChange(**self.model_dump())


class SimulationRequest(Strict):
    owner_party_id: UUID | None = OwnerField
    viewer_party_id: UUID = Field(description="The party whose view you want to preview.")
    change: ChangeIn


class RulePublic(BaseModel):
    rule_id: str
    viewer: str
    object_type: str
    field: str
    action: str
    effect: str


class PolicyPublic(BaseModel):
    owner_party_id: str
    version: int = Field(description="0 until the first change; send as If-Match to change.")
    as_of: datetime | None = None
    rules: list[RulePublic]
    tiers: dict[str, list[str]]


class PolicyChangePublic(BaseModel):
    version: int
    type: str
    occurred_at: str
    actor: dict[str, str]
    before: list[Any]
    after: list[Any]


class PolicyHistory(BaseModel):
    owner_party_id: str
    changes: list[PolicyChangePublic]


class FieldDiff(BaseModel):
    gained: list[str]
    lost: list[str]


class ObjectDiff(BaseModel):
    object_type: str
    object_id: str
    seat: Literal["partner", "invited"]
    read: FieldDiff | None = None
    write: FieldDiff | None = None


class SimulationResult(BaseModel):
    owner_party_id: str
    viewer_party_id: str
    applied: Literal[False] = False
    objects: list[ObjectDiff] = Field(description="Only objects where something changes.")


class FieldCatalogue(BaseModel):
    object_types: dict[str, list[str]]
    writable: dict[str, list[str]]
    presets: dict[str, list[dict[str, str]]] = Field(description="The opportunity presets.")
    presets_by_object_type: dict[str, dict[str, list[dict[str, str]]]] = Field(
        description="The presets of every object type (`opportunity`, `solution`, `funding_plan`)."
    )
    viewers: list[str] = ["partners", "invited", "tier:<name>", "party:<party id>"]


PRESET_TABLES = {
    object_type: {
        name: [{"field": field, "effect": str(effect)} for field, effect in rules]
        for name, rules in presets.items()
    }
    for object_type, presets in OBJECT_PRESETS.items()
}


def rule_public(rule: Rule) -> RulePublic:
    return RulePublic(rule_id=rule.rule_id, **rule.as_dict())


def policy_public(policy: SharingPolicy, as_of: datetime | None) -> PolicyPublic:
    return PolicyPublic(
        owner_party_id=str(policy.owner_id),
        version=saved_version(policy),
        as_of=as_of,
        rules=[rule_public(r) for r in sorted(policy.rules.values(), key=_order)],
        tiers={t: sorted(str(m) for m in members) for t, members in sorted(policy.tiers.items())},
    )


def _order(rule: Rule) -> tuple[str, ...]:
    return (rule.object_type, rule.viewer, rule.field, rule.action, rule.effect)


def change_view(event: Any) -> dict[str, Any]:
    name = type(event).__name__
    before: list[Any] = []
    after: list[Any] = []
    if name == "RuleAdded":
        after = [rule_public(Rule.from_dict(event.rule)).model_dump()]
    elif name == "RuleRemoved":
        before = [rule_public(Rule.from_dict(event.rule)).model_dump()]
    elif name == "PresetApplied":
        before = [rule_public(Rule.from_dict(r)).model_dump() for r in event.removed]
        after = [rule_public(Rule.from_dict(r)).model_dump() for r in event.added]
    elif name in ("TierMemberAdded", "TierMemberRemoved"):
        member = [{"tier": event.tier, "party_id": str(event.party_id)}]
        before, after = ([], member) if name == "TierMemberAdded" else (member, [])
    actor = getattr(event, "actor", None)
    return {
        "version": event.originator_version,
        "type": name,
        "occurred_at": event.timestamp.isoformat(),
        "actor": {"party_id": str(actor.party_id), "user_id": str(actor.user_id)} if actor else {},
        "before": before,
        "after": after,
    }
