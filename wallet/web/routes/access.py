"""Create the wallet (first run), unlock it with the passphrase, lock it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from servicekit.sessions import cookie_options
from wallet.errors import WalletError
from wallet.web import words
from wallet.web.deps import CheckedForm, CurrentSession, FormSession, Language, Web
from wallet.web.forms import Passphrase
from wallet.web.pages import SESSION_COOKIE, redirect
from wallet.web.state import OpenWallet, TooManyTries

__all__ = ["router"]

router = APIRouter()

# Why the unlock page is shown; only these fixed texts, never text from the address bar.
_MESSAGES = {
    "locked": ("ok", "Your wallet is locked. Unlock it with your passphrase to use it again."),
    "expired": (
        "info",
        "Your wallet locked itself because it was not used for a while. Unlock it to continue.",
    ),
}


@router.get("/")
def home(request: Request, web: Web, session: CurrentSession, lang: Language) -> Response:
    if session is not None and session.data.get("wallet") is not None:
        target = "/credentials"
    else:
        target = "/unlock" if web.exists else "/create"
    # /?lang=dz keeps its language across the redirect (the choice in the link, not lost).
    chosen = request.query_params.get("lang") == lang
    return redirect(f"{target}?lang={lang}" if chosen else target)


@router.get("/create")
def create_page(request: Request, web: Web, session: CurrentSession) -> Response:
    if web.exists:
        return redirect("/unlock")
    return web.pages.render(request, "wallet/create.html", session=session or web.sessions.start())


@router.post("/create")
def create(
    request: Request,
    web: Web,
    session: FormSession,
    passphrase: Passphrase,
    confirm: Passphrase,
) -> Response:
    if web.exists:
        return redirect("/unlock")
    if passphrase != confirm:
        return web.pages.problem(
            request, "wallet/create.html", words.PASSPHRASES_DIFFER, session=session
        )
    try:
        wallet = web.create(passphrase)
    except WalletError as exc:
        return web.pages.problem(request, "wallet/create.html", exc, session=session)
    return web.start_session(session.id, OpenWallet(wallet), "Your wallet is ready.")


@router.get("/unlock")
def unlock_page(request: Request, web: Web, session: CurrentSession, m: str = "") -> Response:
    if session is not None and session.data.get("wallet") is not None:
        return redirect("/credentials")
    if not web.exists:
        return redirect("/create")
    kind, text = _MESSAGES.get(m, ("", ""))
    return web.pages.render(
        request,
        "wallet/unlock.html",
        session=session or web.sessions.start(),
        flash={"kind": kind, "text": text} if text else None,
    )


@router.post("/unlock")
def unlock(request: Request, web: Web, session: FormSession, passphrase: Passphrase) -> Response:
    try:
        wallet = web.guard.attempt(lambda: web.open(passphrase))
    except TooManyTries as exc:
        problem = words.too_many_tries(exc.wait)
        return web.pages.problem(request, "wallet/unlock.html", problem, session=session)
    except WalletError as exc:
        return web.pages.problem(request, "wallet/unlock.html", exc, session=session)
    return web.start_session(session.id, OpenWallet(wallet), "Your wallet is unlocked.")


@router.post("/lock")
def lock(web: Web, unlocked: CheckedForm) -> Response:
    web.sessions.end(unlocked.session.id)
    response = redirect("/unlock?m=locked")
    response.delete_cookie(SESSION_COOKIE, **cookie_options(secure=False))
    return response
