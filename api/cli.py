"""The `cosell` command line: serve the API, run the demo, administer parties and users."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer

from api.bootstrap import build_network, policies_of
from api.cli_audit import audit
from api.cli_keys import keys, sign
from api.cli_policy import policy
from api.cli_projections import kpis, projections
from api.cli_shared import funding_plans, solutions
from api.demo import DemoUser
from api.settings import Settings
from ecosystem.actors import OPERATOR, Role
from ecosystem.errors import CosellError
from ecosystem.network import Network
from ecosystem.parties.domainmodel import PartyKind

app = typer.Typer(help="Cosell: a multi-party co-sell network.", no_args_is_help=True)
admin = typer.Typer(
    help="Local operator commands, run with the database: parties, users and tokens. Each act is "
    "recorded as the operator's and shown to the company concerned (docs/audit.md).",
    no_args_is_help=True,
)
app.add_typer(admin, name="admin")
app.add_typer(policy, name="policy")
app.add_typer(projections, name="projections")
app.add_typer(solutions, name="solutions")
app.add_typer(funding_plans, name="funding-plans")
app.add_typer(keys, name="keys")
app.add_typer(audit, name="audit")
app.command("kpis")(kpis)
app.command("sign")(sign)


def _network() -> Network:
    return build_network(Settings())


def _fail(error: CosellError) -> typer.Exit:
    typer.secho(f"error: {error.detail}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (default: COSELL_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: COSELL_PORT).")] = None,
    demo: Annotated[
        bool, typer.Option(help="Seed the demo network if empty; print tokens.")
    ] = False,
) -> None:
    """Start the HTTP API."""
    import uvicorn

    from api.app import create_app
    from api.demo import is_seeded, issue_demo_tokens, seed

    settings = Settings()
    if host is not None:
        settings.host = host
    if port is not None:
        settings.port = port
    network = build_network(settings)
    if demo:
        if not is_seeded(network):
            typer.echo("Seeding the demo network …")
            seed(network)
        _print_tokens(issue_demo_tokens(network))
    base = f"http://{settings.host}:{settings.port}"
    typer.echo(f"\nCosell API:    {base}\nOpenAPI docs:  {base}/docs")
    typer.echo(f"Event store:   {_safe_url(settings.database_url)}")
    where = "in this process" if settings.run_projections else "by `cosell projections run`"
    typer.echo(f"Read models:   kept current {where}\n")
    uvicorn.run(
        create_app(settings, network), host=settings.host, port=settings.port, log_level="info"
    )


@app.command()
def demo() -> None:
    """Seed the demo network (if empty) and print what each company sees."""
    from api.demo import describe, is_seeded, issue_demo_tokens, seed, what_each_company_sees
    from api.demo_shared import describe_shared

    network = _network()
    if not is_seeded(network):
        seed(network)
    names = {str(party.id): party.name for party in network.parties()}
    for company, views, shared in what_each_company_sees(network, policies_of(network).redaction()):
        typer.secho(f"\n== What {company} sees ==", bold=True)
        for view in views:
            typer.echo("\n".join("  " + line for line in describe(view, names)))
        for view in shared:
            typer.echo("\n".join("  " + line for line in describe_shared(view, names)))
    _print_tokens(issue_demo_tokens(network))


@admin.command("create-party")
def create_party(
    name: Annotated[str, typer.Option(help="Company name.")],
    domain: Annotated[str, typer.Option(help="Website domain, such as example.com.")],
    kind: Annotated[PartyKind, typer.Option(help="What kind of company it is.")],
    operator: Annotated[bool, typer.Option(help="Its admins administer the network.")] = False,
) -> None:
    """Register a party (company) on the network."""
    try:
        written = _network().register_party(OPERATOR, name, domain, kind, operator)
    except CosellError as error:
        raise _fail(error) from None
    typer.echo(str(written.object_id))


@admin.command("create-user")
def create_user(
    party: Annotated[UUID, typer.Option(help="The party's id.")],
    name: Annotated[str, typer.Option(help="The user's name.")],
    email: Annotated[str, typer.Option(help="The user's email.")],
    role: Annotated[list[Role], typer.Option(help="A role; repeat for several.")],
) -> None:
    """Add a user to a party and print its first token (shown once)."""
    try:
        written, issued = _network().add_user(OPERATOR, party, name, email, role)
    except CosellError as error:
        raise _fail(error) from None
    assert issued is not None
    typer.echo(f"user:  {written.object_id}\ntoken: {issued.token}")


@admin.command("issue-token")
def issue_token(
    user: Annotated[UUID, typer.Option(help="The user's id.")],
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
) -> None:
    """Issue another token for a user and print it (shown once)."""
    try:
        _, issued = _network().issue_token(OPERATOR, user, label)
    except CosellError as error:
        raise _fail(error) from None
    typer.echo(f"token id: {issued.token_id}\ntoken:    {issued.token}")


@admin.command("revoke-token")
def revoke_token(
    user: Annotated[UUID, typer.Option(help="The user's id.")],
    token_id: Annotated[UUID, typer.Option(help="The token's id.")],
) -> None:
    """Revoke a token; it stops working at once."""
    try:
        _network().revoke_token(OPERATOR, user, token_id)
    except CosellError as error:
        raise _fail(error) from None
    typer.echo("revoked")


@admin.command("suspend-party")
def suspend_party(party: Annotated[UUID, typer.Option(help="The party's id.")]) -> None:
    """Suspend a party: its users' tokens stop working until it is reinstated."""
    try:
        _network().suspend_party(OPERATOR, party)
    except CosellError as error:
        raise _fail(error) from None
    typer.echo("suspended")


@admin.command("reinstate-party")
def reinstate_party(party: Annotated[UUID, typer.Option(help="The party's id.")]) -> None:
    """Lift a party's suspension: its users' tokens work again."""
    try:
        _network().reinstate_party(OPERATOR, party)
    except CosellError as error:
        raise _fail(error) from None
    typer.echo("reinstated")


@admin.command("lift-signatures")
def lift_signatures(party: Annotated[UUID, typer.Option(help="The party's id.")]) -> None:
    """Stop requiring signed commands of a party that lost its keys (recorded as the operator's)."""
    try:
        _network().require_signatures(OPERATOR, party, required=False)
    except CosellError as error:
        raise _fail(error) from None
    typer.echo("signatures no longer required")


@admin.command("create-cipher-key")
def create_cipher_key() -> None:
    """Print a fresh AES-256 key for COSELL_STORE_CIPHER_KEY (keep it outside the database)."""
    from eventsourcing.cryptography import AESCipher

    typer.echo(AESCipher.create_key(32))


@admin.command("list-parties")
def list_parties() -> None:
    """Print the party directory."""
    for party in _network().parties():
        flag = " (operator)" if party.network_operator else ""
        flag += " (suspended)" if party.suspended else ""
        typer.echo(f"{party.id}  {party.kind:<15} {party.website_domain:<30} {party.name}{flag}")


def _print_tokens(users: list[DemoUser]) -> None:
    typer.secho("\nDemo users (tokens are shown once; each run issues fresh ones):", bold=True)
    for user in users:
        roles = ",".join(user.roles)
        typer.echo(f"  {user.company:<22} {user.email:<36} {roles:<32} {user.token}")


def _safe_url(url: str) -> str:
    """The database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    app()
