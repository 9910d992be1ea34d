"""`cosell projections …` and `cosell kpis`: run, rebuild and check the read models from a shell."""

from __future__ import annotations

import json
import signal
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from api.bootstrap import build_network, projection_runner, read_model_store, read_models_of
from api.settings import Settings
from ecosystem.errors import CosellError
from projections import OpportunityProjector
from projections import rebuild as rebuild_read_models

projections = typer.Typer(help="Read models: run the projector, rebuild, status, digest.")
Company = Annotated[UUID | None, typer.Option(help="Only this company's read model (a party id).")]


@projections.command("run")
def run() -> None:
    """Keep the read models current until stopped (Ctrl-C or SIGTERM)."""
    settings = Settings()
    network = build_network(settings)
    runner = projection_runner(network, settings)
    signal.signal(signal.SIGTERM, lambda *_: runner.stop(timeout=0))
    typer.echo(f"Following the event log from position {runner.projector.position} …")
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        runner.stop(timeout=0)
    finally:
        network.close()
    typer.echo(f"Stopped at position {runner.projector.position}.")


@projections.command("rebuild")
def rebuild(company: Company = None) -> None:
    """Rebuild the read models (of one company) from the whole log, and print their digest."""
    network = build_network(Settings())
    store = read_model_store(network)
    companies = frozenset({company}) if company is not None else None
    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task("Replaying the event log", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            rebuilt = rebuild_read_models(network, store, companies, advance)
    finally:
        network.close()
    typer.echo(
        f"position: {rebuilt.position}\nrows:     {rebuilt.rows}\ndigest:   {rebuilt.digest}"
    )


@projections.command("status")
def status() -> None:
    """Where the read models are, against the head of the event log."""
    network = build_network(Settings())
    try:
        head, position = network.log_position, read_model_store(network).position()
    finally:
        network.close()
    typer.echo(f"log head:             {head}\nread models reached:  {position}")
    typer.echo(f"behind by:            {max(head - position, 0)} positions")


@projections.command("digest")
def digest(company: Company = None) -> None:
    """A SHA-256 over the stored rows: equal read models have equal digests."""
    network = build_network(Settings())
    companies = frozenset({company}) if company is not None else None
    try:
        position, value, rows = read_model_store(network).digest(companies)
    finally:
        network.close()
    typer.echo(f"position: {position}\nrows:     {rows}\ndigest:   {value}")


def kpis(
    token: Annotated[
        str, typer.Option(envvar="COSELL_TOKEN", help="Your bearer token (or COSELL_TOKEN).")
    ],
    inactive_days: Annotated[int, typer.Option(min=1, help="Inactive: no change for N days.")] = 30,
) -> None:
    """Your company's partner KPIs, from its read model, as JSON."""
    settings = Settings()
    network = build_network(settings)
    try:
        principal = network.authenticate(token)
        head = OpportunityProjector(network, read_model_store(network)).catch_up()
        report = read_models_of(network, settings).kpis(
            principal.party_id, datetime.now(UTC), inactive_days, needed=head
        )
    except CosellError as error:
        typer.secho(f"error: {error.detail}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from None
    finally:
        network.close()
    typer.echo(json.dumps(report, indent=2))
