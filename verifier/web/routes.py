"""The teller pages: sign in, choose what to ask for, show the QR code, read the result.

Each handler parses, calls one service operation (the same ones the relying-party API uses)
and renders. ``GET /teller/check`` shows whatever the current check needs: the QR code while
it waits, then the result for ``teller_result_seconds``, after which the check is deleted and
the desk is back at the start page. The waiting page polls ``/teller/check/status`` (shared
``drukid.js``) and reloads into the result; without JavaScript, "Check now" does the same.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from verifier.errors import RequestError, ServiceError
from verifier.request_templates import load_templates
from verifier.web import forms, views
from verifier.web.auth import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    check_csrf,
    check_sign_in_token,
    sign_in_token,
)
from verifier.web.pages import NO_STORE, PREFIX, DeskDep, PagesDep, ServiceDep
from verifier.web.problems import PageProblem, SignInRequired

__all__ = ["router"]

log = logging.getLogger(__name__)

router = APIRouter(prefix=PREFIX, include_in_schema=False)

_KEY_REFUSED = PageProblem(
    401,
    "This key was not accepted.",
    "Check that you pasted the whole key (it starts with drk_). If it still fails, ask your "
    "administrator for a new key.",
)


@router.get("")
def start_page(request: Request, pages: PagesDep, service: ServiceDep) -> Response:
    """Signed out: the sign-in form. Signed in: the choice of checks (or the running one)."""
    try:
        desk = pages.desk(request, service)
    except SignInRequired as exc:
        response = _sign_in_page(
            request, pages, note=exc.reason or request.query_params.get("reason")
        )
        if request.cookies.get(SESSION_COOKIE):  # an ended session: forget its cookie
            response.delete_cookie(SESSION_COOKIE, **pages.cookie(request))
        return response
    if desk.check_id is not None:
        return pages.redirect(request, "/check")
    registry = service.trust_registry()
    choices = views.choices(load_templates(), registry, service.type_metadata)
    return pages.render(request, "choose.html", {"choices": choices}, desk=desk)


def _sign_in_page(
    request: Request,
    pages: PagesDep,
    *,
    note: str | None = None,
    problem: PageProblem | None = None,
) -> Response:
    token = sign_in_token(request.cookies)
    response = pages.render(
        request,
        "sign_in.html",
        {
            "page_title": "Sign in this desk",
            "sign_in_token": token,
            "note": pages.sign_in_note(note),
            "problem": problem,
            "idle_minutes": pages.settings.teller_idle_seconds // 60,
        },
        status=problem.status if problem is not None else 200,
        headers=problem.headers if problem is not None else None,
    )
    response.set_cookie(SIGN_IN_COOKIE, token, **pages.cookie(request))
    return response


@router.post("/sign-in")
async def sign_in(request: Request, pages: PagesDep, service: ServiceDep) -> Response:
    form = await forms.read_form(request, allowed=("csrf_token", "api_key"))
    check_sign_in_token(request.cookies, form)
    client = request.client.host if request.client else "unknown"
    wait = pages.throttle.retry_after(client)
    if wait:
        minutes = -(-wait // 60)
        problem = PageProblem(
            429,
            "Too many wrong keys were tried from this computer.",
            f"Wait {minutes} minute{'s' if minutes != 1 else ''}, then try again.",
            headers={"Retry-After": str(wait)},
        )
        return _sign_in_page(request, pages, problem=problem)
    try:
        key_id = service.authenticate(forms.api_key_text(form.get("api_key")))
    except (ServiceError, PageProblem) as exc:
        pages.throttle.failed(client)
        log.info("teller sign-in refused")
        problem = exc if isinstance(exc, PageProblem) else _KEY_REFUSED
        return _sign_in_page(request, pages, problem=problem)
    pages.throttle.succeeded(client)
    pages.sessions.drop(request.cookies.get(SESSION_COOKIE))  # a new id: no session fixation
    session = pages.sessions.create(key_id=key_id)
    log.info("teller signed in: key_id=%s", key_id)
    response = pages.redirect(request, "")
    response.set_cookie(SESSION_COOKIE, session.id, **pages.cookie(request))
    response.delete_cookie(SIGN_IN_COOKIE, **pages.cookie(request))
    return response


@router.post("/sign-out")
async def sign_out(request: Request, pages: PagesDep, desk: DeskDep) -> Response:
    check_csrf(desk, await forms.read_form(request, allowed=("csrf_token",)))
    pages.sessions.drop(desk.session.id)  # and with it the desk's check
    log.info("teller signed out: key_id=%s", desk.key_id)
    response = pages.redirect(request, "?reason=signed_out")
    response.delete_cookie(SESSION_COOKIE, **pages.cookie(request))
    return response


@router.post("/start")
async def start_check(
    request: Request, pages: PagesDep, desk: DeskDep, service: ServiceDep
) -> Response:
    form = await forms.read_form(request, allowed=("csrf_token", "template", "purpose"))
    check_csrf(desk, form)
    template = forms.template_choice(form.get("template"), load_templates())
    purpose = forms.purpose_text(form.get("purpose"))
    if desk.check_id is not None:  # a second tab, or the back button: the old check ends
        service.discard_request(desk.key_id, desk.check_id)
        desk.forget_check()
    created = service.create_request(desk.key_id, template=template, purpose=purpose)
    desk.start_check(created["id"])
    return pages.redirect(request, "/check")


@router.get("/check")
def check_page(request: Request, pages: PagesDep, desk: DeskDep, service: ServiceDep) -> Response:
    check_id = desk.check_id
    if check_id is None:
        return pages.redirect(request, "")
    try:
        view = service.request_view(desk.key_id, check_id)
    except RequestError:
        desk.forget_check()
        desk.flash("info", "The last check is no longer available. Start a new one.")
        return pages.redirect(request, "")
    if view["status"] == "pending":
        link = service.request_link(desk.key_id, check_id)
        return _waiting_page(request, pages, desk, view, link)
    now = pages.clock()
    until = desk.shown_until(now + pages.settings.teller_result_seconds)
    if now >= until:
        service.discard_request(desk.key_id, check_id)
        desk.forget_check()
        desk.flash("info", "The last result was cleared from the screen.")
        return pages.redirect(request, "")
    context: dict[str, Any] = {"view": view, "status": view["status"], "clear_in": until - now}
    if view["status"] == "verified":
        context["credentials"] = views.shown_credentials(view, service.type_metadata, pages.zone)
    elif view["status"] == "rejected":
        context["refusal"] = views.refusal(view)
    return pages.render(request, "result.html", context, desk=desk)


def _waiting_page(
    request: Request, pages: PagesDep, desk: DeskDep, view: dict[str, Any], link: str
) -> Response:
    seconds_left = max(0, int(view["expires_at"]) - pages.clock())
    context = {
        "page_title": "Scan the code",
        "link": link,
        "purpose": view["purpose"],
        "seconds_left": seconds_left,
        "expires": views.format_time(int(view["expires_at"]), pages.zone),
    }
    return pages.render(request, "waiting.html", context, desk=desk)


@router.get("/check/status")
def check_status(request: Request, pages: PagesDep, service: ServiceDep) -> JSONResponse:
    """``{"status": …}`` of this desk's check, for the waiting page's poll: ``pending``,
    ``verified``, ``rejected``, ``expired``, ``none`` (no check) or ``signed_out``. Nothing
    else: the result itself is only ever on the page."""
    try:
        desk = pages.desk(request, service)
    except SignInRequired:
        return JSONResponse({"status": "signed_out"}, headers=NO_STORE)
    status = "none"
    if desk.check_id is not None:
        try:
            status = str(service.request_view(desk.key_id, desk.check_id)["status"])
        except RequestError:
            status = "none"
    return JSONResponse({"status": status}, headers=NO_STORE)


@router.get("/check/qr.png")
def check_qr(request: Request, desk: DeskDep, service: ServiceDep) -> Response:
    if desk.check_id is None:
        raise PageProblem(404, "There is no check running.", "Start a new check.")
    content, media_type = service.qr(desk.key_id, desk.check_id, "png")
    return Response(content, media_type=media_type, headers=NO_STORE)


@router.post("/check/end")
async def end_check(
    request: Request, pages: PagesDep, desk: DeskDep, service: ServiceDep
) -> Response:
    """Cancel a waiting check (its code stops working) or clear a result (it is deleted)."""
    check_csrf(desk, await forms.read_form(request, allowed=("csrf_token",)))
    if desk.check_id is not None:
        service.discard_request(desk.key_id, desk.check_id)
        desk.forget_check()
    return pages.redirect(request, "")
