"""``create_app(settings)``: the issuer's FastAPI application.

The lifespan builds the issuer's runtime (:func:`issuer.runtime.build_runtime`: database,
keys, credential types, the fetcher that resolves ``did:web`` proof keys, the flows and the
operator services), keeps it in ``app.state.runtime`` for the routes and the operator pages,
and closes it on shutdown. Nothing is built at import time.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from issuer.api.errors import install_issuer_error_handlers
from issuer.api.routes import (
    oauth,
    offers,
    oid4vci,
    operator_admin,
    operator_approvals,
    operator_credentials,
    operator_offers,
    operator_registry,
    operator_signin,
    public,
)
from issuer.api.routes.wellknown import discovery_router
from issuer.context import system_clock
from issuer.errors import IssuerError
from issuer.runtime import build_runtime
from issuer.settings import IssuerSettings
from issuer.web import install_pages
from servicekit.access_log import install_access_log_redaction
from servicekit.database import redact_url
from servicekit.http import BodySizeLimitMiddleware, SecurityHeadersMiddleware

__all__ = ["create_app"]

log = logging.getLogger(__name__)


def create_app(
    settings: IssuerSettings,
    *,
    clock: Callable[[], int] = system_clock,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> FastAPI:
    """The issuer app. ``clock`` and the randomness sources are for tests."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            runtime = await run_in_threadpool(
                build_runtime, settings, clock=clock, random_bytes=random_bytes, randbelow=randbelow
            )
        except IssuerError as exc:  # e.g. a schema that needs `drukid issuer db upgrade`
            log.error("the issuer cannot start: %s (%s)", exc.message, exc.code)
            raise
        app.state.runtime = runtime
        log.info(
            "issuer %s ready (%s mode, database %s)",
            settings.public_url,
            settings.mode,
            redact_url(settings.resolved_database_url),
        )
        try:
            yield
        finally:
            runtime.close()

    # The offer id is a bearer secret in the path; a CID is one in the registry's people path.
    install_access_log_redaction(("/offers/", "/api/v1/registry/people/"))
    app = FastAPI(
        title=f"drukid issuer — {settings.name}",
        version="1.0",
        lifespan=lifespan,
        docs_url="/docs" if settings.mode == "development" else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.mode == "development" else None,
    )
    install_issuer_error_handlers(app)
    app.include_router(discovery_router(urlsplit(settings.public_url).path.rstrip("/")))
    for module in (
        public,
        offers,
        oauth,
        oid4vci,
        operator_offers,
        operator_credentials,
        operator_approvals,
        operator_admin,
        operator_registry,
        operator_signin,
    ):
        app.include_router(module.router)
    pages = install_pages(app, settings, clock=clock)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes, response=pages.too_large
    )
    return app
