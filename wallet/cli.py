"""``drukid wallet``: the citizen's wallet on the command line.

Every failure prints ``error: <what went wrong>`` and ``what to do: <next step>`` and exits with
status 1; nothing prints a traceback. The passphrase comes from a hidden prompt or from
``DRUKID_WALLET_PASSPHRASE`` (for scripts); the wallet file from ``--wallet`` or
``DRUKID_WALLET_PATH`` (default ``~/.drukid/wallet/wallet.db``).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from wallet.consent import ConsentSummary
from wallet.errors import ReceiveError, StorageError, WalletError
from wallet.history import export_csv, export_json, format_time
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.views import CredentialView

__all__ = ["app"]

app = typer.Typer(
    name="wallet",
    help="Your digital wallet: receive credentials, see them, and share only what you choose.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
trust_app = typer.Typer(help="Verifiers you know (shown as 'known' on consent screens).")
app.add_typer(trust_app, name="trust")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])
_EMPTY = "Your wallet is empty. Receive a credential with 'drukid wallet receive'."
WalletOption = Annotated[
    Path | None,
    typer.Option("--wallet", envvar="DRUKID_WALLET_PATH", help="The wallet file to use."),
]


@app.callback()
def _quiet_logs() -> None:
    """Library warnings go to the log, not over the consent screen; the CLI prints errors."""
    logging.getLogger().addHandler(logging.NullHandler())


def _fail(message: str, hint: str, code: str | None = None) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", markup=True)
    err.print(f"[bold]what to do:[/] {hint}", markup=True)
    if code is not None:
        err.print(f"code: {code}", markup=False)
    return typer.Exit(1)


def _friendly(function: F) -> F:
    """Turn every failure into two plain sentences and exit status 1."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except WalletError as exc:
            raise _fail(exc.message, exc.hint, exc.code) from None
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem.get("loc", ()))
            raise _fail(
                f"a DRUKID_WALLET_ setting is not valid ({where}: {problem.get('msg')})",
                "Fix or unset that environment variable and try again.",
            ) from None
        except (KeyboardInterrupt, typer.Abort):
            err.print("cancelled; nothing was changed.")
            raise typer.Exit(130) from None
        except typer.Exit:
            raise
        except Exception as exc:
            raise _fail(
                f"something unexpected went wrong ({type(exc).__name__})",
                "Try again. If it keeps happening, report it to the drukid developers "
                "(never send your passphrase or wallet file).",
            ) from None

    return wrapper  # type: ignore[return-value]


def _settings(wallet_path: Path | None) -> WalletSettings:
    settings = WalletSettings()
    if wallet_path is not None:
        settings = settings.model_copy(update={"path": wallet_path})
    return settings


def _passphrase(settings: WalletSettings, prompt: str = "Wallet passphrase") -> str:
    if settings.passphrase is not None:
        return settings.passphrase.get_secret_value()
    value: str = typer.prompt(prompt, hide_input=True)
    return value


def _new_passphrase(env: str, prompt: str) -> str:
    value = os.environ.get(env)
    if value:
        return value
    chosen: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=True)
    return chosen


def _open(wallet_path: Path | None) -> Wallet:
    settings = _settings(wallet_path)
    path = settings.wallet_path
    if not path.exists():
        raise StorageError(f"there is no wallet at {path}", code="wallet_not_found")
    return Wallet.open(path, _passphrase(settings), settings=settings)


@app.command()
@_friendly
def init(wallet: WalletOption = None) -> None:
    """Create a new, encrypted wallet."""
    settings = _settings(wallet)
    path = settings.wallet_path
    if path.exists():
        raise StorageError(f"a wallet already exists at {path}", code="wallet_exists")
    passphrase = (
        settings.passphrase.get_secret_value()
        if settings.passphrase is not None
        else _new_passphrase("DRUKID_WALLET_PASSPHRASE", "Choose a wallet passphrase")
    )
    Wallet.create(path, passphrase, settings=settings).close()
    out.print(f"Your wallet is ready at {path}.")
    out.print(
        "Keep your passphrase safe: without it, or a backup ('drukid wallet export'), "
        "nobody can open this wallet, not even the issuer."
    )


