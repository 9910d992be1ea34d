"""Simulation before change: what a viewer would gain and lose of a company's data.

The proposed policy is compiled beside the one in force, with every other company's rows as
they are, and both are asked about each object the company takes part in. Nothing is saved.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from ecosystem.actors import Principal
from ecosystem.errors import InvalidCommand
from ecosystem.network import Network
from ecosystem.opportunities.domainmodel import SharedOpportunity
from ecosystem.sharing.application import PolicyChange
from ecosystem.sharing.domainmodel import SharingPolicy
from ecosystem.sharing.rules import OBJECT_LEAVES
from policies.decisions import PolicyDecisions
from policies.masks import MaskCompiler
from policies.redaction import OBJECT_TYPE, Partners, Redaction
from policies.table import policy_rows


def simulate_change(
    network: Network,
    decisions: PolicyDecisions,
    principal: Principal,
    owner_id: UUID,
    viewer: UUID,
    change: PolicyChange,
) -> list[dict[str, Any]]:
    """A security admin's preview: the change's effect on `viewer` across the caller's deals."""
    before, after = network.simulate_sharing_change(principal, owner_id, change)
    network.party(viewer)
    if viewer == owner_id:
        raise InvalidCommand("a company always sees its own data; name another viewer")
    decisions.refresh()
    rows = (decisions.enforcer.get_policy(), decisions.enforcer.get_grouping_policy())
    opportunities = network.opportunities_for(principal)
    return simulate(rows, before, after, viewer, opportunities, network.is_active_partnership)


def simulate(
    enforcer_rows: tuple[list[list[str]], list[list[str]]],
    before: SharingPolicy,
    after: SharingPolicy,
    viewer: UUID,
    opportunities: Iterable[SharedOpportunity],
    partners: Partners,
) -> list[dict[str, Any]]:
    """Per object with a difference: the leaves of the owner's data gained and lost (none
    for a viewer that is not an active partner: nothing reaches it, whatever the policy)."""
    owner = str(before.owner_id)
    now = _compiler(enforcer_rows, owner, policy_rows(before))
    then = _compiler(enforcer_rows, owner, policy_rows(after))
    seats = Redaction(now, partners=partners)
    changes: list[dict[str, Any]] = []
    if not partners(viewer, before.owner_id):
        return changes
    for opportunity in opportunities:
        seat = seats.seat(viewer, opportunity)
        relevant = _owned_leaves(before.owner_id, opportunity)
        if seat is None or not relevant or not _may_see_participants(seats, before, opportunity):
            continue
        diff: dict[str, Any] = {}
        for action in ("read", "write"):
            was = now.mask(seat, owner, OBJECT_TYPE, action) & relevant
            will = then.mask(seat, owner, OBJECT_TYPE, action) & relevant
            if was != will:
                diff[action] = {"gained": sorted(will - was), "lost": sorted(was - will)}
        if diff:
            changes.append(
                {"object_type": OBJECT_TYPE, "object_id": str(opportunity.id),
                 "seat": "invited" if opportunity.is_invited(viewer) else "partner", **diff}
            )  # fmt: skip
    return changes


def _may_see_participants(
    seats: Redaction, policy: SharingPolicy, opportunity: SharedOpportunity
) -> bool:
    """A diff tells who takes part: shown only where the company may see the participants."""
    company = policy.owner_id
    own_seat = seats.seat(company, opportunity)
    if own_seat is None:
        return False
    mask = seats.readable(company, own_seat, opportunity.owner_id)
    return mask is None or "participants" in mask


def _compiler(
    rows: tuple[list[list[str]], list[list[str]]],
    owner: str,
    replacement: tuple[list[list[str]], list[list[str]]],
) -> MaskCompiler:
    p_rows, g_rows = rows
    others_p = [r for r in p_rows if r[1] != owner]
    others_g = [r for r in g_rows if r[2] != owner]
    return MaskCompiler([*others_p, *replacement[0]], [*others_g, *replacement[1]])


def _owned_leaves(owner: UUID, opportunity: SharedOpportunity) -> frozenset[str]:
    """The leaves of this object whose data the company owns."""
    leaves = OBJECT_LEAVES[OBJECT_TYPE]
    owned: set[str] = set()
    if opportunity.owner_id == owner:
        owned.update(leaf for leaf in leaves if not leaf.startswith("counterparts."))
    if any(n.author.party_id == owner for n in opportunity.notes):
        owned.add("notes")
    if owner in opportunity.counterparts:
        owned.update(leaf for leaf in leaves if leaf.startswith("counterparts."))
    return frozenset(owned)
