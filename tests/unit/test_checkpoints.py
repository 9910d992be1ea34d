"""Signed checkpoints verify only as signed, and contradicting checkpoints are caught."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from itertools import permutations
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecosystem.audit.checkpoints import (
    Checkpoint,
    CheckpointError,
    b64,
    check_no_split_view,
    key_id_of,
    public_key_from,
    raw_public_key,
    sign_checkpoint,
    utc_text,
)
from ecosystem.audit.merkle import MerkleTree, ProofError, leaf_hash, verify_consistency

NETWORK_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
AT = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
LEAVES = [leaf_hash(b"event %d" % i) for i in range(20)]
HONEST = MerkleTree(LEAVES)
REWRITTEN = MerkleTree([leaf_hash(b"a different first event"), *LEAVES[1:]])


def signed(size: int, at: datetime = AT, tree: MerkleTree = HONEST) -> Checkpoint:
    return sign_checkpoint(NETWORK_KEY, size, tree.root(size), at)


def later(seconds: int) -> datetime:
    return AT + timedelta(seconds=seconds)


def test_a_signed_checkpoint_verifies_with_the_network_key() -> None:
    checkpoint = signed(7)
    checkpoint.verify(NETWORK_KEY.public_key())
    assert (checkpoint.size, checkpoint.root, checkpoint.signed_at) == (7, HONEST.root(7), AT)
    assert checkpoint.key_id == key_id_of(NETWORK_KEY.public_key())
    assert len(checkpoint.signature) == 64


def test_a_key_id_is_the_start_of_the_raw_key_s_sha256() -> None:
    raw = raw_public_key(NETWORK_KEY.public_key())
    assert key_id_of(raw) == key_id_of(NETWORK_KEY.public_key())
    assert key_id_of(raw) == hashlib.sha256(raw).digest()[:16].hex()
    assert key_id_of(OTHER_KEY.public_key()) != key_id_of(raw)


def test_a_checkpoint_is_refused_under_another_key() -> None:
    checkpoint = signed(7)
    with pytest.raises(CheckpointError, match="signed by key"):
        checkpoint.verify(OTHER_KEY.public_key())
    relabelled = replace(checkpoint, key_id=key_id_of(OTHER_KEY.public_key()))
    with pytest.raises(CheckpointError, match="not valid"):
        relabelled.verify(OTHER_KEY.public_key())


@pytest.mark.parametrize(
    "change",
    [
        {"size": 8},
        {"size": 6},
        {"root": HONEST.root(8)},
        {"root": bytes([HONEST.root(7)[0] ^ 1]) + HONEST.root(7)[1:]},
        {"signed_at": AT + timedelta(microseconds=1)},
        {"signed_at": AT - timedelta(days=1)},
        {"signature": b""},
        {"signature": signed(8).signature},
    ],
    ids=["bigger", "smaller", "root", "root-bit", "time", "day", "no-signature", "other-signature"],
)
def test_an_altered_checkpoint_is_refused(change: dict[str, Any]) -> None:
    altered = replace(signed(7), **change)
    with pytest.raises(CheckpointError):
        altered.verify(NETWORK_KEY.public_key())


def test_every_flipped_signature_bit_is_refused() -> None:
    checkpoint = signed(7)
    for bit in range(len(checkpoint.signature) * 8):
        signature = bytearray(checkpoint.signature)
        signature[bit // 8] ^= 1 << bit % 8
        with pytest.raises(CheckpointError):
            replace(checkpoint, signature=bytes(signature)).verify(NETWORK_KEY.public_key())


def test_a_checkpoint_comes_back_from_its_json_form() -> None:
    paris = timezone(timedelta(hours=1))
    checkpoint = signed(7, at=datetime(2025, 3, 1, 13, 0, 0, 5, tzinfo=paris))
    data = json.loads(json.dumps(checkpoint.as_json()))
    assert data["signed_at"] == "2025-03-01T12:00:00.000005Z"
    again = Checkpoint.from_json(data)
    assert again == checkpoint
    again.verify(NETWORK_KEY.public_key())


@pytest.mark.parametrize(
    "change",
    [
        {"size": -1},
        {"size": "many"},
        {"root": "not hex"},
        {"root": "ab" * 31},
        {"signed_at": "yesterday"},
        {"signed_at": None},
        {"key_id": None, "size": None},
    ],
)
def test_a_malformed_checkpoint_is_refused(change: dict[str, Any]) -> None:
    data = {**signed(7).as_json(), **change}
    with pytest.raises(CheckpointError):
        Checkpoint.from_json(data)


def test_a_checkpoint_missing_a_field_is_refused() -> None:
    for field in ["size", "root", "signed_at", "key_id", "signature"]:
        data = signed(7).as_json()
        del data[field]
        with pytest.raises(CheckpointError):
            Checkpoint.from_json(data)


def test_a_checkpoint_time_without_a_zone_is_refused() -> None:
    data = {**signed(7).as_json(), "signed_at": "2025-03-01T12:00:00.123456"}
    with pytest.raises(CheckpointError):
        Checkpoint.from_json(data).verify(NETWORK_KEY.public_key())


def test_times_are_written_in_utc_to_the_microsecond() -> None:
    assert utc_text(datetime(2025, 3, 1, 12, tzinfo=UTC)) == "2025-03-01T12:00:00.000000Z"
    tokyo = datetime(2025, 3, 2, 1, 30, tzinfo=timezone(timedelta(hours=9)))
    assert utc_text(tokyo) == "2025-03-01T16:30:00.000000Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        utc_text(datetime(2025, 3, 1, 12))


def test_a_public_key_is_read_from_its_raw_bytes_in_base64url() -> None:
    text = b64(raw_public_key(NETWORK_KEY.public_key()))
    assert key_id_of(public_key_from(f"  {text}\n")) == key_id_of(NETWORK_KEY.public_key())
    signed(7).verify(public_key_from(text))
    for wrong in ["", text[:-2], text + "AAAA", b64(b"\x01" * 33)]:
        with pytest.raises(ValueError):
            public_key_from(wrong)


def test_checkpoints_of_a_growing_log_agree_in_any_order() -> None:
    history = [signed(3), signed(3, later(5)), signed(7, later(10)), signed(20, later(20))]
    for order in permutations(history):
        check_no_split_view(order)
    check_no_split_view([])


def test_two_roots_for_one_size_are_a_split_view() -> None:
    for size in [1, 7, 20]:
        honest, rewritten = signed(size), signed(size, later(1), REWRITTEN)
        for pair in ([honest, rewritten], [rewritten, signed(3), honest]):
            with pytest.raises(CheckpointError, match="different roots"):
                check_no_split_view(pair)


def test_a_bigger_log_signed_before_a_smaller_one_is_refused() -> None:
    for order in permutations([signed(3, later(10)), signed(7, later(5)), signed(20, later(20))]):
        with pytest.raises(CheckpointError, match="a log never shrinks"):
            check_no_split_view(order)


def test_a_smaller_log_re_signed_after_a_bigger_one_is_refused_in_any_order() -> None:
    for order in permutations([signed(5), signed(8, later(10)), signed(5, later(20))]):
        with pytest.raises(CheckpointError, match="a log never shrinks"):
            check_no_split_view(order)


def test_a_later_checkpoint_consistent_with_an_earlier_one_is_accepted() -> None:
    for first in range(1, len(LEAVES)):
        earlier, latest = signed(first), signed(len(LEAVES), later(60))
        proof = HONEST.consistency_proof(first, latest.size)
        verify_consistency(earlier.size, earlier.root, latest.size, latest.root, proof)


def test_a_later_checkpoint_over_a_rewritten_history_is_refused() -> None:
    for first in range(1, len(LEAVES)):
        earlier = signed(first)
        for size in range(first + 1, len(LEAVES) + 1):
            latest = signed(size, later(60), REWRITTEN)
            latest.verify(NETWORK_KEY.public_key())
            for tree in (REWRITTEN, HONEST):
                with pytest.raises(ProofError):
                    verify_consistency(
                        earlier.size, earlier.root, latest.size, latest.root,
                        tree.consistency_proof(first, size),
                    )  # fmt: skip
