"""Public documents: SD-JWT VC Type Metadata at each ``vct``, status list tokens, home page."""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response

from credentials.status_list import STATUS_LIST_MEDIA_TYPE
from issuer.api.deps import RuntimeDep
from issuer.api.routes.wellknown import CACHE_PUBLIC

__all__ = ["router"]

router = APIRouter(tags=["public"])


@router.get("/types/{type_id}")
def type_metadata(type_id: str, runtime: RuntimeDep) -> JSONResponse:
    """SD-JWT VC draft-25 §6: the Type Metadata document a ``vct`` URL resolves to."""
    return JSONResponse(runtime.discovery.type_metadata(type_id), headers=CACHE_PUBLIC)


@router.get("/status")
def status_lists(runtime: RuntimeDep) -> JSONResponse:
    """drukid extension: the URIs of every status list this issuer serves, so a verifier can
    carry all of them in an offline trust bundle (docs/dev/contracts.md)."""
    body = {
        "credential_issuer": runtime.context.issuer_url,
        "status_lists": runtime.status_lists.uris(),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-cache"})


@router.get("/status/{list_id}")
def status_list(list_id: str, runtime: RuntimeDep) -> Response:
    """Token Status List §8.1: the signed list; ``ttl``/``exp`` inside govern caching, so HTTP
    caches must revalidate (a revocation shows on the next fetch)."""
    token = runtime.status_lists.token(list_id)
    return Response(token, media_type=STATUS_LIST_MEDIA_TYPE, headers={"Cache-Control": "no-cache"})


@router.get("/", response_class=HTMLResponse)
def home(runtime: RuntimeDep) -> HTMLResponse:
    name = html.escape(runtime.context.settings.name)
    items = "".join(
        f"<li>{html.escape(t.name)} — <a href='/types/{html.escape(t.id)}'>{html.escape(t.id)}</a>"
        "</li>"
        for t in sorted(runtime.context.types.values(), key=lambda t: t.id)
    )
    body = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{name}</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'></head><body>"
        f"<h1>{name}</h1><p>This service issues digital credentials to wallets. To get one, ask "
        "the agency's counter for a QR code and scan it with your wallet app.</p>"
        f"<h2>Credentials</h2><ul>{items}</ul>"
        "<p><a href='/.well-known/openid-credential-issuer'>Issuer metadata</a></p>"
        "</body></html>"
    )
    return HTMLResponse(body)
