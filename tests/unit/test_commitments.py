"""Field commitments prove what a disclosure shows, hide what it withholds, and outlive erasure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosystem.audit.commitments import (
    DisclosureError,
    Opener,
    Path,
    Reveal,
    commitment,
    disclose,
    disclosed_commitment,
    revealed,
)
from ecosystem.audit.sealing import (
    MemoryKeyStore,
    PersonalData,
    Sealed,
    identity_of,
    open_all,
    open_sealed,
    seal,
)

SEED, OTHER_SEED = b"s" * 32, b"t" * 32


@dataclass(frozen=True)
class Secret:
    """Personal data of one of a few subjects, sealed when the tree is recorded."""

    subject: int
    text: str


scalars = st.text(max_size=6) | st.integers(-(2**53), 2**53) | st.booleans() | st.none()
secrets = st.builds(Secret, st.integers(0, 2), st.text(max_size=6))
trees = st.recursive(
    scalars | secrets,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
objects = st.dictionaries(st.text(max_size=5), scalars | secrets, min_size=1, max_size=5)


def recorded(tree: Any, store: MemoryKeyStore) -> Any:
    """The tree as an event records it: secrets sealed with their subject's key."""
    if isinstance(tree, dict):
        return {key: recorded(child, store) for key, child in tree.items()}
    if isinstance(tree, list):
        return [recorded(child, store) for child in tree]
    if isinstance(tree, Secret):
        subject, key = store.subject_for(f"email:subject-{tree.subject}@example.com")
        return {"_type_": "sealed", "_data_": seal(key, subject, tree.text).as_data()}
    return tree


def plain(tree: Any, erased: frozenset[int] = frozenset()) -> Any:
    """The tree as an auditor reads it: secrets as their text, or nothing once erased."""
    if isinstance(tree, dict):
        return {key: plain(child, erased) for key, child in tree.items()}
    if isinstance(tree, list):
        return [plain(child, erased) for child in tree]
    if isinstance(tree, Secret):
        return None if tree.subject in erased else tree.text
    return tree


def opener_of(store: MemoryKeyStore) -> Opener:
    def opener(data: dict[str, Any]) -> tuple[bytes, str] | None:
        sealed = Sealed.from_data(data)
        key = store.keys([sealed.subject]).get(sealed.subject)
        return None if key is None else open_sealed(key, sealed)

    return opener


def children(tree: Any) -> list[tuple[str | int, Any]]:
    if isinstance(tree, dict):
        return list(tree.items())
    return list(enumerate(tree)) if isinstance(tree, list) else []


def paths_of(tree: Any, prefix: Path = ()) -> Iterator[Path]:
    yield prefix
    for part, child in children(tree):
        yield from paths_of(child, (*prefix, part))


def markers(tree: Any) -> Iterator[str]:
    """Every key and text in a relabelled tree."""
    if isinstance(tree, dict):
        for key, child in tree.items():
            yield key
            yield from markers(child)
    elif isinstance(tree, list):
        for child in tree:
            yield from markers(child)
    elif isinstance(tree, Secret):
        yield tree.text
    elif isinstance(tree, str):
        yield tree


def secrets_in(tree: Any) -> Iterator[Secret]:
    if isinstance(tree, Secret):
        yield tree
    for _, child in children(tree):
        yield from secrets_in(child)


def relabelled(tree: Any, numbers: Iterator[int]) -> Any:
    """The tree with every key and text a distinct marker (no hex digit could spell one)."""
    if isinstance(tree, dict):
        return {f"zq{next(numbers)}k": relabelled(child, numbers) for child in tree.values()}
    if isinstance(tree, list):
        return [relabelled(child, numbers) for child in tree]
    if isinstance(tree, Secret):
        return Secret(tree.subject, f"zq{next(numbers)}s")
    return f"zq{next(numbers)}v" if isinstance(tree, str) else tree


def split_by_reveal(tree: Any, paths: list[Path], prefix: Path = ()) -> Iterator[tuple[bool, Any]]:
    """(shown, part) for each part of the tree: keys on the way to a revealed path and whole
    revealed subtrees are shown; every entry off those ways is withheld, key and all."""
    if any(prefix[: len(p)] == p for p in paths):
        yield True, tree
        return
    for part, child in children(tree):
        here = (*prefix, part)
        entry = {part: child} if isinstance(part, str) else child
        if any(p[: len(here)] == here for p in paths):
            if isinstance(part, str):
                yield True, part
            yield from split_by_reveal(child, paths, here)
        else:
            yield False, entry


def other_hex(digits: str) -> str:
    return format(int(digits[0], 16) ^ 1, "x") + digits[1:]


def other_scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return value + "!" if isinstance(value, str) else False


