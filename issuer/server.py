"""``run(settings, host=..., port=..., workers=...)``: serve the issuer with uvicorn
(``drukid serve issuer``).

One worker serves the app built here. Several (``--workers N``, PostgreSQL only) are uvicorn's
worker processes, each building its own app with :func:`app_from_environment` from the same
``DRUKID_ISSUER_*`` settings; whatever they must share is in the database (codes, nonces,
status lists, the operator pages' sessions and throttles), and the signing keys are read from
the same data directory. Before the workers start (one or several), this process prepares the
issuer once (schema check or upgrade, a first signing key): a schema that needs ``drukid issuer
db upgrade``, or a data directory that cannot be written, stops the start here with one plain
line (exit status 2), not a traceback in every worker. The same workers run
under any ASGI process manager: ``uvicorn --factory issuer.server:app_from_environment
--workers 4`` (or gunicorn with uvicorn's worker class) with the settings in the environment.
"""

from __future__ import annotations

import os

import uvicorn
from fastapi import FastAPI

from core.terminal import refuse_start
from issuer.api.app import create_app
from issuer.errors import IssuerError
from issuer.runtime import build_runtime
from issuer.settings import IssuerSettings
from servicekit.runner import workers_problem

__all__ = ["app_from_environment", "run"]


def app_from_environment() -> FastAPI:
    """The issuer app from the ``DRUKID_ISSUER_*`` environment: each worker process's app."""
    return create_app(IssuerSettings())


def run(
    settings: IssuerSettings, *, host: str | None = None, port: int | None = None, workers: int = 1
) -> None:
    """Serve until interrupted. ``host``/``port`` override the listen address only; the public
    URL (what wallets see) stays as configured — except in development without an explicit
    public URL, where it follows the port so ``--port 9000`` just works on a laptop."""
    listen_port = port or settings.port
    derived = f"http://127.0.0.1:{settings.port}"  # the development default for public_url
    if settings.mode == "development" and settings.public_url == derived:
        settings = settings.model_copy(
            update={"public_url": f"http://127.0.0.1:{listen_port}", "port": listen_port}
        )
    problem = workers_problem(
        workers,
        env_prefix="DRUKID_ISSUER_",
        database_url=settings.resolved_database_url,
        sessions=settings.operator_sessions,
        sessions_setting="operator_sessions",
    )
    if problem:
        raise refuse_start(problem, None, "invalid_settings")
    try:
        # Schema, first key, demo data: once, first, and where a problem (a schema to upgrade,
        # a read-only data directory) is one plain line instead of a traceback per worker.
        build_runtime(settings).close()
    except IssuerError as exc:
        raise refuse_start(exc.message, exc.hint, exc.code) from exc
    options = {
        "host": host or settings.host,
        "port": listen_port,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
        "server_header": False,
        "log_level": "info",
    }
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    # The workers read their settings from the environment: what the listen port changed.
    os.environ["DRUKID_ISSUER_PUBLIC_URL"] = settings.public_url
    os.environ["DRUKID_ISSUER_PORT"] = str(listen_port)
    uvicorn.run(
        "issuer.server:app_from_environment",
        factory=True,
        workers=workers,
        **options,  # type: ignore[arg-type]
    )
