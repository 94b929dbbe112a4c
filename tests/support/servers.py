"""Run an ASGI app on a real loopback socket for end-to-end tests (uvicorn in a thread)."""

from __future__ import annotations

from servicekit.runner import free_port
from servicekit.runner import serve_in_thread as serve_app

__all__ = ["free_port", "serve_app"]
