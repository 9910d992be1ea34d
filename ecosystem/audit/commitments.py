"""Commitments to every field of a recorded event, so that a party can be shown some fields,
and check them against the Merkle tree, without learning anything of the others.

An event's recorded state is a JSON tree. Its commitment is computed bottom-up:

- a scalar:  SHA-256(0x02 || canonical JSON of the value)
- a list:    SHA-256(0x04 || its item digests, in order), where each item's digest is
             SHA-256(0x06 || salt || commitment of the item)
- an object: SHA-256(0x03 || its entry digests, sorted), where each entry's digest is
             SHA-256(0x01 || salt || canonical JSON of the key || commitment of the value)
- a sealed value (personal data, see `sealing`): the commitment stored with it.

Each entry's and item's 16-byte salt is derived from a secret seed kept with the event and
its path, so a withheld entry or item shows only an opaque digest: not its key, not its
value, and no guess of a value can be confirmed. A disclosure is the same tree with withheld
entries and items replaced by their digests and revealed ones carrying their salts; anyone
can recompute the commitment from it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from ecosystem.audit.canonical import canonical_scalar

SEALED = "sealed"  # the transcoding name of a sealed value
Path = tuple[str | int, ...]
Opener = Callable[[dict[str, Any]], tuple[bytes, str] | None]  # sealed data -> (salt, text)
_sha256 = hashlib.sha256


class DisclosureError(ValueError):
    """A disclosure that is not well formed."""


def salt_of(seed: bytes, path_key: bytes) -> bytes:
    return _sha256(b"\x10" + seed + path_key).digest()[:16]


def _segment(part: str | int) -> bytes:
    return b"\x00" + canonical_scalar(part)


def sealed_commitment(salt: bytes, text: str) -> bytes:
    return _sha256(b"\x05" + salt + text.encode()).digest()


def _sealed(value: dict[str, Any]) -> dict[str, Any] | None:
    if value.get("_type_") == SEALED and len(value) == 2:
        data: dict[str, Any] = value["_data_"]
        return data
    return None


def commitment(value: Any, seed: bytes, path_key: bytes = b"") -> bytes:
    """The commitment to a recorded JSON value (the whole state, by default)."""
    salted = b"\x10" + seed
    sha = _sha256

    def commit(value: Any, path_key: bytes) -> bytes:  # the write path: kept tight
        kind = type(value)
        if kind is dict:
            if value.get("_type_") == SEALED and len(value) == 2:
                return bytes.fromhex(value["_data_"]["h"])
            entries = []
            for key, child in value.items():
                encoded = _encoded_key(key)
                child_key = path_key + b"\x00" + encoded
                salt = sha(salted + child_key).digest()[:16]
                entries.append(sha(b"\x01" + salt + encoded + commit(child, child_key)).digest())
            entries.sort()
            return sha(b"\x03" + b"".join(entries)).digest()
        if kind is list:
            items = []
            for index, item in enumerate(value):
                item_key = path_key + b"\x00" + str(index).encode()
                salt = sha(salted + item_key).digest()[:16]
                items.append(sha(b"\x06" + salt + commit(item, item_key)).digest())
            return sha(b"\x04" + b"".join(items)).digest()
        return sha(b"\x02" + canonical_scalar(value)).digest()

    return commit(value, path_key)


_KEYS: dict[str, bytes] = {}


def _encoded_key(key: str) -> bytes:
    """A key's canonical JSON, remembered: events repeat the same few keys."""
    found = _KEYS.get(key)
    if found is None:
        found = canonical_scalar(key)
        if len(_KEYS) < 10_000:
            _KEYS[key] = found
    return found


def _container(value: Any) -> bool:
    return isinstance(value, dict | list)


class Reveal:
    """The paths to reveal, as a trie: a path reveals its whole subtree and its ancestors'
    keys; every other entry is withheld."""

    def __init__(self, paths: Iterable[Path] = ()) -> None:
        self.children: dict[str | int, Reveal] = {}
        self.whole = False
        for path in paths:
            self.add(path)

    def add(self, path: Path) -> None:
        node = self
        for part in path:
            if node.whole:
                return
            node = node.children.setdefault(part, Reveal())
        node.whole = True
        node.children.clear()

    def child(self, part: str | int) -> Reveal | None:
        if self.whole:
            return self
        return self.children.get(part)


