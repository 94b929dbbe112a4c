"""``create_app(settings)``: the verifier service as a FastAPI application.

The lifespan builds the runtime (:mod:`verifier.runtime`: database and tables, the signing key
kept 0600 under the data directory, the SSRF-guarded fetcher — ``development`` mode alone
allows http and loopback peers — key and status caches, trust sources, and over them the
service's parts), starts the webhook worker and the pruner (expired requests, results and
teller sessions), and stops and closes them on shutdown. The runtime is ``app.state.runtime``
(the API routes take the part they use from it, :mod:`verifier.api.deps`); the teller pages
(:mod:`verifier.web`, mounted at ``/teller``) use its facade, ``app.state.service``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from servicekit.access_log import install_access_log_redaction
from servicekit.http import BodySizeLimitMiddleware, SecurityHeadersMiddleware
from verifier.api import errors
from verifier.api.routes import oid4vp, rp, trust
from verifier.errors import VerificationError
from verifier.runtime import build_runtime, trust_sources
from verifier.settings import VerifierSettings
from verifier.web import install_pages

__all__ = ["create_app"]

log = logging.getLogger(__name__)


class _Pruner:
    """Deletes expired sessions and results every ``interval`` seconds."""

    def __init__(self, prune: Callable[[], int], interval: float) -> None:
        self._prune, self._interval = prune, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="drukid-pruner", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._prune()
            except Exception:  # keep pruning after a database hiccup
                log.exception("pruning failed")


def create_app(
    settings: VerifierSettings,
    *,
    clock: Callable[[], int] | None = None,
    transport: httpx.BaseTransport | None = None,
    resolve_host: Callable[[str, int], list[str]] | None = None,
    start_workers: bool = True,
) -> FastAPI:
    """Build the app. ``clock`` (UNIX seconds), ``transport`` and ``resolve_host`` replace the
    real clock and network in tests; ``start_workers=False`` leaves webhook delivery to
    explicit ``app.state.webhooks.run_once()`` calls."""
    now = clock or (lambda: int(time.time()))
    trust_sources(settings).registry(now())  # a broken trust file or bundle stops the start

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            runtime = build_runtime(
                settings, clock=now, transport=transport, resolve_host=resolve_host
            )
        except VerificationError as exc:  # e.g. a schema that needs `drukid verifier db upgrade`
            log.error("the verifier cannot start: %s (%s)", exc.message, exc.code)
            raise
        sessions = teller.sessions

        def prune() -> int:  # teller sessions end (and delete their checks) with no traffic too
            return runtime.retention.prune() + teller.sweep()

        pruner = _Pruner(prune, settings.prune_interval_seconds)
        app.state.runtime, app.state.webhooks = runtime, runtime.webhooks
        app.state.service = runtime.service  # the teller pages' handle (verifier.service.facade)
        if start_workers:
            runtime.webhooks.start()
            pruner.start()
        try:
            yield
        finally:
            if start_workers:
                pruner.stop()
            if not sessions.shared:  # in memory, signed-in desks end with the process
                sessions.drop_all()  # and so do their checks; shared ones go on elsewhere
            runtime.close()

    # Request ids are the wallet's handle on a request (and response_code rides in the query).
    install_access_log_redaction(("/oid4vp/request/", "/oid4vp/response/", "/api/v1/requests/"))
    app = FastAPI(
        title=f"drukid verifier — {settings.name}",
        version="1",
        lifespan=lifespan,
        docs_url="/docs" if settings.development else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.development else None,
    )
    errors.install(app)
    for router in (rp.router, oid4vp.router, trust.router):
        app.include_router(router)
    teller = install_pages(app, settings, clock=now)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, Any]:
        return {"status": "ok"}

    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, response=teller.too_large
    )
    app.add_middleware(SecurityHeadersMiddleware)
    return app
