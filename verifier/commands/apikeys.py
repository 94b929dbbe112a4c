"""``drukid verifier apikey create | list | revoke``: relying parties' API keys, on the
service's own database (``DRUKID_VERIFIER_*`` settings). Whoever can read the data directory
controls the verifier, so these need no key themselves.
"""

from __future__ import annotations

from typing import Annotated

import typer

from verifier.commands import common
from verifier.errors import VerificationError

__all__ = ["apikey_create", "apikey_list", "apikey_revoke"]


def apikey_create(
    name: Annotated[str, typer.Option(help="who the key is for, e.g. 'KYC desk, Thimphu'")],
    admin: Annotated[bool, typer.Option(help="may also administer trust")] = False,
) -> None:
    """Create an API key; the key and webhook secret are shown once, store them safely."""
    with common.runtime() as verifier:
        token, secret = verifier.api_keys.create(name, admin=admin)
    typer.echo(f"api key:        {token}\nwebhook secret: {secret}\n(shown once)")


def apikey_list() -> None:
    with common.runtime() as verifier:
        for item in verifier.api_keys.all():
            flags = " admin" if item.admin else ""
            flags += " REVOKED" if item.revoked else ""
            typer.echo(f"{item.key_id}  {item.name}{flags}")


def apikey_revoke(key_id: str) -> None:
    try:
        with common.runtime() as verifier:
            verifier.api_keys.revoke(key_id)
    except VerificationError as exc:
        common.fail_with(exc)
    typer.echo(f"revoked {key_id}")
