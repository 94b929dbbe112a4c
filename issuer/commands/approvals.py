"""``drukid issuer approvals list | approve REF | deny REF``: the approval queue of deferred
issuance (types with ``"approval": "operator"``). A wallet that asked for such a credential
waits; after ``approve`` its next fetch gets the credentials, after ``deny`` it is told the
agency declined."""

from __future__ import annotations

from typing import Annotated

import typer

from issuer.commands.backend import KeyOption, UrlOption, backend
from issuer.commands.output import JsonOption, out, print_json, table

__all__ = ["approvals_app"]

approvals_app = typer.Typer(
    help="Credential requests waiting for an operator's approval (deferred issuance)."
)

StatusOption = Annotated[
    str,
    typer.Option(help="pending (default), approved, denied, issued, expired or all"),
]


@approvals_app.command("list")
def approvals_list(
    status: StatusOption = "pending",
    offset: int = 0,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """List credential requests, the longest waiting first."""
    with backend(url, api_key) as b:
        page = b.approvals(status=None if status == "all" else status, offset=offset, limit=limit)
    if as_json:
        print_json(page)
        return
    columns = ["ref", "credential_configuration_id", "subject", "keys", "status", "requested_at"]
    table(page.items, columns, f"credential requests ({page.total} {status})")


@approvals_app.command("approve")
def approvals_approve(
    ref: Annotated[str, typer.Argument(help="the request, e.g. dtx_1a2b...")],
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Approve: the wallet gets the credentials on its next try."""
    with backend(url, api_key) as b:
        decided = b.decide_approval(ref, "approve")
    if as_json:
        print_json(decided)
        return
    out.print(
        f"Approved {decided.ref}: {decided.credential_configuration_id} for {decided.subject}. "
        "The wallet will collect it on its next try."
    )


@approvals_app.command("deny")
def approvals_deny(
    ref: Annotated[str, typer.Argument(help="the request, e.g. dtx_1a2b...")],
    reason: Annotated[str | None, typer.Option("--reason", help="kept in the audit log")] = None,
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Deny: the wallet is told the agency will not issue the credential."""
    with backend(url, api_key) as b:
        decided = b.decide_approval(ref, "deny", reason=reason)
    if as_json:
        print_json(decided)
        return
    out.print(
        f"Denied {decided.ref}: {decided.credential_configuration_id} for {decided.subject}. "
        "The wallet will be told the agency declined."
    )
