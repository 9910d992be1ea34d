"""The command line of the audit trail: keys and signed commands, checkpoints, an auditor's
export verified offline, histories, past states, access, erasure, and the serve loop's
periodic checkpoints."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.app import create_app
from api.demo import seed
from api.settings import Settings
from tests.e2e.test_cli import Shell


def sales_and_admin(shell: Shell, name: str) -> tuple[str, list[str], list[str]]:
    party = shell.party(name)
    admin = shell.run("admin", "create-user", "--party", party, "--name", "A", "--email",
                      "a@x.example", "--role", "admin", "--role", "security_admin")  # fmt: skip
    auditor = shell.token(party, "auditor")
    return party, ["--token", admin.split("token:")[1].strip()], ["--token", auditor]


def test_a_company_requires_signed_commands_and_signs_them_from_the_shell(
    tmp_path: Path,
) -> None:
    shell = Shell(tmp_path / "cosell.db")
    _, admin, _ = sales_and_admin(shell, "Vendor")
    key = tmp_path / "me.pem"
    public = shell.run("keys", "generate", "--out", str(key)).split("public key:")[1].strip()
    shell.run("keys", "register", *admin, "--public-key", public, "--label", "laptop")
    shell.run("keys", "require", *admin, "--on", "--key", str(key))
    refused = shell.run("policy", "add", *admin, "--viewer", "partners", "--field", "title",
                        ok=False)  # fmt: skip
    assert "requires signed commands" in refused
    added = json.loads(shell.run("policy", "add", *admin, "--viewer", "partners", "--field",
                                 "title", "--key", str(key)))  # fmt: skip
    assert [r["field"] for r in added["rules"]] == ["title"]
    assert json.loads(shell.run("keys", "list", *admin))[0]["label"] == "laptop"
    verified = shell.run("audit", "verify")
    assert verified.startswith("verified") and "signatures" in verified


def test_an_auditor_exports_a_bundle_that_verifies_offline_and_reads_the_past(
    tmp_path: Path,
) -> None:
    shell = Shell(tmp_path / "cosell.db")
    vendor, admin, auditor = sales_and_admin(shell, "Vendor")
    kept = json.loads(shell.run("audit", "checkpoint"))
    shell.run("policy", "add", *admin, "--viewer", "partners", "--field", "products")
    bundle = tmp_path / "bundle.json"
    shell.run("audit", "export", *auditor, "--out", str(bundle), "--known", str(kept["size"]))
    mine = tmp_path / "kept.json"
    mine.write_text(json.dumps(kept))
    assert shell.run("audit", "verify", str(bundle), "--known", str(mine)).startswith("verified")
    assert json.loads(shell.run("audit", "checkpoints"))[-1]["size"] > kept["size"]
    tampered = json.loads(bundle.read_text())
    tampered["checkpoint"]["size"] += 1
    bundle.write_text(json.dumps(tampered))
    assert "FAILED" in shell.run("audit", "verify", str(bundle), ok=False)
    report: dict[str, Any] = json.loads(shell.run("audit", "verify", "--json"))
    assert report["ok"] and report["first_bad_position"] is None
    assert vendor  # the vendor's policy history is part of what its auditor exported


def test_the_operator_erases_a_person_from_the_shell(tmp_path: Path) -> None:
    database = tmp_path / "cosell.db"
    shell = Shell(database)
    shell.run("demo")
    assert "Dana Weiss" in shell.run("demo")
    out = shell.run("audit", "erase", "--email", "dana.weiss@contoso-retail.example")
    assert out.startswith("erased 1 data subject")
    assert "Dana Weiss" not in shell.run("demo")
    assert shell.run("audit", "verify", "--deep").startswith("verified")
    again = shell.run("audit", "erase", "--email", "dana.weiss@contoso-retail.example", ok=False)
    assert "no personal data is held" in again


def test_the_api_process_signs_a_checkpoint_whenever_the_log_grew(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'cosell.db'}", checkpoint_seconds=0.1)
    app = create_app(settings)
    with TestClient(app):
        network, checkpoints = app.state.network, app.state.checkpoints
        seed(network)
        deadline = time.monotonic() + 10
        while (latest := checkpoints.latest()) is None or latest.size < network.log_position:
            assert time.monotonic() < deadline, "no checkpoint covered the log in 10 s"
            time.sleep(0.05)
        latest.verify(checkpoints.public_key())
