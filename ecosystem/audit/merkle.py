"""The Merkle tree over the event log, as Certificate Transparency defines it (RFC 9162 §2.1).

Leaves are hashed as SHA-256(0x00 || leaf) and nodes as SHA-256(0x01 || left || right), so a
leaf can never pass for a node. Proofs and their checks follow the RFC's algorithms; the
batch proof proves many leaves at once with each needed subtree hash given once.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()
HASH_SIZE = 32
_sha256 = hashlib.sha256


class ProofError(ValueError):
    """A proof that does not prove what it claims."""


def _check_sizes(what: str, hashes: Iterable[bytes]) -> None:
    # A hash of another length is no SHA-256 of anything: refused before any hashing, so a
    # proof can never pass with hashes that only concatenate to the right bytes.
    for given in hashes:
        if len(given) != HASH_SIZE:
            raise ProofError(f"{what} has a hash of {len(given)} bytes, not {HASH_SIZE}")


def leaf_hash(leaf: bytes) -> bytes:
    return _sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def split(size: int) -> int:
    """The largest power of two smaller than `size` (size > 1): where the tree splits."""
    return 1 << ((size - 1).bit_length() - 1)


class CompactRange:
    """The roots of the perfect subtrees covering leaves [0, size): enough to append leaves
    and to compute the root at any moment, in O(log size) memory."""

    def __init__(self, size: int = 0, roots: Sequence[bytes] = ()) -> None:
        if len(roots) != bin(size).count("1"):
            raise ValueError(f"a range of size {size} has {bin(size).count('1')} roots")
        self.size = size
        self.roots = list(roots)

    def append(self, hashed_leaf: bytes) -> None:
        self.roots.append(hashed_leaf)
        self.size += 1
        merged = self.size
        while merged & 1 == 0:  # each trailing zero bit is a pair of equal subtrees to merge
            right = self.roots.pop()
            self.roots[-1] = node_hash(self.roots[-1], right)
            merged >>= 1

    def root(self) -> bytes:
        if not self.roots:
            return EMPTY_ROOT
        root = self.roots[-1]
        for left in reversed(self.roots[:-1]):
            root = node_hash(left, root)
        return root


class MerkleTree:
    """Every level of the tree over a list of leaf hashes, for proofs of any size up to it."""

    def __init__(self, hashed_leaves: Iterable[bytes]) -> None:
        level = b"".join(hashed_leaves)
        self.size = len(level) // 32
        self._levels = [level]
        while len(level) > 32:
            count = len(level) // 32
            pairs = [
                node_hash(level[i : i + 32], level[i + 32 : i + 64])
                for i in range(0, (count - 1) * 32, 64)
            ]
            if count % 2:
                pairs.append(level[-32:])  # a last odd node moves up unchanged
            level = b"".join(pairs)
            self._levels.append(level)

    def leaf(self, index: int) -> bytes:
        return self._node(0, index)

    def _node(self, height: int, index: int) -> bytes:
        level = self._levels[height]
        return level[index * 32 : index * 32 + 32]

    def subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) for a range the RFC's recursion visits (aligned, or ending at
        a tree size), from the stored levels and the perfect subtrees inside the range."""
        if end > self.size or start >= end:
            raise ValueError(f"no subtree [{start}, {end}) in a tree of {self.size} leaves")
        width = end - start
        height = (width - 1).bit_length()
        if start % (1 << height):
            raise ValueError(f"[{start}, {end}) is not a range RFC 9162 splits a tree into")
        if start % (1 << height) == 0 and (end == self.size or width == 1 << height):
            return self._node(height, start >> height)
        return self.root(end) if start == 0 else self._folded(start, end)

    def _folded(self, start: int, end: int) -> bytes:
        roots = []
        while start < end:
            height = min((start & -start).bit_length() - 1 if start else 63, 63)
            while start + (1 << height) > end:
                height -= 1
            roots.append(self._node(height, start >> height))
            start += 1 << height
        root = roots[-1]
        for left in reversed(roots[:-1]):
            root = node_hash(left, root)
        return root

    def root(self, size: int | None = None) -> bytes:
        """The root of the first `size` leaves (the whole tree by default)."""
        size = self.size if size is None else size
        if size == 0:
            return EMPTY_ROOT
        if size > self.size:
            raise ValueError(f"the tree has {self.size} leaves, not {size}")
        return self._folded(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[size]) of RFC 9162 §2.1.3.1."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no leaf {index} in a tree of {size} leaves")
        proof: list[bytes] = []
        start, end = 0, size
        while end - start > 1:
            k = split(end - start)
            if index - start < k:
                proof.append(self.subtree(start + k, end))
                end = start + k
            else:
                proof.append(self.subtree(start, start + k))
                start += k
        proof.reverse()
        return proof

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """PROOF(first, D[second]) of RFC 9162 §2.1.4.1."""
        second = self.size if second is None else second
        if not 0 <= first <= second <= self.size:
            raise ValueError(f"no consistency between sizes {first} and {second}")
        if first in (0, second):
            return []
        proof: list[bytes] = []
        start, end, whole = 0, second, True
        while end - start != first - start or not whole:
            if end - start == first - start:  # SUBPROOF(m, D[m], false)
                proof.append(self.subtree(start, end))
                break
            k = split(end - start)
            if first - start <= k:
                proof.append(self.subtree(start + k, end))
                end = start + k
            else:
                proof.append(self.subtree(start, start + k))
                start, whole = start + k, False
        proof.reverse()
        return proof

    def batch_proof(self, indices: Iterable[int], size: int | None = None) -> list[bytes]:
        """The subtree hashes that, with the leaves at `indices`, give the root of `size`:
        each range without a wanted leaf, left to right, as RFC 9162 splits the tree."""
        size = self.size if size is None else size
        wanted = sorted(set(indices))
        if wanted and not 0 <= wanted[0] <= wanted[-1] < size <= self.size:
            raise ValueError(f"leaves {wanted[0]}..{wanted[-1]} are not all in {size} leaves")
        proof: list[bytes] = []

        def visit(start: int, end: int, lo: int, hi: int) -> None:
            if lo == hi:
                proof.append(self.subtree(start, end))
            elif end - start > 1:
                middle = start + split(end - start)
                cut = bisect_left(wanted, middle, lo, hi)
                visit(start, middle, lo, cut)
                visit(middle, end, cut, hi)

        if size:
            visit(0, size, 0, len(wanted))
        return proof


