"""``drukid issuer credentials`` lists issued credentials (metadata only), and ``revoke``,
``suspend`` and ``reinstate`` change a credential's status; verifiers see the change on their
next status list fetch.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from issuer.commands.backend import KeyOption, UrlOption, backend
from issuer.commands.output import JsonOption, out, print_json, table

__all__ = ["STATUS_ACTIONS", "credentials", "status_command"]

STATUS_ACTIONS = ("revoke", "suspend", "reinstate")


def status_command(action: str) -> Any:
    def command(
        credential_id: Annotated[str, typer.Argument(help="e.g. cred_1a2b...")],
        as_json: JsonOption = False,
        url: UrlOption = None,
        api_key: KeyOption = None,
    ) -> None:
        with backend(url, api_key) as b:
            result = b.call("change_status", credential_id=credential_id, action=action)
        if as_json:
            print_json(result)
        else:
            out.print(
                f"{credential_id} is now {result['status']}; verifiers see it on their next "
                "status list fetch"
            )

    command.__doc__ = {
        "revoke": "Revoke a credential (permanent).",
        "suspend": "Suspend a credential (reversible with reinstate).",
        "reinstate": "Reinstate a suspended credential.",
    }[action]
    return command


def credentials(
    person: Annotated[str | None, typer.Option("--person", help="CID or licence")] = None,
    offset: int = 0,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """List issued credentials (metadata only; the credentials themselves are never stored)."""
    with backend(url, api_key) as b:
        page = b.call("list_credentials", offset=offset, limit=limit, subject=person, type_id=None)
    if as_json:
        print_json(page)
        return
    columns = ["id", "credential_configuration_id", "subject", "status", "issued_at", "expires_at"]
    table(page["items"], columns, f"credentials ({page['total']} issued)")
