"""Audit bundles checked offline by `cosell audit verify`: tampering, keys, split views."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from typer.testing import CliRunner

from api.bootstrap import checkpoints_of
from api.cli import app
from api.settings import Settings
from ecosystem.actors import Role
from ecosystem.audit.bundle import verify_bundle
from ecosystem.audit.checkpoints import (
    Checkpoint,
    b64,
    public_key_from,
    raw_public_key,
    sign_checkpoint,
    unb64,
)
from ecosystem.audit.commitments import revealed
from tests.e2e.conftest import Caller, World
from tests.e2e.test_api_audit import ok, summary_deal

COSELL = Path(sys.executable).with_name("cosell")
CHANGED = "an event was changed, added or left out"


def verify_offline(
    folder: Path, runs: dict[str, tuple[Any, list[str]]], processes: bool = False
) -> dict[str, str]:
    """`cosell audit verify` on each bundle, knowing of no database: in processes of their
    own (all at once), or run in this one by the same command line; each run's output,
    headed by its exit code."""
    for name, (bundle, _) in runs.items():
        (folder / f"{name}.json").write_text(json.dumps(bundle))
    if not processes:
        cleared = {k: None for k in os.environ if k.startswith("COSELL_")}
        found = {}
        with contextlib.chdir(folder):
            for name, (_, args) in runs.items():
                command = ["audit", "verify", f"{name}.json", *args]
                found[name] = CliRunner().invoke(app, command, env=cleared)
        return {name: f"exit {r.exit_code}\n{r.output}" for name, r in found.items()}
    env = {k: v for k, v in os.environ.items() if not k.startswith("COSELL_")}
    started: dict[str, subprocess.Popen[str]] = {}
    for name, (_, args) in runs.items():
        started[name] = subprocess.Popen(
            [str(COSELL), "audit", "verify", f"{name}.json", *args], cwd=folder, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    outputs = {name: p.communicate(timeout=120)[0] for name, p in started.items()}
    assert not (folder / "var").exists()  # no default database was opened either
    return {name: f"exit {started[name].returncode}\n{out}" for name, out in outputs.items()}


@pytest.fixture
def offline(tmp_path: Path) -> Path:
    """An empty folder to verify in: nothing of the test's store is beside it."""
    folder = tmp_path / "offline"
    folder.mkdir()
    return folder


def export(world: World, auditor: Caller, **params: Any) -> dict[str, Any]:
    response = world.client.get("/v1/audit/bundle", params=params, headers=auditor.headers)
    bundle: dict[str, Any] = ok(response)
    size, party = bundle["checkpoint"]["size"], auditor.party_id
    assert response.headers["content-disposition"] == (
        f'attachment; filename="cosell-audit-{party}-{size}.json"'
    )
    return bundle


def partner_bundle(
    world: World,
) -> tuple[Caller, str, dict[str, Any], dict[int, dict[str, Any]]]:
    """The partner's auditor, the deal, the partner's bundle and the deal's entries by version."""
    _, partner, deal_id = summary_deal(world)
    auditor = world.user(partner.party_id, Role.AUDITOR)
    bundle = export(world, auditor)
    deal = {e["version"]: e for e in bundle["events"] if e["object_id"] == deal_id.replace("-", "")}
    return auditor, deal_id, bundle, deal


def without(bundle: dict[str, Any], gone: dict[str, Any]) -> dict[str, Any]:
    dropped = copy.deepcopy(bundle)
    dropped["events"] = [e for e in dropped["events"] if e["leaf_index"] != gone["leaf_index"]]
    return dropped


def other_hash(text: str) -> str:
    return text[:-1] + ("0" if text[-1] != "0" else "1")


def test_a_downloaded_bundle_verifies_offline_against_the_network_s_key_and_no_other(
    world: World, offline: Path
) -> None:
    auditor, _, bundle, deal = partner_bundle(world)
    key = ok(world.client.get("/v1/audit/key", headers=auditor.headers))
    assert bundle["network_key"] == {"key_id": key["key_id"], "public_key": key["public_key"]}
    report = verify_bundle(bundle, public_key_from(key["public_key"]))
    assert (report.ok, report.counts["events withheld"] >= 1) == (True, True), report.lines()
    assert revealed(deal[5]["content"])["changes"] == {"title": "Retail rollout"}
    assert deal[4]["withheld"] is True  # the amount change the partner may not see
    stranger = b64(raw_public_key(Ed25519PrivateKey.generate().public_key()))
    assert not verify_bundle(bundle, public_key_from(stranger)).ok
    found = verify_offline(offline, {
        "bundle": (bundle, ["--network-key", key["public_key"]]),
        "stranger": (bundle, ["--network-key", stranger]),
    }, processes=True)  # fmt: skip
    assert found["bundle"].startswith("exit 0\nverified"), found["bundle"]
    assert "note:" not in found["bundle"]  # checked against the key it was given
    assert found["stranger"].startswith("exit 1\nFAILED"), found["stranger"]
    assert "another network key than the one you trust" in found["stranger"]


