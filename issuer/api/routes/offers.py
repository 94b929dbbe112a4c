"""Credential Offers by reference (OpenID4VCI §4.1.3) and their QR codes."""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response

from issuer.api.deps import RuntimeDep
from servicekit.qr import qr_png, qr_svg

__all__ = ["router"]

router = APIRouter(prefix="/offers", tags=["offers"])


@router.get("/{offer_id}")
def credential_offer(offer_id: str, runtime: RuntimeDep) -> JSONResponse:
    return JSONResponse(runtime.preauthorized.credential_offer(offer_id))


@router.get("/{offer_id}/qr.png")
def offer_qr_png(offer_id: str, runtime: RuntimeDep) -> Response:
    return Response(qr_png(runtime.preauthorized.offer_link(offer_id)), media_type="image/png")


@router.get("/{offer_id}/qr.svg")
def offer_qr_svg(offer_id: str, runtime: RuntimeDep) -> Response:
    return Response(qr_svg(runtime.preauthorized.offer_link(offer_id)), media_type="image/svg+xml")


@router.get("/{offer_id}/page", response_class=HTMLResponse)
def offer_page(offer_id: str, runtime: RuntimeDep) -> HTMLResponse:
    """A page a clerk can show on a screen: the QR code and what to do next."""
    link = html.escape(runtime.preauthorized.offer_link(offer_id), quote=True)
    name = html.escape(runtime.context.settings.name)
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{name}: your credential</title></head><body><h1>{name}</h1>"
        "<p>Open your wallet app and scan this code to add your credential. If the wallet asks "
        "for a PIN, enter the one the agency gave you.</p>"
        f"<img src='qr.svg' alt='QR code for your credential offer' width='320' height='320'>"
        f"<p>On this phone? <a href='{link}'>Open in your wallet</a>.</p></body></html>"
    )