@app.command()
@_friendly
def receive(
    offer: Annotated[str, typer.Argument(help="The offer link, or a photo/PNG of its QR code.")],
    tx_code: Annotated[
        str | None, typer.Option("--tx-code", help="The code the issuer sent you.")
    ] = None,
    wallet: WalletOption = None,
) -> None:
    """Receive a credential from an issuer's offer."""
    with _open(wallet) as opened:
        out.print("Contacting the issuer...")
        loaded = opened.load_offer(offer)
        if loaded.tx_code is not None and tx_code is None:
            if not sys.stdin.isatty():
                raise ReceiveError(
                    "the issuer requires the code it sent you", code="tx_code_required"
                )
            description = loaded.tx_code.description or "the code the issuer sent you"
            tx_code = typer.prompt(f"Enter {description}", hide_input=True)
        received = opened.receive(loaded, tx_code=tx_code)
        table = Table(title="Received and checked")
        for column in ("ID", "Credential", "Issuer", "Copies"):
            table.add_column(column)
        for view in received:
            table.add_row(view.id[:8], view.title, view.issuer, str(view.copies))
        out.print(table)
        out.print("The issuer's signature and every detail were checked before saving.")


@app.command(name="list")
@_friendly
def list_(wallet: WalletOption = None) -> None:
    """List the credentials in your wallet."""
    with _open(wallet) as opened:
        views = opened.credentials()
        if not views:
            out.print(_EMPTY)
            return
        now = opened.now()
        table = Table(title="Your credentials")
        table.add_column("ID", no_wrap=True)
        table.add_column("Credential", no_wrap=True)
        for column in ("Issuer", "Valid until", "Fresh copies", "Status (last check)"):
            table.add_column(column)
        for view in views:
            until = "-" if view.expires_at is None else format_time(view.expires_at)[:10]
            if view.expired(now):
                until += " (EXPIRED)"
            table.add_row(
                view.id[:8],
                view.title,
                view.issuer,
                until,
                f"{view.fresh_copies} of {view.copies}",
                _status_cell(view),
            )
        out.print(table)
        if any(view.status is None for view in views):
            out.print("Is each still valid? Ask the issuers with 'drukid wallet status'.")


_STATUS_STYLE = {"valid": "green", "suspended": "yellow", "revoked": "bold red"}


def _status_word(view: CredentialView) -> str:
    text = view.status_text
    style = _STATUS_STYLE.get(text.kind)
    return f"[{style}]{text.word}[/]" if style else text.word


def _status_cell(view: CredentialView) -> str:
    record = view.status
    if record is None or record.as_of is None or record.current in ("none", "unknown"):
        return _status_word(view)
    return f"{_status_word(view)} ({format_time(record.as_of)[:10]})"


@app.command()
@_friendly
def status(
    credential_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", help="One credential (default: all).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")] = False,
    wallet: WalletOption = None,
) -> None:
    """Ask the issuers now whether your credentials are still valid (revoked? suspended?)."""
    with _open(wallet) as opened:
        if credential_id is None and not opened.catalog.credentials:
            if as_json:
                out.print("[]", markup=False)
            else:
                out.print(_EMPTY)
            return
        if not as_json:
            out.print("Asking the issuers...")
        views = opened.check_status(credential_id)
    if as_json:
        out.print(json.dumps([_status_json(view) for view in views], indent=2), markup=False)
        return
    table = Table(title="Status of your credentials")
    for column in ("ID", "Credential", "Status", "As of", "What it means"):
        table.add_column(column)
    for view in views:
        text = view.status_text
        table.add_row(view.id[:8], view.title, _status_word(view), text.as_of, text.note)
    out.print(table)
    if any(view.status is not None and view.status.problem for view in views):
        out.print(
            "Some issuers could not give an answer now: the last known status is shown. "
            "Check again when you are online."
        )


