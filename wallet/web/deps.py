"""The web wallet's context and its FastAPI dependencies.

``Unlocked`` gives a route the session and its open wallet, or sends the browser to the unlock
page; ``CheckedForm`` does the same and also refuses a form whose CSRF token is not the
session's; ``FormSession`` is that check for the create and unlock forms, which belong to an
anonymous session (so nobody can sign a browser into a wallet from another site).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Form, Request

from credentials.clock import system_time
from did.fetch import Fetcher
from servicekit.sessions import Session
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.vault import DEFAULT_KDF, KDFParams
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
    """Everything the routes share: settings, pages, sessions, and how to open the wallet.
    ``kdf``, ``network``, ``clock`` and ``random_bytes`` are passed to the library (tests make
    them cheap and local; the defaults are the library's)."""

    settings: WalletSettings
    pages: Pages
    sessions: WebSessions
    guard: UnlockGuard
    kdf: KDFParams = DEFAULT_KDF
    network: Callable[[], Fetcher] | None = None
    clock: Callable[[], int] = system_time
    random_bytes: Callable[[int], bytes] = field(default=os.urandom)

    @property
    def exists(self) -> bool:
        return self.settings.wallet_path.exists()

    def create(self, passphrase: str) -> Wallet:
        return Wallet.create(
            self.settings.wallet_path,
            passphrase,
            settings=self.settings,
            kdf=self.kdf,
            network=self.network,
            clock=self.clock,
            random_bytes=self.random_bytes,
        )

    def open(self, passphrase: str) -> Wallet:
        return Wallet.open(
            self.settings.wallet_path,
            passphrase,
            settings=self.settings,
            network=self.network,
            clock=self.clock,
            random_bytes=self.random_bytes,
        )


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
