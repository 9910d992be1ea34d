"""The audit bundle, and its verification offline: no database, no network, only the file.

A bundle holds the newest checkpoint; earlier checkpoints, each with its consistency proof
to the newest; and the events of every object the auditor's company takes part in, each
disclosed as far as the company may see it (or withheld, as its bare leaf), with one batch
proof that all their leaves are in the newest checkpoint's tree. Verifying it checks every
signature, proof and commitment, that no version of an object is missing, and every
party signature against the keys the log itself records.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ecosystem.audit.checkpoints import (
    Checkpoint,
    CheckpointError,
    check_no_split_view,
    key_id_of,
    public_key_from,
)
from ecosystem.audit.commitments import DisclosureError, disclosed_commitment, revealed
from ecosystem.audit.leaves import Leaf
from ecosystem.audit.merkle import ProofError, root_from_batch, verify_consistency
from ecosystem.audit.report import PARTY_KEY_EVENTS, KeyRegistry, Report, actor_of, signer_of
from ecosystem.audit.signature_checks import SignatureChecks, default_jobs

FORMAT = "cosell-audit-bundle/1"
SIGNED_SUFFIX = ":SignedCommand.Recorded"
PARTY_PREFIX = "ecosystem.parties.domainmodel:Party."
SYSTEM = "0" * 32


def verify_bundle(
    bundle: dict[str, Any],
    network_key: Ed25519PublicKey | None = None,
    known: Iterable[Checkpoint] = (),
    jobs: int | None = None,
) -> Report:
    """Everything a bundle claims, checked; `known` are checkpoints the auditor kept; party
    signatures are verified on `jobs` threads (by default, one per core)."""
    report = Report()
    if bundle.get("format") != FORMAT:
        report.fail(None, f"not a {FORMAT} file")
        return report
    try:
        latest = _checkpoints(bundle, network_key, list(known), report)
        leaves = _leaves(bundle, report)
    except (CheckpointError, DisclosureError, KeyError, TypeError, ValueError) as error:
        report.fail(None, f"the bundle does not verify: {error}")
        return report
    try:
        root = root_from_batch(latest.size, leaves, [bytes.fromhex(h) for h in bundle["proof"]])
    except (ProofError, KeyError, TypeError, ValueError) as error:
        report.fail(None, f"the bundle's proof does not verify: {error}")
    else:
        if root != latest.root:
            report.fail(
                None,
                f"the bundle's events are not those the network signed at checkpoint "
                f"{latest.size}: an event was changed, added or left out",
            )
    _complete(bundle["events"], report)  # what else can be told, even when the proof fails
    _signatures(bundle["events"], report, jobs or default_jobs())
    return report


def _checkpoints(
    bundle: dict[str, Any], pinned: Ed25519PublicKey | None, known: list[Checkpoint],
    report: Report,
) -> Checkpoint:  # fmt: skip
    embedded = public_key_from(bundle["network_key"]["public_key"])
    key = pinned or embedded
    if pinned is None:
        report.notes.append(
            f"checked against the network key the bundle carries ({key_id_of(embedded)}); "
            "pass the key the network publishes to be sure it is the network's"
        )
    elif key_id_of(pinned) != key_id_of(embedded):
        report.fail(None, "the bundle carries another network key than the one you trust")
    latest = Checkpoint.from_json(bundle["checkpoint"])
    latest.verify(key)
    earlier = []
    for entry in bundle.get("earlier_checkpoints", []):
        checkpoint = Checkpoint.from_json(entry)
        checkpoint.verify(key)
        proof = [bytes.fromhex(h) for h in entry["consistency"]]
        try:
            verify_consistency(checkpoint.size, checkpoint.root, latest.size, latest.root, proof)
        except ProofError as error:
            report.fail(None, f"checkpoint {checkpoint.size} is not consistent with "
                              f"checkpoint {latest.size}: {error}")  # fmt: skip
        earlier.append(checkpoint)
    for mine in known:
        mine.verify(key)
    check_no_split_view([latest, *earlier, *known])
    proven = {c.size for c in (latest, *earlier)}
    for mine in known:
        if mine.size > latest.size:
            report.fail(None, f"your checkpoint {mine.size} is newer than the bundle's")
        elif mine.size not in proven:
            report.fail(None, f"the bundle proves nothing about your checkpoint {mine.size}; "
                              f"export it again naming that size as known")  # fmt: skip
    report.counts["checkpoints"] = 1 + len(earlier) + len(known)
    return latest


def _leaves(bundle: dict[str, Any], report: Report) -> dict[int, bytes]:
    leaves: dict[int, bytes] = {}
    for event in bundle["events"]:
        index, position = int(event["leaf_index"]), int(event["position"])
        given = bytes.fromhex(event["leaf"])
        if index in leaves:
            report.fail(position, "the bundle lists this leaf twice")
        if event.get("withheld"):
            leaves[index] = given
            report.counts["events withheld"] += 1
            continue
        leaf = Leaf(
            position, UUID(event["object_id"]), int(event["version"]), event["topic"],
            bytes.fromhex(event["state"]), disclosed_commitment(event["content"]),
        ).hash()  # fmt: skip
        if leaf != given:
            report.fail(position, "the event's disclosed fields are not the ones recorded")
        leaves[index] = leaf
        report.counts["events disclosed"] += 1
    return leaves


def _complete(events: list[dict[str, Any]], report: Report) -> None:
    """Every version of every object in the bundle, in log order."""
    versions: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for event in events:
        versions[event["object_id"]].append((int(event["version"]), int(event["position"])))
    for object_id, found in versions.items():
        found.sort()
        for expected, (version, position) in enumerate(found, start=1):
            if version != expected:
                report.fail(position, f"version {expected} of object {object_id} is missing")
                break
        if any(a[1] >= b[1] for a, b in itertools.pairwise(found)):
            report.fail(None, f"the versions of object {object_id} are not in log order")
    report.counts["objects"] = len(versions)


def _signatures(events: list[dict[str, Any]], report: Report, jobs: int) -> None:
    """Party signatures, against the keys the disclosed `Party` events register."""
    keys = KeyRegistry()
    pending: dict[tuple[str, int], tuple[int, str]] = {}
    withheld_covers: set[tuple[str, int]] = set()
    with SignatureChecks(keys, report, jobs) as checks:
        _follow(events, checks, pending, withheld_covers)
        checks.finish()
    for act, (position, party) in pending.items():
        if act in withheld_covers:
            report.counts["acts signed by a signature withheld from you"] += 1
        else:
            report.fail(position, f"an act of party {party}, which requires signed commands, "
                                  "without a valid signature")  # fmt: skip


def _follow(
    events: list[dict[str, Any]], checks: SignatureChecks,
    pending: dict[tuple[str, int], tuple[int, str]], withheld_covers: set[tuple[str, int]],
) -> None:  # fmt: skip
    keys = checks.keys
    acts: dict[tuple[str, int], tuple[int, tuple[str, str] | None]] = {}
    for event in sorted(events, key=lambda e: int(e["position"])):
        position, object_id = int(event["position"]), event["object_id"]
        if event.get("withheld"):
            withheld_covers.update((o, int(v)) for o, v in event.get("covers", []))
            continue
        topic, state = event["topic"], revealed(event["content"])
        if topic.endswith(SIGNED_SUFFIX):
            _signed(checks, position, state, acts, pending)
            continue
        actor = actor_of(state)
        acts[(object_id, int(event["version"]))] = (position, actor)
        if actor is not None and actor[0] != SYSTEM and keys.requires(actor[0]):
            pending[(object_id, int(event["version"]))] = (position, actor[0])
        if topic.startswith(PARTY_PREFIX) and topic[len(PARTY_PREFIX) :] in PARTY_KEY_EVENTS:
            keys.apply(object_id, topic[len(PARTY_PREFIX) :], state)  # in force from the next


def _signed(
    checks: SignatureChecks, position: int, state: Any, acts: dict[tuple[str, int], Any],
    pending: dict[tuple[str, int], Any],
) -> None:  # fmt: skip
    document, signature = state.get("document") or {}, state.get("signature") or ""
    signer = signer_of(document)
    signed: list[tuple[str, int]] = []
    for object_id, versions in (state.get("results") or {}).items():
        for version in versions:
            found = acts.get((object_id, int(version)))
            if found is not None and found[1] is not None and found[1] != signer:
                checks.report.fail(found[0], "an act recorded for another party than its signer")
            signed.append((object_id, int(version)))
    checks.submit(position, document, signature, lambda: _acquit(pending, signed))


def _acquit(pending: dict[tuple[str, int], Any], acts: list[tuple[str, int]]) -> None:
    for act in acts:
        pending.pop(act, None)
