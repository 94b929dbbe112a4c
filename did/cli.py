"""``drukid did``: create DIDs with fresh keys and resolve DIDs to documents.

Errors print the one error shape of :mod:`core.terminal` (what happened, what to do, the code)
and exit 1;
never a traceback. Private keys are written with mode 0600 and never printed.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from core import terminal
from did.errors import DIDError
from did.fetch import Fetcher, FetchPolicy
from did.keys import EDDSA, ES256, PrivateKey
from did.methods.jwk import create_did_jwk
from did.methods.key import create_did_key
from did.resolver import Resolver

__all__ = ["app"]

app = typer.Typer(
    name="did",
    help="Create and resolve DIDs (did:key, did:jwk, did:web).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

HINTS = {
    "invalid_did": "Check the DID: it looks like did:key:z6Mk..., did:jwk:eyJ... or "
    "did:web:example.com.",
    "unsupported_did_method": "drukid resolves did:key, did:jwk and did:web only.",
    "invalid_multibase": "The did:key value is damaged; copy the whole DID again.",
    "invalid_multicodec": "Only Ed25519 (z6Mk...) and P-256 (zDna...) did:key values are used.",
    "invalid_key": "The key inside the DID or document is damaged or not a public key.",
    "key_not_found": "The document has no key with that id; check the '#...' part.",
    "did_document_invalid": "The published DID document is malformed; tell its operator.",
    "did_id_mismatch": "The server published a document for another DID; tell its operator.",
    "did_web_offline": "Resolve it while online, or add the document to the trust bundle.",
    "fetch_insecure_scheme": "did:web is served over HTTPS. For a local test server add "
    "--allow-http.",
    "fetch_blocked_address": "The host is on a private or local network. For a local test "
    "server add --allow-private (and --allow-http if it has no TLS).",
    "fetch_timeout": "The server did not answer in time. Check your connection and try again.",
    "fetch_failed": "Could not reach the server. Check the host name and your connection.",
    "fetch_http_status": "The server has no DID document at that address; check the DID.",
    "fetch_too_large": "The server sent far more than a DID document; tell its operator.",
    "fetch_too_many_redirects": "The server redirects in a loop; tell its operator.",
    "fetch_invalid_url": "The DID does not map to a usable web address; check the DID.",
    "file_exists": "Choose another file with --out, or move the old key away first.",
    "cannot_write": "Check that the folder exists and that you may write to it.",
}


class Method(StrEnum):
    key = "key"
    jwk = "jwk"


class Alg(StrEnum):
    ES256 = ES256
    EdDSA = EDDSA


def _fail(code: str, message: str) -> NoReturn:
    raise terminal.fail(message, HINTS.get(code), code)


@app.command()
def create(
    method: Annotated[Method, typer.Option(help="DID method.", case_sensitive=False)] = Method.key,
    alg: Annotated[
        Alg,
        typer.Option(
            help="Key algorithm; ES256 (P-256) is what HAIP asks for.", case_sensitive=False
        ),
    ] = Alg.ES256,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to save the private key (default ./<method>-<thumbprint>.jwk.json)."
        ),
    ] = None,
) -> None:
    """Generate a key, print its DID on stdout and save the private JWK (mode 0600)."""
    key = PrivateKey.generate(alg.value)
    public = key.public_key
    did = create_did_key(public) if method is Method.key else create_did_jwk(public)
    path = out or Path(f"{method.value}-{public.thumbprint()[:8]}.jwk.json")
    if path.exists():
        _fail("file_exists", f"{path} already exists; a private key is never overwritten")
    try:
        saved = key.save(path)
    except OSError as exc:
        _fail("cannot_write", f"cannot save the key to {path}: {exc.strerror or exc}")
    typer.echo(did)
    typer.echo(f"private key saved to {saved} (mode 0600); keep it secret", err=True)


@app.command()
def resolve(
    did: Annotated[str, typer.Argument(help="The DID to resolve.")],
    allow_http: Annotated[
        bool, typer.Option("--allow-http", help="Development: allow plain HTTP for did:web.")
    ] = False,
    allow_private: Annotated[
        bool,
        typer.Option("--allow-private", help="Development: allow local and private addresses."),
    ] = False,
) -> None:
    """Resolve a DID and print its DID document as JSON."""
    policy = FetchPolicy(allow_http=allow_http, allow_private=allow_private)
    try:
        with Fetcher(policy) as fetcher:
            document = Resolver(fetcher=fetcher).resolve(did.strip())
    except DIDError as exc:
        _fail(exc.code, exc.message)
    typer.echo(json.dumps(document.to_json(), indent=2, ensure_ascii=False))
