"""The web wallet's context and its FastAPI dependencies.

``Unlocked`` gives a route the session and its open wallet, or sends the browser to the unlock
page; ``CheckedForm`` does the same and also refuses a form whose CSRF token is not the
session's; ``FormSession`` is that check for the create and unlock forms, which belong to an
anonymous session (so nobody can sign a browser into a wallet from another site);
``Language`` is the language the citizen chose for names of credentials and details; ``Link``
what the receive or share form sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from servicekit.pages import PageProblem, app_state
from servicekit.sessions import Session
from wallet.holder import Wallet
from wallet.runtime import WalletRuntime
from wallet.settings import WalletSettings
from wallet.vault import KDFParams
from wallet.web.forms import SentLink
from wallet.web.pages import SESSION_COOKIE, Pages, flash, redirect, set_session_cookie
from wallet.web.state import OpenWallet, UnlockGuard, WalletLocked, WebSessions, wallet_of
from wallet.web.words import WORDS

__all__ = [
    "CheckedForm",
    "CurrentSession",
    "FormSession",
    "Language",
    "Link",
    "Unlocked",
    "UnlockedSession",
    "Web",
    "WebWallet",
]


@dataclass
class WebWallet:
    """Everything the routes share: the runtime (settings, network, clock, KDF: how to open
    the wallet, see :mod:`wallet.runtime`), pages, sessions, and the unlock guard."""

    runtime: WalletRuntime
    pages: Pages
    sessions: WebSessions
    guard: UnlockGuard

    @property
    def settings(self) -> WalletSettings:
        return self.runtime.settings

    @property
    def kdf(self) -> KDFParams:
        """For wallets and backups made here."""
        return self.runtime.kdf

    @property
    def exists(self) -> bool:
        return self.settings.wallet_path.exists()

    def create(self, passphrase: str) -> Wallet:
        return Wallet.create_with(self.runtime, passphrase)

    def open(self, passphrase: str) -> Wallet:
        return Wallet.open_with(self.runtime, passphrase)

    def start_session(
        self,
        anonymous_id: str,
        opened: OpenWallet,
        message: str,
        *,
        kind: str = "ok",
        to: str = "/credentials",
    ) -> Response:
        """Unlocked: the anonymous session ends and a new one holds ``opened`` (a fresh id, so
        an id seen before unlocking is worthless); the browser goes to ``to`` and reads
        ``message`` there."""
        self.sessions.end(anonymous_id)
        session = self.sessions.start(opened)
        flash(session, message, kind)
        response = redirect(to)
        set_session_cookie(response, session)
        return response

    def problem_page(self, request: Request, problem: PageProblem) -> Response:
        """``problem`` as a page: with the menu when the wallet is unlocked, except after an
        unexpected failure (then nothing more that might fail is done)."""
        if problem.status == 500:
            return self.pages.problem(request, "wallet/problem.html", problem)
        session = self.sessions.get(request.cookies.get(SESSION_COOKIE))
        try:
            wallet_of(session)
            unlocked = True
        except WalletLocked:
            unlocked = False
        return self.pages.problem(
            request, "wallet/problem.html", problem, session=session, unlocked=unlocked
        )

    def to_unlock(self, request: Request, _exc: Exception) -> Response:
        """:class:`~wallet.web.state.WalletLocked` anywhere: to the unlock page (saying why
        when the session timed out), or to the create page when there is no wallet yet."""
        if not self.exists:
            return redirect("/create")
        cookie = request.cookies.get(SESSION_COOKIE)
        expired = cookie is not None and self.sessions.get(cookie) is None
        return redirect("/unlock?m=expired" if expired else "/unlock")


@dataclass(frozen=True, slots=True)
class UnlockedSession:
    session: Session
    opened: OpenWallet


Web = Annotated[WebWallet, Depends(app_state("web"))]


def _current(request: Request, web: Web) -> Session | None:
    return web.sessions.get(request.cookies.get(SESSION_COOKIE))


CurrentSession = Annotated[Session | None, Depends(_current)]


def _unlocked(session: CurrentSession) -> UnlockedSession:
    opened = wallet_of(session)  # WalletLocked → the unlock page
    assert session is not None
    return UnlockedSession(session, opened)


Unlocked = Annotated[UnlockedSession, Depends(_unlocked)]


def _checked(
    unlocked: Unlocked, csrf_token: Annotated[str | None, Form()] = None
) -> UnlockedSession:
    if not unlocked.session.csrf_ok(csrf_token):
        raise WORDS.stale_form.copy()
    return unlocked


CheckedForm = Annotated[UnlockedSession, Depends(_checked)]


def _form_session(
    session: CurrentSession, csrf_token: Annotated[str | None, Form()] = None
) -> Session:
    if session is None or not session.csrf_ok(csrf_token):
        raise WORDS.stale_form.copy()
    return session


FormSession = Annotated[Session, Depends(_form_session)]


def _language(request: Request, web: Web) -> str:
    return web.pages.language(request)


Language = Annotated[str, Depends(_language)]


def _link(
    link: Annotated[str, Form()] = "", photo: Annotated[UploadFile | None, File()] = None
) -> SentLink:
    return SentLink(link, photo)


Link = Annotated[SentLink, Depends(_link)]
