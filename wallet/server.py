"""``run(settings, host=..., port=...)``: serve the web wallet with uvicorn (``drukid serve
wallet``). It listens on 127.0.0.1 unless ``allow_non_loopback`` is set: an unlocked wallet is
not something to offer to the local network."""

from __future__ import annotations

import sys

import uvicorn

from core.terminal import refuse_start
from wallet.settings import WalletSettings, is_loopback
from wallet.web import create_app

__all__ = ["run"]


def run(settings: WalletSettings, *, host: str | None = None, port: int | None = None) -> None:
    """Serve until interrupted. ``host``/``port`` override the settings' listen address; a host
    that is not this machine stops the start (exit status 2) unless explicitly allowed."""
    host = host or settings.host
    port = port or settings.port
    if not settings.allow_non_loopback and not is_loopback(host):
        raise refuse_start(
            f"the web wallet will not listen on {host!r}",
            "Use --host 127.0.0.1 (the default) and open http://127.0.0.1:"
            f"{port}/ on this computer. To listen elsewhere anyway, set "
            "DRUKID_WALLET_ALLOW_NON_LOOPBACK=true: anyone who can reach the port then sees "
            "your wallet's pages, unencrypted.",
            "host_not_loopback",
        )
    settings = settings.model_copy(update={"host": host, "port": port})
    print(f"Your wallet: open http://{_url_host(host)}:{port}/ in your browser.", file=sys.stderr)
    uvicorn.run(
        create_app(settings),
        host=host,
        port=port,
        proxy_headers=False,
        server_header=False,
        log_level="info",
    )


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
