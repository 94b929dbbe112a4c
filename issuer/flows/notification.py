"""The OpenID4VCI notification endpoint (§11): the wallet's event (accepted, deleted, failed)
for the credentials of one access token, kept with those credentials."""

from __future__ import annotations

import logging
from typing import Any

from issuer.context import IssuerContext
from issuer.errors import InvalidNotificationIdError
from issuer.flows.access import live_access_token
from issuer.oid4vci.notification import parse_notification_request
from issuer.storage.repos import Credentials

__all__ = ["Notifications"]

log = logging.getLogger(__name__)


class Notifications:
    """Wallet notifications (OpenID4VCI §11)."""

    def __init__(self, context: IssuerContext) -> None:
        self.context = context

    def notify(self, access_token: str | None, body: Any) -> None:
        """Record the wallet's event; identical repeats succeed."""
        now = self.context.clock()
        with self.context.session(write=True) as s:
            token = live_access_token(s, access_token, now)
            request = parse_notification_request(body)
            credentials = Credentials(s)
            rows = credentials.by_notification(request.notification_id)
            if not rows or any(row.offer_ref != token.offer_ref for row in rows):
                raise InvalidNotificationIdError("the notification_id is not known for this token")
            credentials.notify(request.notification_id, event=request.event, now=now)
            s.commit()
        log.info("wallet notification %s for offer %s", request.event, token.offer_ref)
