"""Signing a desk in with its relying-party API key, and out again."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import Response

from servicekit.pages import PageProblem
from servicekit.staff import client_address
from verifier.errors import ServiceError
from verifier.web import forms, words
from verifier.web.deps import DeskDep, PagesDep, ServiceDep

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter()


@router.post("/sign-in")
async def sign_in(request: Request, pages: PagesDep, service: ServiceDep) -> Response:
    form = await pages.sign_in_form(request)
    client = client_address(request)
    wait = pages.throttle.retry_after(client)
    if wait:
        return pages.sign_in_page(request, problem=words.throttled(wait))
    try:
        key_id = service.authenticate(forms.api_key_text(form.get("api_key")))
    except (ServiceError, PageProblem) as exc:
        pages.throttle.failed(client)
        log.info("teller sign-in refused")
        problem = exc if isinstance(exc, PageProblem) else words.KEY_REFUSED
        return pages.sign_in_page(request, problem=problem)
    pages.throttle.succeeded(client)
    log.info("teller signed in: key_id=%s", key_id)
    return pages.start_session(request, "", key_id=key_id)


@router.post("/sign-out")
async def sign_out(request: Request, pages: PagesDep, desk: DeskDep) -> Response:
    await pages.form(request, desk)
    log.info("teller signed out: key_id=%s", desk.key_id)
    return pages.end_session(request, desk)  # and with it the desk's check
