"""ASGI guards in front of the web wallet's pages.

* :class:`LoopbackHostOnly`: answers only requests addressed to this machine by name
  (``Host: 127.0.0.1``, ``localhost``, ``[::1]``). A web page elsewhere can point its own domain
  name at 127.0.0.1 ("DNS rebinding") to talk to local apps as if it were them; its requests
  still carry its own name in ``Host`` and are refused here.
* :class:`PageBodyLimit`: the shared body cap, answered with a page instead of JSON (a person
  uploaded a photo that is too large).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from servicekit.http import BodySizeLimitMiddleware

__all__ = ["LoopbackHostOnly", "PageBodyLimit"]


def _host_name(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            try:
                host: str | None = urlsplit("//" + bytes(value).decode("latin-1")).hostname
            except ValueError:
                return None
            return host
    return None


class LoopbackHostOnly:
    def __init__(self, app: ASGIApp, *, allowed: frozenset[str], render: Callable[[], str]) -> None:
        self.app = app
        self.allowed = allowed
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _host_name(scope) not in self.allowed:
            response = HTMLResponse(
                self.render(), status_code=421, headers={"Cache-Control": "no-store"}
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class PageBodyLimit(BodySizeLimitMiddleware):
    """The shared body cap, answering with an HTML page a person can read; ``render`` gets the
    request's path, so the page can speak of the photo or the backup file that was sent."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, render: Callable[[str], str]) -> None:
        super().__init__(
            app,
            max_bytes=max_bytes,
            response=lambda scope, _limit: HTMLResponse(
                render(str(scope.get("path", ""))),
                status_code=413,
                headers={"Cache-Control": "no-store"},
            ),
        )
