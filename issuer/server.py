"""``run(settings, host=..., port=...)``: serve the issuer with uvicorn (``drukid serve``)."""

from __future__ import annotations

import uvicorn

from issuer.api.app import create_app
from issuer.settings import IssuerSettings

__all__ = ["run"]


def run(settings: IssuerSettings, *, host: str | None = None, port: int | None = None) -> None:
    """Serve until interrupted. ``host``/``port`` override the listen address only; the public
    URL (what wallets see) stays as configured — except in development without an explicit
    public URL, where it follows the port so ``--port 9000`` just works on a laptop."""
    listen_port = port or settings.port
    derived = f"http://127.0.0.1:{settings.port}"  # the development default for public_url
    if settings.mode == "development" and settings.public_url == derived:
        settings = settings.model_copy(
            update={"public_url": f"http://127.0.0.1:{listen_port}", "port": listen_port}
        )
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=listen_port,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
        log_level="info",
    )
