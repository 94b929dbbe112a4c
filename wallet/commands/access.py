"""``drukid wallet init`` and ``passwd``: make the wallet, change its passphrase."""

from __future__ import annotations

from wallet.commands.common import (
    WalletOption,
    chosen_passphrase,
    friendly,
    new_passphrase,
    open_wallet,
    out,
    runtime_for,
)
from wallet.errors import StorageError
from wallet.holder import Wallet

__all__ = ["init", "passwd"]


@friendly
def init(wallet: WalletOption = None) -> None:
    """Create a new, encrypted wallet."""
    runtime = runtime_for(wallet)
    path = runtime.wallet_path
    if path.exists():
        raise StorageError(f"a wallet already exists at {path}", code="wallet_exists")
    Wallet.create_with(runtime, chosen_passphrase(runtime.settings)).close()
    out.print(f"Your wallet is ready at {path}.")
    out.print(
        "Keep your passphrase safe: without it, or a backup ('drukid wallet export'), "
        "nobody can open this wallet, not even the issuer."
    )


@friendly
def passwd(wallet: WalletOption = None) -> None:
    """Change the wallet passphrase."""
    with open_wallet(wallet) as opened:
        new = new_passphrase("DRUKID_WALLET_NEW_PASSPHRASE", "New passphrase")
        opened.change_passphrase(new)
        out.print("Passphrase changed. Backups keep their own passphrase.")
