"""Change the wallet passphrase: the current one, then the new one twice.

The library re-wraps the data key (:meth:`wallet.holder.Wallet.change_passphrase`): one row of
the wallet file changes, no record is encrypted again, and the session stays unlocked.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from servicekit.pages import PageProblem
from wallet.errors import WalletError
from wallet.vault import check_passphrase
from wallet.web.deps import CheckedForm, Unlocked, Web
from wallet.web.forms import Passphrase, confirm_passphrase
from wallet.web.pages import flash, redirect
from wallet.web.words import PASSPHRASES_DIFFER

__all__ = ["router"]

router = APIRouter()

_CHANGED = (
    "Your passphrase is changed. Use the new one the next time you unlock your wallet. "
    "Backup files keep the backup passphrase they were made with."
)


@router.get("/passphrase")
def passphrase_page(request: Request, web: Web, unlocked: Unlocked) -> Response:
    return web.pages.show(request, "wallet/passphrase.html", unlocked.session)


@router.post("/passphrase")
def change_passphrase(
    request: Request,
    web: Web,
    unlocked: CheckedForm,
    current: Passphrase,
    passphrase: Passphrase,
    confirm: Passphrase,
) -> Response:
    problem: WalletError | PageProblem | None = None
    if passphrase != confirm:
        problem = PASSPHRASES_DIFFER
    else:
        try:
            check_passphrase(passphrase)  # before the slow check of the current passphrase
            with unlocked.opened.use() as wallet:
                problem = confirm_passphrase(web.guard, wallet, current)
                if problem is None:
                    wallet.change_passphrase(passphrase)
        except WalletError as exc:
            problem = exc
    if problem is not None:
        return web.pages.show(request, "wallet/passphrase.html", unlocked.session, problem=problem)
    flash(unlocked.session, _CHANGED)
    return redirect("/credentials")
