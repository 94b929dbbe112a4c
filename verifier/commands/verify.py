"""``drukid verifier verify``: check a presentation file on this machine, offline by default,
from a trust file and/or a signed trust bundle (``--online`` also fetches issuer keys and status
lists). Exit status 0 verified, 1 rejected (with every check made and the reason in plain
words), 2 when the trust data itself is missing or unusable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from core.timetext import BHUTAN, local_time, valid_zone
from credentials.clock import system_time
from credentials.status_check import StatusChecker
from credentials.status_list import STATUS_LIST_MEDIA_TYPE
from verifier.commands import common
from verifier.commands.common import DevOption, JsonOption
from verifier.errors import VerificationError
from verifier.keys import IssuerKeys
from verifier.policy import Policy
from verifier.trust import TrustRegistry
from verifier.trust_sources import TrustSources, load_authority_key
from verifier.verify import VerificationResult, verify_presentation

__all__ = ["verify"]


def _file_trust(trust: Path | None, bundle: Path | None, authority: str | None) -> TrustRegistry:
    if trust is None and bundle is None:
        common.fail("no_trust", "give --trust FILE and/or --bundle FILE --authority-key JWK")
    key = load_authority_key(authority) if authority else None
    return TrustSources(trust_file=trust, bundle_file=bundle, authority_key=key).registry(
        system_time()
    )


def verify(
    file: Annotated[Path, typer.Argument(help="the presentation (SD-JWT+KB) in a file")],
    nonce: Annotated[str, typer.Option(help="the nonce the presentation must carry")],
    aud: Annotated[str, typer.Option(help="the audience (the verifier's client_id)")],
    trust: Annotated[Path | None, typer.Option(help="trust file")] = None,
    bundle: Annotated[Path | None, typer.Option(help="signed trust bundle")] = None,
    authority_key: Annotated[
        str | None, typer.Option(help="pinned trust authority public JWK (JSON or file)")
    ] = None,
    online: Annotated[
        bool, typer.Option("--online/--offline", help="fetch keys and status lists from issuers")
    ] = False,
    development: DevOption = False,
    accept_unknown_status: Annotated[
        bool, typer.Option(help="accept when no status list is available")
    ] = False,
    as_json: JsonOption = False,
    time_zone: Annotated[
        str,
        typer.Option(
            "--time-zone", envvar="DRUKID_TIME_ZONE", help="the zone times are shown in (IANA)"
        ),
    ] = BHUTAN,
) -> None:
    """Verify a presentation on this machine (offline by default)."""
    if not valid_zone(time_zone):
        common.fail(
            "invalid_time_zone",
            f"{time_zone!r} is not a time zone this machine knows",
            hint="Use an IANA name such as Asia/Thimphu (the default) or UTC.",
        )
    try:
        presentation = file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        common.fail("file_unreadable", f"cannot read {file}: {exc.strerror}")
    try:
        registry = _file_trust(trust, bundle, authority_key)
    except VerificationError as exc:  # a setup problem (no or bad trust data), not a verdict
        common.fail_with(exc)
    try:
        policy = Policy(status_policy="accept_unknown" if accept_unknown_status else "reject")
        fetcher = common.fetcher(development) if online else None
        try:
            outcome = verify_presentation(
                presentation,
                policy=policy,
                trust=registry,
                nonce=nonce,
                aud=aud,
                keys=IssuerKeys(fetcher=fetcher, allow_http=development),
                status=StatusChecker(
                    fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE) if fetcher else None
                ),
            )
        finally:
            if fetcher is not None:
                fetcher.close()
    except VerificationError as exc:
        _print_rejected(exc, as_json)
        raise typer.Exit(1) from exc
    _print_verified(outcome, as_json, time_zone)


def _print_rejected(exc: VerificationError, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "verified": False,
                    "code": exc.code,
                    "cause": exc.cause,
                    "message": exc.message,
                    "explanation": exc.explanation,
                    "checks": [list(c) for c in exc.checks],
                }
            )
        )
        return
    for name, outcome_name, detail in exc.checks:
        typer.echo(f"  {'✔' if outcome_name == 'passed' else '✘'} {name}: {detail}")
    typer.echo(f"REJECTED: {exc.explanation} [{exc.code}]")


def _when(timestamp: int | None, zone: str) -> str:
    return "unknown" if timestamp is None else local_time(timestamp, zone)


def _print_verified(outcome: VerificationResult, as_json: bool, zone: str) -> None:
    if as_json:
        typer.echo(json.dumps({"verified": True, **outcome.to_json()}, ensure_ascii=False))
        return
    for check in outcome.checks:
        mark = {"passed": "✔", "skipped": "–", "unknown": "?"}.get(check.outcome, "✘")
        typer.echo(f"  {mark} {check.name}: {check.detail}")
    typer.echo(f"VERIFIED: {outcome.issuer_name} ({outcome.issuer}), {outcome.vct}")
    typer.echo(
        f"  trust data valid as of {_when(outcome.trust_valid_as_of, zone)}; status "
        f"{outcome.status} as of {_when(outcome.status_checked_at, zone)}"
    )
    for name, value in outcome.to_json()["claims"].items():
        typer.echo(f"  {name}: {json.dumps(value, ensure_ascii=False)}")
