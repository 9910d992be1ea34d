"""Signed commands over HTTP: party keys, verified signatures, refusals, requirements, audits."""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.bootstrap import checkpoints_of
from api.cli import app
from api.settings import Settings
from ecosystem.actors import Role
from ecosystem.audit.checkpoints import b64, key_id_of, raw_public_key
from ecosystem.audit.domainmodel import SignedCommand
from ecosystem.audit.report import Report
from ecosystem.audit.requests import HEADER, sign_request
from ecosystem.network import Network
from projections.audit.verify_store import verify_store
from tests.e2e.conftest import Caller, World

NOTE = b'{"text": "Finance approved the discount"}'
JSON = {"Content-Type": "application/json"}
STRANGER = Ed25519PrivateKey.generate()  # a key no party registered


def public(key: Ed25519PrivateKey) -> str:
    return b64(raw_public_key(key.public_key()))


def register_key(client: TestClient, admin: Caller, key: Ed25519PrivateKey) -> str:
    body = {"public_key": public(key), "label": "laptop"}
    response = client.post(f"/v1/parties/{admin.party_id}/keys", json=body, headers=admin.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["key_id"])


def signed_headers(
    caller: Caller, key: Ed25519PrivateKey, method: str, path: str, body: bytes, **options: Any
) -> dict[str, str]:
    """The caller's headers with a Cosell-Signature over this request (options: sign_request's
    if_match, idempotency_key, signed_at; user_id to sign for someone else)."""
    user_id = UUID(options.pop("user_id", caller.user_id))
    header, _ = sign_request(
        key, method=method, path=path, body=body, party_id=UUID(caller.party_id),
        user_id=user_id, **options,
    )  # fmt: skip
    return {**caller.headers, **JSON, HEADER: header}


