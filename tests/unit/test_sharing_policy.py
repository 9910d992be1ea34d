"""The SharingPolicy aggregate and its rules: what a security admin may write into a policy."""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime
from functools import reduce
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosystem.actors import OPERATOR, Actor, Principal, Role
from ecosystem.errors import (
    Conflict,
    CosellError,
    InvalidCommand,
    NotFound,
    NotPermitted,
    RoleNotAllowed,
    VersionMismatch,
)
from ecosystem.network import Network
from ecosystem.parties.domainmodel import PartyKind
from ecosystem.sharing.application import PolicyChange
from ecosystem.sharing.domainmodel import SharingPolicy, sharing_policy_id
from ecosystem.sharing.rules import PRESETS, Action, Effect, Rule, checked_rule

OWNER = Actor(uuid4(), uuid4())
PARTNER = UUID(int=0x9A27)  # fixed: it names a test case, the same in every worker
LONG_AGO = datetime.fromisoformat("2000-01-01T00:00:00+00:00")
OTHER = uuid4()


def policy() -> SharingPolicy:
    return SharingPolicy(OWNER.party_id, OWNER)


def rule(
    field: str = "expected_amount", viewer: str = "partners", object_type: str = "opportunity",
    action: str = "read", effect: str = "allow",
) -> Rule:  # fmt: skip
    return checked_rule(viewer, object_type, field, action, effect)


def written(p: SharingPolicy) -> list[str]:
    return [type(e).__name__ for e in p.collect_events()]


def replayed(events: list[Any]) -> SharingPolicy:
    result: SharingPolicy = reduce(lambda aggregate, e: e.mutate(aggregate), events, None)
    return result


# --- rules: viewers, fields, actions -----------------------------------------------------------


@pytest.mark.parametrize(
    "viewer", ["partners", "invited", "tier:gold", "tier:apac_resellers-2", f"party:{PARTNER}"]
)
def test_a_rule_names_partners_invitees_a_tier_or_one_party(viewer: str) -> None:
    assert rule(viewer=viewer).viewer == viewer


def test_a_party_viewer_is_written_in_one_canonical_form() -> None:
    assert rule(viewer=f"party:{str(PARTNER).upper()}").viewer == f"party:{PARTNER}"
    assert rule(viewer=f"party:{PARTNER.hex}").rule_id == rule(viewer=f"party:{PARTNER}").rule_id


@pytest.mark.parametrize("viewer", ["everyone", "Partners", "party:acme", "party:", "", "*"])
def test_any_other_viewer_is_refused_with_the_viewers_that_exist(viewer: str) -> None:
    with pytest.raises(InvalidCommand, match="'partners', 'invited', 'tier:<name>' or 'party:"):
        rule(viewer=viewer)


@pytest.mark.parametrize("viewer", ["tier:", "tier:Gold", "tier:gold!", f"tier:{'x' * 41}"])
def test_a_tier_that_is_not_a_short_slug_is_refused(viewer: str) -> None:
    with pytest.raises(InvalidCommand, match="a tier is named like 'gold'"):
        rule(viewer=viewer)


@pytest.mark.parametrize(
    "field", ["title", "customer.contacts.phone", "counterparts.crm_reference", "customer.*",
              "customer.contacts.*", "counterparts.*", "*"],
)  # fmt: skip
def test_a_rule_names_a_field_or_a_pattern_ending_in_a_star(field: str) -> None:
    assert rule(field).field == field


@pytest.mark.parametrize(
    "field", ["budget", "customer.phone", "Title", "cust*.name", "*.name", "customer.*.email",
              "**", "expected_amount.*", "customer.", ""],
)  # fmt: skip
def test_an_unknown_field_or_a_star_before_the_end_is_refused_saying_how_to_list_fields(
    field: str,
) -> None:
    with pytest.raises(InvalidCommand, match=r"GET /v1/policies/fields") as refused:
        rule(field)
    assert repr(field) in refused.value.detail


def test_a_rule_for_an_unknown_object_type_is_refused() -> None:
    with pytest.raises(InvalidCommand, match="object_type must be one of: opportunity"):
        rule(object_type="invoice")


