"""Back up the whole wallet into one encrypted file, and restore such a file: into the unlocked
wallet when it is still empty, or as a new wallet from the "Create your wallet" page.

Everything goes through the library (:meth:`wallet.holder.Wallet.backup_bytes`,
:meth:`~wallet.holder.Wallet.import_backup_bytes`, :func:`wallet.backup.open_backup`), in
memory: the backup is downloaded or uploaded as it is, nothing is written beside the wallet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response

from servicekit.pages import PageProblem
from wallet.backup import open_backup
from wallet.errors import WalletError
from wallet.holder import Wallet
from wallet.vault import check_passphrase
from wallet.web.deps import CheckedForm, CurrentSession, FormSession, Unlocked, Web
from wallet.web.forms import Passphrase, confirm_passphrase, read_backup
from wallet.web.pages import flash, redirect
from wallet.web.state import OpenWallet
from wallet.web.words import BACKUP_SUFFIX, PASSPHRASES_DIFFER

__all__ = ["router"]

router = APIRouter()


def _restored(count: int) -> str:
    what = "1 credential" if count == 1 else f"{count} credentials"
    return f"Restored {what}, your history and your known verifiers from the backup."


# --- back up ---------------------------------------------------------------------------------


@router.get("/backup")
def backup_page(request: Request, web: Web, unlocked: Unlocked) -> Response:
    return _backup_page(request, web, unlocked)


def _backup_page(
    request: Request, web: Web, unlocked: Unlocked, problem: WalletError | PageProblem | None = None
) -> Response:
    with unlocked.opened.use() as wallet:
        counts = (len(wallet.catalog.credentials), len(wallet.catalog.history))
    return web.pages.show(
        request, "wallet/backup.html", unlocked.session, problem=problem, counts=counts
    )


@router.post("/backup")
def backup(
    request: Request,
    web: Web,
    unlocked: CheckedForm,
    passphrase: Passphrase,
    backup_passphrase: Passphrase,
    backup_confirm: Passphrase,
) -> Response:
    if backup_passphrase != backup_confirm:
        return _backup_page(request, web, unlocked, PASSPHRASES_DIFFER)
    try:
        check_passphrase(backup_passphrase)  # before the slow check of the wallet passphrase
        with unlocked.opened.use() as wallet:
            made = _export(web, wallet, passphrase, backup_passphrase)
    except WalletError as exc:
        return _backup_page(request, web, unlocked, exc)
    if isinstance(made, PageProblem):
        return _backup_page(request, web, unlocked, made)
    name, content = made
    return Response(
        content,
        media_type="application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


def _export(
    web: Web, wallet: Wallet, passphrase: str, backup_passphrase: str
) -> PageProblem | tuple[str, bytes]:
    """The backup's file name and bytes, once the wallet passphrase was confirmed."""
    problem = confirm_passphrase(web.guard, wallet, passphrase)
    if problem is not None:
        return problem
    day = datetime.fromtimestamp(wallet.now(), UTC).strftime("%Y-%m-%d")
    return f"drukid-wallet-backup-{day}{BACKUP_SUFFIX}", wallet.backup_bytes(
        backup_passphrase, kdf=web.kdf
    )


# --- restore into the unlocked wallet ----------------------------------------------------------


@router.get("/restore")
def restore_page(request: Request, web: Web, unlocked: Unlocked) -> Response:
    return _restore_page(request, web, unlocked)


def _restore_page(
    request: Request, web: Web, unlocked: Unlocked, problem: WalletError | PageProblem | None = None
) -> Response:
    with unlocked.opened.use() as wallet:
        catalog = wallet.catalog
        empty = not catalog.credentials and not catalog.history
    return web.pages.show(
        request, "wallet/restore.html", unlocked.session, problem=problem, empty=empty
    )


@router.post("/restore")
def restore(
    request: Request,
    web: Web,
    unlocked: CheckedForm,
    backup_passphrase: Passphrase,
    backup: Annotated[UploadFile | None, File()] = None,
) -> Response:
    data = read_backup(backup, web.settings.max_upload_bytes)
    if isinstance(data, PageProblem):
        return _restore_page(request, web, unlocked, data)
    try:
        with unlocked.opened.use() as wallet:
            # One transaction: all of the backup or nothing (the library's promise).
            count = wallet.import_backup_bytes(data, backup_passphrase)
    except WalletError as exc:
        return _restore_page(request, web, unlocked, exc)
    flash(unlocked.session, _restored(count))
    return redirect("/credentials")


# --- restore as a new wallet (first run) -------------------------------------------------------


@router.get("/restore/new")
def restore_new_page(request: Request, web: Web, session: CurrentSession) -> Response:
    if web.exists:
        return redirect("/unlock")
    return web.pages.render(
        request, "wallet/restore_new.html", session=session or web.sessions.start()
    )


@router.post("/restore/new")
def restore_new(
    request: Request,
    web: Web,
    session: FormSession,
    backup_passphrase: Passphrase,
    passphrase: Passphrase,
    confirm: Passphrase,
    backup: Annotated[UploadFile | None, File()] = None,
) -> Response:
    if web.exists:
        return redirect("/unlock")

    def again(problem: WalletError | PageProblem) -> Response:
        return web.pages.problem(request, "wallet/restore_new.html", problem, session=session)

    if passphrase != confirm:
        return again(PASSPHRASES_DIFFER)
    try:
        check_passphrase(passphrase)
        data = read_backup(backup, web.settings.max_upload_bytes)
        if isinstance(data, PageProblem):
            return again(data)
        # Open the backup before the wallet exists: a wrong passphrase or a bad file must not
        # leave an empty wallet behind (the next visit would ask to unlock it).
        contents = open_backup(data, backup_passphrase)
        wallet = web.create(passphrase)
        try:
            count = wallet.restore(contents)
        except WalletError as exc:
            # Rare (the disk failed between the two steps): the new wallet is empty and
            # unlocked; say so on its restore page, where the same file can be tried again.
            message = f"Your new wallet is ready, but the backup was not restored ({exc.code})."
            return web.start_session(
                session.id, OpenWallet(wallet), message, kind="warn", to="/restore"
            )
    except WalletError as exc:
        return again(exc)
    return web.start_session(session.id, OpenWallet(wallet), _restored(count))
