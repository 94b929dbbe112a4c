"""``drukid issuer signin-code CID``: a one-time sign-in code for a citizen, who types it with
their CID on the agency's page when their wallet asks for a credential (the authorization code
flow). Give it in person or by phone, after checking who they are; it is shown once."""

from __future__ import annotations

from typing import Annotated

import typer

from issuer.commands.backend import KeyOption, UrlOption, backend
from issuer.commands.output import JsonOption, out, print_json
from issuer.signin.codes import format_signin_code

__all__ = ["signin_code"]


def signin_code(
    cid: Annotated[str, typer.Argument(help="the citizen's CID (11 digits)")],
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Give a citizen a one-time sign-in code for the agency's authorization page."""
    with backend(url, api_key) as b:
        created = b.create_signin_code(cid)
    if as_json:
        print_json(created)
        return
    out.print(f"Sign-in code for {created.cid}: {format_signin_code(created.code)}")
    out.print(
        "Tell it to the citizen (in person or by phone). It works once; a new code replaces it."
    )