@pytest.mark.parametrize(("part", "value"), [("action", "delete"), ("effect", "maybe")])
def test_an_unknown_action_or_effect_is_refused_naming_the_accepted_ones(
    part: str, value: str
) -> None:
    with pytest.raises(InvalidCommand, match=f"{part} must be one of"):
        rule(**{part: value})


@pytest.mark.parametrize("field", ["next_steps", "expected_amount", "customer.name", "customer.*"])
def test_write_can_be_granted_on_the_deals_details(field: str) -> None:
    assert rule(field, action="write").action is Action.WRITE


@pytest.mark.parametrize(
    "field", ["stage", "participants", "notes", "closing_reason", "expected_close_quarter",
              "counterparts.crm_reference", "counterparts.*"],
)  # fmt: skip
def test_write_on_anything_but_the_deals_details_is_refused(field: str) -> None:
    with pytest.raises(InvalidCommand, match="write can be granted only on the deal's details"):
        rule(field, action="write")


def test_the_same_rule_has_the_same_id_and_a_different_rule_another() -> None:
    assert rule().rule_id == rule().rule_id
    assert rule().rule_id != rule(effect="deny").rule_id
    assert Rule.from_dict(rule().as_dict()) == rule()


# --- the aggregate ------------------------------------------------------------------------------


def test_adding_a_rule_twice_is_a_conflict_and_writes_nothing() -> None:
    p = policy()
    p.add_rule(rule(), OWNER)
    assert written(p) == ["Created", "RuleAdded"]
    with pytest.raises(Conflict, match=rule().rule_id):
        p.add_rule(rule(), OWNER)
    assert written(p) == []
    assert list(p.rules.values()) == [rule()]


def test_removing_a_rule_takes_it_out_and_an_unknown_rule_id_is_not_found() -> None:
    p = policy()
    p.add_rule(rule(), OWNER)
    p.add_rule(rule("next_steps"), OWNER)
    p.remove_rule(rule().rule_id, OWNER)
    assert list(p.rules.values()) == [rule("next_steps")]
    p.collect_events()
    with pytest.raises(NotFound, match="no rule with id 0123456789abcdef"):
        p.remove_rule("0123456789abcdef", OWNER)
    assert written(p) == []


def test_a_company_cannot_name_itself_as_a_viewer_of_its_own_data() -> None:
    p = policy()
    me = f"party:{OWNER.party_id}"
    refusals = [
        lambda: p.add_rule(rule(viewer=me), OWNER),
        lambda: p.add_rule(rule(viewer=f"party:{str(OWNER.party_id).upper()}"), OWNER),
        lambda: p.apply_preset("full", me, "opportunity", OWNER),
        lambda: p.add_to_tier("gold", OWNER.party_id, OWNER),
    ]
    p.collect_events()
    for refused in refusals:
        with pytest.raises(InvalidCommand, match="always sees its own data"):
            refused()
    assert (p.rules, p.tiers, written(p)) == ({}, {}, [])


def test_a_preset_replaces_only_that_viewers_rules_for_that_object_type() -> None:
    p = policy()
    mine = [rule("expected_amount"), rule("next_steps", effect="deny")]
    invited = rule("customer.name", viewer="invited")
    # Only opportunities take rules today; a rule for another type still must survive a preset.
    elsewhere = Rule("partners", "solution", "title", Action.READ, Effect.ALLOW)
    for kept in (*mine, invited, elsewhere):
        p.add_rule(kept, OWNER)
    p.collect_events()
    p.apply_preset("summary", "partners", "opportunity", OWNER)
    [applied] = p.collect_events()
    assert type(applied).__name__ == "PresetApplied"
    assert (applied.preset, applied.viewer, applied.object_type) == (
        "summary", "partners", "opportunity",
    )  # fmt: skip
    assert sorted(map(Rule.from_dict, applied.removed), key=str) == sorted(mine, key=str)
    summary = {rule(field) for field, _ in PRESETS["summary"]}
    assert set(map(Rule.from_dict, applied.added)) == summary
    assert set(p.rules.values()) == summary | {invited, elsewhere}


