"""Who is using the operator pages, and the dependencies the routes take.

* Signing in verifies the operator API key exactly as the API does (the stored SHA-256 hash,
  compared in constant time) and opens a server-side session that holds the key's *id* only;
  the key itself is never stored or put in a cookie.
* Every request looks the key up again by id (:func:`identify`), so revoking the key ends its
  sessions at once.
* The session cookie is scoped to ``/operator``; sessions end after idle time (settings) and
  absolutely. Every POST carries the session's CSRF token; the sign-in form, before any
  session exists, a double-submit token (:mod:`servicekit.staff`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from issuer.errors import UnauthorizedError
from issuer.operator import PERMISSIONS, Actor, Operator
from issuer.web import views
from servicekit.pages import app_state
from servicekit.sessions import Session
from servicekit.staff import SignedIn, StaffPages

__all__ = ["PagesDep", "Visit", "VisitDep", "identify"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Visit(SignedIn):
    """One signed-in request: the session and the actor its API key stands for."""

    actor: Actor

    @property
    def lang(self) -> str:
        return str(self.session.data.get("lang", "en"))

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS[self.actor.role]


def identify(request: Request, session: Session) -> Visit | None:
    """The actor of the session's key now (``None`` once the key is revoked); a ``?lang=``
    on the address switches the language of credential names for the session."""
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:  # the service is still starting or stopping
        return None
    operator: Operator = runtime.operator
    try:
        actor = operator.sign_in.actor_for_key(str(session.data.get("key_id", "")))
    except UnauthorizedError as exc:
        log.info("operator session ended: %s", exc.code)
        return None
    lang = request.query_params.get("lang")
    if lang in views.LANGUAGES:
        session.data["lang"] = lang
    return Visit(session, actor)


PagesDep = Annotated[StaffPages[Visit], Depends(app_state("operator_pages"))]


def _visit(request: Request, pages: PagesDep) -> Visit:
    return pages.visit(request)


VisitDep = Annotated[Visit, Depends(_visit)]
