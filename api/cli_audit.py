"""`cosell audit …`: verify the log or a bundle, sign checkpoints, and read as an auditor.

`cosell audit verify` checks the database it is pointed at; `cosell audit verify BUNDLE`
checks an exported bundle offline, with nothing but the file (and, best, the network's
public key and checkpoints kept from before). Both exit with 1 and name the first bad
position when anything does not verify.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer

from api.bootstrap import build_network, checkpoints_of, policies_of
from api.cli_keys import Token, run
from api.settings import Settings
from ecosystem.actors import OPERATOR
from ecosystem.audit.bundle import verify_bundle
from ecosystem.audit.checkpoints import Checkpoint, CheckpointError, public_key_from
from ecosystem.audit.report import Report
from ecosystem.errors import CosellError
from ecosystem.network import Network
from projections.audit.auditor import Auditor
from projections.audit.verify_store import verify_store

audit = typer.Typer(help="Audit: verify, checkpoints, history, past states, bundles, erasure.")
Object = Annotated[UUID, typer.Argument(help="The deal, solution or plan.")]


def _auditor(network: Network) -> Auditor:
    return Auditor(network, checkpoints_of(network, Settings()), policies_of(network))


def _print(result: Any) -> None:
    typer.echo(json.dumps(result, indent=2, default=str))


def _network_key(text: str | None) -> Any:
    if text is None:
        return None
    path = Path(text)
    try:
        return public_key_from(path.read_text() if path.exists() else text)
    except ValueError as error:
        raise typer.BadParameter(f"--network-key: {error}") from None


def _known(paths: list[Path]) -> list[Checkpoint]:
    try:
        return [Checkpoint.from_json(json.loads(p.read_text())) for p in paths]
    except (OSError, ValueError, CheckpointError) as error:
        raise typer.BadParameter(f"--known: {error}") from None


def _report(report: Report, as_json: bool) -> None:
    if as_json:
        _print(report.as_json())
    else:
        for line in report.lines():
            typer.secho(line, fg=None if report.ok else typer.colors.RED)
    if not report.ok:
        raise typer.Exit(code=1)


@audit.command("verify")
def verify(
    bundle: Annotated[Path | None, typer.Argument(help="A bundle to check offline.")] = None,
    network_key: Annotated[
        str | None, typer.Option(help="The network's public key (or a file holding it).")
    ] = None,
    known: Annotated[
        list[Path] | None, typer.Option(help="A checkpoint you kept (JSON); repeat for more.")
    ] = None,
    deep: Annotated[bool, typer.Option(help="Also recheck every field commitment.")] = False,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Threads verifying signatures [one per core].")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Verify the stored log (no BUNDLE) or a bundle; exit 1 and name the first bad position."""
    key = _network_key(network_key)
    if bundle is not None:
        try:
            loaded = json.loads(bundle.read_text())
        except (OSError, ValueError) as error:
            raise typer.BadParameter(f"cannot read {bundle}: {error}") from None
        _report(verify_bundle(loaded, key, _known(known or []), jobs), as_json)
        return
    settings = Settings()
    network = build_network(settings)
    try:
        report = verify_store(network, checkpoints_of(network, settings), key, deep, jobs)
    finally:
        network.close()
    _report(report, as_json)


@audit.command("checkpoint")
def checkpoint() -> None:
    """Sign a checkpoint of the log as it is now, and print it."""
    settings = Settings()
    network = build_network(settings)
    try:
        signed = checkpoints_of(network, settings).sign()
    finally:
        network.close()
    if signed is None:
        typer.secho("nothing is recorded yet", err=True)
        raise typer.Exit(code=1)
    _print(signed.as_json())


@audit.command("checkpoints")
def checkpoints() -> None:
    """Every signed checkpoint, oldest first, as JSON."""
    settings = Settings()
    network = build_network(settings)
    try:
        _print([c.as_json() for c in checkpoints_of(network, settings).all()])
    finally:
        network.close()


@audit.command("export")
def export(
    token: Token,
    out: Annotated[Path, typer.Option(help="Where to write the bundle.")],
    known: Annotated[
        list[int] | None, typer.Option(help="The size of a checkpoint you kept; repeat.")
    ] = None,
) -> None:
    """Export your company's audit bundle (auditors), to verify anywhere."""
    found = run(token, lambda n, p: _auditor(n).bundle(p, known))
    out.write_text(json.dumps(found, indent=1))
    typer.echo(f"{out}: {len(found['events'])} events up to checkpoint "
               f"{found['checkpoint']['size']}")  # fmt: skip


@audit.command("history")
def history(object_id: Object, token: Token) -> None:
    """The object's events as your company may see them, with their log positions."""
    _print(run(token, lambda n, p: _auditor(n).history(p, object_id)))


@audit.command("state")
def state(
    object_id: Object,
    token: Token,
    version: Annotated[int | None, typer.Option(help="As of this version.")] = None,
    at: Annotated[datetime | None, typer.Option(help="As of this time (ISO 8601, UTC).")] = None,
) -> None:
    """The object as it stood at a version or time, as your company may see it."""
    _print(run(token, lambda n, p: _auditor(n).state(p, object_id, version, at)))


@audit.command("access")
def access(
    object_id: Object,
    token: Token,
    field: Annotated[str, typer.Option(help="A policy field, such as customer.contacts.email.")],
    at: Annotated[datetime, typer.Option(help="The moment (ISO 8601, with its offset).")],
    owner: Annotated[UUID | None, typer.Option(help="Whose data (default: the owner).")] = None,
) -> None:
    """Who could read a field of the object at a moment, under the policy then in force."""
    _print(run(token, lambda n, p: _auditor(n).access(p, object_id, field, at, owner)))


@audit.command("erase")
def erase(
    email: Annotated[str, typer.Option(help="The person's email.")] = "",
    phone: Annotated[str, typer.Option(help="The person's phone number.")] = "",
    name: Annotated[str, typer.Option(help="The person's name (entries with neither).")] = "",
) -> None:
    """Erase a person's personal data everywhere (the operator): their key is deleted."""
    network = build_network(Settings())
    try:
        erased = network.erase_personal_data(OPERATOR, email, phone, name)
    except CosellError as error:
        typer.secho(f"error: {error.detail}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from None
    finally:
        network.close()
    typer.echo(f"erased {len(erased.subjects)} data subject(s); recorded on "
               f"{len(erased.opportunities)} opportunities")  # fmt: skip