@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset_is_a_set_of_read_rules_for_the_viewer(preset: str) -> None:
    p = policy()
    p.apply_preset(preset, "tier:gold", "opportunity", OWNER)
    assert {r.viewer for r in p.rules.values()} == {"tier:gold"}
    assert {r.action for r in p.rules.values()} == {Action.READ}
    assert {(r.field, r.effect) for r in p.rules.values()} == set(PRESETS[preset])


def test_an_unknown_preset_is_refused_naming_the_presets() -> None:
    with pytest.raises(InvalidCommand, match="hidden, summary, standard, full"):
        policy().apply_preset("everything", "partners", "opportunity", OWNER)


def test_tiers_gain_and_lose_members_and_vanish_when_empty() -> None:
    p = policy()
    p.add_to_tier("gold", PARTNER, OWNER)
    p.add_to_tier("tier:gold", OTHER, OWNER)
    assert p.tiers == {"tier:gold": {PARTNER, OTHER}}
    with pytest.raises(Conflict, match="already in tier:gold"):
        p.add_to_tier("gold", PARTNER, OWNER)
    p.remove_from_tier("gold", PARTNER, OWNER)
    p.remove_from_tier("gold", OTHER, OWNER)
    assert p.tiers == {}
    with pytest.raises(NotFound, match="not in tier:gold"):
        p.remove_from_tier("gold", PARTNER, OWNER)
    with pytest.raises(InvalidCommand, match="a tier is named like"):
        p.add_to_tier("Gold Partners", PARTNER, OWNER)


# Any sequence of commands, refused ones included: the recorded events rebuild the live policy.
RULES = st.builds(
    lambda field, viewer, effect: rule(field, viewer=viewer, effect=effect),
    st.sampled_from(["title", "customer.*", "*"]),
    st.sampled_from(["partners", "invited", "tier:gold"]),
    st.sampled_from(["allow", "deny"]),
)
COMMANDS = st.lists(
    st.one_of(
        st.tuples(st.just("add_rule"), RULES),
        st.tuples(st.just("remove_rule"), RULES.map(lambda r: r.rule_id)),
        st.tuples(st.just("apply_preset"), st.sampled_from(list(PRESETS)),
                  st.sampled_from(["partners", "tier:gold"]), st.just("opportunity")),
        st.tuples(st.sampled_from(["add_to_tier", "remove_from_tier"]),
                  st.sampled_from(["gold", "silver"]), st.sampled_from([PARTNER, OTHER])),
    ),
    max_size=25,
)  # fmt: skip


@given(COMMANDS)
def test_replaying_a_policys_events_rebuilds_exactly_the_live_policy(commands: Any) -> None:
    p = policy()
    for verb, *args in commands:
        with suppress(CosellError):
            getattr(p, verb)(*args, OWNER)
    again = replayed(p.collect_events())
    assert (again.rules, again.tiers, again.version) == (p.rules, p.tiers, p.version)


# --- through the network ------------------------------------------------------------------------


def company(network: Network, *roles: Role) -> Principal:
    party = network.register_party(OPERATOR, "Co", f"co-{uuid4().hex[:8]}.example", PartyKind.ISV)
    return user(network, party.object_id, *roles)


def user(network: Network, party_id: UUID, *roles: Role) -> Principal:
    _, issued = network.add_user(
        OPERATOR, party_id, "Sam", f"sam-{uuid4().hex[:8]}@example.com", list(roles)
    )
    assert issued is not None
    return network.authenticate(issued.token)


def add(field: str, viewer: str = "partners", **kw: Any) -> PolicyChange:
    return PolicyChange("add_rule", viewer=viewer, field=field, **kw)


def stored(network: Network, owner: Principal) -> SharingPolicy:
    found: SharingPolicy = network.repository.get(sharing_policy_id(owner.party_id))
    return found


