"""``drukid verifier trust keygen | export-bundle | import-bundle``: signed trust bundles, so
verifiers that work offline (a branch whose internet comes and goes) still check issuers' keys
and revocation from data a trust authority signed (:mod:`verifier.bundle`).

``keygen`` creates the authority's key; ``export-bundle`` signs the registry with each issuer's
current keys and status lists; ``import-bundle`` checks a bundle's signature and dates against
the pinned authority key before installing it where the service reads it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from credentials.clock import system_time
from credentials.status_check import StatusChecker
from credentials.status_list import STATUS_LIST_MEDIA_TYPE, StatusReference
from did.errors import DIDError
from did.keys import PrivateKey
from verifier.bundle import create_trust_bundle, verify_trust_bundle
from verifier.commands import common
from verifier.commands.common import DevOption, FileOption
from verifier.commands.trust import registry
from verifier.errors import VerificationError
from verifier.keys import IssuerKeys
from verifier.policy import Policy
from verifier.trust import TrustedIssuer, TrustRegistry
from verifier.trust_sources import load_authority_key

__all__ = ["trust_export_bundle", "trust_import_bundle", "trust_keygen"]


def trust_keygen(out: Annotated[Path, typer.Option(help="where to write the private key")]) -> None:
    """Create a trust authority key (private JWK, mode 0600); prints the public JWK to pin."""
    if out.exists():
        common.fail("file_exists", f"{out} exists; refusing to overwrite a key")
    key = PrivateKey.generate("ES256")
    key.save(out)
    typer.echo(json.dumps(key.public_key.to_jwk()))


def trust_export_bundle(
    authority_key: Annotated[Path, typer.Option(help="the trust authority's private JWK")],
    out: Annotated[Path, typer.Option(help="where to write the bundle")],
    days: Annotated[int, typer.Option(min=1, max=90, help="lifetime")] = 7,
    iss: Annotated[str, typer.Option(help="the authority's name")] = "drukid trust authority",
    file: FileOption = None,
    status_lists: Annotated[
        bool,
        typer.Option(
            "--status-lists/--no-status-lists", help="fetch and include current status lists"
        ),
    ] = True,
    development: DevOption = False,
) -> None:
    """Sign the registry (with each issuer's current keys and status lists) as a bundle for
    verifiers that work offline."""
    try:
        key = PrivateKey.load(authority_key)
    except DIDError as exc:
        common.fail("invalid_key", f"cannot load {authority_key}: {exc}")
    now = system_time()
    try:
        found = registry(file)
        with common.fetcher(development) as fetcher:
            keys = IssuerKeys(fetcher=fetcher, allow_http=development)
            status = StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE))
            tokens, pinned = _collect(found, keys, status, now, status_lists)
        bundle = create_trust_bundle(
            TrustRegistry(pinned, authorities=found.authorities, crls=found.crls),
            key=key,
            iss=iss,
            iat=now,
            exp=now + days * 86400,
            status_tokens=tokens,
        )
    except VerificationError as exc:
        common.fail_with(exc)
    out.write_text(bundle + "\n", encoding="utf-8")
    typer.echo(
        f"wrote {out}: {len(pinned)} issuer(s), {len(tokens)} status list(s), "
        + (f"{len(found.authorities)} certificate authority(ies), " if found.authorities else "")
        + f"valid {days} day(s)"
    )


def _collect(
    found: TrustRegistry, keys: IssuerKeys, status: StatusChecker, now: int, lists: bool
) -> tuple[dict[str, str], tuple[TrustedIssuer, ...]]:
    """Each issuer with its keys pinned (looked up now where they are not), and the current
    status list tokens (a list out of reach is a warning: the bundle goes without it)."""
    entries = []
    for entry in found.issuers:
        if not entry.keys and not entry.id.startswith("did:"):
            entry = replace(entry, keys=tuple(keys.issuer_jwks(entry.id, now=now)))
        entries.append(entry)
        if lists:
            for uri in entry.status_lists:
                outcome = status.check(
                    StatusReference(0, uri),
                    iss=entry.id,
                    key_for=keys.for_issuer(entry, Policy(), now=now),
                    now=now,
                    leeway=60,
                )
                if outcome.status == "unknown":
                    typer.echo(
                        f"warning: status list {uri} unavailable ({outcome.cause})", err=True
                    )
    return (status.latest_tokens() if lists else {}), tuple(entries)


def trust_import_bundle(
    bundle: Annotated[Path, typer.Argument(help="the bundle file")],
    authority_key: Annotated[
        str, typer.Option(help="the pinned authority public JWK (JSON or file)")
    ],
    to: Annotated[
        Path | None,
        typer.Option(help="where the service reads it (default: DRUKID_VERIFIER_TRUST_BUNDLE)"),
    ] = None,
) -> None:
    """Check a bundle's signature and dates, then install it where the service reads it."""
    try:
        token = bundle.read_text(encoding="utf-8").strip()
        found = verify_trust_bundle(token, load_authority_key(authority_key), now=system_time())
    except OSError as exc:
        common.fail("file_unreadable", f"cannot read {bundle}: {exc.strerror}")
    except VerificationError as exc:
        common.fail_with(exc, plain=True)
    target = to or common.settings().trust_bundle
    if target is None:
        common.fail("no_target", "give --to PATH or set DRUKID_VERIFIER_TRUST_BUNDLE")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(token + "\n", encoding="utf-8")
    typer.echo(
        f"installed {target}: {len(found.issuers)} issuer(s), "
        f"{len(found.status_tokens)} status list(s), valid as of {found.valid_as_of}"
        f" until {found.expires_at}"
    )
