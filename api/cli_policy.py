"""`cosell policy …`: a security admin administers its company's sharing policy from a shell.

Each command authenticates with a user token (`--token` or COSELL_TOKEN) and obeys the same
rules as the API: only the caller's own company's policy, only with the security_admin role.
Output is JSON, so it can be piped into other tools.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import typer

from api.bootstrap import build_network, policies_of
from api.cli_keys import KeyFile, Signing, run
from api.schemas.policies import change_view, policy_public
from api.settings import Settings
from ecosystem.actors import Principal
from ecosystem.network import Network
from ecosystem.sharing.application import PolicyChange
from policies import simulate_change

policy = typer.Typer(help="Sharing policy: rules, presets, tiers, history, simulation.")
Token = Annotated[
    str, typer.Option(envvar="COSELL_TOKEN", help="Your bearer token (or COSELL_TOKEN).")
]
Viewer = Annotated[str, typer.Option(help="partners, invited, tier:<name> or party:<id>.")]
ObjectType = Annotated[str, typer.Option(help="The object type the rule is about.")]


def _run(
    token: str, command: Callable[[Network, Principal], Any], signing: Signing | None = None
) -> None:
    typer.echo(json.dumps(run(token, command, signing), indent=2, default=str))


def _change(token: str, change: PolicyChange, signing: Signing) -> None:
    def command(network: Network, principal: Principal) -> Any:
        owner = principal.party_id
        network.change_sharing_policy(principal, owner, change)
        return policy_public(network.sharing_policy(principal, owner), None).model_dump()

    _run(token, command, signing)


@policy.command("rules")
def rules(
    token: Token,
    as_of: Annotated[
        datetime | None, typer.Option(help="The rules in force at this time (ISO 8601).")
    ] = None,
) -> None:
    """Print your company's rules and tiers, now or as of a moment."""
    _run(
        token,
        lambda n, p: policy_public(n.sharing_policy(p, p.party_id, as_of), as_of).model_dump(),
    )


@policy.command("add")
def add(
    token: Token,
    viewer: Viewer,
    field: Annotated[str, typer.Option(help="A field or pattern: expected_amount, customer.*.")],
    action: Annotated[str, typer.Option(help="read or write.")] = "read",
    effect: Annotated[str, typer.Option(help="allow or deny.")] = "allow",
    object_type: ObjectType = "opportunity",
    key: KeyFile = None,
) -> None:
    """Add a rule to your company's policy."""
    body = {"viewer": viewer, "object_type": object_type, "field": field, "action": action,
            "effect": effect}  # fmt: skip
    _change(
        token, PolicyChange("add_rule", viewer, object_type, field, action, effect),
        Signing(key, "POST", "/v1/policies/rules", body),
    )  # fmt: skip


@policy.command("remove")
def remove(
    token: Token,
    rule_id: Annotated[str, typer.Argument(help="The rule's id.")],
    key: KeyFile = None,
) -> None:
    """Remove a rule from your company's policy."""
    signing = Signing(key, "DELETE", f"/v1/policies/rules/{rule_id}")
    _change(token, PolicyChange("remove_rule", rule_id=rule_id), signing)


@policy.command("preset")
def preset(
    token: Token,
    viewer: Viewer,
    name: Annotated[str, typer.Option("--preset", help="hidden, summary, standard or full.")],
    object_type: ObjectType = "opportunity",
    key: KeyFile = None,
) -> None:
    """Replace a viewer's rules with a sharing preset."""
    body = {"viewer": viewer, "object_type": object_type, "preset": name}
    _change(
        token, PolicyChange("apply_preset", viewer, object_type, preset=name),
        Signing(key, "POST", "/v1/policies/presets", body),
    )  # fmt: skip


@policy.command("tier-add")
def tier_add(token: Token, tier: str, party: UUID, key: KeyFile = None) -> None:
    """Put a partner in one of your tiers."""
    signing = Signing(key, "POST", f"/v1/policies/tiers/{tier}/members", {"party_id": str(party)})
    _change(token, PolicyChange("add_tier_member", tier=tier, party_id=party), signing)


@policy.command("tier-remove")
def tier_remove(token: Token, tier: str, party: UUID, key: KeyFile = None) -> None:
    """Take a partner out of one of your tiers."""
    signing = Signing(key, "DELETE", f"/v1/policies/tiers/{tier}/members/{party}")
    _change(token, PolicyChange("remove_tier_member", tier=tier, party_id=party), signing)


@policy.command("history")
def history(token: Token) -> None:
    """Print every change to your company's policy: who, when, rules before and after."""
    _run(token, lambda n, p: [change_view(e) for e in n.sharing_policy_history(p, p.party_id)])


@policy.command("simulate")
def simulate(
    token: Token,
    viewer_party: Annotated[UUID, typer.Option(help="The party whose view to preview.")],
    op: Annotated[str, typer.Option(help="add_rule, remove_rule, apply_preset, …")],
    viewer: Annotated[str, typer.Option(help="The rule's or preset's viewer.")] = "",
    field: str = "",
    action: str = "read",
    effect: str = "allow",
    rule_id: str = "",
    preset_name: Annotated[str, typer.Option("--preset")] = "",
    tier: str = "",
    party: UUID | None = None,
    object_type: ObjectType = "opportunity",
) -> None:
    """Print what a partner would gain and lose of your deals; applies nothing."""
    change = PolicyChange(
        op, viewer, object_type, field, action, effect, rule_id, preset_name, tier, party
    )

    def command(network: Network, principal: Principal) -> Any:
        decisions = policies_of(network)
        owner = principal.party_id
        return simulate_change(network, decisions, principal, owner, viewer_party, change)

    _run(token, command)


@policy.command("rebuild-table")
def rebuild_table() -> None:
    """Operator: rebuild the Casbin rule table from the policy events (safe at any time)."""
    network = build_network(Settings())
    try:
        count = policies_of(network).rebuild()
    finally:
        network.close()
    typer.echo(f"rebuilt casbin_rule: {count} rows")
