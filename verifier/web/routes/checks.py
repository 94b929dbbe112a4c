"""Checks at the desk: choose what to ask for, show the QR code, read the result.

Each handler parses, calls one service operation (the same ones the relying-party API uses)
and renders. ``GET /teller/check`` shows whatever the current check needs: the QR code while
it waits, then the result for ``teller_result_seconds``, after which the check is deleted and
the desk is back at the start page. The waiting page polls ``/teller/check/status`` (shared
``drukid.js``) and reloads into the result; without JavaScript, "Check now" does the same.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from servicekit.staff import NO_STORE, SignInRequired
from verifier.errors import RequestError
from verifier.request_templates import load_templates
from verifier.web import forms, views, words
from verifier.web.deps import Desk, DeskDep, PagesDep, ServiceDep, TellerDep

__all__ = ["router"]

router = APIRouter()


@router.get("")
def start_page(request: Request, pages: PagesDep, service: ServiceDep) -> Response:
    """Signed out: the sign-in form. Signed in: the choice of checks (or the running one)."""
    try:
        desk = pages.visit(request)
    except SignInRequired as exc:
        reason = exc.reason or request.query_params.get("reason")
        response = pages.sign_in_page(request, reason=reason)
        if request.cookies.get(pages.site.session_cookie):  # an ended session: forget it
            response.delete_cookie(pages.site.session_cookie, **pages.cookie(request))
        return response
    if desk.check_id is not None:
        return pages.redirect(request, "/check")
    registry = service.trust_registry()
    choices = views.choices(load_templates(), registry, service.type_metadata)
    return pages.render(request, "choose.html", {"choices": choices}, visit=desk)


@router.post("/start")
async def start_check(
    request: Request, pages: PagesDep, desk: DeskDep, service: ServiceDep
) -> Response:
    form = await pages.form(request, desk, "template", "purpose")
    template = forms.template_choice(form.get("template"), load_templates())
    purpose = forms.purpose_text(form.get("purpose"))
    if desk.check_id is not None:  # a second tab, or the back button: the old check ends
        service.discard_request(desk.key_id, desk.check_id)
        desk.forget_check()
    created = service.create_request(desk.key_id, template=template, purpose=purpose)
    desk.start_check(created["id"])
    return pages.redirect(request, "/check")


@router.get("/check")
def check_page(
    request: Request, pages: PagesDep, desk: DeskDep, service: ServiceDep, teller: TellerDep
) -> Response:
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
        return _waiting_page(request, pages, desk, teller, view, link)
    now = teller.clock()
    until = desk.shown_until(now + teller.settings.teller_result_seconds)
    if now >= until:
        service.discard_request(desk.key_id, check_id)
        desk.forget_check()
        desk.flash("info", "The last result was cleared from the screen.")
        return pages.redirect(request, "")
    context: dict[str, Any] = {"view": view, "status": view["status"], "clear_in": until - now}
    if view["status"] == "verified":
        context["credentials"] = views.shown_credentials(view, service.type_metadata, teller.zone)
    elif view["status"] == "rejected":
        context["refusal"] = views.refusal(view)
    return pages.render(request, "result.html", context, visit=desk)


def _waiting_page(
    request: Request,
    pages: PagesDep,
    desk: Desk,
    teller: TellerDep,
    view: dict[str, Any],
    link: str,
) -> Response:
    seconds_left = max(0, int(view["expires_at"]) - teller.clock())
    context = {
        "page_title": "Scan the code",
        "link": link,
        "purpose": view["purpose"],
        "seconds_left": seconds_left,
        "expires": views.format_time(int(view["expires_at"]), teller.zone),
    }
    return pages.render(request, "waiting.html", context, visit=desk)


@router.get("/check/status")
def check_status(request: Request, pages: PagesDep, service: ServiceDep) -> JSONResponse:
    """``{"status": …}`` of this desk's check, for the waiting page's poll: ``pending``,
    ``verified``, ``rejected``, ``expired``, ``none`` (no check) or ``signed_out``. Nothing
    else: the result itself is only ever on the page."""
    try:
        desk = pages.visit(request)
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
        raise words.NO_CHECK.copy()
    content, media_type = service.qr(desk.key_id, desk.check_id, "png")
    return Response(content, media_type=media_type, headers=NO_STORE)


@router.post("/check/end")
async def end_check(
    request: Request, pages: PagesDep, desk: DeskDep, service: ServiceDep
) -> Response:
    """Cancel a waiting check (its code stops working) or clear a result (it is deleted)."""
    await pages.form(request, desk)
    if desk.check_id is not None:
        service.discard_request(desk.key_id, desk.check_id)
        desk.forget_check()
    return pages.redirect(request, "")
