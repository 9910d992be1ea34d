"""Sharing rules: who (a viewer) may read or write which field of a company's objects.

A rule names a viewer, an object type, a field path or pattern, an action and an effect.
Viewers are `partners` (accepted participants of the object), `invited` (pending invitees),
`tier:<name>` (a group the company defines) or `party:<uuid>` (one company). Patterns end in
`.*` (everything under a path) or are `*` (every field). Deny wins over allow.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from ecosystem.errors import InvalidCommand
from ecosystem.funding.fields import PLAN_LEAVES
from ecosystem.opportunities.fields import CORE_FIELDS, SHARED_LEAVES, leaves_of
from ecosystem.solutions.fields import SOLUTION_LEAVES

PARTNERS = "partners"
INVITED = "invited"
_TIER = re.compile(r"^tier:[a-z0-9][a-z0-9_-]{0,39}$")

# The leaves each object type exposes to policies, and those a partner can be granted to write.
# Only a deal's details can be granted for writing; solutions and plans are written by roles.
OBJECT_LEAVES: dict[str, tuple[str, ...]] = {
    "opportunity": SHARED_LEAVES,
    "solution": SOLUTION_LEAVES,
    "funding_plan": PLAN_LEAVES,
}
WRITABLE_LEAVES: dict[str, frozenset[str]] = {
    "opportunity": frozenset(leaf for path in CORE_FIELDS for leaf in leaves_of(path)),
    "solution": frozenset(),
    "funding_plan": frozenset(),
}


class Action(StrEnum):
    READ = "read"
    WRITE = "write"


class Effect(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


def party_viewer(party_id: UUID) -> str:
    return f"party:{party_id}"


def tier_name(tier: str) -> str:
    """A tier as rules name it; refuses names that are not `tier:` plus a short slug."""
    name = tier if tier.startswith("tier:") else f"tier:{tier}"
    if not _TIER.match(name):
        raise InvalidCommand(
            "a tier is named like 'gold' or 'tier:gold': lower-case letters, digits, '-' "
            "and '_', at most 40 characters"
        )
    return name


def pattern_matches(pattern: str, path: str) -> bool:
    """Casbin's keyMatch as the model uses it: `a.*` covers every path under `a`."""
    if pattern.endswith("*"):
        return path.startswith(pattern[:-1])
    return path == pattern


@dataclass(frozen=True)
class Rule:
    viewer: str
    object_type: str
    field: str
    action: Action
    effect: Effect

    @property
    def rule_id(self) -> str:
        """A stable id: the same rule has the same id in any company's policy."""
        text = "|".join((self.viewer, self.object_type, self.field, self.action, self.effect))
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "action": str(self.action), "effect": str(self.effect)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rule:
        return cls(
            data["viewer"], data["object_type"], data["field"],
            Action(data["action"]), Effect(data["effect"]),
        )  # fmt: skip


def checked_rule(
    viewer: str, object_type: str, field: str, action: str, effect: str = "allow"
) -> Rule:
    """A rule with every part checked; each refusal says what would be accepted."""
    if object_type not in OBJECT_LEAVES:
        raise InvalidCommand(f"object_type must be one of: {', '.join(OBJECT_LEAVES)}")
    kind = _parsed(Action, action, "action")
    rule = Rule(checked_viewer(viewer), object_type, field, kind, _parsed(Effect, effect, "effect"))
    covered = [leaf for leaf in OBJECT_LEAVES[object_type] if pattern_matches(field, leaf)]
    well_formed = "*" not in field or field == "*" or ("*" not in field[:-2] and field[-2:] == ".*")
    if not well_formed or not covered:
        raise InvalidCommand(
            f"field {field!r} names no field of an {object_type}; use a field such as "
            "'expected_amount', a pattern such as 'customer.*', or '*' "
            "(GET /v1/policies/fields lists them)"
        )
    if kind is Action.WRITE and not set(covered) & WRITABLE_LEAVES[object_type]:
        raise InvalidCommand(
            "write can be granted only on the deal's details: " + ", ".join(sorted(CORE_FIELDS))
        )
    return rule


def checked_viewer(viewer: str) -> str:
    if viewer in (PARTNERS, INVITED):
        return viewer
    if viewer.startswith("party:"):
        try:
            return party_viewer(UUID(viewer.removeprefix("party:")))
        except ValueError:
            pass
    elif viewer.startswith("tier:"):
        return tier_name(viewer)
    raise InvalidCommand(
        "viewer must be 'partners', 'invited', 'tier:<name>' or 'party:<party id>'"
    )


def _parsed(kind: type[Action] | type[Effect], value: str, what: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise InvalidCommand(f"{what} must be one of: {', '.join(kind)}") from None


def _preset(*fields: str) -> tuple[tuple[str, Effect], ...]:
    return tuple((f, Effect.ALLOW) for f in fields)


_SUMMARY = ("title", "stage", "participants", "customer.name", "customer.industry",
            "customer.country", "expected_close_quarter", "target_close_date")  # fmt: skip
_STANDARD = (*_SUMMARY, "customer.website_domain", "expected_amount", "products",
             "next_steps", "closing_reason", "notes")  # fmt: skip

# Sharing levels, as partners know them from account-mapping tools. Each is a set of read
# rules that replaces the viewer's earlier rules for that object type and can then be edited.
PRESETS: dict[str, tuple[tuple[str, Effect], ...]] = {
    "hidden": (("*", Effect.DENY),),
    "summary": _preset(*_SUMMARY),
    "standard": _preset(*_STANDARD),
    "full": _preset(*_STANDARD, "customer.*"),
}
_SOLUTION_SUMMARY = ("name", "summary", "lifecycle", "participants", "use_cases",
                     "target_industries")  # fmt: skip
_SOLUTION_STANDARD = (*_SOLUTION_SUMMARY, "listing.*", "sign_offs", "components", "links")
_PLAN_SUMMARY = ("name", "objective", "currency", "period_start", "period_end", "participants")
_PLAN_STANDARD = (*_PLAN_SUMMARY, "activities", "commitments", "requests", "claims", "payouts",
                  "links")  # fmt: skip
OBJECT_PRESETS: dict[str, dict[str, tuple[tuple[str, Effect], ...]]] = {
    "opportunity": PRESETS,
    "solution": {
        "hidden": (("*", Effect.DENY),),
        "summary": _preset(*_SOLUTION_SUMMARY),
        "standard": _preset(*_SOLUTION_STANDARD),
        "full": _preset(*_SOLUTION_STANDARD),
    },
    "funding_plan": {
        "hidden": (("*", Effect.DENY),),
        "summary": _preset(*_PLAN_SUMMARY),
        "standard": _preset(*_PLAN_STANDARD),
        "full": _preset(*_PLAN_STANDARD),
    },
}


def preset_rules(preset: str, viewer: str, object_type: str) -> list[Rule]:
    presets = OBJECT_PRESETS.get(object_type, PRESETS)
    if preset not in presets:
        raise InvalidCommand(f"preset must be one of: {', '.join(presets)}")
    return [
        checked_rule(viewer, object_type, field, Action.READ, effect)
        for field, effect in presets[preset]
    ]
