"""``create_app(settings)``: the verifier service as a FastAPI application.

The lifespan opens the database (and creates the tables), loads or creates the verifier's
signing key (0600 under the data directory), builds the SSRF-guarded fetcher (``development``
mode alone allows http and loopback peers), the key and status caches, the trust sources, and
starts the webhook worker and the pruner; it stops and closes them on shutdown.
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

from did.fetch import Fetcher, FetchPolicy
from did.keys import PrivateKey
from did.methods.web import did_web_from_url
from drukid.common.database import create_db_engine
from drukid.common.http import BodySizeLimitMiddleware, SecurityHeadersMiddleware
from verifier.api import errors
from verifier.api.routes import oid4vp, rp, trust
from verifier.keys import IssuerKeys
from verifier.policy import Policy
from verifier.service import Identity, ServiceConfig, VerifierService
from verifier.settings import VerifierSettings
from verifier.status import StatusChecker
from verifier.storage import repos
from verifier.trust_sources import TrustSources, load_authority_key
from verifier.webhooks import WebhookDispatcher

__all__ = ["create_app", "load_identity", "policy_from_settings"]

log = logging.getLogger(__name__)


def load_identity(settings: VerifierSettings) -> Identity:
    """The verifier's signing key (created on first start, mode 0600) and did:web."""
    path = settings.signing_key_path
    if path.exists():
        key = PrivateKey.load(path)
    else:
        key = PrivateKey.generate("ES256")
        key.save(path)
        log.info("created verifier signing key %s", key.public_key.thumbprint())
    return Identity(key, did_web_from_url(settings.public_url))


def policy_from_settings(settings: VerifierSettings) -> Policy:
    return Policy(
        leeway=settings.leeway_seconds,
        kb_max_age=settings.kb_max_age_seconds,
        status_policy=settings.status_policy,
    )


def _trust_sources(settings: VerifierSettings) -> TrustSources:
    authority = (
        load_authority_key(settings.trust_authority_key) if settings.trust_authority_key else None
    )
    return TrustSources(
        trust_file=settings.trust_file,
        bundle_file=settings.trust_bundle,
        authority_key=authority,
        leeway=settings.leeway_seconds,
    )


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
    sources = _trust_sources(settings)
    sources.registry(now())  # a broken trust file or bundle stops the start, with its reason

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_db_engine(settings.effective_database_url)
        repos.create_schema(engine)
        dev = settings.development
        policy = FetchPolicy(
            timeout=settings.fetch_timeout_seconds, allow_http=dev, allow_private=dev
        )
        fetcher = Fetcher(policy, transport=transport, resolve_host=resolve_host)
        service = VerifierService(
            engine=engine,
            config=ServiceConfig(
                public_url=settings.public_url,
                name=settings.name,
                policy=policy_from_settings(settings),
                client_id_scheme=settings.client_id_scheme,
                response_mode=settings.response_mode,
                request_lifetime=settings.request_lifetime_seconds,
                retention=settings.result_retention_seconds,
                logo_uri=settings.logo_uri,
                development=dev,
            ),
            identity=load_identity(settings),
            keys=IssuerKeys(fetcher=fetcher, allow_http=dev),
            status=StatusChecker(fetcher=fetcher),
            file_trust=sources.registry,
            clock=now,
        )
        webhooks = WebhookDispatcher(
            engine,
            fetcher=fetcher,
            secret_for=service.webhook_secret,
            clock=now,
            max_attempts=settings.webhook_max_attempts,
            backoff=settings.webhook_backoff_seconds,
        )
        service.webhooks = webhooks
        pruner = _Pruner(service.prune, settings.prune_interval_seconds)
        app.state.service, app.state.webhooks = service, webhooks
        if start_workers:
            webhooks.start()
            pruner.start()
        try:
            yield
        finally:
            if start_workers:
                webhooks.stop()
                pruner.stop()
            fetcher.close()
            engine.dispose()

    app = FastAPI(
        title=f"drukid verifier — {settings.name}",
        version="1",
        lifespan=lifespan,
        docs_url="/docs" if settings.development else None,
        redoc_url=None,
    )
    errors.install(app)
    for router in (rp.router, oid4vp.router, trust.router):
        app.include_router(router)

    @app.get("/health", tags=["health"])
    def health() -> dict[str, Any]:
        return {"status": "ok"}

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
