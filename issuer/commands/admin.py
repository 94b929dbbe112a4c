"""``drukid issuer apikey ...``, ``keys ...`` and ``audit``: operator API keys (stored hashed,
shown once), signing keys, and the append-only audit log.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from issuer.commands.backend import KeyOption, UrlOption, backend
from issuer.commands.output import JsonOption, fail, out, print_json, read_text, table
from issuer.operator import ROLES

__all__ = ["apikey_app", "audit", "keys_app"]

apikey_app = typer.Typer(help="Operator API keys (stored hashed; shown once).")
keys_app = typer.Typer(help="Signing keys.")


@apikey_app.command("create")
def apikey_create(
    role: Annotated[str, typer.Option(help="issue, revoke or admin")],
    label: Annotated[str, typer.Option(help="who or what uses it")] = "",
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Create an API key and print it once; only its hash is kept."""
    if role not in ROLES:
        raise fail(f"--role must be one of {', '.join(ROLES)}", "bad_role", status=2)
    with backend(url, api_key) as b:
        created = b.create_api_key(role=role, label=label)
    if as_json:
        print_json(created)
        return
    out.print(f"API key {created.key_id} (role {role}). It is shown only now; store it safely:")
    sys.stdout.write(created.token + "\n")


@apikey_app.command("list")
def apikey_list(
    as_json: JsonOption = False, url: UrlOption = None, api_key: KeyOption = None
) -> None:
    """List API keys (ids, roles, labels; never the keys)."""
    with backend(url, api_key) as b:
        keys = b.list_api_keys()
    if as_json:
        print_json(keys)
    else:
        table(keys, ["key_id", "role", "label", "created_at", "revoked_at"], "API keys")


@apikey_app.command("revoke")
def apikey_revoke(key_id: str, url: UrlOption = None, api_key: KeyOption = None) -> None:
    """Revoke an API key at once."""
    with backend(url, api_key) as b:
        b.revoke_api_key(key_id)
    out.print(f"API key {key_id} revoked")


ChainOption = Annotated[
    Path | None,
    typer.Option(
        "--chain",
        help="PEM file: the new key's certificate, then its intermediates (never the root)",
    ),
]


def _read_chain(path: Path) -> str:
    return read_text(path, code="file_unreadable", encoding="ascii")


@keys_app.command("rotate")
def keys_rotate(
    alg: Annotated[str | None, typer.Option(help="ES256 or EdDSA (default: settings)")] = None,
    chain: ChainOption = None,
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Start signing with a new key; old public keys stay published while still needed.
    With --chain, the new key is the prepared key that the chain certifies (needed once the
    issuer signs with certificates)."""
    text = _read_chain(chain) if chain is not None else None
    with backend(url, api_key) as b:
        result = b.rotate_key(alg=alg, certificate_chain=text)
    if as_json:
        print_json(result)
    else:
        out.print(
            f"now signing with {result.kid} ({result.alg}); retired "
            f"{', '.join(result.retired) or 'none'}"
        )


@keys_app.command("prepare")
def keys_prepare(
    alg: Annotated[str | None, typer.Option(help="ES256 or EdDSA (default: settings)")] = None,
    public_key_out: Annotated[
        Path | None, typer.Option("--out", help="write the public JWK here (for pki issue)")
    ] = None,
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Make the next signing key without using it yet: its certificate comes first."""
    with backend(url, api_key) as b:
        prepared = b.prepare_key(alg=alg)
    if public_key_out is not None:
        public_key_out.write_text(json.dumps(dict(prepared.public_jwk)) + "\n", encoding="utf-8")
    if as_json:
        print_json(prepared)
        return
    out.print(f"prepared signing key {prepared.kid} ({prepared.alg}); it signs nothing yet.")
    if public_key_out is not None:
        out.print(f"public key: {public_key_out}")
    out.print(
        "Next: have the certificate authority certify it (drukid pki issue --purpose issuer "
        "--use-key <public key file> ... --chain chain.pem), then: drukid issuer keys rotate "
        "--chain chain.pem"
    )


@keys_app.command("certify")
def keys_certify(
    chain: Annotated[
        Path,
        typer.Option(
            "--chain", help="PEM file: the key's certificate, then its intermediates (no root)"
        ),
    ],
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Attach a new or renewed certificate to the key it certifies (the active key)."""
    text = _read_chain(chain)
    with backend(url, api_key) as b:
        certified = b.certify_key(text)
    if as_json:
        print_json(certified)
    else:
        out.print(
            f"signing key {certified.kid} now signs with the certificate of {certified.subject}"
        )


@keys_app.command("list")
def keys_list(
    as_json: JsonOption = False, url: UrlOption = None, api_key: KeyOption = None
) -> None:
    """Signing keys, which one is active and which are still published."""
    with backend(url, api_key) as b:
        signing_keys = b.list_keys()
    if as_json:
        print_json(signing_keys)
    else:
        columns = [
            "kid",
            "alg",
            "active",
            "published",
            "certificate",
            "certificate_expires_at",
            "created_at",
            "retired_at",
        ]
        table(signing_keys, columns, "keys")


def audit(
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: int = 0,
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """The append-only log of operator actions, newest first."""
    with backend(url, api_key) as b:
        page = b.audit(offset=offset, limit=limit)
    if as_json:
        print_json(page)
    else:
        table(page.items, ["id", "at", "actor", "action", "target"], "audit log")