def _status_json(view: CredentialView) -> dict[str, Any]:
    record, text = view.status, view.status_text
    return {
        "id": view.id,
        "credential": view.title,
        "issuer": view.iss,
        "status": record.current if record is not None else "not_checked",
        "last_known": record.known if record is not None else None,
        "as_of": record.as_of if record is not None else None,
        "checked_at": record.checked_at if record is not None else None,
        "problem": record.problem if record is not None else None,
        "words": text.word,
        "note": text.note,
    }


@app.command()
@_friendly
def show(
    credential_id: Annotated[str, typer.Argument(metavar="ID", help="From 'wallet list'.")],
    wallet: WalletOption = None,
) -> None:
    """Show what one credential says."""
    with _open(wallet) as opened:
        view = opened.credential(credential_id)
        table = Table(title=f"{view.title} — issued by {view.issuer}")
        table.add_column("Detail")
        table.add_column("Value")
        table.add_column("When you share")
        for claim in view.claims:
            hideable = any(claim.path[: len(p)] == p for p in view.hidden_by_default)
            table.add_row(claim.label, claim.value, "you choose" if hideable else "always shown")
        out.print(table)
        text = view.status_text
        out.print(f"Received {format_time(view.received_at)}. Type: {view.vct}   ID: {view.id}")
        out.print(f"Status: {text.word} {text.as_of}".rstrip() + f". {text.note}", markup=False)


def _print_consent(summary: ConsentSummary) -> None:
    out.rule("A verifier asks for information")
    for line in summary.lines():
        if line.startswith("Warning:"):
            out.print(f"[bold yellow]{line}[/]", markup=True)
        else:
            out.print(line, markup=False)
    out.rule()


@app.command()
@_friendly
def present(
    request: Annotated[str, typer.Argument(help="The request link, or a photo/PNG of its QR.")],
    yes: Annotated[bool, typer.Option("--yes", help="Share without asking (scripts).")] = False,
    wallet: WalletOption = None,
) -> None:
    """Answer a verifier's request: see exactly what would be shared, then agree or refuse."""
    with _open(wallet) as opened:
        out.print("Checking the request...")
        session = opened.prepare_presentation(request)
        _print_consent(session.consent)
        if not session.consent.can_share:
            if yes or typer.confirm("Tell the verifier you cannot answer?", default=True):
                opened.refuse(session)
            raise _fail(
                "your wallet does not hold what this verifier asks for",
                "Receive the credential from its issuer first, then scan the request again.",
            )
        name = session.consent.verifier.known_as or session.consent.verifier.name or "them"
        if not yes and not typer.confirm(f"Share this with {name}?", default=False):
            outcome = opened.refuse(session)
            note = "" if outcome.verifier_notified else " (the verifier could not be told)"
            out.print(f"You refused. Nothing was shared{note}.")
            return
        result = opened.approve(session)
        out.print(
            f"[bold green]Shared[/] with {name}. It is recorded in your history.", markup=True
        )
        if result.redirect_uri:
            out.print("The verifier offers to continue at this address (open it yourself if")
            out.print(f"you started this on their website): {result.redirect_uri}", markup=False)


