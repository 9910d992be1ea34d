"""Canonical JSON (RFC 8785, JCS): one byte string per JSON value, to hash and to sign."""

from __future__ import annotations

import json
from typing import Any

import rfc8785


def canonical(value: Any) -> bytes:
    """The RFC 8785 form of a JSON value: sorted keys, no spaces, one spelling per number.

    For JSON without floats whose keys are ASCII (every document Cosell signs), Python's
    own encoder writes exactly those bytes, much faster; anything else goes to `rfc8785`."""
    if _simple(value):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        try:
            return text.encode()
        except UnicodeEncodeError:  # a lone surrogate: no JSON text holds one
            pass
    return rfc8785.dumps(value)


def _simple(value: Any) -> bool:
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(-(2**53) < value < 2**53)
    if kind is dict:
        return all(type(k) is str and k.isascii() and _simple(v) for k, v in value.items())
    if kind is list:
        return all(_simple(item) for item in value)
    return False


def canonical_scalar(value: Any) -> bytes:
    """A JSON scalar in canonical form, quickly: Python's own escaping of strings is the one
    RFC 8785 prescribes, and integers are written as their digits."""
    kind = type(value)
    if kind is str:
        return json.dumps(value, ensure_ascii=False).encode()
    if kind is int or kind is bool or value is None:
        return json.dumps(value).encode()
    return rfc8785.dumps(value)
