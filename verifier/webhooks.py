"""Signed webhooks: tell the relying party's server when a result has arrived.

* Body: JSON ``{"event": "presentation.completed", "request_id", "status", ...}``.
* Signed with ``Drukid-Signature`` (:mod:`verifier.webhook_signature`, which receivers use) at
  the moment of sending, so ``t=`` is fresh however long the delivery waited.
* Delivery runs on a small thread pool, never in the response endpoint: the wallet's answer is
  never delayed by a slow bank server, and one bank's slow server never delays another's
  webhooks: at most ``per_rp`` deliveries of one relying party are in flight at once, and an
  endpoint that fails (a timeout, a refused connection, a 5xx) is left alone for a back-off
  (``backoff * 2^(failures-1)``, at most an hour): its other deliveries wait without using an
  attempt or a thread.
* Failures are retried with exponential backoff and jitter up to ``max_attempts``.
* Each delivery is leased in the database before it is sent (a conditional ``UPDATE`` of
  ``lease_until``, revision 0003), so of several workers exactly one sends it; a worker that
  dies mid-send leaves a lease that runs out and the delivery is tried again.
* URLs go through the SSRF-guarded fetcher, redirects are not followed, and response bodies
  are never logged.
"""

from __future__ import annotations

import logging
import random
import threading
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from urllib.parse import urlsplit

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


@dataclass(frozen=True, slots=True)
class _Job:
    id: int
    request_id: str
    rp_key_id: str
    url: str
    body: str
    attempts: int


def _endpoint(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class WebhookDispatcher:
    """Delivers pending webhook rows. :meth:`run_once` (tests) sends what is due and waits for
    it; :meth:`start` runs a background loop that hands due deliveries to the pool as they
    come, woken by :meth:`notify`, by a finished delivery, or every ``poll_interval`` seconds."""

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
        threads: int = 16,
        per_rp: int = 4,
        lease_seconds: int = 120,
    ) -> None:
        self._engine = engine
        self._fetcher = fetcher
        self._secret_for = secret_for
        self._clock = clock
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._poll = poll_interval
        self._jitter = jitter
        self._per_rp = per_rp
        self._lease = lease_seconds
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="drukid-webhook")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = threading.Lock()
        self._in_flight: dict[str, int] = defaultdict(int)  # per relying party
        self._failures: dict[str, int] = defaultdict(int)  # per endpoint, consecutive
        self._resting_until: dict[str, int] = {}  # per endpoint

    def delay(self, attempts: int) -> int:
        """Seconds before retry number ``attempts`` (1-based), with up to 10% jitter."""
        base = min(self._backoff * 2 ** (attempts - 1), MAX_BACKOFF)
        return max(1, int(base * (1 + 0.1 * self._jitter())))

    def run_once(self) -> int:
        """Send every due delivery (within the per-relying-party limit) and wait for them;
        return how many were attempted."""
        futures = self._dispatch()
        wait(futures)
        return len(futures)

    def _dispatch(self) -> list[Future[None]]:
        """Lease what is due and may go now, and hand it to the pool (without waiting)."""
        now = self._clock()
        jobs: list[_Job] = []
        with Session(self._engine, expire_on_commit=False) as session:
            deliveries = WebhookDeliveries(session)
            for row in deliveries.due(now=now, limit=100):
                assert row.id is not None
                endpoint = _endpoint(row.url)
                with self._state:
                    resting = self._resting_until.get(endpoint, 0)
                    busy = self._in_flight[row.rp_key_id] >= self._per_rp
                if resting > now:  # a failing endpoint: wait, without using an attempt
                    deliveries.postpone(row.id, until=resting)
                    continue
                if busy or not deliveries.lease(row.id, now=now, until=now + self._lease):
                    continue
                with self._state:
                    self._in_flight[row.rp_key_id] += 1
                jobs.append(
                    _Job(
                        row.id, row.request_id, row.rp_key_id, row.url, row.body or "", row.attempts
                    )
                )
            session.commit()
        return [self._pool.submit(self._deliver, job) for job in jobs]

    def _deliver(self, job: _Job) -> None:
        try:
            error = self._send(job.url, job.body, job.rp_key_id)
            self._record(job, error)
        except Exception:  # the lease runs out and another round tries again
            log.exception("webhook delivery failed: request=%s", job.request_id)
        finally:
            with self._state:
                self._in_flight[job.rp_key_id] -= 1
            self._wake.set()  # that relying party's next delivery may go now

    def _record(self, job: _Job, error: str | None) -> None:
        now = self._clock()
        endpoint = _endpoint(job.url)
        with self._state:
            if error is None:
                self._failures.pop(endpoint, None)
                self._resting_until.pop(endpoint, None)
            elif error != "relying_party_revoked":
                self._failures[endpoint] += 1
                self._resting_until[endpoint] = now + self.delay(self._failures[endpoint])
        attempts = job.attempts + 1
        with Session(self._engine, expire_on_commit=False) as session:
            deliveries = WebhookDeliveries(session)
            if error is None:
                deliveries.finish(job.id, status="delivered", attempts=attempts, error=None)
                log.info("webhook delivered: request=%s", job.request_id)
            elif attempts >= self._max_attempts:
                deliveries.finish(job.id, status="failed", attempts=attempts, error=error)
                log.warning("webhook given up: request=%s code=%s", job.request_id, error)
            else:
                deliveries.retry(
                    job.id, attempts=attempts, error=error, at=now + self.delay(attempts)
                )
            session.commit()

    def _send(self, url: str, body: str, rp_key_id: str) -> str | None:
        secret = self._secret_for(rp_key_id)
        if secret is None:
            return "relying_party_revoked"
        raw = body.encode("utf-8")
        try:
            response = self._fetcher.request(
                "POST",
                url,
                json=parse_json(raw),  # re-serialised compactly: the same bytes as ``raw``
                # Signed now, not when the round began: a receiver's replay window holds.
                headers={SIGNATURE_HEADER: sign_webhook(raw, secret, timestamp=self._clock())},
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
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._dispatch()
            except Exception:  # the worker must survive a database hiccup
                log.exception("webhook worker iteration failed")
            self._wake.wait(self._poll)
            self._wake.clear()
