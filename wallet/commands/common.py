"""What every ``drukid wallet`` command shares: the consoles, the ``--wallet`` option, settings
and passphrases (from the environment or a hidden prompt), opening the wallet through the
runtime (:mod:`wallet.runtime`), and :func:`friendly`, which turns every failure into
``error: <what went wrong>`` and ``what to do: <next step>`` with exit status 1.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from core.terminal import err, fail, out
from wallet.errors import StorageError, VaultError, WalletError
from wallet.holder import Wallet
from wallet.runtime import WalletRuntime
from wallet.settings import WalletSettings

__all__ = [
    "EMPTY",
    "WalletOption",
    "chosen_passphrase",
    "err",
    "fail",
    "friendly",
    "new_passphrase",
    "open_wallet",
    "out",
    "passphrase",
    "runtime_for",
    "secret_prompt",
]

F = TypeVar("F", bound=Callable[..., Any])
EMPTY = "Your wallet is empty. Receive a credential with 'drukid wallet receive'."
WalletOption = Annotated[
    Path | None,
    typer.Option("--wallet", envvar="DRUKID_WALLET_PATH", help="The wallet file to use."),
]


def friendly(function: F) -> F:
    """Turn every failure into two plain sentences and exit status 1."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except WalletError as exc:
            raise fail(exc.message, exc.hint, exc.code) from None
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem.get("loc", ()))
            raise fail(
                f"a DRUKID_WALLET_ setting is not valid ({where}: {problem.get('msg')})",
                "Fix or unset that environment variable and try again.",
            ) from None
        except (KeyboardInterrupt, typer.Abort):
            err.print("cancelled; nothing was changed.")
            raise typer.Exit(130) from None
        except typer.Exit:
            raise
        except Exception as exc:
            raise fail(
                f"something unexpected went wrong ({type(exc).__name__})",
                "Try again. If it keeps happening, report it to the drukid developers "
                "(never send your passphrase or wallet file).",
            ) from None

    return wrapper  # type: ignore[return-value]


def runtime_for(wallet_path: Path | None) -> WalletRuntime:
    """The runtime from the ``DRUKID_WALLET_*`` settings, for the ``--wallet`` file if given."""
    settings = WalletSettings()
    if wallet_path is not None:
        settings = settings.model_copy(update={"path": wallet_path})
    return WalletRuntime.from_settings(settings)


def secret_prompt(prompt: str, env: str, *, twice: bool = False) -> str:
    """A secret typed at a hidden prompt (``twice`` to confirm it). Without a terminal there is
    nowhere to type it unseen (Python's ``getpass`` would warn and read it in the clear), so
    that is the plain ``passphrase_needed`` error naming the variable ``env`` to set."""
    if not sys.stdin.isatty():
        raise VaultError(
            f"there is no terminal to type the secret in ({prompt.lower()})",
            code="passphrase_needed",
            hint=f"Run the command in a terminal, or set {env} (for scripts).",
        )
    value: str = typer.prompt(prompt, hide_input=True, confirmation_prompt=twice)
    return value


def passphrase(settings: WalletSettings, prompt: str = "Wallet passphrase") -> str:
    """The wallet passphrase: ``DRUKID_WALLET_PASSPHRASE``, else a hidden prompt."""
    if settings.passphrase is not None:
        return settings.passphrase.get_secret_value()
    return secret_prompt(prompt, "DRUKID_WALLET_PASSPHRASE")


def new_passphrase(env: str, prompt: str) -> str:
    """A passphrase to set: the environment variable ``env``, else typed twice."""
    value = os.environ.get(env)
    if value:
        return value
    return secret_prompt(prompt, env, twice=True)


def chosen_passphrase(settings: WalletSettings) -> str:
    """The passphrase for a new wallet: ``DRUKID_WALLET_PASSPHRASE``, else typed twice."""
    if settings.passphrase is not None:
        return settings.passphrase.get_secret_value()
    return new_passphrase("DRUKID_WALLET_PASSPHRASE", "Choose a wallet passphrase")


def open_wallet(wallet_path: Path | None) -> Wallet:
    """Unlock the wallet (``wallet_not_found`` before asking for a passphrase)."""
    runtime = runtime_for(wallet_path)
    path = runtime.wallet_path
    if not path.exists():
        raise StorageError(f"there is no wallet at {path}", code="wallet_not_found")
    return Wallet.open_with(runtime, passphrase(runtime.settings))
