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
from verifier.trust import TrustedAuthority, TrustRegistry

__all__ = ["registry", "trust_add", "trust_add_anchor", "trust_list", "trust_remove"]


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
    if not found.issuers and not found.authorities:
        typer.echo("no trusted issuers yet: drukid verifier trust add --issuer URL")
    for entry in found.issuers:
        keys = f"{len(entry.keys)} pinned key(s)" if entry.keys else "keys looked up online"
        typer.echo(f"{entry.name} — {entry.id} [{entry.source}; {keys}]")
        for type_id, vct in entry.types:
            typer.echo(f"    {type_id}: {vct}")
    for authority in found.authorities:
        until = authority.certificate.not_valid_after_utc.strftime("%Y-%m-%d")
        typer.echo(
            f"{authority.name} — certificate authority {authority.fingerprint} "
            f"[{authority.source}; valid until {until}]; vouches for issuers of:"
        )
        for type_id, vct in authority.types:
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


def trust_add_anchor(
    certificate: Annotated[Path, typer.Argument(help="the authority's certificate (PEM)")],
    types: Annotated[
        list[str],
        typer.Option("--type", help="TYPE_ID=VCT it vouches for (repeat for several)"),
    ],
    name: Annotated[str, typer.Option(help="display name, e.g. 'Druk Trust Root 2026'")],
    file: Annotated[
        Path | None,
        typer.Option(help="the trust file to change (default: DRUKID_VERIFIER_TRUST_FILE)"),
    ] = None,
) -> None:
    """Trust a certificate authority (a root or an intermediate) to vouch for the issuers of
    some credential types: their credentials' x5c chains must lead to it (HAIP 1.0)."""
    target = file or common.settings().trust_file
    if target is None:
        common.fail("no_target", "give --file PATH or set DRUKID_VERIFIER_TRUST_FILE")
    pairs = {}
    for item in types:
        type_id, sep, vct = item.partition("=")
        if not sep or not type_id or not vct:
            common.fail("invalid_request", f"--type {item!r} must be TYPE_ID=VCT")
        pairs[type_id] = vct
    try:
        text = certificate.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        common.fail("file_unreadable", f"cannot read {certificate}: {exc}")
    try:
        authority = TrustedAuthority.from_json({"name": name, "certificate": text, "types": pairs})
        found = TrustRegistry.load(target) if target.exists() else TrustRegistry()
        found.with_authority(authority).save(target)
    except VerificationError as exc:
        common.fail_with(exc, plain=True)
    typer.echo(
        f"{target}: {authority.name} ({authority.fingerprint}) vouches for issuers of "
        + ", ".join(pairs)
    )
