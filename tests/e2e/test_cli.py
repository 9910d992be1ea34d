"""The command line: operators set up parties, security admins administer their policy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from api.cli import app


class Shell:
    def __init__(self, database: Path) -> None:
        self.runner = CliRunner()
        self.env = {"COSELL_DATABASE_URL": f"sqlite:///{database}"}

    def run(self, *args: str, ok: bool = True) -> str:
        result = self.runner.invoke(app, list(args), env=self.env)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args))

    def party(self, name: str) -> str:
        return self.run(
            "admin", "create-party", "--name", name, "--domain", f"{name.lower()}.example",
            "--kind", "isv",
        ).strip()  # fmt: skip

    def token(self, party: str, role: str) -> str:
        out = self.run(
            "admin", "create-user", "--party", party, "--name", "U", "--email",
            f"u-{uuid4().hex[:8]}@x.example", "--role", role,
        )  # fmt: skip
        return out.split("token:")[1].strip()


@pytest.fixture
def shell(tmp_path: Path) -> Shell:
    return Shell(tmp_path / "cosell.db")


def test_a_security_admin_edits_previews_and_audits_its_policy(shell: Shell) -> None:
    vendor, partner = shell.party("Vendor"), shell.party("Partner")
    token = ["--token", shell.token(vendor, "security_admin")]
    added = shell.json("policy", "add", *token, "--viewer", "partners", "--field", "products")
    assert [r["field"] for r in added["rules"]] == ["products"]
    shell.run("policy", "tier-add", *token, "gold", partner)
    preset = shell.json("policy", "preset", *token, "--viewer", "tier:gold", "--preset", "summary")
    assert preset["tiers"] == {"tier:gold": [partner]}
    assert {r["viewer"] for r in preset["rules"]} == {"partners", "tier:gold"}
    simulated = shell.json(
        "policy", "simulate", *token, "--viewer-party", partner, "--op", "add_rule",
        "--viewer", "partners", "--field", "expected_amount",
    )  # fmt: skip
    assert simulated == []  # the partner takes part in none of the vendor's deals yet
    rule_id = added["rules"][0]["rule_id"]
    removed = shell.json("policy", "remove", *token, rule_id)
    assert rule_id not in {r["rule_id"] for r in removed["rules"]}
    history = shell.json("policy", "history", *token)
    assert [c["type"] for c in history] == [
        "Created", "RuleAdded", "TierMemberAdded", "PresetApplied", "RuleRemoved",
    ]  # fmt: skip
    assert history[-1]["before"][0]["rule_id"] == rule_id
    as_of = shell.json("policy", "rules", *token, "--as-of", history[1]["occurred_at"])
    assert [r["rule_id"] for r in as_of["rules"]] == [rule_id]
    assert "rows" in shell.run("policy", "rebuild-table")


def test_policy_commands_refuse_the_wrong_role_and_bad_rules_and_change_nothing(
    shell: Shell,
) -> None:
    vendor = shell.party("Vendor")
    admin = ["--token", shell.token(vendor, "security_admin")]
    sales = ["--token", shell.token(vendor, "sales")]
    refused = shell.run(
        "policy", "add", *sales, "--viewer", "partners", "--field", "title", ok=False
    )
    assert "security_admin" in refused
    bad = shell.run("policy", "add", *admin, "--viewer", "everyone", "--field", "title", ok=False)
    assert "viewer must be" in bad
    unknown = shell.run("policy", "add", *admin, "--viewer", "partners", "--field", "x", ok=False)
    assert "policies/fields" in unknown
    assert shell.json("policy", "rules", *admin)["rules"] == []
    assert "not valid" in shell.run("policy", "rules", "--token", "nope", ok=False)


def test_the_demo_shows_each_company_only_what_it_may_see(shell: Shell) -> None:
    out = shell.run("demo")
    stratus = out.split("== What Stratus Cloud sees ==")[1].split("Demo users")[0]
    assert "250000" not in stratus and "Dana Weiss" not in stratus
    bluebridge = out.split("== What Bluebridge Consulting sees ==")[1].split("== What")[0]
    assert "250000.00 EUR" in bluebridge and "Dana Weiss" not in bluebridge


def test_the_demo_shares_a_solution_and_a_plan_whose_counterparts_stay_private(
    shell: Shell,
) -> None:
    out = shell.run("demo")
    sections = {
        name: out.split(f"== What {name} sees ==")[1].split("== What")[0].split("Demo users")[0]
        for name in ("Northwind Software", "Bluebridge Consulting", "Stratus Cloud")
    }
    for seen in sections.values():
        assert "Retail Lakehouse Accelerator  [Published]" in seen
        assert "Retail launch FY27" in seen
        assert "approved, more_info_needed, rejected, submitted" in seen
    plan_of = {name: seen.split("Retail launch FY27")[1] for name, seen in sections.items()}
    assert "counterparts   Stratus Cloud" in plan_of["Stratus Cloud"]
    assert "Stratus Cloud" not in plan_of["Northwind Software"].split("counterparts")[1]
    assert "Stratus Cloud" not in plan_of["Bluebridge Consulting"].split("counterparts")[1]


def _demo_tokens(out: str) -> dict[str, str]:
    lines = out.split("Demo users")[1].splitlines()
    return {line.split()[2].split("@")[0]: line.split()[-1] for line in lines if "@" in line}


def test_a_funder_reads_and_approves_a_plan_from_the_shell_and_others_cannot(
    shell: Shell,
) -> None:
    tokens = _demo_tokens(shell.run("demo"))
    otto, bea, sam = tokens["otto"], tokens["bea"], tokens["sam"]
    (plan,) = shell.json("funding-plans", "list", "--token", otto)
    pending = next(r for r in plan["requests"] if r["status"] == "submitted")
    assert "counterparts" in plan  # Stratus's own budget notes, shown to Stratus
    refused = shell.run(
        "funding-plans", "approve", plan["id"], pending["request_id"], "--token", bea, ok=False
    )
    assert "only a funder whose money the request draws on" in refused
    by_sales = shell.run(
        "funding-plans", "approve", plan["id"], pending["request_id"], "--token", sam, ok=False
    )
    assert "this needs one of the roles" in by_sales
    approved = shell.json(
        "funding-plans", "approve", plan["id"], pending["request_id"], "--token", otto
    )
    assert {r["request_id"]: r["status"] for r in approved["requests"]}[
        pending["request_id"]
    ] == "approved"
    seen_by_bea = shell.json("funding-plans", "show", plan["id"], "--token", bea)
    assert "counterparts" not in seen_by_bea
    history = shell.json("funding-plans", "history", plan["id"], "--token", bea)
    assert history[-1]["type"] == "RequestApproved"
    assert all(e["type"] != "CounterpartUpdated" for e in history)
    (solution,) = shell.json("solutions", "list", "--token", bea)
    assert solution["lifecycle"] == "Published"
    assert shell.json("solutions", "history", solution["id"], "--token", bea)[0]["type"] == (
        "PartnerInvited"  # its history starts when it was invited
    )


def test_the_operator_suspends_and_reinstates_a_party_from_the_shell(shell: Shell) -> None:
    vendor = shell.party("Vendor")
    token = ["--token", shell.token(vendor, "security_admin")]
    assert shell.run("admin", "suspend-party", "--party", vendor).strip() == "suspended"
    assert f"{vendor}" in shell.run("admin", "list-parties")
    assert "(suspended)" in shell.run("admin", "list-parties")
    assert "suspended" in shell.run("policy", "rules", *token, ok=False)
    assert "already" in shell.run("admin", "suspend-party", "--party", vendor, ok=False)
    assert shell.run("admin", "reinstate-party", "--party", vendor).strip() == "reinstated"
    assert shell.json("policy", "rules", *token)["rules"] == []
    lifted = shell.run("admin", "lift-signatures", "--party", vendor, ok=False)
    assert "does not require" in lifted
