"""The teller page: a bank or agency counter starts a check, shows the QR code and reads the
answer in plain words. Static files only; the page talks to the relying-party API with the
desk's API key (kept in the browser tab's session storage)."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Response

from verifier.errors import ServiceError

__all__ = ["router"]

router = APIRouter(tags=["teller"])

_ASSETS = {
    "teller.js": "text/javascript; charset=utf-8",
    "teller.css": "text/css; charset=utf-8",
}


def _read(name: str) -> bytes:
    return resources.files("verifier.api").joinpath("static", name).read_bytes()


@router.get("/teller")
def teller_page() -> Response:
    return Response(_read("teller.html"), media_type="text/html; charset=utf-8")


@router.get("/teller/{asset}")
def teller_asset(asset: str) -> Response:
    media_type = _ASSETS.get(asset)
    if media_type is None:
        raise ServiceError(f"no teller file {asset[:40]!r}", code="not_found", status=404)
    return Response(_read(asset), media_type=media_type, headers={"Cache-Control": "no-cache"})
