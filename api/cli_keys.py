"""`cosell keys …` and `cosell sign`: make a signing key, register it, and sign commands.

A user who holds a key signs the commands this command line runs with `--key FILE` (or
COSELL_SIGNING_KEY), and any HTTP request with `cosell sign`, which prints the
`Cosell-Signature` header to send with it (docs/audit.md describes what is signed).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from api.bootstrap import build_network
from api.settings import Settings
from ecosystem.actors import Principal
from ecosystem.audit.checkpoints import b64, key_id_of, raw_public_key
from ecosystem.audit.requests import HEADER, sign_request
from ecosystem.errors import CosellError
from ecosystem.network import Network

keys = typer.Typer(help="Signing keys: make one, register it for your company, revoke it.")
KeyFile = Annotated[
    Path | None,
    typer.Option(
        "--key", envvar="COSELL_SIGNING_KEY",
        help="Sign with this Ed25519 private key (PEM); needed when your company requires it.",
    ),
]  # fmt: skip
Token = Annotated[
    str, typer.Option(envvar="COSELL_TOKEN", help="Your bearer token (or COSELL_TOKEN).")
]


@dataclass(frozen=True)
class Signing:
    """The HTTP request a command line command stands for, to sign when a key is given."""

    key: Path | None
    method: str
    path: str
    body: dict[str, Any] | None = None


def private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as error:
        raise typer.BadParameter(f"cannot read an Ed25519 key from {path}: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise typer.BadParameter(f"{path} holds no Ed25519 private key")
    return key


def signed(principal: Principal, signing: Signing | None) -> Principal:
    """The principal carrying its signature of the command, if a key was given."""
    if signing is None or signing.key is None:
        return principal
    body = b"" if signing.body is None else json.dumps(signing.body).encode()
    _, request = sign_request(
        private_key(signing.key), method=signing.method, path=signing.path, body=body,
        party_id=principal.party_id, user_id=principal.actor.user_id,
    )  # fmt: skip
    return replace(principal, signed=request)


def run(token: str, command: Any, signing: Signing | None = None) -> Any:
    """Authenticate, sign if asked, run; a refusal is printed and exits with 1."""
    network = build_network(Settings())
    try:
        return command(network, signed(network.authenticate(token), signing))
    except CosellError as error:
        typer.secho(f"error: {error.detail}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=1) from None
    finally:
        network.close()


@keys.command("generate")
def generate(
    out: Annotated[Path, typer.Option(help="Where to write the private key (PEM).")],
) -> None:
    """Make a new Ed25519 key; print its id and the public key to register."""
    if out.exists():
        raise typer.BadParameter(f"{out} exists; choose another file")
    key = Ed25519PrivateKey.generate()
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public = key.public_key()
    typer.echo(f"key id:     {key_id_of(public)}\npublic key: {b64(raw_public_key(public))}")


@keys.command("register")
def register(
    token: Token,
    public_key: Annotated[str, typer.Option(help="The public key `keys generate` printed.")],
    label: Annotated[str, typer.Option(help="What the key is for.")] = "",
    key: KeyFile = None,
) -> None:
    """Register a public key for your company (its admins)."""

    def command(network: Network, principal: Principal) -> Any:
        _, key_id = network.register_signing_key(principal, principal.party_id, public_key, label)
        return key_id

    party = _party(token)
    body = {"public_key": public_key, "label": label}
    typer.echo(run(token, command, Signing(key, "POST", f"/v1/parties/{party}/keys", body)))


@keys.command("list")
def list_keys(
    token: Token,
    party: Annotated[UUID | None, typer.Option(help="Another party's keys.")] = None,
) -> None:
    """A party's signing keys (your own by default), as JSON."""

    def command(network: Network, principal: Principal) -> Any:
        found = network.signing_keys(principal, party or principal.party_id)
        return [vars(k) for k in found]

    typer.echo(json.dumps(run(token, command), indent=2, default=str))


@keys.command("revoke")
def revoke(
    token: Token, key_id: Annotated[str, typer.Argument(help="The key's id.")], key: KeyFile = None
) -> None:
    """Revoke one of your company's keys."""
    party = _party(token)
    signing = Signing(key, "POST", f"/v1/parties/{party}/keys/{key_id}/revoke")
    run(token, lambda n, p: n.revoke_signing_key(p, p.party_id, key_id), signing)
    typer.echo("revoked")


@keys.command("require")
def require(
    token: Token,
    required: Annotated[bool, typer.Option("--on/--off", help="Require signed commands.")],
    key: KeyFile = None,
) -> None:
    """Require (--on) or stop requiring (--off) signed commands from your company's users."""
    party = _party(token)
    signing = Signing(key, "PUT", f"/v1/parties/{party}/signing", {"required": required})
    run(token, lambda n, p: n.require_signatures(p, p.party_id, required), signing)
    typer.echo("signed commands are " + ("required" if required else "no longer required"))


def sign(
    method: Annotated[str, typer.Argument(help="POST, PUT, PATCH or DELETE.")],
    path: Annotated[str, typer.Argument(help="The request path, with its query if any.")],
    key: Annotated[Path, typer.Option("--key", envvar="COSELL_SIGNING_KEY", help="Your key.")],
    token: Token,
    data: Annotated[str, typer.Option(help="The exact body you will send.")] = "",
    if_match: Annotated[str | None, typer.Option(help="The If-Match header you will send.")] = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="The Idempotency-Key header you will send.")
    ] = None,
) -> None:
    """Print the Cosell-Signature header for an HTTP request (send the body byte for byte)."""
    principal = run(token, lambda n, p: p)
    header, _ = sign_request(
        private_key(key), method=method, path=path, body=data.encode(),
        party_id=principal.party_id, user_id=principal.actor.user_id, if_match=if_match,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    typer.echo(f"{HEADER}: {header}")


def _party(token: str) -> UUID:
    party_id: UUID = run(token, lambda n, p: p.party_id)
    return party_id
