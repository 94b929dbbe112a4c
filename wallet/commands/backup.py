"""``drukid wallet export`` and ``import``: the whole wallet in one encrypted backup file, and
back into a new wallet."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from wallet.commands.common import (
    WalletOption,
    chosen_passphrase,
    friendly,
    new_passphrase,
    open_wallet,
    out,
    passphrase,
    runtime_for,
    secret_prompt,
)
from wallet.holder import Wallet

__all__ = ["export_", "import_"]


@friendly
def export_(
    file: Annotated[Path, typer.Argument(help="Where to write the backup file.")],
    wallet: WalletOption = None,
) -> None:
    """Back up the whole wallet into one encrypted file."""
    with open_wallet(wallet) as opened:
        backup_passphrase = new_passphrase(
            "DRUKID_WALLET_BACKUP_PASSPHRASE", "Choose a backup passphrase"
        )
        opened.export_backup(file, backup_passphrase)
        out.print(f"Backup written to {file}. Keep it and its passphrase in separate places.")


@friendly
def import_(
    file: Annotated[Path, typer.Argument(help="A backup file from 'drukid wallet export'.")],
    wallet: WalletOption = None,
) -> None:
    """Restore a backup into a new wallet (created here if there is none)."""
    runtime = runtime_for(wallet)
    path = runtime.wallet_path
    if path.exists():
        opened = Wallet.open_with(runtime, passphrase(runtime.settings))
    else:
        opened = Wallet.create_with(runtime, chosen_passphrase(runtime.settings))
    with opened:
        backup_passphrase = os.environ.get("DRUKID_WALLET_BACKUP_PASSPHRASE") or secret_prompt(
            "Backup passphrase", "DRUKID_WALLET_BACKUP_PASSPHRASE"
        )
        count = opened.import_backup(file, backup_passphrase)
        what = "1 credential" if count == 1 else f"{count} credentials"
        out.print(f"Restored {what} and your history into {path}.")