def test_tampering_with_a_bundle_file_is_caught_naming_the_first_bad_position(
    world: World, offline: Path
) -> None:
    auditor, _, bundle, deal = partner_bundle(world)
    key = ok(world.client.get("/v1/audit/key", headers=auditor.headers))["public_key"]
    size = bundle["checkpoint"]["size"]
    value = copy.deepcopy(bundle)
    title = next(e for e in value["events"] if e["leaf_index"] == deal[5]["leaf_index"])
    title["content"]["d"]["changes"][1]["d"]["title"][1] = "A forged title"
    # The network itself could hide an event and remake the batch proof to fit.
    dropped = without(bundle, deal[2])
    tree = checkpoints_of(world.network, Settings()).tree(size)
    kept = sorted(e["leaf_index"] for e in dropped["events"])
    dropped["proof"] = [h.hex() for h in tree.batch_proof(kept, size)]
    swapped = copy.deepcopy(bundle)
    hidden = next(e for e in swapped["events"] if e["leaf_index"] == deal[4]["leaf_index"])
    hidden["leaf"] = deal[5]["leaf"]
    proof = copy.deepcopy(bundle)
    proof["proof"][0] = other_hash(proof["proof"][0])
    signature = copy.deepcopy(bundle)
    flipped = bytearray(unb64(signature["checkpoint"]["signature"]))
    flipped[0] ^= 1
    signature["checkpoint"]["signature"] = b64(bytes(flipped))
    # What a position can be named for, it is; a leaf, proof or signature is only found wrong.
    tampered = {
        "value": (value, deal[5]["position"],
                  "the event's disclosed fields are not the ones recorded"),
        "dropped": (dropped, deal[3]["position"],
                    f"version 2 of object {deal[1]['object_id']} is missing"),
        "withheld": (swapped, None, CHANGED),
        "proof": (proof, None, CHANGED),
        "signature": (signature, None, f"the signature of checkpoint {size} is not valid"),
    }  # fmt: skip
    runs = {name: (changed, ["--network-key", key]) for name, (changed, *_) in tampered.items()}
    found = verify_offline(offline, runs)
    for name, (changed, position, problem) in tampered.items():
        assert found[name].startswith("exit 1\nFAILED"), (name, found[name])
        assert problem in found[name], (name, found[name])
        if position is not None:
            assert f"first bad position: {position}\n" in found[name], (name, found[name])
        assert verify_bundle(changed, public_key_from(key)).first_bad_position == position, name
    assert not verify_bundle(without(bundle, deal[2])).ok  # dropped, the proof left as it was


def test_an_event_dropped_without_remaking_the_proof_is_named_as_a_missing_version(
    world: World,
) -> None:
    _, _, bundle, deal = partner_bundle(world)
    shown = {e["leaf_index"] for e in bundle["events"]}
    gone = next(e for e in deal.values() if e["leaf_index"] ^ 1 in shown)  # the proof falls short
    report = verify_bundle(without(bundle, gone))
    assert report.first_bad_position is not None, report.lines()


def test_a_kept_checkpoint_verifies_when_the_later_export_names_it_and_a_split_view_is_refused(
    world: World, offline: Path
) -> None:
    auditor, _, first, _ = partner_bundle(world)
    kept = first["checkpoint"]
    (offline / "kept.json").write_text(json.dumps(kept))
    elsewhere = world.company()  # its deals grow the log between the exports
    world.opportunity(elsewhere)
    between = world.client.post("/v1/audit/checkpoints", headers=auditor.headers)
    assert between.status_code == 201, between.text
    world.opportunity(elsewhere)
    later = export(world, auditor)
    assert [c["size"] for c in later["earlier_checkpoints"]] == [between.json()["size"]]
    naming = export(world, auditor, known=kept["size"])
    sizes = [c["size"] for c in naming["earlier_checkpoints"]]
    assert sizes == [kept["size"], between.json()["size"]]
    key_text = ok(world.client.get("/v1/audit/key", headers=auditor.headers))["public_key"]
    key, mine = public_key_from(key_text), Checkpoint.from_json(kept)
    assert verify_bundle(naming, key, [mine]).ok
    # The network's own key signs another history of the same size: a split view.
    private = load_pem_private_key(Settings().signing_key_path().read_bytes(), password=None)
    assert isinstance(private, Ed25519PrivateKey)
    root = hashlib.sha256(b"another history").digest()
    forged = sign_checkpoint(private, mine.size, root, mine.signed_at)
    forged.verify(key)
    (offline / "forged.json").write_text(json.dumps(forged.as_json()))
    inconsistent = copy.deepcopy(naming)  # the forged one, with the real one's proof
    inconsistent["earlier_checkpoints"][0].update(forged.as_json())
    pinned = ["--network-key", key_text]
    found = verify_offline(offline, {
        "named": (naming, [*pinned, "--known", "kept.json"]),
        "unnamed": (later, [*pinned, "--known", "kept.json"]),
        "split": (naming, [*pinned, "--known", "forged.json"]),
        "inconsistent": (inconsistent, pinned),
    })  # fmt: skip
    assert found["named"].startswith("exit 0\nverified (4 checkpoints"), found["named"]
    assert found["unnamed"].startswith("exit 1\nFAILED"), found["unnamed"]
    assert f"the bundle proves nothing about your checkpoint {mine.size}" in found["unnamed"]
    assert found["split"].startswith("exit 1\nFAILED"), found["split"]
    assert f"two checkpoints of size {mine.size} have different roots" in found["split"]
    assert "the network has shown two different histories" in found["split"]
    newest, refused = naming["checkpoint"]["size"], found["inconsistent"]
    assert refused.startswith("exit 1\nFAILED"), refused
    assert f"checkpoint {mine.size} is not consistent with checkpoint {newest}" in refused
