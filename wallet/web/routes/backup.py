"""Back up the whole wallet into one encrypted file, and restore such a file: into the unlocked
wallet when it is still empty, or as a new wallet from the "Create your wallet" page.

Everything goes through the library (:meth:`wallet.holder.Wallet.export_backup`,
:meth:`~wallet.holder.Wallet.import_backup`, :func:`wallet.backup.read_backup`), which works
on files: the backup passes through a private temporary folder that is removed before the
answer leaves. The file there is the encrypted backup, never the wallet's contents in clear.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import Response

from wallet.backup import read_backup
from wallet.errors import WalletError
from wallet.holder import Wallet
from wallet.vault import check_passphrase
from wallet.web.deps import CheckedForm, CurrentSession, FormSession, Unlocked, Web
from wallet.web.errors import BACKUP_TOO_LARGE
from wallet.web.pages import Problem
from wallet.web.routes.access import Passphrase, signed_in
from wallet.web.routes.common import PASSPHRASES_DIFFER, confirm_passphrase, flash, redirect
from wallet.web.state import OpenWallet

__all__ = ["BACKUP_SUFFIX", "router"]

router = APIRouter()

BACKUP_SUFFIX = ".drukid-backup"
_NO_FILE = Problem(
    "You did not choose a backup file.",
    f"Press 'Choose file', pick the backup (its name ends in {BACKUP_SUFFIX}), then press the "
    "button again.",
    "backup_missing",
)


def _restored(count: int) -> str:
    what = "1 credential" if count == 1 else f"{count} credentials"
    return f"Restored {what}, your history and your known verifiers from the backup."


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="drukid-backup-") as folder:  # mode 0700
        yield Path(folder) / f"wallet{BACKUP_SUFFIX}"


def _upload(upload: UploadFile | None, max_bytes: int, into: Path) -> Problem | None:
    """Save the chosen file to ``into``; a problem when none was chosen or it is too large."""
    if upload is None or not upload.filename:
        return _NO_FILE
    data = upload.file.read(max_bytes + 1)
    if len(data) > max_bytes:
        return BACKUP_TOO_LARGE
    into.write_bytes(data)
    return None


# --- back up ---------------------------------------------------------------------------------


@router.get("/backup")
def backup_page(request: Request, web: Web, unlocked: Unlocked) -> Response:
    return _backup_page(request, web, unlocked)


def _backup_page(
    request: Request, web: Web, unlocked: Unlocked, problem: WalletError | Problem | None = None
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
    if isinstance(made, Problem):
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
) -> Problem | tuple[str, bytes]:
    """The backup's file name and bytes, once the wallet passphrase was confirmed."""
    problem = confirm_passphrase(web.guard, wallet, passphrase)
    if problem is not None:
        return problem
    day = datetime.fromtimestamp(wallet.now(), UTC).strftime("%Y-%m-%d")
    with _scratch() as path:
        wallet.export_backup(path, backup_passphrase, kdf=web.kdf)
        return f"drukid-wallet-backup-{day}{BACKUP_SUFFIX}", path.read_bytes()


# --- restore into the unlocked wallet ----------------------------------------------------------


@router.get("/restore")
def restore_page(request: Request, web: Web, unlocked: Unlocked) -> Response:
    return _restore_page(request, web, unlocked)


def _restore_page(
    request: Request, web: Web, unlocked: Unlocked, problem: WalletError | Problem | None = None
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
    try:
        with _scratch() as path:
            problem = _upload(backup, web.settings.max_upload_bytes, path)
            if problem is not None:
                return _restore_page(request, web, unlocked, problem)
            with unlocked.opened.use() as wallet:
                # One transaction: all of the backup or nothing (the library's promise).
                count = wallet.import_backup(path, backup_passphrase)
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

    def again(problem: WalletError | Problem) -> Response:
        return web.pages.problem(request, "wallet/restore_new.html", problem, session=session)

    if passphrase != confirm:
        return again(PASSPHRASES_DIFFER)
    try:
        check_passphrase(passphrase)
        with _scratch() as path:
            problem = _upload(backup, web.settings.max_upload_bytes, path)
            if problem is not None:
                return again(problem)
            # Open the backup before the wallet exists: a wrong passphrase or a bad file must
            # not leave an empty wallet behind (the next visit would ask to unlock it).
            read_backup(path, backup_passphrase)
            wallet = web.create(passphrase)
            try:
                count = wallet.import_backup(path, backup_passphrase)
            except WalletError as exc:
                # Rare (the disk failed between the two steps): the new wallet is empty and
                # unlocked; say so on its restore page, where the same file can be tried again.
                message = f"Your new wallet is ready, but the backup was not restored ({exc.code})."
                return signed_in(
                    web, session.id, OpenWallet(wallet), message, kind="warn", to="/restore"
                )
    except WalletError as exc:
        return again(exc)
    return signed_in(web, session.id, OpenWallet(wallet), _restored(count))
