"""Sharing policies: security admins list, add and remove rules, apply presets, manage tiers,
read the history and simulate a change before making it."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from api.deps import CallerDep, ExpectedVersion, IdempotencyDep
from api.routers.rendering import etag, written_response
from api.schemas.common import Moment
from api.schemas.policies import (
    PRESET_TABLES,
    FieldCatalogue,
    PolicyHistory,
    PolicyPublic,
    PresetApply,
    RuleCreate,
    RulePublic,
    SimulationRequest,
    SimulationResult,
    TierMemberCreate,
    change_view,
    policy_public,
    rule_public,
)
from ecosystem.errors import NotFound
from ecosystem.sharing.application import PolicyChange, saved_version
from ecosystem.sharing.domainmodel import SharingPolicy
from ecosystem.sharing.rules import OBJECT_LEAVES, WRITABLE_LEAVES, Rule, checked_rule
from policies import simulate_change

router = APIRouter(prefix="/v1/policies", tags=["policies"])
Owner = Annotated[UUID | None, Query(description="Whose policy; only your own is accepted.")]


@router.get("/fields", response_model=FieldCatalogue)
def fields(caller: CallerDep) -> FieldCatalogue:
    """The fields rules can name per object type, those that can be granted write, presets."""
    return FieldCatalogue(
        object_types={k: list(v) for k, v in OBJECT_LEAVES.items()},
        writable={k: sorted(v) for k, v in WRITABLE_LEAVES.items()},
        presets=PRESET_TABLES["opportunity"],
        presets_by_object_type=PRESET_TABLES,
    )


@router.get("/rules", response_model=PolicyPublic)
def list_rules(
    caller: CallerDep,
    response: Response,
    owner_party_id: Owner = None,
    as_of: Annotated[
        Moment | None,
        Query(description="The rules in force at this time: ISO 8601 with a zone, such as …Z."),
    ] = None,
) -> PolicyPublic:
    """Your company's rules and tiers, now or as they stood at `as_of`."""
    owner = owner_party_id or caller.principal.party_id
    policy = caller.network.sharing_policy(caller.principal, owner, as_of)
    response.headers["ETag"] = etag(saved_version(policy))
    return policy_public(policy, as_of)


@router.get("/rules/{rule_id}", response_model=RulePublic)
def get_rule(
    rule_id: str, caller: CallerDep, response: Response, owner_party_id: Owner = None
) -> RulePublic:
    """One rule of your company's policy; the ETag is the policy's version."""
    owner = owner_party_id or caller.principal.party_id
    policy = caller.network.sharing_policy(caller.principal, owner)
    response.headers["ETag"] = etag(saved_version(policy))
    if rule_id not in policy.rules:
        raise NotFound(f"no rule with id {rule_id} in your policy")
    return rule_public(policy.rules[rule_id])


@router.post("/rules", status_code=status.HTTP_201_CREATED, response_model=RulePublic)
def add_rule(
    body: RuleCreate,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency: IdempotencyDep,
    response: Response,
) -> RulePublic:
    """Add a rule to your company's policy; it is in force for the next read."""
    owner = body.owner_party_id or caller.principal.party_id
    change = body.change()
    written = caller.network.change_sharing_policy(
        caller.principal, owner, change, idempotency, version
    )
    rule = _rule_of(change)

    def as_written() -> RulePublic:
        response.headers["ETag"] = etag(written.version)
        response.headers["Location"] = f"/v1/policies/rules/{rule.rule_id}"
        return rule_public(rule)

    def read_now() -> RulePublic:
        found = get_rule(rule.rule_id, caller, response, body.owner_party_id)
        response.headers["Location"] = f"/v1/policies/rules/{rule.rule_id}"
        return found

    return written_response(written, response, as_written, read_now)


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_rule(
    rule_id: str, caller: CallerDep, version: ExpectedVersion, owner_party_id: Owner = None
) -> Response:
    """Remove a rule from your company's policy."""
    owner = owner_party_id or caller.principal.party_id
    change = PolicyChange("remove_rule", rule_id=rule_id)
    written = caller.network.change_sharing_policy(caller.principal, owner, change, None, version)
    return Response(status_code=204, headers={"ETag": etag(written.version)})


@router.post("/presets", response_model=PolicyPublic)
def apply_preset(
    body: PresetApply,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency: IdempotencyDep,
    response: Response,
) -> PolicyPublic:
    """Replace a viewer's rules with a preset: hidden, summary, standard or full."""
    owner = body.owner_party_id or caller.principal.party_id
    return _changed(caller, owner, body.change(), idempotency, version, response)


@router.post("/tiers/{tier}/members", response_model=PolicyPublic)
def add_tier_member(
    tier: str,
    body: TierMemberCreate,
    caller: CallerDep,
    version: ExpectedVersion,
    idempotency: IdempotencyDep,
    response: Response,
) -> PolicyPublic:
    """Put a partner in one of your tiers; rules for `tier:<name>` then apply to it."""
    owner = body.owner_party_id or caller.principal.party_id
    change = PolicyChange("add_tier_member", tier=tier, party_id=body.party_id)
    return _changed(caller, owner, change, idempotency, version, response)


@router.delete("/tiers/{tier}/members/{party_id}", response_model=PolicyPublic)
def remove_tier_member(
    tier: str,
    party_id: UUID,
    caller: CallerDep,
    version: ExpectedVersion,
    response: Response,
    owner_party_id: Owner = None,
) -> PolicyPublic:
    """Take a partner out of one of your tiers."""
    owner = owner_party_id or caller.principal.party_id
    change = PolicyChange("remove_tier_member", tier=tier, party_id=party_id)
    return _changed(caller, owner, change, None, version, response)


@router.get("/history", response_model=PolicyHistory)
def history(caller: CallerDep, owner_party_id: Owner = None) -> dict[str, Any]:
    """Every change to your company's policy: who, when, and the rules before and after."""
    owner = owner_party_id or caller.principal.party_id
    events = caller.network.sharing_policy_history(caller.principal, owner)
    return {"owner_party_id": str(owner), "changes": [change_view(e) for e in events]}


@router.post("/simulate", response_model=SimulationResult)
def simulate(body: SimulationRequest, caller: CallerDep) -> dict[str, Any]:
    """What a viewer would gain and lose of your data if the change were made; applies nothing."""
    owner = body.owner_party_id or caller.principal.party_id
    viewer = body.viewer_party_id
    objects = simulate_change(
        caller.network, caller.policies, caller.principal, owner, viewer, body.change.change()
    )
    return {
        "owner_party_id": str(owner),
        "viewer_party_id": str(viewer),
        "objects": objects,
    }


def _changed(
    caller: CallerDep, owner: UUID, change: PolicyChange, idempotency: Any,
    version: int | None, response: Response,
) -> PolicyPublic:  # fmt: skip
    """The policy as of the version the change wrote (a retried request: as it is now)."""
    written = caller.network.change_sharing_policy(
        caller.principal, owner, change, idempotency, version
    )

    def as_written() -> PolicyPublic:
        policy = caller.network.at_version(
            SharingPolicy, written.object_id, written.version, "sharing policy"
        )
        response.headers["ETag"] = etag(written.version)
        return policy_public(policy, None)

    def read_now() -> PolicyPublic:
        return list_rules(caller, response, owner)

    return written_response(written, response, as_written, read_now)


def _rule_of(change: PolicyChange) -> Rule:
    c = change
    return checked_rule(c.viewer, c.object_type, c.field, c.action, c.effect)
