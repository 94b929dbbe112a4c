"""Data minimisation over time: unanswered requests expire, results are deleted once their
retention ends, finished webhook deliveries go.

:meth:`Retention.prune` is what the app's background pruner runs; the request and result
endpoints also call :meth:`Retention.prune_on_access`, at most every
:data:`PRUNE_ON_ACCESS_SECONDS`, so a service whose pruner is stopped still forgets on time.
"""

from __future__ import annotations

from verifier.service.context import ServiceContext
from verifier.storage.repos import Requests, WebhookDeliveries

__all__ = ["PRUNE_ON_ACCESS_SECONDS", "Retention"]

PRUNE_ON_ACCESS_SECONDS = 5  # polls come every second; pruning that often would be waste


class Retention:
    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self._last_prune = 0

    def prune(self) -> int:
        """Expire unanswered requests, delete results past retention; how many went."""
        now = self.context.clock()
        with self.context.session() as session:
            requests = Requests(session)
            requests.expire(now=now, retention=self.context.config.retention)
            removed = requests.delete_past_retention(now=now)
            WebhookDeliveries(session).delete_finished()
            session.commit()
        return removed

    def prune_on_access(self) -> None:
        now = self.context.clock()
        if now >= self._last_prune + PRUNE_ON_ACCESS_SECONDS:
            self._last_prune = now
            self.prune()
