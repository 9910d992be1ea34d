"""Canonical JSON (RFC 8785, JCS): one byte string per JSON value, to hash and to sign."""

from __future__ import annotations

import json
from typing import Any

import orjson
import rfc8785

_DIGITS_ONLY = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_RUN = b"0" * 19  # no integer of 64 bits has more digits


def canonical(value: Any) -> bytes:
    """The RFC 8785 form of a JSON value: sorted keys, no spaces, one spelling per number.

    For JSON without floats whose keys are ASCII (every document Cosell signs), `orjson`
    writes exactly those bytes (its escaping of strings is the one RFC 8785 prescribes, and
    ASCII keys sort the same by code point as by UTF-16 unit), ten times faster; anything
    else goes to `rfc8785`."""
    if _simple(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # a lone surrogate: no JSON text holds one
            pass
    return rfc8785.dumps(value)


def parsed(data: bytes) -> Any:
    """JSON text as Python values, exactly as `json.loads` gives them, faster where it can.

    `orjson` reads integers beyond 64 bits as floats and refuses NaN and infinities, so a
    text with a run of 19 digits or more (as any such integer has), or that `orjson` refuses,
    goes to the standard library."""
    if _LONG_RUN not in data.translate(_DIGITS_ONLY):  # a C pass, where `re` is ten times slower
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)


def _simple(value: Any) -> bool:
    kind = type(value)
    if kind is dict:  # scalar members inline: a signed document is one flat object
        for key, member in value.items():
            if type(key) is not str or not key.isascii():
                return False
            member_kind = type(member)
            if member_kind is str or member is None or member_kind is bool:
                continue
            if not (_safe_int(member) if member_kind is int else _simple(member)):
                return False
        return True
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return _safe_int(value)
    if kind is list:
        return all(_simple(item) for item in value)
    return False


def _safe_int(value: int) -> bool:
    return -(2**53) < value < 2**53


def canonical_scalar(value: Any) -> bytes:
    """A JSON scalar in canonical form, quickly: `orjson`'s escaping of strings is the one
    RFC 8785 prescribes, and integers are written as their digits (beyond 2**53 too, where
    RFC 8785 would refuse them: a commitment binds the exact number)."""
    kind = type(value)
    if kind is str:
        try:
            return orjson.dumps(value)
        except orjson.JSONEncodeError:  # a lone surrogate: rfc8785 says so plainly
            return rfc8785.dumps(value)
    if kind is int or kind is bool or value is None:
        return json.dumps(value).encode()
    return rfc8785.dumps(value)
