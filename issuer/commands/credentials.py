"""``drukid issuer credentials`` lists issued credentials (metadata only), and ``revoke``,
``suspend`` and ``reinstate`` change the status of one credential, or with ``--offer`` of every
copy a wallet collected from one offer; verifiers see the change on their next status list
fetch.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from issuer.commands.backend import KeyOption, UrlOption, backend
from issuer.commands.output import JsonOption, fail, out, print_json, table

__all__ = ["STATUS_ACTIONS", "credentials", "status_command"]

STATUS_ACTIONS = ("revoke", "suspend", "reinstate")
_PAST = {"revoke": "revoked", "suspend": "suspended", "reinstate": "valid"}


def status_command(action: str) -> Any:
    def command(
        credential_id: Annotated[
            str | None, typer.Argument(help="e.g. cred_1a2b... (or use --offer)")
        ] = None,
        offer_ref: Annotated[
            str | None,
            typer.Option("--offer", help="every copy issued from this offer, e.g. off_1a2b..."),
        ] = None,
        reason: Annotated[
            str | None, typer.Option("--reason", help="kept in the audit log")
        ] = None,
        as_json: JsonOption = False,
        url: UrlOption = None,
        api_key: KeyOption = None,
    ) -> None:
        if (credential_id is None) == (offer_ref is None):
            raise fail(
                "name a CREDENTIAL_ID or --offer OFFER_REF (exactly one of them)",
                "missing_target" if credential_id is None else "ambiguous_target",
                status=2,
            )
        with backend(url, api_key) as b:
            if offer_ref is not None:
                change = b.change_offer_status(offer_ref, action, reason=reason)
                if as_json:
                    print_json(change)
                    return
                out.print(
                    f"{change.changed} of the {len(change.credentials)} credentials from "
                    f"{offer_ref} {'is' if change.changed == 1 else 'are'} now {_PAST[action]}; "
                    "verifiers see it on their next status list fetch"
                )
                return
            assert credential_id is not None
            changed = b.change_status(credential_id, action, reason=reason)
        if as_json:
            print_json(changed)
        else:
            out.print(
                f"{credential_id} is now {changed.status}; verifiers see it on their next "
                "status list fetch"
            )

    command.__doc__ = {
        "revoke": "Revoke a credential, or every copy from one offer (permanent).",
        "suspend": "Suspend a credential, or every copy from one offer (reversible).",
        "reinstate": "Reinstate a suspended credential, or every copy from one offer.",
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
        page = b.list_credentials(offset=offset, limit=limit, subject=person)
    if as_json:
        print_json(page)
        return
    columns = [
        "id",
        "credential_configuration_id",
        "subject",
        "status",
        "issued_at",
        "expires_at",
        "key_storage",
    ]
    table(page.items, columns, f"credentials ({page.total} issued)")