def test_a_security_admin_changes_its_companys_policy_and_the_store_holds_it(
    sqlite_network: Network,
) -> None:
    admin = company(sqlite_network, Role.SECURITY_ADMIN)
    partner = company(sqlite_network, Role.ADMIN)
    first = sqlite_network.change_sharing_policy(admin, admin.party_id, add("expected_amount"))
    sqlite_network.change_sharing_policy(
        admin, admin.party_id, PolicyChange("apply_preset", viewer="invited", preset="hidden")
    )
    tier = PolicyChange("add_tier_member", tier="gold", party_id=partner.party_id)
    last = sqlite_network.change_sharing_policy(admin, admin.party_id, tier)
    assert (first.version, last.version) == (2, 4)  # Created, RuleAdded, PresetApplied, Tier…
    policy_now = stored(sqlite_network, admin)
    assert set(policy_now.rules.values()) == {
        rule("expected_amount"),
        rule("*", viewer="invited", effect="deny"),
    }
    assert policy_now.tiers == {"tier:gold": {partner.party_id}}
    shown = sqlite_network.sharing_policy(admin, admin.party_id)
    assert (shown.rules, shown.tiers) == (policy_now.rules, policy_now.tiers)
    history = sqlite_network.sharing_policy_history(admin, admin.party_id)
    assert [e.actor for e in history] == [admin.actor] * 4
    assert replayed(history).rules == policy_now.rules


def test_the_policy_as_of_a_moment_is_the_policy_then(sqlite_network: Network) -> None:
    admin = company(sqlite_network, Role.SECURITY_ADMIN)
    sqlite_network.change_sharing_policy(admin, admin.party_id, add("expected_amount"))
    sqlite_network.change_sharing_policy(admin, admin.party_id, add("next_steps"))
    events = sqlite_network.sharing_policy_history(admin, admin.party_id)
    at_first = sqlite_network.sharing_policy(admin, admin.party_id, as_of=events[1].timestamp)
    assert set(at_first.rules.values()) == {rule("expected_amount")}
    assert sqlite_network.sharing_policy(admin, admin.party_id, as_of=LONG_AGO).rules == {}


def test_only_a_security_admin_of_the_company_changes_its_policy_and_refusals_write_nothing(
    sqlite_network: Network,
) -> None:
    admin = company(sqlite_network, Role.SECURITY_ADMIN)
    sqlite_network.change_sharing_policy(admin, admin.party_id, add("title"))
    outsider = company(sqlite_network, Role.SECURITY_ADMIN)
    own_admin = user(sqlite_network, admin.party_id, Role.ADMIN, Role.SALES)
    refusals: list[tuple[type[CosellError], Principal, PolicyChange, dict[str, Any]]] = [
        (RoleNotAllowed, own_admin, add("expected_amount"), {}),
        (NotPermitted, outsider, add("expected_amount"), {}),
        (NotPermitted, outsider, PolicyChange("remove_rule", rule_id=rule("title").rule_id), {}),
        (NotPermitted, outsider, PolicyChange("apply_preset", viewer="partners", preset="full"),
         {}),
        (VersionMismatch, admin, add("expected_amount"), {"expected_version": 1}),
        (NotFound, admin, add("title", viewer=f"party:{uuid4()}"), {}),
        (NotFound, admin, PolicyChange("add_tier_member", tier="gold", party_id=uuid4()), {}),
        (InvalidCommand, admin, PolicyChange("add_tier_member", tier="gold"), {}),
        (InvalidCommand, admin, PolicyChange("grant_everything"), {}),
    ]  # fmt: skip
    for error, who, change, kw in refusals:
        with pytest.raises(error):
            sqlite_network.change_sharing_policy(who, admin.party_id, change, **kw)
    assert stored(sqlite_network, admin).version == 2
    assert set(stored(sqlite_network, admin).rules.values()) == {rule("title")}
    with pytest.raises(NotPermitted):
        sqlite_network.simulate_sharing_change(outsider, admin.party_id, add("expected_amount"))


def test_a_simulated_change_leaves_the_stored_policy_as_it_was(sqlite_network: Network) -> None:
    admin = company(sqlite_network, Role.SECURITY_ADMIN)
    sqlite_network.change_sharing_policy(admin, admin.party_id, add("title"))
    hide = PolicyChange("apply_preset", viewer="partners", preset="hidden")
    before, after = sqlite_network.simulate_sharing_change(admin, admin.party_id, hide)
    assert set(before.rules.values()) == {rule("title")}
    assert set(after.rules.values()) == {rule("*", effect="deny")}
    assert set(stored(sqlite_network, admin).rules.values()) == {rule("title")}
    assert stored(sqlite_network, admin).version == 2
