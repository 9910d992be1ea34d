"""Opening the personal data in a view for its reader, or showing that it was erased.

Views carry sealed values as `{"$sealed": token}` (read models keep them so: no plaintext
personal data is ever written to them). Just before a view leaves, each token is replaced by
its text; a value whose subject was erased (its key is gone, or the object recorded the
erasure) is dropped, and the contact it belonged to says `"erased": true`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any
from uuid import UUID

from ecosystem.audit.sealing import Sealed
from policies.rendering import SEALED

Opener = Callable[[Iterable[Sealed]], dict[Sealed, str]]


def open_views(views: Iterable[Any], opener: Opener | None, erased: Collection[UUID] = ()) -> None:
    """Open (or, without an opener, keep sealed) every sealed value in the views, in place;
    values of erased subjects are always dropped."""
    found: list[tuple[dict[str, Any], str, Sealed]] = []
    for view in views:
        _collect(view, found)
    if not found:
        return
    opened = (
        opener(s for _, _, s in found if s.subject not in erased) if opener is not None else None
    )
    for parent, key, sealed in found:
        if sealed.subject in erased or (opened is not None and sealed not in opened):
            del parent[key]
            parent["erased"] = True
        elif opened is not None:
            parent[key] = opened[sealed]


def _collect(node: Any, found: list[tuple[dict[str, Any], str, Sealed]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, dict) and len(value) == 1 and SEALED in value:
                found.append((node, key, Sealed.from_token(value[SEALED])))
            else:
                _collect(value, found)
    elif isinstance(node, list):
        for item in node:
            _collect(item, found)
