"""``drukid verifier offline-request | offline-verify | recheck`` and ``trust refresh``:
verifying with no internet (docs/offline-qr.md).

``offline-request`` shows a signed request QR (terminal, and ``--out`` PNG); ``offline-verify``
reads the wallet's answer from one or more QR images (any order) and verifies it against the
signed trust bundle only; ``recheck`` re-checks what was accepted offline once the network is
back; ``trust refresh`` fetches a newer signed bundle from DRUKID_VERIFIER_TRUST_BUNDLE_URL
(and then re-checks). All act on the service's database (``DRUKID_VERIFIER_*`` settings).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from credentials.clock import system_time
from servicekit.qr import QRDecodeError, decode_qr_image, qr_png, qr_terminal, qr_version
from verifier.commands import common
from verifier.commands.common import JsonOption
from verifier.errors import VerificationError
from verifier.service import RecheckReport
from verifier.service.offline import age_words

__all__ = ["offline_request", "offline_verify", "recheck", "trust_refresh"]


def offline_request(
    template: Annotated[str, typer.Option(help="the request template id")] = "kyc-basic",
    purpose: Annotated[str | None, typer.Option(help="the purpose in words")] = None,
    out: Annotated[Path | None, typer.Option(help="also write the QR code as a PNG")] = None,
    rp: Annotated[
        str | None, typer.Option(help="the relying party (API key id) its webhooks go to")
    ] = None,
    webhook_url: Annotated[
        str | None, typer.Option(help="where result.revoked_after_acceptance is sent")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Show a signed offline request QR for a wallet with no network."""
    with common.runtime() as runtime:
        try:
            made = runtime.offline.create_request(
                template=template, purpose=purpose, rp_key_id=rp, webhook_url=webhook_url
            )
        except VerificationError as exc:
            common.fail_with(exc, plain=True)
    version = qr_version(made.text)
    if out is not None:
        out.write_bytes(qr_png(made.text))
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "id": made.id,
                    "text": made.text,
                    "characters": len(made.text),
                    "qr_version": version,
                    "client_id": made.client_id,
                    "expires_at": made.expires_at,
                    "png": str(out) if out else None,
                }
            )
        )
        return
    typer.echo(qr_terminal(made.text))
    typer.echo(f"Offline request {made.id}: {made.purpose}")
    typer.echo(
        f"  {len(made.text)} characters, QR version {version} (level M); "
        f"valid for {age_words(made.expires_at - system_time())}"
    )
    if out is not None:
        typer.echo(f"  written to {out}")


def _texts(sources: list[str]) -> list[str]:
    texts: list[str] = []
    for source in sources:
        if source.startswith(("DKP1:", "dkp1:")):
            texts.append(source)
            continue
        try:
            texts.extend(decode_qr_image(source))
        except QRDecodeError as exc:
            common.fail(exc.code, f"{source}: {exc.message}", 1)
        except OSError as exc:
            common.fail("file_unreadable", f"cannot read {source}: {exc}", 2)
    return texts


def offline_verify(
    images: Annotated[
        list[str], typer.Argument(help="the answer's QR images (PNG/JPEG), in any order")
    ],
    as_json: JsonOption = False,
) -> None:
    """Verify a wallet's offline answer against the signed trust bundle (no network)."""
    texts = _texts(images)
    with common.runtime() as runtime:
        try:
            verdict = runtime.offline.verify(texts)
        except VerificationError as exc:
            if as_json:
                typer.echo(
                    json.dumps(
                        {
                            "verified": False,
                            "code": exc.code,
                            "message": exc.message,
                            "explanation": exc.explanation,
                        }
                    )
                )
            else:
                typer.echo(f"REJECTED: {exc.message}")
                typer.echo(f"  {exc.explanation} [{exc.code}]")
            raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps(verdict.to_json(), ensure_ascii=False))
        return
    for line in verdict.lines():
        typer.echo(line)


def _print_report(report: RecheckReport, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "checked": report.checked,
                    "still_valid": report.still_valid,
                    "unreachable": report.unreachable,
                    "flagged": [
                        {"id": i, "status": status, "issuer": name}
                        for i, status, name in report.flagged
                    ],
                }
            )
        )
        return
    typer.echo(
        f"re-checked {report.checked} result(s) accepted offline: {report.still_valid} still "
        f"valid, {len(report.flagged)} flagged, {report.unreachable} not reachable yet"
    )
    for result_id, status, name in report.flagged:
        typer.echo(f"  FLAGGED {result_id}: {status} by {name} since it was accepted")


def recheck(as_json: JsonOption = False) -> None:
    """Re-check results accepted offline against fresh status lists (needs the network)."""
    with common.runtime() as runtime:
        report = runtime.offline.recheck()
        runtime.webhooks.run_once()
    _print_report(report, as_json)


def trust_refresh(as_json: JsonOption = False) -> None:
    """Fetch a newer signed trust bundle from DRUKID_VERIFIER_TRUST_BUNDLE_URL, then re-check."""
    with common.runtime() as runtime:
        try:
            outcome, report = runtime.refresh_trust()
        except VerificationError as exc:
            common.fail_with(exc, plain=True, status=1)
        runtime.webhooks.run_once()
    if as_json:
        pass
    elif outcome is None:
        typer.echo("the trust bundle offered is not newer than the installed one; kept it")
    else:
        typer.echo(
            f"installed a newer trust bundle (issued at {outcome.valid_as_of}, was "
            f"{outcome.previous_as_of}): {outcome.issuers} issuer(s), "
            f"{outcome.status_lists} status list(s)"
        )
    _print_report(report, as_json)