def assert_problem(response: Any, status: int, detail: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert detail in response.json()["detail"], response.json()


def audit(network: Network, database_url: str, deep: bool = False) -> Report:
    store = checkpoints_of(network, Settings(database_url=database_url))
    store.sign()
    return verify_store(network, store, deep=deep)


def deal_body(title: str) -> bytes:
    customer = {"name": f"{title} Customer", "website_domain": f"{title.lower()}.example"}
    return json.dumps({"title": title, "customer": customer}).encode()


# --- registering keys -------------------------------------------------------------------------


def test_a_party_admin_registers_a_key_that_anyone_on_the_network_may_list(
    client: TestClient, world: World
) -> None:
    admin, other = world.company(), world.company()
    key = Ed25519PrivateKey.generate()
    key_id = register_key(client, admin, key)
    assert key_id == hashlib.sha256(raw_public_key(key.public_key())).digest()[:16].hex()
    listed = client.get(f"/v1/parties/{admin.party_id}/keys", headers=other.headers)
    assert listed.status_code == 200, listed.text
    assert [(k["key_id"], k["public_key"], k["active"]) for k in listed.json()] == [
        (key_id, public(key), True)
    ]
    again = client.post(
        f"/v1/parties/{admin.party_id}/keys",
        json={"public_key": public(key)},
        headers=admin.headers,
    )
    assert_problem(again, 409, "already registered")
    short = client.post(
        f"/v1/parties/{admin.party_id}/keys", json={"public_key": "c2hvcnQ"}, headers=admin.headers
    )
    assert_problem(short, 422, "32 bytes")


def test_only_a_partys_own_admins_may_register_its_keys_and_a_missing_party_is_not_found(
    client: TestClient, world: World, network: Network
) -> None:
    vendor = world.company()
    outsider = world.company()
    sales = world.user(vendor.party_id, Role.SALES)
    operator = world.user(world.party(operator=True), Role.ADMIN)
    body = {"public_key": public(Ed25519PrivateKey.generate())}
    before = network.log_position
    for caller, detail in [
        (outsider, "only the party's own admins"),
        (operator, "only the party's own admins"),
        (sales, "this needs one of the roles: admin"),
    ]:
        refused = client.post(
            f"/v1/parties/{vendor.party_id}/keys", json=body, headers=caller.headers
        )
        assert_problem(refused, 403, detail)
    missing = f"/v1/parties/{UUID(int=7)}/keys"
    assert_problem(client.post(missing, json=body, headers=operator.headers), 404, "no party")
    assert_problem(client.get(missing, headers=outsider.headers), 404, "no party")
    assert network.log_position == before
    assert client.get(f"/v1/parties/{vendor.party_id}/keys", headers=vendor.headers).json() == []


# --- a signed command, recorded and audited ---------------------------------------------------


def signed_deal(client: TestClient, admin: Caller, key: Ed25519PrivateKey, title: str) -> Any:
    raw = deal_body(title)
    headers = signed_headers(admin, key, "POST", "/v1/opportunities", raw)
    created = client.post("/v1/opportunities", content=raw, headers=headers)
    assert created.status_code == 201, created.text
    return created


def test_a_signed_command_is_carried_out_and_its_signature_kept_with_the_events_it_produced(
    client: TestClient, world: World, network: Network
) -> None:
    admin = world.company()
    key = Ed25519PrivateKey.generate()
    key_id = register_key(client, admin, key)
    created = signed_deal(client, admin, key, "Orbit")
    deal_hex, version = UUID(created.json()["id"]).hex, int(created.headers["ETag"].strip('"'))
    [recorded] = list(network.events_of(SignedCommand, "Recorded"))
    assert recorded.document["key_id"] == key_id
    assert (recorded.document["method"], recorded.document["path"]) == ("POST", "/v1/opportunities")
    assert recorded.document["user_id"] == admin.user_id
    assert recorded.results[deal_hex] == [version]
    assert "Orbit" not in json.dumps(recorded.document)  # the body is kept as a salted digest


@pytest.mark.parametrize("deep", [False, True], ids=["shallow", "deep"])
def test_an_audit_of_the_log_verifies_a_signed_command_and_counts_its_signature(
    client: TestClient, world: World, network: Network, database_url: str, deep: bool
) -> None:
    admin = world.company()
    key = Ed25519PrivateKey.generate()
    register_key(client, admin, key)
    signed_deal(client, admin, key, "Orbit")
    report = audit(network, database_url, deep)
    assert report.ok, report.lines()
    assert report.counts["signatures"] == 1


# --- refusals: problem+json, and nothing written ---------------------------------------------


@dataclass
class Scene:
    """A party admin with a registered key, and a deal of theirs to write notes on."""

    client: TestClient
    admin: Caller
    key: Ed25519PrivateKey
    key_id: str
    notes: str  # the path of the deal's notes
    colleague: Caller

    def post_note(self, headers: dict[str, str], path: str = "", body: bytes = NOTE) -> Any:
        return self.client.post(path or self.notes, content=body, headers=headers)

    def signed(
        self, key: Ed25519PrivateKey | None = None, names: str = "", method: str = "POST",
        **options: Any,
    ) -> dict[str, str]:  # fmt: skip
        """Headers signing a note on the deal (with `key`, the header naming key id `names`)."""
        key = key or self.key
        headers = signed_headers(self.admin, key, method, self.notes, NOTE, **options)
        if names:
            headers[HEADER] = headers[HEADER].replace(key_id_of(key.public_key()), names)
        return headers


def _revoked_key(scene: Scene) -> dict[str, Any]:
    url = f"/v1/parties/{scene.admin.party_id}/keys/{scene.key_id}/revoke"
    revoked = scene.client.post(url, headers=scene.admin.headers)
    assert revoked.status_code == 200 and revoked.json()["active"] is False, revoked.text
    return {"headers": scene.signed()}


MISMATCH = "the signature does not match the request"
NOT_ACTIVE = "is not an active signing key of your company"
STALE = "a signature is accepted for 5 minutes"
ALTERED = NOTE.replace(b"approved", b"refused")
MALFORMED = f"{HEADER} must read 'key=<key id>; at=<UTC time>"


def minutes_from_now(minutes: int) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


# Each case: the arguments of a note whose signature does not hold, and why it is refused.
REFUSALS: dict[str, tuple[Callable[[Scene], dict[str, Any]], str]] = {
    "signed with a key nobody registered": (lambda s: {"headers": s.signed(STRANGER)}, NOT_ACTIVE),
    "signed with a key other than the one named": (
        lambda s: {"headers": s.signed(STRANGER, names=s.key_id)}, MISMATCH),
    "naming an unknown key": (lambda s: {"headers": s.signed(names="0" * 32)}, NOT_ACTIVE),
    "with its body changed": (lambda s: {"headers": s.signed(), "body": ALTERED}, MISMATCH),
    "sent to another path": (lambda s: {"headers": s.signed(), "path": s.notes + "?x=1"}, MISMATCH),
    "signed for another method": (lambda s: {"headers": s.signed(method="PUT")}, MISMATCH),
    "with another If-Match": (
        lambda s: {"headers": {**s.signed(if_match='"9"'), "If-Match": '"1"'}}, MISMATCH),
    "with another Idempotency-Key": (
        lambda s: {"headers": {**s.signed(idempotency_key="a"), "Idempotency-Key": "b"}}, MISMATCH),
    "signed for another user": (
        lambda s: {"headers": s.signed(user_id=s.colleague.user_id)}, MISMATCH),
    "signed ten minutes ago": (
        lambda s: {"headers": s.signed(signed_at=minutes_from_now(-10))}, STALE),
    "dated ten minutes ahead": (
        lambda s: {"headers": s.signed(signed_at=minutes_from_now(10))}, STALE),
    "with a malformed header": (
        lambda s: {"headers": {**s.signed(), HEADER: f"key={s.key_id}; sig=!"}}, MALFORMED),
    "signed with a revoked key": (_revoked_key, NOT_ACTIVE),
}  # fmt: skip


@pytest.fixture
def scene(client: TestClient, world: World) -> Scene:
    admin = world.company()
    key = Ed25519PrivateKey.generate()
    key_id = register_key(client, admin, key)
    deal = world.opportunity(admin)
    colleague = world.user(admin.party_id, Role.SALES)
    return Scene(client, admin, key, key_id, f"/v1/opportunities/{deal['id']}/notes", colleague)


@pytest.mark.parametrize(("spoil", "detail"), REFUSALS.values(), ids=REFUSALS.keys())
def test_a_request_whose_signature_does_not_hold_is_refused_and_writes_nothing(
    scene: Scene, network: Network, spoil: Callable[[Scene], dict[str, Any]], detail: str
) -> None:
    request = spoil(scene)
    before = network.log_position
    refused = scene.post_note(**request)
    assert_problem(refused, 403, detail)
    assert refused.json()["title"] == "Signature rejected"
    assert network.log_position == before


def test_a_signed_request_sent_twice_is_refused_the_second_time(
    scene: Scene, network: Network
) -> None:
    headers = scene.signed()
    first = scene.post_note(headers)
    assert first.status_code == 200, first.text
    before = network.log_position
    assert_problem(scene.post_note(headers), 409, "already carried out; sign each request anew")
    assert network.log_position == before


# --- requiring signatures ---------------------------------------------------------------------


def require(client: TestClient, admin: Caller) -> None:
    url = f"/v1/parties/{admin.party_id}/signing"
    required = client.put(url, json={"required": True}, headers=admin.headers)
    assert required.status_code == 200 and required.json()["required"] is True, required.text


def test_a_party_that_requires_signatures_refuses_unsigned_commands_but_still_answers_reads(
    client: TestClient, world: World, network: Network, database_url: str
) -> None:
    admin = world.company()
    too_early = client.put(
        f"/v1/parties/{admin.party_id}/signing", json={"required": True}, headers=admin.headers
    )
    assert_problem(too_early, 422, "register a signing key before")
    key = Ed25519PrivateKey.generate()
    register_key(client, admin, key)
    deal = world.opportunity(admin)
    require(client, admin)
    before = network.log_position
    unsigned = client.post(
        "/v1/opportunities", content=deal_body("Nova"), headers={**admin.headers, **JSON}
    )
    assert_problem(unsigned, 403, "your company requires signed commands")
    assert unsigned.json()["title"] == "Signature required"
    assert network.log_position == before
    read = client.get(f"/v1/opportunities/{deal['id']}", headers=admin.headers)
    assert read.status_code == 200, read.text
    signed_deal(client, admin, key, "Nova")
    report = audit(network, database_url)
    assert report.ok, report.lines()  # every act made while signatures were required was signed
    assert report.counts["signatures"] == 1


def test_a_network_admin_may_neither_lift_nor_impose_a_partys_requirement(
    client: TestClient, world: World, network: Network
) -> None:
    admin, neighbour = world.company(), world.company()
    operator = world.user(world.party(operator=True), Role.ADMIN)
    register_key(client, admin, Ed25519PrivateKey.generate())
    register_key(client, neighbour, Ed25519PrivateKey.generate())
    require(client, admin)
    before = network.log_position
    for party_id, required in [(neighbour.party_id, True), (admin.party_id, False)]:
        refused = client.put(
            f"/v1/parties/{party_id}/signing", json={"required": required},
            headers=operator.headers,
        )  # fmt: skip
        assert_problem(refused, 403, "only the party's own admins")
    assert network.log_position == before
    entry = client.get(f"/v1/parties/{admin.party_id}", headers=admin.headers).json()
    assert entry["signatures_required"] is True


def test_the_last_active_key_of_a_party_that_requires_signatures_cannot_be_revoked(
    client: TestClient, world: World, network: Network
) -> None:
    admin = world.company()
    key = Ed25519PrivateKey.generate()
    key_id = register_key(client, admin, key)
    require(client, admin)
    revoke = f"/v1/parties/{admin.party_id}/keys/{key_id}/revoke"
    before = network.log_position
    last_key = client.post(revoke, headers=signed_headers(admin, key, "POST", revoke, b""))
    assert_problem(last_key, 422, "this is the party's last active key")
    assert network.log_position == before
    listed = client.get(f"/v1/parties/{admin.party_id}/keys", headers=admin.headers).json()
    assert [k["active"] for k in listed] == [True]


def test_an_audit_catches_an_unsigned_act_written_for_a_party_that_requires_signatures(
    client: TestClient, world: World, network: Network, database_url: str
) -> None:
    admin = world.company()
    register_key(client, admin, Ed25519PrivateKey.generate())
    deal = world.opportunity(admin)
    require(client, admin)
    assert audit(network, database_url).ok
    # An operator writing straight to the store, past the API's check, as the party's user.
    principal = replace(network.authenticate(admin.token), signatures_required=False)
    forged = network.add_note(principal, UUID(deal["id"]), "Backdated approval")
    report = audit(network, database_url)
    assert not report.ok
    assert [p.position for p in report.problems] == [forged.position]
    assert "requires signed commands, unsigned" in report.problems[0].what
    assert report.first_bad_position == forged.position


# --- the command line -------------------------------------------------------------------------


def test_the_command_line_makes_a_key_and_signs_a_request_the_api_accepts(
    client: TestClient, world: World, database_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("COSELL_DATABASE_URL", database_url)
    runner, pem = CliRunner(), tmp_path / "keys" / "signer.pem"
    made = runner.invoke(app, ["keys", "generate", "--out", str(pem)])
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(pem.stat().st_mode) == 0o600
    assert pem.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    printed = dict(line.split(":", 1) for line in made.output.splitlines())
    key_id, public_key = printed["key id"].strip(), printed["public key"].strip()
    again = runner.invoke(app, ["keys", "generate", "--out", str(pem)])
    assert again.exit_code != 0 and "exists" in again.output
    admin = world.company()
    body = {"public_key": public_key}
    registered = client.post(f"/v1/parties/{admin.party_id}/keys", json=body, headers=admin.headers)
    assert registered.status_code == 201 and registered.json()["key_id"] == key_id, registered.text
    raw = deal_body("Lyra").decode()
    signed = runner.invoke(
        app, ["sign", "POST", "/v1/opportunities", "--key", str(pem), "--token", admin.token,
              "--data", raw],
    )  # fmt: skip
    assert signed.exit_code == 0, signed.output
    name, _, header = signed.output.strip().partition(": ")
    assert name == HEADER and f"key={key_id};" in header
    headers = {**admin.headers, **JSON, HEADER: header}
    created = client.post("/v1/opportunities", content=raw.encode(), headers=headers)
    assert created.status_code == 201, created.text
