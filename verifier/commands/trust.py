"""``drukid verifier trust add | list | remove``: which issuers are accepted, in the service's
database (``DRUKID_VERIFIER_*`` settings) or, with ``--file``, in a trust file.

``add`` reads the issuer's metadata (:func:`verifier.onboarding.discover_issuer`) and trusts it
for the credential types it lists; ``--pin-keys`` records its current keys, so verification
does not need to reach the issuer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from credentials.clock import system_time
from verifier.commands import common
from verifier.commands.common import DevOption, FileOption, JsonOption
from verifier.errors import VerificationError
from verifier.keys import IssuerKeys
from verifier.onboarding import discover_issuer
from verifier.trust import TrustRegistry

__all__ = ["registry", "trust_add", "trust_list", "trust_remove"]


def registry(file: Path | None) -> TrustRegistry:
    """The trust file's registry, or (no ``file``) the service's merged one."""
    if file is not None:
        return TrustRegistry.load(file)
    with common.runtime() as verifier:
        return verifier.trust.registry()


def trust_add(
    issuer: Annotated[str, typer.Option("--issuer", help="the issuer's URL")],
    pin_keys: Annotated[bool, typer.Option("--pin-keys", help="record its current keys")] = False,
    name: Annotated[str | None, typer.Option(help="display name (default: its metadata)")] = None,
    file: FileOption = None,
    development: DevOption = False,
) -> None:
    """Trust an issuer for the credential types its metadata lists."""
    try:
        if file is not None:
            with common.fetcher(development) as fetcher:
                entry = discover_issuer(
                    issuer,
                    keys=IssuerKeys(fetcher=fetcher, allow_http=development),
                    now=system_time(),
                    pin_keys=pin_keys,
                    name=name,
                )
            found = TrustRegistry.load(file) if file.exists() else TrustRegistry()
            found.with_issuer(entry).save(file)
        else:
            with common.runtime() as verifier:
                entry = verifier.trust.add_from_url(issuer, pin_keys=pin_keys, name=name)
    except VerificationError as exc:
        common.fail_with(exc, plain=True)
    typer.echo(
        f"trusted {entry.name} ({entry.id}) for: "
        + ", ".join(type_id for type_id, _ in entry.types)
        + (f"; {len(entry.keys)} key(s) pinned" if entry.keys else "")
    )


def trust_list(file: FileOption = None, as_json: JsonOption = False) -> None:
    """Show the trusted issuers."""
    try:
        found = registry(file)
    except VerificationError as exc:
        common.fail_with(exc)
    if as_json:
        typer.echo(json.dumps(found.to_json(), ensure_ascii=False))
        return
    if not found.issuers:
        typer.echo("no trusted issuers yet: drukid verifier trust add --issuer URL")
    for entry in found.issuers:
        keys = f"{len(entry.keys)} pinned key(s)" if entry.keys else "keys looked up online"
        typer.echo(f"{entry.name} — {entry.id} [{entry.source}; {keys}]")
        for type_id, vct in entry.types:
            typer.echo(f"    {type_id}: {vct}")


def trust_remove(issuer: Annotated[str, typer.Option("--issuer")], file: FileOption = None) -> None:
    """Stop trusting an issuer."""
    try:
        if file is not None:
            TrustRegistry.load(file).without_issuer(issuer).save(file)
        else:
            with common.runtime() as verifier:
                verifier.trust.remove(issuer)
    except VerificationError as exc:
        common.fail_with(exc)
    typer.echo(f"no longer trusted: {issuer}")
