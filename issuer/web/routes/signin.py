"""Signing in with an operator API key, signing out, and the start page for each role."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from issuer.api.deps import OperatorDep
from issuer.errors import UnauthorizedError
from issuer.operator import PERMISSIONS, Actor
from issuer.web.auth import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    check_csrf,
    check_sign_in_token,
    sign_in_token,
)
from issuer.web.forms import read_form
from issuer.web.pages import PREFIX, OperatorPages, PagesDep, VisitDep

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX, include_in_schema=False)

_WRONG_KEY = (
    "That key is not right. Check that you copied all of it (it starts with drk_) and try again."
)
_REVOKED_KEY = "This key was revoked. Ask an administrator for a new key."


def start_page(actor: Actor) -> str:
    """Where a role starts: finding people to issue to, or the list of issued credentials."""
    return "/search" if "registry:read" in PERMISSIONS[actor.role] else "/credentials"


@router.get("")
@router.get("/")
def home(request: Request, pages: PagesDep, visit: VisitDep) -> Response:
    return pages.redirect(request, start_page(visit.actor))


def _sign_in_page(
    request: Request,
    pages: OperatorPages,
    *,
    note: str | None = None,
    error: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    token = sign_in_token(request)
    response = pages.render(
        request,
        "sign_in.html",
        {"csrf_token": token, "note": note, "error": error, "page_title": "Sign in"},
        status=status,
        headers=headers,
    )
    response.set_cookie(SIGN_IN_COOKIE, token, max_age=3600, **pages.cookie(request, "/sign-in"))
    return response


@router.get("/sign-in")
def sign_in_form(request: Request, pages: PagesDep, reason: str | None = None) -> Response:
    visit = pages.peek(request)
    if visit is not None:
        return pages.redirect(request, start_page(visit.actor))
    return _sign_in_page(request, pages, note=pages.sign_in_note(reason))


@router.post("/sign-in")
async def sign_in(request: Request, pages: PagesDep, operator: OperatorDep) -> Response:
    client = request.client.host if request.client else "unknown"
    wait = pages.throttle.retry_after(client)
    if wait:
        log.warning("operator sign-in throttled for %s", client)
        return _sign_in_page(
            request,
            pages,
            error=(
                "Too many wrong keys were tried from this device. "
                f"Wait {wait} seconds, then try again."
            ),
            status=429,
            headers={"Retry-After": str(wait)},
        )
    form = await read_form(request, allowed=frozenset({"csrf_token", "api_key"}))
    check_sign_in_token(request, form)
    key = form.get("api_key")
    if not key:
        return _sign_in_page(
            request, pages, error="Paste your API key into the box, then press Sign in.", status=400
        )
    try:
        actor = await run_in_threadpool(operator.sign_in.authenticate, key)
    except UnauthorizedError as exc:
        pages.throttle.failed(client)
        log.warning("operator sign-in refused (%s) from %s", exc.code, client)
        error = _REVOKED_KEY if exc.code == "api_key_revoked" else _WRONG_KEY
        return _sign_in_page(
            request, pages, error=error, status=401, headers={"WWW-Authenticate": "Bearer"}
        )
    pages.throttle.succeeded(client)
    # A new session id at every sign-in: an id planted before it (session fixation) is useless.
    pages.sessions.drop(request.cookies.get(SESSION_COOKIE))
    session = pages.sessions.create(key_id=actor.id.removeprefix("key:"), lang="en")
    log.info("operator %s signed in to the operator pages", actor.id)
    response = pages.redirect(request, start_page(actor))
    response.set_cookie(SESSION_COOKIE, session.id, **pages.cookie(request))
    response.delete_cookie(SIGN_IN_COOKIE, **pages.cookie(request, "/sign-in"))
    return response


@router.post("/sign-out")
async def sign_out(request: Request, pages: PagesDep, visit: VisitDep) -> Response:
    form = await read_form(request, allowed=frozenset({"csrf_token"}))
    check_csrf(visit, form)
    pages.sessions.drop(visit.session.id)
    log.info("operator %s signed out", visit.actor.id)
    response = pages.redirect(request, "/sign-in", reason="signed_out")
    response.delete_cookie(SESSION_COOKIE, **pages.cookie(request))
    return response
