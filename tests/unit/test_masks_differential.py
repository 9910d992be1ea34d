"""The compiled masks decide exactly as Casbin's own `enforce` on the same model and rows."""

from __future__ import annotations

import casbin
from hypothesis import given, settings
from hypothesis import strategies as st

from ecosystem.sharing.rules import OBJECT_LEAVES
from policies import MODEL_PATH, MaskCompiler
from policies.table import default_rows

PARTIES = [f"0000000{i}-0000-0000-0000-000000000000" for i in range(1, 5)]
TIERS = ["tier:gold", "tier:silver"]
LEAVES = list(OBJECT_LEAVES["opportunity"])
PATTERNS = sorted(
    {"*"}
    | set(LEAVES)
    | {leaf.rsplit(".", 1)[0] + ".*" for leaf in LEAVES if "." in leaf}
    | {"cust*", "customer.contacts.*", "counterparts.*"}
)
TWO_TYPES = {"opportunity": LEAVES, "solution": LEAVES}  # a second type: types must not mix
viewers = st.sampled_from(["partners", "invited", *TIERS, *(f"party:{p}" for p in PARTIES)])
owners = st.sampled_from([*PARTIES, "*"])
object_types = st.sampled_from(["opportunity", "solution"])
actions = st.sampled_from(["read", "write"])
rules = st.tuples(
    viewers, owners, object_types, st.sampled_from(PATTERNS), actions,
    st.sampled_from(["allow", "deny"]),
).map(list)  # fmt: skip
links = st.tuples(
    st.sampled_from([f"party:{p}" for p in PARTIES]), st.sampled_from(TIERS),
    st.sampled_from(PARTIES),
).map(list)  # fmt: skip
requests = st.tuples(
    st.sampled_from(["invited", *(f"party:{p}" for p in PARTIES)]),
    st.sampled_from(PARTIES),
    object_types,
    st.sampled_from(LEAVES),
    actions,
)


def enforcer_with(p_rows: list[list[str]], g_rows: list[list[str]]) -> casbin.Enforcer:
    enforcer = casbin.Enforcer(str(MODEL_PATH))
    for row in p_rows:
        enforcer.add_policy(*row)
    for row in g_rows:
        enforcer.add_grouping_policy(*row)
    return enforcer


@settings(max_examples=max(300, settings.default.max_examples))
@given(
    st.lists(rules, max_size=25),
    st.lists(links, max_size=6),
    st.lists(requests, min_size=1, max_size=30),
    st.booleans(),
)
def test_masks_decide_exactly_as_casbin_enforce(
    p_rows: list[list[str]],
    g_rows: list[list[str]],
    asked: list[tuple[str, str, str, str, str]],
    with_defaults: bool,
) -> None:
    if with_defaults:
        defaults, _ = default_rows()
        p_rows = [*defaults, *p_rows]
    enforcer = enforcer_with(p_rows, g_rows)
    masks = MaskCompiler(enforcer.get_policy(), enforcer.get_grouping_policy(), TWO_TYPES)
    for viewer, owner, object_type, field, action in asked:
        expected = enforcer.enforce(viewer, owner, object_type, field, action)
        decided = field in masks.mask(viewer, owner, object_type, action)
        assert decided == expected, (viewer, owner, object_type, field, action)


def test_every_leaf_of_every_request_agrees_for_a_realistic_policy() -> None:
    owner, partner, other = PARTIES[:3]
    p_rows, _ = default_rows()
    p_rows += [
        ["partners", owner, "opportunity", "expected_amount", "read", "allow"],
        ["tier:gold", owner, "opportunity", "customer.*", "read", "allow"],
        [f"party:{partner}", owner, "opportunity", "customer.contacts.phone", "read", "deny"],
        ["partners", owner, "opportunity", "next_steps", "write", "allow"],
        ["invited", owner, "opportunity", "customer.name", "read", "allow"],
    ]
    g_rows = [[f"party:{partner}", "tier:gold", owner]]
    enforcer = enforcer_with(p_rows, g_rows)
    masks = MaskCompiler(enforcer.get_policy(), enforcer.get_grouping_policy())
    for viewer in ("invited", f"party:{partner}", f"party:{other}"):
        for action in ("read", "write"):
            mask = masks.mask(viewer, owner, "opportunity", action)
            for leaf in LEAVES:
                expected = enforcer.enforce(viewer, owner, "opportunity", leaf, action)
                assert (leaf in mask) == expected, (viewer, leaf, action)
    gold = masks.mask(f"party:{partner}", owner, "opportunity", "read")
    assert "customer.contacts.email" in gold
    assert "customer.contacts.phone" not in gold
    assert "customer.contacts.email" not in masks.mask(
        f"party:{other}", owner, "opportunity", "read"
    )


def test_a_mask_is_compiled_once_and_then_served_from_the_cache() -> None:
    p_rows, g_rows = default_rows()
    masks = MaskCompiler(p_rows, g_rows)
    first = masks.mask("invited", PARTIES[0], "opportunity", "read")
    assert masks.mask("invited", PARTIES[0], "opportunity", "read") is first
    assert first == {"title", "stage", "customer.industry", "customer.country",
                     "expected_close_quarter"}  # fmt: skip