def root_from_batch(size: int, leaves: dict[int, bytes], proof: Sequence[bytes]) -> bytes:
    """The root that leaf hashes at their indices and a batch proof give; ProofError if the
    proof has too few or too many hashes."""
    wanted = sorted(leaves)
    if wanted and not 0 <= wanted[0] <= wanted[-1] < size:
        raise ProofError(f"a leaf index lies outside the tree of {size} leaves")
    _check_sizes("a leaf", leaves.values())
    _check_sizes("the batch proof", proof)
    if size == 0:
        if proof:
            raise ProofError("an empty tree needs no proof")
        return EMPTY_ROOT
    given = iter(proof)

    def root(start: int, end: int, lo: int, hi: int) -> bytes:
        if lo == hi:
            try:
                return next(given)
            except StopIteration:
                raise ProofError("the batch proof is too short") from None
        if end - start == 1:
            return leaves[start]
        middle = start + split(end - start)
        cut = bisect_left(wanted, middle, lo, hi)
        return node_hash(root(start, middle, lo, cut), root(middle, end, cut, hi))

    result = root(0, size, 0, len(wanted))
    if next(given, None) is not None:
        raise ProofError("the batch proof has hashes left over")
    return result


def verify_inclusion(
    hashed_leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError unless the leaf is at `index` under `root`."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is outside a tree of {size} leaves")
    _check_sizes("the leaf", [hashed_leaf])
    _check_sizes("the root", [root])
    _check_sizes("the inclusion proof", proof)
    fn, sn, r = index, size - 1, hashed_leaf
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or r != root:
        raise ProofError(f"leaf {index} is not in the tree of {size} leaves with that root")


def verify_consistency(
    first: int, first_root: bytes, second: int, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError unless the tree of `second` leaves extends the
    tree of `first` leaves: nothing in the first `first` leaves was changed.

    As transparency-dev/merkle's verifier does, a proof from the empty tree to a bigger one
    is refused: it would prove nothing, so a caller asking for one has made a mistake.
    """
    if not 0 <= first <= second:
        raise ProofError(f"no consistency from size {first} to size {second}")
    _check_sizes("the first root", [first_root])
    _check_sizes("the second root", [second_root])
    _check_sizes("the consistency proof", proof)
    if first == second:
        if proof:
            raise ProofError(f"two trees of the same size {first} need no proof")
        if first_root != second_root:
            raise ProofError(f"two different roots for the same size {first}")
        if first == 0 and first_root != EMPTY_ROOT:
            raise ProofError("the empty tree's root is the SHA-256 of nothing")
        return
    if first == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if not proof:
        raise ProofError("an empty consistency proof proves nothing")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0 or fr != first_root or sr != second_root:
        raise ProofError(f"the tree of {second} leaves does not extend the tree of {first}")
