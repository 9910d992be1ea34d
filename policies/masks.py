"""Compiled masks: the rules of `model.conf`, decided once per (viewer, owner, object type).

Calling Casbin's `enforce` per field per row costs far too much on a listing, so the same
rules are compiled into the set of leaves a viewer may read or write of one owner's data,
and cached until the policy changes. `tests/unit/test_masks_differential.py` shows these
masks decide exactly as `casbin.Enforcer.enforce` on the same rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from ecosystem.sharing.rules import INVITED, OBJECT_LEAVES, PARTNERS, Effect, pattern_matches

ANY_OWNER = "*"


class MaskCompiler:
    """Casbin `p` rows (viewer, owner, object_type, field, action, eft) and `g` rows in masks."""

    def __init__(
        self,
        p_rows: Iterable[Sequence[str]],
        g_rows: Iterable[Sequence[str]],
        leaves: Mapping[str, Sequence[str]] = OBJECT_LEAVES,
    ) -> None:
        self._leaves = leaves
        self._rules: dict[tuple[str, str, str], list[tuple[str, str, str]]] = defaultdict(list)
        for viewer, owner, object_type, field, action, effect in p_rows:
            self._rules[(owner, object_type, action)].append((viewer, field, effect))
        self._links: dict[tuple[str, str], set[str]] = defaultdict(set)
        for member, group, domain in g_rows:
            self._links[(member, domain)].add(group)
        self._cache: dict[tuple[str, str, str, str], frozenset[str]] = {}

    def mask(self, viewer: str, owner: str, object_type: str, action: str) -> frozenset[str]:
        """The leaves of `owner`'s data on an `object_type` that `viewer` may `action`."""
        key = (viewer, owner, object_type, action)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._compile(viewer, owner, object_type, action)
        return found

    def _compile(self, viewer: str, owner: str, object_type: str, action: str) -> frozenset[str]:
        subjects = self._groups(viewer, owner)
        allowed: set[str] = set()
        denied: set[str] = set()
        for domain in {owner, ANY_OWNER}:
            for rule_viewer, field, effect in self._rules.get((domain, object_type, action), ()):
                if rule_viewer in subjects or (rule_viewer == PARTNERS and viewer != INVITED):
                    target = allowed if effect == Effect.ALLOW else denied
                    target.update(
                        leaf
                        for leaf in self._leaves.get(object_type, ())
                        if pattern_matches(field, leaf)
                    )
        return frozenset(allowed - denied)

    def _groups(self, viewer: str, owner: str) -> set[str]:
        """The viewer and every group it belongs to in the owner's domain (transitively)."""
        found = {viewer}
        frontier = [viewer]
        while frontier:
            for group in self._links.get((frontier.pop(), owner), ()):
                if group not in found:
                    found.add(group)
                    frontier.append(group)
        return found
