"""Canonical JSON is RFC 8785 byte for byte, whichever encoder writes it."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from ecosystem.audit.canonical import canonical, canonical_scalar, parsed

texts = st.text(st.characters(codec="utf-8"), max_size=12)
any_text = st.text(max_size=12)  # lone surrogates too
scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)


def rfc(value: Any) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(value)
    except (ValueError, rfc8785.CanonicalizationError):
        return ValueError


def ours(encode: Any, value: Any) -> bytes | type[Exception]:
    try:
        return encode(value)  # type: ignore[no-any-return]
    except ValueError:
        return ValueError


@given(values)
def test_canonical_json_is_the_rfc_8785_form_of_any_value(value: Any) -> None:
    assert ours(canonical, value) == rfc(value)


@given(scalars)
def test_a_canonical_scalar_is_the_rfc_8785_form_of_that_scalar(value: Any) -> None:
    if type(value) is int and not -(2**53) < value < 2**53:
        assert canonical_scalar(value) == str(value).encode()  # exact, where RFC 8785 refuses
    else:
        assert ours(canonical_scalar, value) == rfc(value)


@given(st.dictionaries(texts, texts | st.none() | st.integers(-(2**53) + 1, 2**53 - 1)))
def test_a_flat_signed_document_takes_the_fast_path_and_still_matches(doc: Any) -> None:
    assert canonical(doc) == rfc8785.dumps(doc)


@pytest.mark.parametrize(
    "text",
    [
        b'{"a":1,"b":[true,null,"\\u00e9"]}',
        b'{"big":123456789012345678901234567890}',
        b"[-9223372036854775809,18446744073709551616]",
        b'{"x":NaN,"y":1e400}',
        b'{"f":1.5e300,"n":-0.0,"a":1,"a":2}',
    ],
)
def test_parsed_json_is_what_the_standard_library_reads(text: bytes) -> None:
    expected, found = json.loads(text), parsed(text)
    assert repr(found) == repr(expected)


@given(values.filter(lambda v: ours(canonical, v) is not ValueError))
def test_parsing_canonical_json_gives_what_the_standard_library_reads(value: Any) -> None:
    text = canonical(value)
    assert repr(parsed(text)) == repr(json.loads(text))


@given(st.recursive(scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=8))
def test_parsing_any_json_text_gives_what_the_standard_library_reads(value: Any) -> None:
    try:
        text = json.dumps(value).encode()
    except UnicodeEncodeError:
        return
    assert repr(parsed(text)) == repr(json.loads(text))
