"""The Casbin rule table is derived from policy events: current, rebuildable, shared."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import casbin
import casbin_sqlalchemy_adapter
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

import policies
from api.bootstrap import build_network, policies_of
from api.settings import Settings
from ecosystem.actors import OPERATOR, Principal, Role
from ecosystem.network import Network
from ecosystem.parties.domainmodel import PartyKind
from ecosystem.sharing.application import PolicyChange
from ecosystem.sharing.domainmodel import SharingPolicy, sharing_policy_id
from ecosystem.sharing.rules import OBJECT_LEAVES

Row = tuple[str | None, ...]


def engine_of(network: Network) -> Engine:
    engine: Engine = network.factory.datastore.engine  # type: ignore[attr-defined]
    return engine


def table_rows(network: Network) -> Counter[Row]:
    """Every row of casbin_rule as stored, counted (a doubled row shows up as 2)."""
    with engine_of(network).connect() as conn:
        found = conn.execute(text("SELECT ptype, v0, v1, v2, v3, v4, v5 FROM casbin_rule"))
        return Counter(tuple(cell or None for cell in row) for row in found)


def tracked_position(network: Network) -> int:
    with engine_of(network).connect() as conn:
        return int(conn.execute(text("SELECT position FROM cosell_policy_tracking")).scalar_one())


def default_rows() -> Counter[Row]:
    with policies.table.DEFAULTS_PATH.open() as f:
        lines = [[cell.strip() for cell in row] for row in csv.reader(f) if row]
    return Counter(tuple([*line, None, None, None, None, None, None][:7]) for line in lines)


def rule(viewer: str, owner: Principal, field: str, action: str = "read", eft: str = "allow"
         ) -> Row:  # fmt: skip
    return ("p", viewer, str(owner.party_id), "opportunity", field, action, eft)


def member(party: Principal, tier: str, owner: Principal) -> Row:
    return ("g", f"party:{party.party_id}", tier, str(owner.party_id), None, None, None)


def owned_by(rows: Counter[Row], owner: Principal) -> Counter[Row]:
    """The rows in one company's domain: its rules, and its tiers' members."""
    me = str(owner.party_id)
    return Counter({r: n for r, n in rows.items() if (r[2] if r[0] == "p" else r[3]) == me})


def company(network: Network, *roles: Role) -> Principal:
    domain = f"co-{uuid4().hex[:8]}.example"
    party = network.register_party(OPERATOR, "Co", domain, PartyKind.ISV).object_id
    _, issued = network.add_user(OPERATOR, party, "Sam", "sam@example.com", list(roles))
    assert issued is not None
    return network.authenticate(issued.token)


def change(network: Network, admin: Principal, op: str, **kw: Any) -> None:
    network.change_sharing_policy(admin, admin.party_id, PolicyChange(op, **kw))


def grant(network: Network, admin: Principal, field: str, viewer: str = "partners", **kw: Any
          ) -> None:  # fmt: skip
    change(network, admin, "add_rule", viewer=viewer, field=field, **kw)


def last_policy_position(network: Network) -> int:
    return network.changed_since(SharingPolicy, 0)[-1][0]


@pytest.fixture
def vendor(network: Network) -> Principal:
    return company(network, Role.SECURITY_ADMIN)


@pytest.fixture
def partner(network: Network) -> Principal:
    return company(network, Role.SECURITY_ADMIN)


Process = tuple[Network, policies.PolicyDecisions]


@pytest.fixture
def second_process(network: Network, database_url: str) -> Iterator[Process]:
    """Another process: its own network, engine and policy decisions on the same database."""
    other = build_network(Settings(database_url=database_url))
    yield other, policies.PolicyDecisions(other, policies.PolicyTable(engine_of(other)))
    other.close()


def test_a_fresh_table_holds_only_the_network_defaults(network: Network) -> None:
    policies_of(network).refresh()
    assert table_rows(network) == default_rows()
    assert tracked_position(network) == 0


def test_after_each_change_the_table_holds_exactly_the_owners_rules(
    network: Network, vendor: Principal, partner: Principal
) -> None:
    decisions = policies_of(network)
    steps: list[tuple[str, dict[str, Any], set[Row]]] = [
        ("add_rule", {"viewer": "partners", "field": "expected_amount"},
         {rule("partners", vendor, "expected_amount")}),
        ("add_rule", {"viewer": "tier:gold", "field": "customer.*", "effect": "deny"},
         {rule("partners", vendor, "expected_amount"),
          rule("tier:gold", vendor, "customer.*", eft="deny")}),
        ("add_tier_member", {"tier": "gold", "party_id": partner.party_id},
         {rule("partners", vendor, "expected_amount"),
          rule("tier:gold", vendor, "customer.*", eft="deny"),
          member(partner, "tier:gold", vendor)}),
        ("apply_preset", {"viewer": "partners", "preset": "hidden"},
         {rule("partners", vendor, "*", eft="deny"),
          rule("tier:gold", vendor, "customer.*", eft="deny"),
          member(partner, "tier:gold", vendor)}),
        ("remove_tier_member", {"tier": "gold", "party_id": partner.party_id},
         {rule("partners", vendor, "*", eft="deny"),
          rule("tier:gold", vendor, "customer.*", eft="deny")}),
        ("add_rule", {"viewer": f"party:{partner.party_id}", "field": "next_steps",
                      "action": "write"},
         {rule("partners", vendor, "*", eft="deny"),
          rule("tier:gold", vendor, "customer.*", eft="deny"),
          rule(f"party:{partner.party_id}", vendor, "next_steps", "write")}),
    ]  # fmt: skip
    grant(network, partner, "title", viewer="invited")  # another company's rows stay its own
    for op, kw, expected in steps:
        change(network, vendor, op, **kw)
        decisions.refresh()
        rows = table_rows(network)
        assert owned_by(rows, vendor) == Counter(expected), op
        assert owned_by(rows, partner) == Counter({rule("invited", partner, "title"): 1})
        assert rows - owned_by(rows, vendor) - owned_by(rows, partner) == default_rows()
        assert tracked_position(network) == decisions.position == last_policy_position(network)


def test_rebuilding_after_rows_were_deleted_or_corrupted_restores_exactly_the_same_rows(
    network: Network, vendor: Principal, partner: Principal
) -> None:
    decisions = policies_of(network)
    change(network, vendor, "apply_preset", viewer="partners", preset="standard")
    change(network, vendor, "add_tier_member", tier="gold", party_id=partner.party_id)
    grant(network, partner, "counterparts.*")
    decisions.refresh()
    healthy, position = table_rows(network), tracked_position(network)
    with engine_of(network).begin() as conn:
        conn.execute(text("DELETE FROM casbin_rule WHERE v3 = 'expected_amount' OR ptype = 'g'"))
        conn.execute(text("UPDATE casbin_rule SET v5 = 'allow' WHERE v0 = 'invited'"))
        conn.execute(
            text(
                "INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5) "
                "VALUES ('p', 'invited', '*', 'opportunity', '*', 'read', 'allow'), "
                f"('p', 'partners', '{uuid4()}', 'opportunity', '*', 'read', 'allow')"
            )
        )
        conn.execute(text("UPDATE cosell_policy_tracking SET position = 0"))
    assert table_rows(network) != healthy
    assert decisions.rebuild() == sum(healthy.values())
    assert table_rows(network) == healthy
    assert tracked_position(network) == position
    masks = decisions.refresh()
    viewer, owner = f"party:{partner.party_id}", str(vendor.party_id)
    assert "expected_amount" in masks.mask(viewer, owner, "opportunity", "read")
    assert "customer.name" not in masks.mask("invited", owner, "opportunity", "read")


def test_a_rebuild_of_an_untouched_table_changes_nothing(
    network: Network, vendor: Principal
) -> None:
    grant(network, vendor, "products")
    decisions = policies_of(network)
    decisions.refresh()
    before = table_rows(network)
    decisions.rebuild()
    assert table_rows(network) == before


def test_a_slow_process_cannot_project_an_older_policy_over_a_newer_one(
    network: Network, vendor: Principal
) -> None:
    grant(network, vendor, "products")
    policy_id = sharing_policy_id(vendor.party_id)
    old_position = last_policy_position(network)
    grant(network, vendor, "expected_amount")
    policies_of(network).refresh()
    rows, position = table_rows(network), tracked_position(network)
    older: SharingPolicy = network.repository.get(policy_id, version=2)  # products only
    slow = policies.PolicyTable(engine_of(network))
    assert slow.project([older], old_position) is False
    assert (table_rows(network), tracked_position(network)) == (rows, position)


def test_a_change_made_through_one_process_is_in_force_in_the_other_on_its_next_read(
    network: Network,
    vendor: Principal,
    partner: Principal,
    second_process: Process,
) -> None:
    first = policies_of(network)
    other_network, second = second_process
    viewer, owner = f"party:{partner.party_id}", str(vendor.party_id)

    def readable(decisions: policies.PolicyDecisions) -> frozenset[str]:
        return decisions.refresh().mask(viewer, owner, "opportunity", "read")

    assert "expected_amount" not in readable(second)
    grant(network, vendor, "expected_amount")
    assert "expected_amount" in readable(second)
    assert "expected_amount" in readable(first)
    # And back: a change the second process writes is in force in the first.
    change(other_network, vendor, "apply_preset", viewer="partners", preset="hidden")
    assert readable(first) == frozenset()
    assert readable(second) == frozenset()
    # Both projected the same events into one table: every row is there once.
    assert owned_by(table_rows(network), vendor) == Counter(
        {rule("partners", vendor, "*", eft="deny"): 1}
    )
    assert first.position == second.position == tracked_position(network)


def test_a_process_started_later_projects_what_it_missed_and_begins_with_it_in_force(
    network: Network, database_url: str, vendor: Principal, partner: Principal
) -> None:
    change(network, vendor, "apply_preset", viewer="partners", preset="summary")
    change(network, vendor, "add_tier_member", tier="gold", party_id=partner.party_id)
    grant(network, vendor, "expected_amount", viewer="tier:gold")
    assert tracked_position(network) < last_policy_position(network)  # no one has read yet
    # A bare network (not through build_network, which would wire and refresh its own).
    later = Network({"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
                     "SQLALCHEMY_URL": database_url})  # fmt: skip
    try:
        decisions = policies.PolicyDecisions(later, policies.PolicyTable(engine_of(later)))
        assert tracked_position(network) == last_policy_position(network) == decisions.position
        mask = decisions.refresh().mask(
            f"party:{partner.party_id}", str(vendor.party_id), "opportunity", "read"
        )
        assert {"title", "customer.name", "expected_amount"} <= mask
        assert "next_steps" not in mask
    finally:
        later.close()


def test_casbin_loading_the_table_itself_decides_as_the_compiled_masks(
    network: Network, vendor: Principal, partner: Principal
) -> None:
    outsider = company(network, Role.SECURITY_ADMIN)
    change(network, vendor, "apply_preset", viewer="partners", preset="standard")
    grant(network, vendor, "expected_amount", effect="deny")
    grant(network, vendor, "customer.contacts.*", viewer="tier:gold")
    grant(network, vendor, "next_steps", viewer="tier:gold", action="write")
    change(network, vendor, "add_tier_member", tier="gold", party_id=partner.party_id)
    grant(network, partner, "counterparts.*", viewer="invited")
    masks = policies_of(network).refresh()
    adapter = casbin_sqlalchemy_adapter.Adapter(engine_of(network))
    enforcer = casbin.Enforcer(str(policies.MODEL_PATH), adapter)
    viewers = ["invited", *(f"party:{p.party_id}" for p in (partner, outsider))]
    owners = [str(p.party_id) for p in (vendor, partner, outsider)]
    decided = 0
    for viewer in viewers:
        for owner in owners:
            for action in ("read", "write"):
                mask = masks.mask(viewer, owner, "opportunity", action)
                for leaf in OBJECT_LEAVES["opportunity"]:
                    allowed = enforcer.enforce(viewer, owner, "opportunity", leaf, action)
                    assert allowed == (leaf in mask), (viewer, owner, leaf, action)
                    decided += allowed
    assert decided > 0  # the sample holds allowed requests, not only refusals
    gold = f"party:{partner.party_id}"
    assert enforcer.enforce(gold, str(vendor.party_id), "opportunity", "customer.contacts.email",
                            "read")  # fmt: skip
    assert not enforcer.enforce(gold, str(vendor.party_id), "opportunity", "expected_amount",
                                "read")  # fmt: skip
    assert enforcer.enforce(gold, str(vendor.party_id), "opportunity", "next_steps", "write")