def tweaks(node: Any) -> Iterator[Any]:
    """Every disclosure that differs from `node` in one revealed key, value, salt or digest."""
    if not isinstance(node, dict):
        yield other_scalar(node)
    elif "d" in node:
        for key, (salt, child) in node["d"].items():
            rest = {k: v for k, v in node["d"].items() if k != key}
            yield {"d": {**rest, key + "\x00zq": [salt, child]}, "w": node["w"]}
            yield {"d": {**rest, key: [other_hex(salt), child]}, "w": node["w"]}
            for tweak in tweaks(child):
                yield {"d": {**rest, key: [salt, tweak]}, "w": node["w"]}
        for i, digest in enumerate(node["w"]):
            yield {"d": node["d"], "w": [*node["w"][:i], other_hex(digest), *node["w"][i + 1 :]]}
    elif "l" in node:
        for i, item in enumerate(node["l"]):
            if isinstance(item, list):  # a revealed item: [salt, its disclosure]
                salt, child = item
                changed = [[other_hex(salt), child], *([salt, t] for t in tweaks(child))]
            else:
                changed = list(tweaks(item))
            for tweak in changed:
                yield {"l": [*node["l"][:i], tweak, *node["l"][i + 1 :]]}
    elif "s" in node:
        yield {"s": node["s"] + "!", "salt": node["salt"]}
        yield {"s": node["s"], "salt": other_hex(node["salt"])}
    else:
        yield {"h": other_hex(node["h"])}


@given(trees, st.data())
def test_any_disclosure_proves_the_recorded_commitment(tree: Any, data: st.DataObject) -> None:
    store = MemoryKeyStore()
    value = recorded(tree, store)
    paths = data.draw(st.lists(st.sampled_from(list(paths_of(tree))), max_size=4))
    disclosure = disclose(value, SEED, Reveal(paths), opener_of(store))
    assert disclosed_commitment(disclosure) == commitment(value, SEED)
    assert disclosed_commitment(json.loads(json.dumps(disclosure))) == commitment(value, SEED)


@given(trees, st.data())
def test_a_withheld_entry_shows_neither_its_key_nor_its_value(
    tree: Any, data: st.DataObject
) -> None:
    tree = relabelled(tree, count())
    store = MemoryKeyStore()
    paths = data.draw(st.lists(st.sampled_from(list(paths_of(tree))[1:] or [()]), max_size=3))
    text = json.dumps(disclose(recorded(tree, store), SEED, Reveal(paths), opener_of(store)))
    for shown, part in split_by_reveal(tree, paths):
        for marker in markers(part):
            assert (marker in text) == shown, marker


@given(trees, st.data())
def test_changing_anything_a_disclosure_shows_changes_its_commitment(
    tree: Any, data: st.DataObject
) -> None:
    store = MemoryKeyStore()
    paths = data.draw(st.lists(st.sampled_from(list(paths_of(tree))), max_size=3))
    disclosure = disclose(recorded(tree, store), SEED, Reveal(paths), opener_of(store))
    genuine = disclosed_commitment(disclosure)
    for tweak in tweaks(disclosure):
        assert disclosed_commitment(tweak) != genuine, tweak


@given(trees)
def test_revealing_everything_shows_the_value_with_its_personal_data_opened(tree: Any) -> None:
    store = MemoryKeyStore()
    disclosure = disclose(recorded(tree, store), SEED, Reveal([()]), opener_of(store))
    assert revealed(disclosure) == plain(tree)
    assert revealed(json.loads(json.dumps(disclosure))) == plain(tree)


@given(trees)
def test_erased_personal_data_is_withheld_and_the_commitment_stands(tree: Any) -> None:
    tree, store = relabelled(tree, count()), MemoryKeyStore()
    value = recorded(tree, store)
    before = commitment(value, SEED)
    erased, _ = store.subject_for("email:subject-0@example.com")
    store.destroy(erased)
    disclosure = disclose(value, SEED, Reveal([()]), opener_of(store))
    assert disclosed_commitment(disclosure) == before == commitment(value, SEED)
    assert revealed(disclosure) == plain(tree, erased=frozenset({0}))
    text = json.dumps(disclosure)
    for secret in secrets_in(tree):
        assert (secret.text in text) == (secret.subject != 0)
    assert erased.hex not in text


def test_an_erased_subject_s_values_disclose_as_their_commitment_only() -> None:
    store = MemoryKeyStore()
    subject, key = store.subject_for("email:ada@example.com")
    sealed = seal(key, subject, "Ada Lovelace")
    value = {"contact": {"_type_": "sealed", "_data_": sealed.as_data()}, "stage": "won"}
    before = commitment(value, SEED)
    store.destroy(subject)
    disclosure = disclose(value, SEED, Reveal([()]), opener_of(store))
    assert disclosure["d"]["contact"][1] == {"h": sealed.commit.hex()}
    assert disclosed_commitment(disclosure) == before
    assert open_all(store, [sealed]) == {}


