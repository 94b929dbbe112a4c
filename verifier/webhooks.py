"""Signed webhooks: tell the relying party's server when a result has arrived.

* Body: JSON ``{"event": "presentation.completed", "request_id", "status", ...}``.
* Signed with ``Drukid-Signature`` (:mod:`verifier.webhook_signature`, which receivers use).
* Delivery runs in a background thread, never in the response endpoint: the wallet's answer is
  never delayed by a slow bank server. Failures are retried with exponential backoff and
  jitter (``backoff * 2^(attempt-1)``, at most an hour) up to ``max_attempts``.
* URLs go through the SSRF-guarded fetcher, redirects are not followed, and response bodies
  are never logged.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.encoding import EncodingError, parse_json
from did.errors import DIDError
from did.fetch import Fetcher
from verifier.storage.repos import WebhookDeliveries
from verifier.webhook_signature import SIGNATURE_HEADER, sign_webhook

__all__ = ["WebhookDispatcher"]

log = logging.getLogger(__name__)

MAX_BACKOFF = 3600


class WebhookDispatcher:
    """Delivers pending webhook rows. :meth:`run_once` for tests; :meth:`start` for a
    background thread that wakes on :meth:`notify` or every ``poll_interval`` seconds."""

    def __init__(
        self,
        engine: Engine,
        *,
        fetcher: Fetcher,
        secret_for: Callable[[str], str | None],
        clock: Callable[[], int],
        max_attempts: int = 8,
        backoff: float = 2.0,
        poll_interval: float = 1.0,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._engine = engine
        self._fetcher = fetcher
        self._secret_for = secret_for
        self._clock = clock
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._poll = poll_interval
        self._jitter = jitter
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def delay(self, attempts: int) -> int:
        """Seconds before retry number ``attempts`` (1-based), with up to 10% jitter."""
        base = min(self._backoff * 2 ** (attempts - 1), MAX_BACKOFF)
        return max(1, int(base * (1 + 0.1 * self._jitter())))

    def run_once(self) -> int:
        """Attempt every due delivery once; return how many were attempted."""
        with self._lock, Session(self._engine, expire_on_commit=False) as session:
            now = self._clock()
            due = WebhookDeliveries(session).due(now=now)
            for delivery in due:
                error = self._send(delivery.url, delivery.body or "", delivery.rp_key_id, now)
                delivery.attempts += 1
                if error is None:
                    delivery.status, delivery.body, delivery.last_error = "delivered", None, None
                    log.info("webhook delivered: request=%s", delivery.request_id)
                elif delivery.attempts >= self._max_attempts:
                    delivery.status, delivery.body, delivery.last_error = "failed", None, error
                    log.warning("webhook given up: request=%s code=%s", delivery.request_id, error)
                else:
                    delivery.last_error = error
                    delivery.next_attempt_at = now + self.delay(delivery.attempts)
                session.add(delivery)
            session.commit()
            return len(due)

    def _send(self, url: str, body: str, rp_key_id: str, now: int) -> str | None:
        secret = self._secret_for(rp_key_id)
        if secret is None:
            return "relying_party_revoked"
        raw = body.encode("utf-8")
        try:
            response = self._fetcher.request(
                "POST",
                url,
                json=parse_json(raw),  # re-serialised compactly: the same bytes as ``raw``
                headers={SIGNATURE_HEADER: sign_webhook(raw, secret, timestamp=now)},
                follow_redirects=False,
            )
        except (DIDError, EncodingError) as exc:
            return exc.code
        if 200 <= response.status < 300:
            return None
        return f"http_{response.status}"

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="drukid-webhooks", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the worker must survive a database hiccup
                log.exception("webhook worker iteration failed")
            self._wake.wait(self._poll)
            self._wake.clear()
