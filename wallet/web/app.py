"""``create_app(settings)``: the citizen's web wallet, a small local app over
:class:`wallet.holder.Wallet` (``drukid serve wallet``), and ``install_pages(app, web)``, which
puts its pages on it.

Server-rendered pages (Jinja2, one stylesheet, a little optional JavaScript, nothing from the
internet). Sessions live in memory; each unlocked session holds its own open wallet, and the
lifespan runs the sweep that locks idle wallets and closes every wallet on shutdown. Every
failure is a page in plain words (:mod:`wallet.web.words`), never a traceback, never JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from credentials.clock import system_time
from did.fetch import Fetcher
from servicekit.access_log import install_access_log_redaction
from servicekit.http import SecurityHeadersMiddleware
from servicekit.pages import install_error_pages, mount_common_static
from servicekit.settings import LOOPBACK_HOSTS
from wallet.errors import WalletError
from wallet.runtime import WalletRuntime
from wallet.settings import WalletSettings
from wallet.vault import DEFAULT_KDF, KDFParams
from wallet.web.deps import WebWallet
from wallet.web.guard import LoopbackHostOnly, PageBodyLimit
from wallet.web.pages import STATIC_URL, Pages
from wallet.web.routes import access, backup, credentials, history, passphrase, present, receive
from wallet.web.state import UnlockGuard, WalletLocked, WebSessions
from wallet.web.words import HOST_REFUSED, WORDS, page_problem, too_large_for

__all__ = ["create_app", "install_pages"]

log = logging.getLogger(__name__)

_STATIC = Path(__file__).parent / "static"
# Room for the form fields and multipart framing around the largest allowed photo.
_FORM_OVERHEAD = 64 * 1024


def create_app(
    settings: WalletSettings,
    *,
    kdf: KDFParams = DEFAULT_KDF,
    network: Callable[[], Fetcher] | None = None,
    clock: Callable[[], int] = system_time,
    session_clock: Callable[[], float] = time.monotonic,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> FastAPI:
    """The web wallet for ``settings.wallet_path``. ``kdf`` is used only for wallets and
    backups made here (tests pass cheap parameters; the default is the library's strong one);
    ``network``, ``clock``, ``session_clock`` and ``random_bytes`` are for tests."""
    pages = Pages(settings)
    sessions = WebSessions(
        idle_seconds=settings.session_idle_seconds,
        max_seconds=settings.session_max_seconds,
        clock=session_clock,
    )
    runtime = WalletRuntime.from_settings(
        settings, network=network, clock=clock, random_bytes=random_bytes, kdf=kdf
    )
    web = WebWallet(runtime, pages, sessions, UnlockGuard(session_clock))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(_sweep(sessions, every=settings.session_idle_seconds / 4))
        log.info("web wallet ready (%s mode, %s)", settings.mode, settings.wallet_path)
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            sessions.end_all()  # every open wallet is closed

    install_access_log_redaction(("/present/", "/receive/"))  # tickets stand for a request
    app = FastAPI(
        title="drukid wallet",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_pages(app, web)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(
        PageBodyLimit,
        max_bytes=settings.max_upload_bytes + _FORM_OVERHEAD,
        render=lambda path: pages.standalone(too_large_for(path)),
    )
    if not settings.allow_non_loopback:
        allowed = frozenset({h.strip("[]") for h in LOOPBACK_HOSTS} | {settings.host.strip("[]")})
        app.add_middleware(
            LoopbackHostOnly, allowed=allowed, render=lambda: pages.standalone(HOST_REFUSED)
        )
    return app


def install_pages(app: FastAPI, web: WebWallet) -> None:
    """The wallet's pages on ``app``: its routes, the static files, and every failure as a
    page (a locked wallet goes to the unlock page)."""
    app.state.web = web
    for module in (access, credentials, receive, present, history, backup, passphrase):
        app.include_router(module.router)
    mount_common_static(app)
    app.mount(STATIC_URL, StaticFiles(directory=str(_STATIC)), name="wallet-static")
    install_error_pages(
        app,
        WORDS,
        render=web.problem_page,
        problem_for=page_problem,
        error_types=(WalletError,),
        redirects={WalletLocked: web.to_unlock},
    )


async def _sweep(sessions: WebSessions, *, every: float) -> None:
    """Lock idle wallets even when no page is opened (a laptop left unattended)."""
    interval = min(30.0, max(1.0, every))
    while True:
        await asyncio.sleep(interval)
        ended = sessions.sweep()
        if ended:
            log.info("locked %d idle session(s)", ended)
