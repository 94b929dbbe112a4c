"""``drukid pki wallet-attestation``: a development wallet attestation (OAuth 2.0
Attestation-Based Client Authentication, HAIP 1.0 §4.4.1) signed with a wallet-provider
certificate from ``drukid pki issue --purpose wallet-provider``, for a new wallet instance key.

For development and tests only: a real wallet provider attests each wallet instance from its own
backend after checking the app and device, and never hands one attestation to several
instances or issuers (HAIP §4.4.1). The issuer trusts it through the provider's CA
(``DRUKID_ISSUER_WALLET_PROVIDER_ANCHOR_FILES``); the wallet sends it with
``DRUKID_WALLET_ATTESTATION_FILE`` and ``DRUKID_WALLET_ATTESTATION_KEY_FILE``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from credentials.clock import system_time
from credentials.errors import X509Error
from credentials.oauth.client_attestation import make_client_attestation
from credentials.x509 import leaf_public_key, parse_certificates
from did.errors import DIDError
from did.files import atomic_write
from did.keys import ES256, PrivateKey

__all__ = ["wallet_attestation"]

DRUKID_WALLET = "https://wallet.drukid.bt"


def _fail(code: str, message: str, hint: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    typer.echo(f"what to do: {hint}", err=True)
    typer.echo(f"code: {code}", err=True)
    raise typer.Exit(1)


def wallet_attestation(
    provider_cert: Annotated[
        Path,
        typer.Option(help="The wallet provider's certificate with its intermediates (PEM)."),
    ],
    provider_key: Annotated[Path, typer.Option(help="The wallet provider's private key file.")],
    sub: Annotated[str, typer.Option(help="The wallet's client_id.")] = DRUKID_WALLET,
    days: Annotated[int, typer.Option(help="How many days the attestation is valid.")] = 30,
    out: Annotated[Path, typer.Option(help="Where to write the attestation.")] = Path(
        "wallet-attestation.jwt"
    ),
    instance_key_out: Annotated[
        Path, typer.Option(help="Where to write the new wallet instance key (JWK, 0600).")
    ] = Path("wallet-instance.key.json"),
    force: Annotated[bool, typer.Option("--force", help="Replace files that exist.")] = False,
) -> None:
    """Make a development wallet attestation for a new wallet instance key."""
    for path in (out, instance_key_out):
        if path.exists() and not force:
            _fail("file_exists", f"{path} already exists", "Choose another name, or add --force.")
    if not 1 <= days <= 366:
        _fail("invalid_option", "--days must be 1 to 366", "Use a shorter --days.")
    try:
        chain = parse_certificates(provider_cert.read_bytes())
        signer = PrivateKey.load(provider_key)
    except (OSError, X509Error, DIDError) as exc:
        _fail(
            "file_unreadable",
            f"cannot use the provider's files: {exc}",
            "Give the files 'drukid pki issue --purpose wallet-provider --chain' wrote.",
        )
    leaf = chain[0]
    if signer.public_key != leaf_public_key(leaf):
        _fail(
            "invalid_key",
            "the key does not belong to the certificate",
            "Give the key file that was written with this certificate.",
        )
    chain = tuple(c for c in chain if c.issuer != c.subject)  # never the trust anchor (HAIP)
    now = system_time()
    instance = PrivateKey.generate(ES256)
    attestation = make_client_attestation(
        signer,
        sub=sub,
        instance_key=instance.public_key,
        iat=now,
        exp=now + days * 86400,
        iss=sub,
        x5c=list(chain),
        wallet_name="drukid wallet (development)",
    )
    instance.save(instance_key_out)
    atomic_write(out, (attestation + "\n").encode(), mode=0o600)
    typer.echo(f"Wallet attestation for {sub} (valid {days} days): {out}")
    typer.echo(f"  wallet instance key: {instance_key_out}  (readable only by you)")
    typer.echo("  For development only: a real wallet provider attests every instance itself.")
