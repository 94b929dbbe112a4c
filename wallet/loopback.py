"""The command line's redirect listener for the authorization code flow (RFC 8252 §7.3): an
HTTP server on ``127.0.0.1`` with an ephemeral port that waits for the one redirect back from
the agency's page, answers the browser in plain words, and stops. Only the loopback interface,
only ``GET`` on the callback path; anything else is a 404 and the wait goes on."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from wallet.errors import ReceiveError

__all__ = ["CallbackListener"]

_DONE = (
    b"<!doctype html><meta charset=utf-8><title>drukid wallet</title>"
    b"<p>Done. You can close this page and go back to the wallet.</p>"
)


class CallbackListener:
    """``with CallbackListener() as listener: ... listener.wait(timeout)``."""

    def __init__(self, *, path: str = "/callback") -> None:
        self.path = path
        self._received: str | None = None
        self._event = threading.Event()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if urlsplit(self.path).path != listener.path or listener._event.is_set():
                    self.send_error(404)
                    return
                listener._received = self.path
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Cache-Control", "no-store")
                self.send_header("Referrer-Policy", "no-referrer")
                self.end_headers()
                self.wfile.write(_DONE)
                listener._event.set()

            def log_message(self, format: str, *args: object) -> None:
                return  # the query holds the code: never logged

        self._server = HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.path}"

    def __enter__(self) -> CallbackListener:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait(self, timeout: float) -> str:
        """The full redirect URL the browser brought back."""
        if not self._event.wait(timeout) or self._received is None:
            raise ReceiveError(
                "the sign-in at the agency's page did not finish in time",
                code="authorization_timeout",
            )
        return f"http://127.0.0.1:{self._server.server_address[1]}{self._received}"
