"""The audit Merkle tree agrees with RFC 9162 §2.1 and refuses every proof tampered with."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import cache

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecosystem.audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    MerkleTree,
    ProofError,
    leaf_hash,
    node_hash,
    root_from_batch,
    split,
    verify_consistency,
    verify_inclusion,
)

# The RFC's definitions, written out on their own: nothing below uses the module under test.


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def mth(entries: tuple[bytes, ...]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1, over the raw entries."""
    if not entries:
        return _sha256(b"")
    if len(entries) == 1:
        return _sha256(b"\x00" + entries[0])
    k = _largest_power_of_two_below(len(entries))
    return _sha256(b"\x01" + mth(entries[:k]) + mth(entries[k:]))


def path(m: int, entries: tuple[bytes, ...]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 §2.1.3.1."""
    if len(entries) == 1:
        return []
    k = _largest_power_of_two_below(len(entries))
    if m < k:
        return [*path(m, entries[:k]), mth(entries[k:])]
    return [*path(m - k, entries[k:]), mth(entries[:k])]


def subproof(m: int, entries: tuple[bytes, ...], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1 (PROOF(m, D[n]) is SUBPROOF(m, D[n], true))."""
    if m == len(entries):
        return [] if whole else [mth(entries)]
    k = _largest_power_of_two_below(len(entries))
    if m <= k:
        return [*subproof(m, entries[:k], whole), mth(entries[k:])]
    return [*subproof(m - k, entries[k:], False), mth(entries[:k])]


def sides(m: int, n: int) -> list[bool]:
    """Whether each sibling on PATH(m, D[n]) lies to the right, leaf first: the tree's shape."""
    if n == 1:
        return []
    k = _largest_power_of_two_below(n)
    return [*sides(m, k), True] if m < k else [*sides(m - k, n - k), False]


def batch(wanted: frozenset[int], entries: tuple[bytes, ...], start: int = 0) -> list[bytes]:
    """The MTH of every largest subtree, left to right, that holds none of the wanted leaves."""
    if not any(start <= i < start + len(entries) for i in wanted):
        return [mth(entries)]
    if len(entries) == 1:
        return []
    k = _largest_power_of_two_below(len(entries))
    return [*batch(wanted, entries[:k], start), *batch(wanted, entries[k:], start + k)]


MAX = 40  # every size and index up to here is checked against the RFC
SWEEP = 20  # every other size, index and bit is tried against the proofs up to here
ENTRIES = tuple(b"event %d" % i for i in range(100))
HASHED = [leaf_hash(entry) for entry in ENTRIES]
TREE = MerkleTree(HASHED)
ROOTS = [mth(ENTRIES[:n]) for n in range(len(ENTRIES) + 1)]
EXTRA = _sha256(b"a hash from elsewhere")
PAIRS = [(i, n) for n in range(1, MAX + 1) for i in range(n)]
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657"]
CT_LEAVES.append("606162636465666768696a6b6c6d6e6f")
CT_ROOTS = [  # Certificate Transparency's Merkle tree tests: the roots of sizes 1 to 8
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


@cache
def consistency(m: int, n: int) -> list[bytes]:
    return TREE.consistency_proof(m, n)


def flipped(digest: bytes, bit: int) -> bytes:
    return bytes(b ^ (1 << bit % 8) if i == bit // 8 else b for i, b in enumerate(digest))


def with_flipped_bits(proof: list[bytes], every_bit: bool, seed: int) -> list[list[bytes]]:
    bits = range(256) if every_bit else [seed % 256, (seed * 97 + 13) % 256]
    return [
        [flipped(h, bit) if j == at else h for j, h in enumerate(proof)]
        for at in range(len(proof))
        for bit in bits
    ]


def refuses(check: Callable[..., object], *args: object) -> bool:
    try:
        check(*args)
    except ProofError:
        return True
    return False


def test_leaves_and_nodes_are_hashed_apart() -> None:
    left, right = _sha256(b"l"), _sha256(b"r")
    assert leaf_hash(b"abc") == _sha256(b"\x00abc")
    assert node_hash(left, right) == _sha256(b"\x01" + left + right)
    assert leaf_hash(left + right) != node_hash(left, right)
    assert _sha256(b"") == EMPTY_ROOT


def test_the_tree_splits_at_the_largest_power_of_two_below_its_size() -> None:
    for n in range(2, 2100):
        assert split(n) == _largest_power_of_two_below(n)


def test_the_certificate_transparency_leaves_give_the_published_roots() -> None:
    tree = MerkleTree(leaf_hash(bytes.fromhex(leaf)) for leaf in CT_LEAVES)
    assert tree.root().hex() == CT_ROOTS[-1]
    assert [tree.root(n).hex() for n in range(1, 9)] == CT_ROOTS
    assert tree.root(0) == EMPTY_ROOT


def test_every_root_is_the_rfc_tree_hash() -> None:
    for n in range(MAX + 1):
        assert MerkleTree(HASHED[:n]).root() == ROOTS[n] == TREE.root(n)
        assert MerkleTree(HASHED[:n]).size == n
    with pytest.raises(ValueError):
        MerkleTree(HASHED[:3]).root(4)


def test_every_subtree_the_rfc_recursion_visits_is_its_tree_hash() -> None:
    for n in range(1, MAX + 1):
        tree = MerkleTree(HASHED[:n])
        for width in range(1, n + 1):
            aligned = 1 << (width - 1).bit_length()
            for start in range(0, n - width + 1, aligned):
                want = mth(ENTRIES[start : start + width])
                assert tree.subtree(start, start + width) == want
                assert TREE.subtree(start, start + width) == want
        with pytest.raises(ValueError):
            tree.subtree(0, n + 1)
        with pytest.raises(ValueError):
            tree.subtree(n - 1, n - 1)


def test_every_inclusion_proof_is_the_rfc_path_and_verifies() -> None:
    for i, n in PAIRS:
        proof = TREE.inclusion_proof(i, n)
        assert proof == path(i, ENTRIES[:n]) == MerkleTree(HASHED[:n]).inclusion_proof(i)
        verify_inclusion(HASHED[i], i, n, proof, ROOTS[n])
    for index, size in [(0, 0), (3, 3), (-1, 3), (0, len(HASHED) + 1)]:
        with pytest.raises(ValueError):
            TREE.inclusion_proof(index, size)


def test_every_consistency_proof_is_the_rfc_proof_and_verifies() -> None:
    for n in range(MAX + 1):
        for m in range(n + 1):
            proof = consistency(m, n)
            assert proof == ([] if m == 0 else subproof(m, ENTRIES[:n], True))
            assert proof == MerkleTree(HASHED[:n]).consistency_proof(m)
            if m == 0 and n > 0:  # proves nothing, so the verifier refuses it
                assert refuses(verify_consistency, m, ROOTS[m], n, ROOTS[n], proof)
            else:
                verify_consistency(m, ROOTS[m], n, ROOTS[n], proof)
    with pytest.raises(ValueError):
        TREE.consistency_proof(5, 4)


def test_a_flipped_bit_anywhere_in_an_inclusion_proof_is_refused() -> None:
    for i, n in PAIRS:
        proof, root = TREE.inclusion_proof(i, n), ROOTS[n]
        for bad in with_flipped_bits(proof, n <= 8, 7 * i + 31 * n):
            assert refuses(verify_inclusion, HASHED[i], i, n, bad, root)
        assert refuses(verify_inclusion, flipped(HASHED[i], n), i, n, proof, root)
        assert refuses(verify_inclusion, HASHED[i], i, n, proof, flipped(root, i))


def test_an_inclusion_proof_for_another_index_is_refused() -> None:
    for i, n in PAIRS:
        proof = TREE.inclusion_proof(i, n)
        for other in range(n + 3):
            if other != i:
                assert refuses(verify_inclusion, HASHED[i], other, n, proof, ROOTS[n])
                if other < n:
                    assert refuses(verify_inclusion, HASHED[other], other, n, proof, ROOTS[n])


def test_a_negative_index_is_refused() -> None:
    assert refuses(verify_inclusion, HASHED[0], -8, 8, TREE.inclusion_proof(0, 8), ROOTS[8])


def test_an_inclusion_proof_for_another_size_is_refused() -> None:
    for i, n in PAIRS[: SWEEP * (SWEEP + 1) // 2]:
        proof = TREE.inclusion_proof(i, n)
        for size in range(1, MAX + 2):
            if size != n:
                assert refuses(verify_inclusion, HASHED[i], i, size, proof, ROOTS[size])
                # Under the same root the RFC's check passes exactly where the trees' shapes
                # agree: only the signed checkpoint binds a root to its size.
                same_shape = i < size and sides(i, size) == sides(i, n)
                assert refuses(verify_inclusion, HASHED[i], i, size, proof, ROOTS[n]) != same_shape


def test_a_truncated_or_extended_inclusion_proof_is_refused() -> None:
    for i, n in PAIRS:
        proof, root = TREE.inclusion_proof(i, n), ROOTS[n]
        for bad in ([*proof, EXTRA], [EXTRA, *proof], [*proof, root]):
            assert refuses(verify_inclusion, HASHED[i], i, n, bad, root)
        if proof:
            assert refuses(verify_inclusion, HASHED[i], i, n, proof[:-1], root)
            assert refuses(verify_inclusion, HASHED[i], i, n, proof[1:], root)


def test_a_flipped_bit_anywhere_in_a_consistency_proof_is_refused() -> None:
    for n in range(2, MAX + 1):
        for m in range(1, n):
            proof, first, second = consistency(m, n), ROOTS[m], ROOTS[n]
            for bad in with_flipped_bits(proof, n <= 8, 5 * m + 17 * n):
                assert refuses(verify_consistency, m, first, n, second, bad)
            assert refuses(verify_consistency, m, flipped(first, n), n, second, proof)
            assert refuses(verify_consistency, m, first, n, flipped(second, m), proof)


def test_a_truncated_extended_or_swapped_consistency_proof_is_refused() -> None:
    for n in range(2, MAX + 1):
        for m in range(1, n):
            proof, first, second = consistency(m, n), ROOTS[m], ROOTS[n]
            assert refuses(verify_consistency, m, second, n, first, proof)
            assert refuses(verify_consistency, n, second, m, first, proof)
            for bad in ([*proof, EXTRA], [EXTRA, *proof], proof[:-1], proof[1:], []):
                assert refuses(verify_consistency, m, first, n, second, bad)


def test_a_consistency_proof_for_other_sizes_is_refused() -> None:
    for n in range(2, SWEEP + 1):
        for m in range(1, n):
            proof = consistency(m, n)
            for size in range(1, MAX + 2):
                if size != m and (size >= n or consistency(size, n) != proof):
                    assert refuses(verify_consistency, size, ROOTS[size], n, ROOTS[n], proof)
                if size not in (m, n):
                    assert refuses(verify_consistency, m, ROOTS[m], size, ROOTS[size], proof)


def test_two_roots_for_one_size_are_refused() -> None:
    for n in range(MAX + 1):
        verify_consistency(n, ROOTS[n], n, ROOTS[n], [])
        assert refuses(verify_consistency, n, ROOTS[n], n, ROOTS[n + 1], [])
        assert refuses(verify_consistency, n, ROOTS[n], n, ROOTS[n], [ROOTS[n]])
    assert refuses(verify_consistency, 0, EMPTY_ROOT, 5, ROOTS[5], [ROOTS[5]])


def test_a_root_claimed_for_the_empty_tree_must_be_the_empty_root() -> None:
    assert refuses(verify_consistency, 0, ROOTS[5], 5, EMPTY_ROOT, [])


@st.composite
def sizes_and_indices(draw: st.DrawFn) -> tuple[int, set[int]]:
    size = draw(st.integers(1, len(HASHED)))
    return size, draw(st.sets(st.integers(0, size - 1)))


@given(sizes_and_indices())
def test_a_batch_proof_gives_the_root_with_each_missing_subtree_once(
    case: tuple[int, set[int]],
) -> None:
    size, wanted = case
    proof = TREE.batch_proof(wanted, size)
    assert proof == batch(frozenset(wanted), ENTRIES[:size])
    leaves = {i: HASHED[i] for i in wanted}
    assert root_from_batch(size, leaves, proof) == ROOTS[size]
    assert refuses(root_from_batch, size, leaves, [*proof, EXTRA])
    if proof:
        assert refuses(root_from_batch, size, leaves, proof[:-1])
    if wanted:
        changed = {**leaves, min(wanted): EXTRA}
        assert root_from_batch(size, changed, proof) != ROOTS[size]
        assert refuses(root_from_batch, size, {**leaves, size: HASHED[0]}, proof)
    with pytest.raises(ValueError):
        TREE.batch_proof([*wanted, size], size)


def test_an_empty_batch_needs_no_leaves_and_refuses_a_proof() -> None:
    assert TREE.batch_proof([], 0) == []
    assert root_from_batch(0, {}, []) == EMPTY_ROOT
    assert refuses(root_from_batch, 0, {}, [EMPTY_ROOT])
    assert refuses(root_from_batch, 0, {0: HASHED[0]}, [])
    assert refuses(root_from_batch, 5, {-1: HASHED[0]}, TREE.batch_proof([0], 5))
    assert TREE.batch_proof([], 7) == [ROOTS[7]]


@given(st.lists(st.binary(max_size=8), max_size=70))
def test_a_compact_range_grown_leaf_by_leaf_has_the_tree_root(leaves: Sequence[bytes]) -> None:
    hashed = [leaf_hash(leaf) for leaf in leaves]
    tree, grown = MerkleTree(hashed), CompactRange()
    assert grown.root() == EMPTY_ROOT
    for size, leaf in enumerate(hashed, start=1):
        grown.append(leaf)
        assert (grown.size, grown.root()) == (size, tree.root(size))
        assert len(grown.roots) == bin(size).count("1")
        assert CompactRange(grown.size, grown.roots).root() == grown.root()
    with pytest.raises(ValueError):
        CompactRange(grown.size, [*grown.roots, EMPTY_ROOT])