@app.command()
@_friendly
def history(
    export: Annotated[
        Path | None, typer.Option("--export", help="Write the history to this file.")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json or csv.")] = "json",
    wallet: WalletOption = None,
) -> None:
    """What you shared, with whom, and when."""
    with _open(wallet) as opened:
        entries = opened.history()
        if export is not None:
            if fmt not in ("json", "csv"):
                raise _fail("the format must be json or csv", "Use --format json or --format csv.")
            text = export_json(entries) if fmt == "json" else export_csv(entries)
            fd = os.open(export, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            out.print(f"Wrote {len(entries)} entries to {export}. This file is NOT encrypted.")
            return
        if not entries:
            out.print("Nothing shared yet.")
            return
        table = Table(title="What you shared")
        for column in ("When", "Verifier", "Purpose", "Outcome", "Shared"):
            table.add_column(column)
        for entry in entries:
            shared = "; ".join(f"{c.type_name}: {', '.join(c.claims)}" for c in entry.credentials)
            name = entry.verifier_name or entry.verifier_id
            table.add_row(
                format_time(entry.time), name, entry.purpose, entry.outcome, shared or "-"
            )
        out.print(table)


@app.command(name="export")
@_friendly
def export_(
    file: Annotated[Path, typer.Argument(help="Where to write the backup file.")],
    wallet: WalletOption = None,
) -> None:
    """Back up the whole wallet into one encrypted file."""
    with _open(wallet) as opened:
        passphrase = _new_passphrase(
            "DRUKID_WALLET_BACKUP_PASSPHRASE", "Choose a backup passphrase"
        )
        opened.export_backup(file, passphrase)
        out.print(f"Backup written to {file}. Keep it and its passphrase in separate places.")


@app.command(name="import")
@_friendly
def import_(
    file: Annotated[Path, typer.Argument(help="A backup file from 'drukid wallet export'.")],
    wallet: WalletOption = None,
) -> None:
    """Restore a backup into a new wallet (created here if there is none)."""
    settings = _settings(wallet)
    path = settings.wallet_path
    if path.exists():
        opened = Wallet.open(path, _passphrase(settings), settings=settings)
    else:
        passphrase = (
            settings.passphrase.get_secret_value()
            if settings.passphrase is not None
            else _new_passphrase("DRUKID_WALLET_PASSPHRASE", "Choose a wallet passphrase")
        )
        opened = Wallet.create(path, passphrase, settings=settings)
    with opened:
        backup_passphrase = os.environ.get("DRUKID_WALLET_BACKUP_PASSPHRASE") or typer.prompt(
            "Backup passphrase", hide_input=True
        )
        count = opened.import_backup(file, backup_passphrase)
        what = "1 credential" if count == 1 else f"{count} credentials"
        out.print(f"Restored {what} and your history into {path}.")


@app.command()
@_friendly
def delete(
    credential_id: Annotated[str, typer.Argument(metavar="ID", help="From 'wallet list'.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask again.")] = False,
    wallet: WalletOption = None,
) -> None:
    """Delete a credential and its keys for good."""
    with _open(wallet) as opened:
        view = opened.credential(credential_id)
        if not yes and not typer.confirm(f"Delete your {view.title} for good?", default=False):
            out.print("Kept.")
            return
        opened.delete(view.id)
        out.print(f"Deleted your {view.title} and its keys.")


@app.command()
@_friendly
def passwd(wallet: WalletOption = None) -> None:
    """Change the wallet passphrase."""
    with _open(wallet) as opened:
        new = _new_passphrase("DRUKID_WALLET_NEW_PASSPHRASE", "New passphrase")
        opened.change_passphrase(new)
        out.print("Passphrase changed. Backups keep their own passphrase.")


@trust_app.command("add")
@_friendly
def trust_add(
    client_id: Annotated[str, typer.Argument(help="The verifier's identifier.")],
    name: Annotated[str, typer.Argument(help="The name you know it by.")],
    wallet: WalletOption = None,
) -> None:
    """Mark a verifier as known to you."""
    with _open(wallet) as opened:
        opened.trust_verifier(client_id, name)
        out.print(f"{name} is now a known verifier.")


@trust_app.command("remove")
@_friendly
def trust_remove(
    client_id: Annotated[str, typer.Argument(help="The verifier's identifier.")],
    wallet: WalletOption = None,
) -> None:
    """Forget a verifier."""
    with _open(wallet) as opened:
        opened.forget_verifier(client_id)
        out.print("Removed.")


@trust_app.command("list")
@_friendly
def trust_list(wallet: WalletOption = None) -> None:
    """Show the verifiers you know."""
    with _open(wallet) as opened:
        table = Table(title="Known verifiers")
        table.add_column("Name")
        table.add_column("Identifier")
        for client_id, name in sorted(opened.catalog.trusted_verifiers.items()):
            table.add_row(name, client_id)
        out.print(table)
