"""The citizen's pages of the authorization code flow (issue #12 §6): ``GET /authorize`` (only
with the ``request_uri`` of a pushed request, RFC 9126 §4), the sign-in with CID and a one-time
sign-in code, the consent, and the redirect back to the wallet (303, never 307: RFC 9700 §4.12
forbids replaying the form to the wallet).

The session cookie is ``SameSite=Lax`` (the page is reached by a cross-site navigation from the
wallet, where a Strict cookie would not be sent). Errors before the request is trusted are
pages, never redirects (RFC 6749 §4.1.2.1). No script is needed.
"""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from issuer.api.deps import RuntimeDep
from issuer.errors import IssuerError
from issuer.flows.authorization import AuthorizationPage, SignInRefused
from issuer.runtime import Runtime
from servicekit.pages import create_templates
from servicekit.qr import qr_svg
from servicekit.staff import client_address

__all__ = ["COOKIE", "router"]

router = APIRouter(tags=["authorize"])
COOKIE = "drukid_authorize"
_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


@cache
def templates() -> Jinja2Templates:
    return create_templates(_TEMPLATES)


def _context(request: Request, runtime: Runtime, **values: Any) -> dict[str, Any]:
    settings = runtime.context.settings
    return {
        "request": request,
        "agency": settings.name,
        "base": urlsplit(settings.public_url).path.rstrip("/"),
        **values,
    }


def _problem(request: Request, runtime: Runtime, exc: IssuerError) -> Response:
    status = exc.status if 400 <= exc.status < 500 else 400
    if exc.code == "signin_throttled":
        status = 429
    body = _context(request, runtime, message=exc.message, hint=exc.hint, code=exc.code)
    response = templates().TemplateResponse(request, "citizen/problem.html", body, status)
    for name, value in (exc.headers or {}).items():
        if name.lower() == "retry-after":
            response.headers[name] = value
    return response


def _render(
    request: Request, runtime: Runtime, page: AuthorizationPage, problem: str | None = None
) -> Response:
    name = "citizen/consent.html" if page.signed_in else "citizen/signin.html"
    body = _context(request, runtime, page=page, problem=problem, fid=runtime.fid_signin.enabled)
    return templates().TemplateResponse(request, name, body, 400 if problem else 200)


def _cookie(response: Response, runtime: Runtime, secret: str) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=runtime.context.settings.public_url.startswith("https://"),
        max_age=15 * 60,
        path=_cookie_path(runtime),
    )


def _cookie_path(runtime: Runtime) -> str:
    return urlsplit(runtime.context.settings.public_url).path.rstrip("/") + "/authorize"


FormText = Annotated[str, Form(max_length=2048)]


@router.get("/authorize")
async def authorize(request: Request, runtime: RuntimeDep) -> Response:
    query = request.query_params
    try:
        page, secret = await run_in_threadpool(
            runtime.authorization.start,
            client_id=query.get("client_id"),
            request_uri=query.get("request_uri"),
            browser=request.cookies.get(COOKIE),
        )
    except IssuerError as exc:
        return _problem(request, runtime, exc)
    response = _render(request, runtime, page)
    if secret is not None:
        _cookie(response, runtime, secret)
    return response


@router.post("/authorize/sign-in")
async def sign_in(
    request: Request,
    runtime: RuntimeDep,
    ref: FormText,
    csrf: FormText,
    cid: Annotated[str, Form(max_length=32)] = "",
    code: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    browser = request.cookies.get(COOKIE)
    try:
        page = await run_in_threadpool(
            runtime.authorization.sign_in_with_code,
            ref,
            browser=browser,
            csrf=csrf,
            cid=cid,
            code=code,
            client_address=client_address(request),
        )
    except SignInRefused as exc:
        view = await run_in_threadpool(runtime.authorization.view, ref, browser)
        left = f" You have {exc.tries_left} tries left." if exc.tries_left else ""
        return _render(request, runtime, view, problem=exc.message + left)
    except IssuerError as exc:
        return _problem(request, runtime, exc)
    return RedirectResponse(
        f"{_context(request, runtime)['base']}/authorize/continue?ref={page.ref}", 303
    )


@router.get("/authorize/continue")
async def continue_page(request: Request, runtime: RuntimeDep, ref: str = "") -> Response:
    try:
        page = await run_in_threadpool(
            runtime.authorization.view, ref[:64], request.cookies.get(COOKIE)
        )
    except IssuerError as exc:
        return _problem(request, runtime, exc)
    return _render(request, runtime, page)


@router.post("/authorize/consent")
async def consent(
    request: Request,
    runtime: RuntimeDep,
    ref: FormText,
    csrf: FormText,
    answer: Annotated[str, Form(max_length=16)] = "cancel",
    licence_number: Annotated[str | None, Form(max_length=32)] = None,
) -> Response:
    try:
        location = await run_in_threadpool(
            runtime.authorization.consent,
            ref,
            browser=request.cookies.get(COOKIE),
            csrf=csrf,
            approve=answer == "add",
            licence_number=licence_number,
        )
    except IssuerError as exc:
        return _problem(request, runtime, exc)
    response = RedirectResponse(location, 303)
    response.delete_cookie(COOKIE, path=_cookie_path(runtime))
    # CSP form-action also governs where a form's redirect may go: allow the wallet's origin.
    target = urlsplit(location)
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; form-action 'self' {target.scheme}://{target.netloc}"
    )
    return response


@router.post("/authorize/fid")
async def present_fid(
    request: Request, runtime: RuntimeDep, ref: FormText, csrf: FormText
) -> Response:
    """Method (b): the wallet link of a request at the agency's verifier, and its QR code."""
    try:
        started = await run_in_threadpool(
            runtime.fid_signin.start, ref, browser=request.cookies.get(COOKIE), csrf=csrf
        )
    except IssuerError as exc:
        return _problem(request, runtime, exc)
    qr = (
        "data:image/svg+xml;base64,"
        + base64.b64encode(qr_svg(started.wallet_link).encode()).decode()
    )
    body = _context(request, runtime, link=started.wallet_link, qr=qr)
    return templates().TemplateResponse(request, "citizen/fid.html", body)


@router.get("/authorize/presented")
async def presented(request: Request, runtime: RuntimeDep, response_code: str = "") -> Response:
    """The wallet's way back from the verifier, in this browser, with the single-use code."""
    try:
        page = await run_in_threadpool(
            runtime.fid_signin.finish,
            browser=request.cookies.get(COOKIE),
            response_code=response_code,
        )
    except IssuerError as exc:
        return _problem(request, runtime, exc)
    base = _context(request, runtime)["base"]
    return RedirectResponse(f"{base}/authorize/continue?ref={page.ref}", 303)
