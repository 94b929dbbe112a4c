"""Offline checks at the desk (docs/offline-qr.md): show a signed request QR, then read the
customer's answer codes from the camera or from photos, with no internet.

``POST /teller/offline/start`` makes the request (its nonce single-use, for this desk's
relying party); ``GET /teller/offline`` shows its code, how many answer codes were read, the
result in words once all are in, and the desk's latest offline results with their re-check
marks (a credential revoked since is flagged). Answer codes arrive as photos
(``POST /teller/offline/scan``, a multipart form that works without JavaScript) or as camera
frames that ``teller.js`` posts (``POST /teller/offline/frame``, the image as the body, the
CSRF token in ``X-CSRF-Token``): every image is decoded here, by the local verifier service
with zxing-cpp, so no decoder is loaded from the internet.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from core.errors import CodedError
from servicekit.pages import PageProblem
from servicekit.qr import decode_qr_image, qr_png
from servicekit.staff import NO_STORE
from verifier.errors import VerificationError
from verifier.request_templates import load_templates
from verifier.service.offline import OfflineDesk
from verifier.web import forms, views
from verifier.web.deps import Desk, DeskDep, OfflineDep, PagesDep, TellerDep

__all__ = ["router"]

router = APIRouter()

MAX_IMAGE = 4 * 1024 * 1024
MAX_PHOTOS = 16
_KEYS = ("offline", "offline_text", "offline_parts", "offline_result")
NO_OFFLINE = PageProblem(404, "There is no offline check running.", "Start a new one.")


def _forget(desk: Desk) -> None:
    for key in _KEYS:
        desk.session.data.pop(key, None)


def _add(desk: Desk, offline: OfflineDesk, texts: list[str]) -> dict[str, Any]:
    """Add decoded codes to this desk's answer; verify once every part is in."""
    data = desk.session.data
    parts = [t for t in data.get("offline_parts", []) if isinstance(t, str)]
    fresh = [t.strip() for t in texts if t.strip().upper().startswith("DKP1:")]
    parts.extend(t for t in fresh if t not in parts)
    try:
        collector = offline.collect(parts)
    except VerificationError as exc:  # a code of another answer: start the answer again
        data["offline_parts"] = []
        return {"complete": False, "progress": exc.message, "code": exc.code}
    data["offline_parts"] = parts
    if not collector.complete:
        return {"complete": False, "progress": collector.progress}
    try:
        verdict = offline.verify(parts)
    except VerificationError as exc:
        data["offline_result"] = {
            "status": "rejected",
            "message": exc.message,
            "explanation": exc.explanation,
            "code": exc.code,
        }
    else:
        data["offline_result"] = {"status": "verified", "lines": verdict.lines()}
    data["offline_parts"] = []
    return {"complete": True, "progress": collector.progress}


@router.post("/offline/start")
async def start_offline(
    request: Request, pages: PagesDep, desk: DeskDep, offline: OfflineDep
) -> Response:
    form = await pages.form(request, desk, "template")
    template = forms.template_choice(form.get("template"), load_templates())
    made = offline.create_request(template=template, rp_key_id=desk.key_id)
    _forget(desk)
    desk.session.data.update({"offline": made.id, "offline_text": made.text, "offline_parts": []})
    return pages.redirect(request, "/offline")


@router.get("/offline")
def offline_page(
    request: Request, pages: PagesDep, desk: DeskDep, offline: OfflineDep, teller: TellerDep
) -> Response:
    data = desk.session.data
    parts = data.get("offline_parts") or []
    progress = offline.collect(parts).progress if parts else "no code scanned yet"
    context: dict[str, Any] = {
        "page_title": "Offline check",
        "running": isinstance(data.get("offline"), str),
        "progress": progress,
        "result": data.get("offline_result"),
        "results": views.offline_results(offline.results(limit=10), teller.zone),
        "templates": [(t.id, t.title) for t in load_templates().values()],
    }
    return pages.render(request, "offline.html", context, visit=desk)


@router.get("/offline/qr.png")
def offline_qr(desk: DeskDep) -> Response:
    text = desk.session.data.get("offline_text")
    if not isinstance(text, str):
        raise NO_OFFLINE.copy()
    return Response(qr_png(text), media_type="image/png", headers=NO_STORE)


def _decode(raw: bytes) -> list[str]:
    try:
        return decode_qr_image(raw)
    except CodedError:  # no code in this frame or photo: the camera simply tries again
        return []


@router.post("/offline/scan")
async def scan_photos(
    request: Request, pages: PagesDep, desk: DeskDep, offline: OfflineDep
) -> Response:
    """Photos of the answer codes (multipart: ``csrf_token`` and up to 16 ``photo`` files)."""
    async with request.form(max_files=MAX_PHOTOS, max_fields=MAX_PHOTOS + 2) as form:
        token = form.get("csrf_token")
        if not desk.session.csrf_ok(token if isinstance(token, str) else None):
            raise pages.site.words.stale_form.copy()
        texts: list[str] = []
        for photo in form.getlist("photo"):
            if isinstance(photo, str):
                continue
            texts.extend(_decode(await photo.read(MAX_IMAGE + 1)))
    if not isinstance(desk.session.data.get("offline"), str):
        raise NO_OFFLINE.copy()
    if not texts:
        desk.flash("info", "No answer code was found in the photo; take a sharper, closer one.")
    else:
        _add(desk, offline, texts)
    return pages.redirect(request, "/offline")


@router.post("/offline/frame")
async def camera_frame(
    request: Request, pages: PagesDep, desk: DeskDep, offline: OfflineDep
) -> JSONResponse:
    """One camera frame (the image as the body): ``{"complete", "progress"}``."""
    if not desk.session.csrf_ok(request.headers.get("x-csrf-token")):
        raise pages.site.words.stale_form.copy()
    if not isinstance(desk.session.data.get("offline"), str):
        raise NO_OFFLINE.copy()
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_IMAGE:
            raise PageProblem(413, "The camera picture is too large.", "Use a lower resolution.")
    answer = _add(desk, offline, _decode(bytes(raw)))
    return JSONResponse(answer, headers=NO_STORE)


@router.post("/offline/end")
async def end_offline(request: Request, pages: PagesDep, desk: DeskDep) -> Response:
    await pages.form(request, desk)
    _forget(desk)
    return pages.redirect(request, "/offline")
