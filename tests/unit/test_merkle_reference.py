"""The proof verifiers decide as the reference verifier does, on its published test vectors.

The vectors (leaves, roots, proofs) and the ways they are corrupted are those of
transparency-dev/merkle (Apache-2.0): `proof/verify_test.go` and the probes generated from
it under `testdata/inclusion` and `testdata/consistency`, restated here as our own fixture.
Where the reference accepts roots of any length for two trees of one size, we refuse
anything but a 32-byte hash, and for the empty tree anything but its root.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest

from ecosystem.audit.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    ProofError,
    leaf_hash,
    root_from_batch,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [
    bytes.fromhex(h)
    for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f")
]  # fmt: skip
ROOTS = {  # the root of the first n leaves
    size: bytes.fromhex(h)
    for size, h in enumerate(
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ],
        start=1,
    )
}
_N = {  # proof nodes, named by their first bytes
    "96a2": "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "5f08": "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "6b47": "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    "bc1a": "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "ca85": "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    "d37e": "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "fac5": "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "6e34": "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "0ebc": "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "b086": "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
}
NODE = {name: bytes.fromhex(h) for name, h in _N.items()}
# (leaf index, tree size, proof); the reference numbers leaves from 1, we from 0.
INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a2", "5f08", "6b47"]),
    (5, 8, ["bc1a", "ca85", "d37e"]),
    (2, 3, ["fac5"]),
    (1, 5, ["6e34", "5f08", "bc1a"]),
]
CONSISTENCY = [  # (first size, second size, proof)
    (1, 1, []),
    (1, 8, ["96a2", "5f08", "6b47"]),
    (6, 8, ["0ebc", "ca85", "d37e"]),
    (2, 5, ["5f08", "bc1a"]),
    (6, 7, ["0ebc", "b086", "d37e"]),
]
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
STAND_IN_1, STAND_IN_2 = (hashlib.sha256(t).digest() for t in (b"don't care 1", b"don't care 2"))


def refuses(check: Callable[..., object], *args: object) -> bool:
    try:
        check(*args)
    except ProofError:
        return True
    return False


def nodes(names: list[str]) -> list[bytes]:
    return [NODE[name] for name in names]


def flip(data: bytes, mask: int) -> bytes:
    return bytes([data[0] ^ mask]) + data[1:]


def test_our_tree_makes_the_reference_roots_and_proofs() -> None:
    tree = MerkleTree(leaf_hash(leaf) for leaf in LEAVES)
    assert {size: tree.root(size) for size in ROOTS} == ROOTS
    for index, size, proof in INCLUSION:
        assert tree.inclusion_proof(index, size) == nodes(proof)
    for first, second, proof in CONSISTENCY:
        assert tree.consistency_proof(first, second) == nodes(proof)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_each_reference_inclusion_proof_verifies(index: int, size: int, proof: list[str]) -> None:
    verify_inclusion(leaf_hash(LEAVES[index]), index, size, nodes(proof), ROOTS[size])


def corrupted_inclusions(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> Iterator[tuple[str, tuple[object, ...]]]:
    """The reference's corruptInclusionProof: each probe, as verify_inclusion's arguments."""
    yield "index - 1", (leaf, index - 1, size, proof, root)
    yield "index + 1", (leaf, index + 1, size, proof, root)
    yield "index ^ 2", (leaf, index ^ 2, size, proof, root)
    yield "size * 2", (leaf, index, size * 2, proof, root)
    yield "size / 2", (leaf, index, size // 2, proof, root)
    yield "wrong leaf", (b"WrongLeaf", index, size, proof, root)
    yield "empty root", (leaf, index, size, proof, EMPTY_ROOT)
    yield "random root", (leaf, index, size, proof, SOME_HASH)
    yield "trailing garbage", (leaf, index, size, [*proof, b""], root)
    yield "trailing root", (leaf, index, size, [*proof, root], root)
    yield "preceding garbage", (leaf, index, size, [b"", *proof], root)
    yield "preceding root", (leaf, index, size, [root, *proof], root)
    for i in range(len(proof)):
        bad = [flip(p, 8) if j == i else p for j, p in enumerate(proof)]
        yield f"proof[{i}] bit 3", (leaf, index, size, bad, root)
    if proof:
        yield "removed component", (leaf, index, size, proof[:-1], root)
    if len(proof) > 1:
        yield "inserted component", (leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root)


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_every_reference_corruption_of_an_inclusion_proof_is_refused(
    index: int, size: int, proof: list[str]
) -> None:
    probes = corrupted_inclusions(index, size, nodes(proof), ROOTS[size], leaf_hash(LEAVES[index]))
    accepted = [desc for desc, args in probes if not refuses(verify_inclusion, *args)]
    assert accepted == []


def test_a_one_leaf_tree_needs_32_byte_hashes() -> None:
    # The reference's TestVerifyInclusionSingleEntry: leaf hash and root are equal and the
    # proof is empty; an empty (0-byte) leaf hash or root is refused, even both at once.
    hashed = leaf_hash(b"data")
    verify_inclusion(hashed, 0, 1, [], hashed)
    assert refuses(verify_inclusion, b"", 0, 1, [], hashed)
    assert refuses(verify_inclusion, hashed, 0, 1, [], b"")
    assert refuses(verify_inclusion, b"", 0, 1, [], b"")


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_an_empty_proof_with_a_malformed_leaf_or_root_is_refused(index: int, size: int) -> None:
    # The reference's TestVerifyInclusion probes: none of these leaves is in such a tree.
    assert refuses(verify_inclusion, SOME_HASH, index, size, [], b"")
    assert refuses(verify_inclusion, b"", index, size, [], EMPTY_ROOT)
    assert refuses(verify_inclusion, SOME_HASH, index, size, [], EMPTY_ROOT)


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY)
def test_each_reference_consistency_proof_verifies(
    first: int, second: int, proof: list[str]
) -> None:
    verify_consistency(first, ROOTS[first], second, ROOTS[second], nodes(proof))


def corrupted_consistencies(
    first: int, second: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> Iterator[tuple[str, tuple[object, ...]]]:
    """The reference's corruptConsistencyProof, as verify_consistency's arguments."""
    yield "first - 1", (first - 1, root1, second, root2, proof)
    yield "first + 1", (first + 1, root1, second, root2, proof)
    yield "first ^ 2", (first ^ 2, root1, second, root2, proof)
    yield "second * 2", (first, root1, second * 2, root2, proof)
    yield "second / 2", (first, root1, second // 2, root2, proof)
    yield "wrong root1", (first, b"WrongRoot", second, root2, proof)
    yield "wrong root2", (first, root1, second, b"WrongRoot", proof)
    yield "swapped roots", (first, root2, second, root1, proof)
    yield "empty proof", (first, root1, second, root2, [])
    for name, extra in (("garbage", b""), ("root1", root1), ("root2", root2)):
        yield f"trailing {name}", (first, root1, second, root2, [*proof, extra])
        yield f"preceding {name}", (first, root1, second, root2, [extra, *proof])
    yield "preceding proof[0]", (first, root1, second, root2, [proof[0], *proof])
    yield "truncated proof", (first, root1, second, root2, proof[:-1])
    for i in range(len(proof)):
        bad = [flip(p, 16) if j == i else p for j, p in enumerate(proof)]
        yield f"proof[{i}] bit 4", (first, root1, second, root2, bad)


@pytest.mark.parametrize(("first", "second", "proof"), [c for c in CONSISTENCY if c[2]])
def test_every_reference_corruption_of_a_consistency_proof_is_refused(
    first: int, second: int, proof: list[str]
) -> None:
    probes = corrupted_consistencies(first, second, ROOTS[first], ROOTS[second], nodes(proof))
    accepted = [desc for desc, args in probes if not refuses(verify_consistency, *args)]
    assert accepted == []


# The reference's TestVerifyConsistency table, (first, second, root1, root2, proof, refused),
# with 32-byte stand-ins for its "don't care" roots; a proof from size 0 to a bigger tree is
# refused as its newer verifier does ("consistency proof from empty tree is meaningless").
EDGES = [
    (0, 0, STAND_IN_1, STAND_IN_2, [], True),
    (1, 1, STAND_IN_1, STAND_IN_2, [], True),
    (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], False),
    (0, 1, EMPTY_ROOT, STAND_IN_2, [], True),
    (0, 1, STAND_IN_1, STAND_IN_2, [], True),
    (1, 1, STAND_IN_2, STAND_IN_2, [], False),
    (1, 0, STAND_IN_1, STAND_IN_2, [], True),
    (2, 1, STAND_IN_1, STAND_IN_2, [], True),
    (1, 2, STAND_IN_1, STAND_IN_2, [], True),
    (0, 0, EMPTY_ROOT, STAND_IN_2, [], True),
    (1, 1, EMPTY_ROOT, STAND_IN_2, [], True),
    (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], True),
    (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], True),
    (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], True),
    # Stricter than the reference: the empty tree has one root, and hashes have 32 bytes.
    (0, 0, STAND_IN_1, STAND_IN_1, [], True),
    (1, 1, b"don't care 2", b"don't care 2", [], True),
    (0, 0, b"", b"", [], True),
    (1, 1, b"", b"", [], True),
]


@pytest.mark.parametrize(
    ("first", "second", "root1", "root2", "proof", "refused"),
    EDGES,
    ids=[f"{e[0]}-to-{e[1]}-row-{row}" for row, e in enumerate(EDGES)],
)
def test_the_meaningless_consistency_cases_are_refused(
    first: int, second: int, root1: bytes, root2: bytes, proof: list[bytes], refused: bool
) -> None:
    assert refuses(verify_consistency, first, root1, second, root2, proof) == refused


def test_a_batch_proof_needs_32_byte_hashes() -> None:
    tree = MerkleTree(leaf_hash(leaf) for leaf in LEAVES)
    proof = tree.batch_proof([2], 8)  # the hashes of leaves 0-1, of leaf 3, of leaves 4-7
    leaf = tree.leaf(2)
    assert root_from_batch(8, {2: leaf}, proof) == ROOTS[8]
    # Leaf 2 cut one byte short and leaf 3 one byte long hash to the same node, and so to
    # the same root: only their lengths tell that these are not the recorded hashes.
    moved = [proof[0], leaf[-1:] + proof[1], proof[2]]
    assert refuses(root_from_batch, 8, {2: leaf[:-1]}, moved)
    assert refuses(root_from_batch, 8, {2: leaf}, [*proof[:-1], proof[-1] + b"\x00"])
