"""Party signatures checked on worker threads give exactly the outcomes of checking inline."""

from __future__ import annotations

import random
from typing import Any
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ecosystem.audit.canonical import canonical
from ecosystem.audit.checkpoints import b64, key_id_of, raw_public_key
from ecosystem.audit.report import KeyRegistry, Report
from ecosystem.audit.signature_checks import BATCH, MISMATCH, SignatureChecks

PARTY = uuid4()


def registry(key: Ed25519PrivateKey) -> KeyRegistry:
    keys = KeyRegistry()
    public = b64(raw_public_key(key.public_key()))
    state = {"public_key": public, "key_id": key_id_of(key.public_key())}
    keys.apply(PARTY.hex, "SigningKeyRegistered", state)
    return keys


def signed(key: Ed25519PrivateKey, n: int, valid: bool) -> tuple[dict[str, Any], str]:
    document = {"party_id": str(PARTY), "key_id": key_id_of(key.public_key()), "n": n}
    signature = key.sign(canonical(document if valid else {**document, "n": -n}))
    return document, b64(signature)


def outcomes(jobs: int, commands: list[tuple[bool, str]]) -> tuple[list[Any], list[int]]:
    """(problems, acquitted positions) of checking `commands` (valid?, what) on `jobs`."""
    key, report, acquitted = Ed25519PrivateKey.generate(), Report(), []
    keys = registry(key)
    with SignatureChecks(keys, report, jobs) as checks:
        for position, (valid, what) in enumerate(commands, start=1):
            document, signature = signed(key, position, valid)
            if what == "unknown key":
                document["key_id"] = "0" * 32
            elif what == "malformed":
                signature = "not base64 !"
            checks.submit(position, document, signature, lambda p=position: acquitted.append(p))
        checks.finish()
    assert report.counts["signatures"] == len(commands)
    return [(p.position, p.what) for p in report.ordered()], acquitted


@pytest.mark.parametrize("jobs", [1, 2, 4])
def test_threads_deliver_the_same_outcomes_in_the_same_order_as_one(jobs: int) -> None:
    rng = random.Random(jobs)
    kinds = ["ok"] * 8 + ["forged", "unknown key", "malformed"]
    commands = [(rng.random() > 0.1, rng.choice(kinds)) for _ in range(3 * BATCH + 7)]
    commands = [(valid and what != "forged", what) for valid, what in commands]
    assert outcomes(jobs, commands) == outcomes(1, commands)
    problems, acquitted = outcomes(jobs, commands)
    assert acquitted == [p for p, (valid, what) in enumerate(commands, start=1)
                         if valid and what == "ok"]  # fmt: skip
    assert {p for p, _ in problems} == set(range(1, len(commands) + 1)) - set(acquitted)


def test_a_forged_signature_is_named_at_its_position_and_acquits_nothing() -> None:
    problems, acquitted = outcomes(2, [(True, "ok"), (False, "ok"), (True, "ok")])
    assert problems == [(2, MISMATCH)]
    assert acquitted == [1, 3]


def test_a_key_the_party_never_registered_is_refused_before_any_verification() -> None:
    problems, acquitted = outcomes(2, [(True, "unknown key")])
    assert acquitted == []
    assert "not a key of the signing party" in problems[0][1]