@given(objects)
def test_one_value_under_two_seeds_has_unrelated_commitments(tree: Any) -> None:
    store = MemoryKeyStore()
    value = recorded(tree, store)
    assert commitment(value, SEED) != commitment(value, OTHER_SEED)
    withheld = [
        disclose(value, seed, Reveal(), opener_of(store))["w"] for seed in (SEED, OTHER_SEED)
    ]
    assert len(withheld[0]) == len(tree)
    assert not set(withheld[0]) & set(withheld[1])


def test_equal_entries_withheld_in_two_places_do_not_look_equal() -> None:
    twin = {"email": "ada@example.com", "stage": "won"}
    value = {"mine": twin, "theirs": dict(twin), "list": [twin, twin]}
    paths: list[Path] = [
        (*at, "stage") for at in [("mine",), ("theirs",), ("list", 0), ("list", 1)]
    ]
    disclosure = disclose(value, SEED, Reveal(paths), opener_of(MemoryKeyStore()))
    shown = disclosure["d"]
    withheld = [shown["mine"][1]["w"], shown["theirs"][1]["w"]]
    withheld += [item[1]["w"] for item in shown["list"][1]["l"]]
    assert all(len(digests) == 1 for digests in withheld)
    assert len({digest for digests in withheld for digest in digests}) == 4


def test_a_withheld_list_item_cannot_be_confirmed_by_a_guess() -> None:
    value = {"emails": ["ada@example.com", "charles@example.com"]}
    disclosure = disclose(value, SEED, Reveal([("emails", 0)]), opener_of(MemoryKeyStore()))
    guess = hashlib.sha256(b"\x02" + json.dumps("charles@example.com").encode()).hexdigest()
    assert disclosure["d"]["emails"][1]["l"][1] != {"h": guess}


MALFORMED = [[1, 2], {"x": 1}, {"h": "abcd"}, {"h": "not hex"}, {"d": {"k": "no pair"}, "w": []}]
MALFORMED += [{"d": {}, "w": ["zz"]}, {"d": {}}, {"s": "text", "salt": "zz"}, {"l": 3}]


@pytest.mark.parametrize("node", MALFORMED)
def test_a_malformed_disclosure_is_refused(node: Any) -> None:
    with pytest.raises(DisclosureError):
        disclosed_commitment(node)


def test_a_sealed_value_opens_only_with_its_own_subject_s_key() -> None:
    store = MemoryKeyStore()
    ada, ada_key = store.subject_for("email:ada@example.com")
    bob, bob_key = store.subject_for("email:bob@example.com")
    sealed = seal(ada_key, ada, "ada@example.com")
    opened = open_sealed(ada_key, sealed)
    assert opened is not None and opened[1] == "ada@example.com"
    assert open_sealed(bob_key, sealed) is None
    assert open_sealed(ada_key, Sealed(bob, sealed.nonce, sealed.ciphertext, b"")) is None
    altered = bytes([sealed.ciphertext[0] ^ 1]) + sealed.ciphertext[1:]
    assert open_sealed(ada_key, Sealed(ada, sealed.nonce, altered, b"")) is None
    assert open_sealed(b"short", sealed) is None
    assert Sealed.from_data(sealed.as_data()) == sealed
    assert Sealed.from_token(sealed.token) == Sealed(ada, sealed.nonce, sealed.ciphertext, b"")
    assert sealed.commit.hex() not in sealed.token
    assert seal(ada_key, ada, "ada@example.com").commit != sealed.commit  # a fresh salt


def test_personal_data_is_readable_until_its_subject_is_erased() -> None:
    people = PersonalData()
    name, email, phone = people.seal_parts("Ada", "ada@example.com", "")
    assert phone == ""
    assert isinstance(name, Sealed) and isinstance(email, Sealed)
    assert name.subject == email.subject
    assert people.open_texts([name, email]) == {name: "Ada", email: "ada@example.com"}
    assert people.store.find(identity_of("Ada", "ADA@example.com ", "")) == name.subject
    people.store.destroy(name.subject)
    assert people.open_texts([name, email]) == {}
    assert people.store.find(identity_of("Ada", "ada@example.com", "")) is None
    again, _, _ = people.seal_parts("Ada", "ada@example.com", "")
    assert isinstance(again, Sealed) and again.subject != name.subject


def test_an_identity_is_the_normalised_email_else_phone_else_name() -> None:
    assert identity_of("Ada", "  Ada@Example.COM ", "+44 1") == "email:ada@example.com"
    assert identity_of("", "STRASSE@example.de", "") == identity_of("", "straße@example.de", "")
    assert identity_of("Ada", " \t", "+44 (20) 7946-0000") == "phone:+442079460000"
    assert identity_of("  Ada \t  LOVELACE\n", "", "ext. -") == "name:ada lovelace"
    assert identity_of("Ada Lovelace", "", "") != identity_of("Ada Byron", "", "")
