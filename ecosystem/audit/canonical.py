"""Canonical JSON (RFC 8785, JCS): one byte string per JSON value, to hash and to sign."""

from __future__ import annotations

import json
from typing import Any

import rfc8785


def canonical(value: Any) -> bytes:
    """The RFC 8785 form of a JSON value: sorted keys, no spaces, one spelling per number."""
    return rfc8785.dumps(value)


def canonical_scalar(value: Any) -> bytes:
    """A JSON scalar in canonical form, quickly: Python's own escaping of strings is the one
    RFC 8785 prescribes, and integers are written as their digits."""
    kind = type(value)
    if kind is str:
        return json.dumps(value, ensure_ascii=False).encode()
    if kind is int or kind is bool or value is None:
        return json.dumps(value).encode()
    return rfc8785.dumps(value)
