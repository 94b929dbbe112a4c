"""Signing in with an operator API key, signing out, and the start page for each role."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from issuer.api.deps import OperatorDep
from issuer.errors import UnauthorizedError
from issuer.operator import PERMISSIONS, Actor
from issuer.web import words
from issuer.web.deps import PagesDep, VisitDep
from servicekit.staff import client_address

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter()


def start_page(actor: Actor) -> str:
    """Where a role starts: finding people to issue to, or the list of issued credentials."""
    return "/search" if "registry:read" in PERMISSIONS[actor.role] else "/credentials"


@router.get("")
@router.get("/")
def home(request: Request, pages: PagesDep, visit: VisitDep) -> Response:
    return pages.redirect(request, start_page(visit.actor))


@router.get("/sign-in")
def sign_in_form(request: Request, pages: PagesDep, reason: str | None = None) -> Response:
    visit = pages.peek(request)
    if visit is not None:
        return pages.redirect(request, start_page(visit.actor))
    return pages.sign_in_page(request, reason=reason)


@router.post("/sign-in")
async def sign_in(request: Request, pages: PagesDep, operator: OperatorDep) -> Response:
    client = client_address(request)
    wait = pages.throttle.retry_after(client)
    if wait:
        log.warning("operator sign-in throttled for %s", client)
        return pages.sign_in_page(request, problem=words.throttled(wait))
    key = (await pages.sign_in_form(request)).get("api_key")
    if not key:
        return pages.sign_in_page(request, problem=words.NO_KEY)
    try:
        actor = await run_in_threadpool(operator.sign_in.authenticate, key)
    except UnauthorizedError as exc:
        pages.throttle.failed(client)
        log.warning("operator sign-in refused (%s) from %s", exc.code, client)
        refused = words.REVOKED_KEY if exc.code == "api_key_revoked" else words.WRONG_KEY
        return pages.sign_in_page(request, problem=refused)
    pages.throttle.succeeded(client)
    log.info("operator %s signed in to the operator pages", actor.id)
    return pages.start_session(
        request, start_page(actor), key_id=actor.id.removeprefix("key:"), lang="en"
    )


@router.post("/sign-out")
async def sign_out(request: Request, pages: PagesDep, visit: VisitDep) -> Response:
    await pages.form(request, visit)
    log.info("operator %s signed out", visit.actor.id)
    return pages.end_session(request, visit)