def disclose(value: Any, seed: bytes, reveal: Reveal, opener: Opener, path_key: bytes = b"") -> Any:
    """The disclosure of a recorded JSON value: what `reveal` names, with the salts that
    prove it; sealed values opened by `opener` (or left as their commitment when it cannot)."""
    if isinstance(value, dict):
        sealed = _sealed(value)
        if sealed is not None:
            opened = opener(sealed) if reveal.whole else None
            if opened is None:
                return {"h": sealed["h"]}
            salt, text = opened
            return {"s": text, "salt": salt.hex()}
        shown: dict[str, Any] = {}
        withheld: list[str] = []
        for key, child in value.items():
            encoded = canonical_scalar(key)
            child_key = path_key + b"\x00" + encoded
            salt = salt_of(seed, child_key)
            inner = reveal.child(key)
            if inner is None or not (inner.whole or _container(child)):  # a path below a value
                digest = _sha256(
                    b"\x01" + salt + encoded + commitment(child, seed, child_key)
                ).digest()
                withheld.append(digest.hex())
            else:
                shown[key] = [salt.hex(), disclose(child, seed, inner, opener, child_key)]
        withheld.sort()
        return {"d": shown, "w": withheld}
    if isinstance(value, list):
        return {
            "l": [
                _list_item(item, seed, reveal, opener, path_key + _segment(index), index)
                for index, item in enumerate(value)
            ]
        }
    return value


def _list_item(
    item: Any, seed: bytes, reveal: Reveal, opener: Opener, key: bytes, index: int
) -> Any:
    inner = reveal.child(index)
    salt = salt_of(seed, key)
    if inner is None or not (inner.whole or _container(item)):
        return {"h": _sha256(b"\x06" + salt + commitment(item, seed, key)).hexdigest()}
    return [salt.hex(), disclose(item, seed, inner, opener, key)]


def disclosed_commitment(node: Any) -> bytes:
    """The commitment a disclosure proves: equal to the recorded value's, if it is genuine."""
    if isinstance(node, dict):
        try:
            if "d" in node:
                entries = [bytes.fromhex(digest) for digest in node["w"]]
                for key, (salt, child) in node["d"].items():
                    entries.append(
                        _sha256(
                            b"\x01" + bytes.fromhex(salt) + canonical_scalar(key)
                            + disclosed_commitment(child)
                        ).digest()
                    )  # fmt: skip
                entries.sort()
                return _sha256(b"\x03" + b"".join(entries)).digest()
            if "l" in node:
                return _sha256(b"\x04" + b"".join(_disclosed_item(i) for i in node["l"])).digest()
            if "s" in node:
                return sealed_commitment(bytes.fromhex(node["salt"]), node["s"])
            if "h" in node:
                digest = bytes.fromhex(node["h"])
                if len(digest) != 32:
                    raise DisclosureError("a withheld digest is 32 bytes")
                return digest
        except (KeyError, TypeError, ValueError) as error:
            raise DisclosureError(f"a malformed disclosure node: {error}") from None
        raise DisclosureError(f"an unknown disclosure node with keys {sorted(node)}")
    if isinstance(node, list):
        raise DisclosureError("a disclosure holds lists only as {'l': [...]}")
    return _sha256(b"\x02" + canonical_scalar(node)).digest()


def _disclosed_item(item: Any) -> bytes:
    if isinstance(item, list) and len(item) == 2:
        salt, child = item
        return _sha256(b"\x06" + bytes.fromhex(salt) + disclosed_commitment(child)).digest()
    if isinstance(item, dict) and set(item) == {"h"}:
        digest = bytes.fromhex(item["h"])
        if len(digest) == 32:
            return digest
    raise DisclosureError("a list item is [salt, value] or a withheld {'h': digest}")


def revealed(node: Any) -> Any:
    """The values a disclosure shows, as plain JSON (withheld parts left out; opened sealed
    values as their text): what an auditor reads."""
    if isinstance(node, dict):
        if "d" in node:
            return {key: revealed(child) for key, (_, child) in node["d"].items()}
        if "l" in node:
            return [revealed(i[1]) if isinstance(i, list) else None for i in node["l"]]
        if "s" in node:
            return node["s"]
        return None
    return node
