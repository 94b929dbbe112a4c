"""The web wallet's context and its FastAPI dependencies.

``Unlocked`` gives a route the session and its open wallet, or sends the browser to the unlock
page; ``CheckedForm`` does the same and also refuses a form whose CSRF token is not the
session's; ``FormSession`` is that check for the create and unlock forms, which belong to an
anonymous session (so nobody can sign a browser into a wallet from another site).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request

from servicekit.sessions import Session
from wallet.holder import Wallet
from wallet.runtime import WalletRuntime
from wallet.settings import WalletSettings
from wallet.vault import KDFParams
from wallet.web.pages import SESSION_COOKIE, Pages
from wallet.web.state import OpenWallet, UnlockGuard, WebSessions, wallet_of

__all__ = [
    "CheckedForm",
    "CsrfRefused",
    "CurrentSession",
    "FormSession",
    "Unlocked",
    "UnlockedSession",
    "Web",
    "WebWallet",
]


class CsrfRefused(Exception):
    """A form without this session's CSRF token (forged, or from a page that expired)."""


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


@dataclass(frozen=True, slots=True)
class UnlockedSession:
    session: Session
    opened: OpenWallet


def _web(request: Request) -> WebWallet:
    web: WebWallet = request.app.state.web
    return web


Web = Annotated[WebWallet, Depends(_web)]


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
        raise CsrfRefused
    return unlocked


CheckedForm = Annotated[UnlockedSession, Depends(_checked)]


def _form_session(
    session: CurrentSession, csrf_token: Annotated[str | None, Form()] = None
) -> Session:
    if session is None or not session.csrf_ok(csrf_token):
        raise CsrfRefused
    return session


FormSession = Annotated[Session, Depends(_form_session)]
