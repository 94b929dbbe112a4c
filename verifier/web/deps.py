"""Who is at the desk, and the dependencies the teller routes take.

* Signing in checks the desk's relying-party API key exactly as the API does
  (:meth:`verifier.service.VerifierService.authenticate`) and opens a server-side session that
  holds the key's *id* only. The key itself is never stored, never put in a cookie and never
  sent back to the browser.
* Every page looks the key up again by id (:func:`identify`), so revoking a desk's key ends its
  sessions at once; a session that ends takes its check with it (:func:`end_check_with`).
* The session cookie is scoped to ``/teller``; sessions end after idle time (settings) and
  absolutely. Every POST carries the session's CSRF token; the sign-in form, before any
  session exists, a double-submit token (login CSRF would otherwise sign a teller in as
  someone else's desk). Failed sign-ins are throttled per client address
  (:mod:`servicekit.staff`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Annotated

from fastapi import Depends, Request

from servicekit.pages import app_state
from servicekit.sessions import Session
from servicekit.staff import SignedIn, StaffPages
from verifier.service import OfflineDesk, VerifierService
from verifier.settings import VerifierSettings

__all__ = [
    "Desk",
    "DeskDep",
    "OfflineDep",
    "PagesDep",
    "ServiceDep",
    "Teller",
    "TellerDep",
    "end_check_with",
    "identify",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Desk(SignedIn):
    """One signed-in page view: the session, the API key id and the desk's name."""

    key_id: str
    name: str

    @property
    def check_id(self) -> str | None:
        """The presentation request this desk is running or showing, if any."""
        value = self.session.data.get("check")
        return value if isinstance(value, str) else None

    def start_check(self, request_id: str) -> None:
        self.session.data["check"] = request_id
        self.session.data.pop("shown_until", None)

    def forget_check(self) -> None:
        """Nothing about the last check stays in the session."""
        self.session.data.pop("check", None)
        self.session.data.pop("shown_until", None)

    def shown_until(self, deadline: int) -> int:
        """When the current result leaves the screen: fixed the first time it is shown."""
        value = self.session.data.setdefault("shown_until", deadline)
        return int(value)


@dataclass(frozen=True, slots=True)
class Teller:
    """What the teller routes read besides the pages: the settings, the desk's time zone and
    the clock (UNIX seconds)."""

    settings: VerifierSettings
    zone: tzinfo
    clock: Callable[[], int]


def identify(request: Request, session: Session) -> Desk | None:
    """The desk of the session's key now (``None`` once the key is revoked)."""
    service: VerifierService = request.app.state.service
    key_id = str(session.data.get("key_id", ""))
    name = service.desk_name(key_id)
    if name is None:
        log.info("teller session ended: key %s is revoked", key_id)
        return None
    return Desk(session, key_id, name)


def end_check_with(service: Callable[[], VerifierService | None]) -> Callable[[Session], None]:
    """For the session store: a desk signed out, was signed out, or walked away, and its check
    (a code someone could still scan, or a result nobody is reading) is deleted with the
    session."""

    def ended(session: Session) -> None:
        check, key_id = session.data.get("check"), session.data.get("key_id")
        running = service()
        if running is None or not isinstance(check, str) or not isinstance(key_id, str):
            return
        try:
            running.discard_request(key_id, check)
        except Exception:  # the session ends regardless; pruning removes the row later
            log.exception("could not discard the check of an ended teller session")

    return ended


PagesDep = Annotated[StaffPages[Desk], Depends(app_state("teller_pages"))]
OfflineDep = Annotated[OfflineDesk, Depends(app_state("offline"))]
ServiceDep = Annotated[VerifierService, Depends(app_state("service"))]
TellerDep = Annotated[Teller, Depends(app_state("teller"))]


def _signed_in(request: Request, pages: PagesDep) -> Desk:
    return pages.visit(request)


DeskDep = Annotated[Desk, Depends(_signed_in)]
