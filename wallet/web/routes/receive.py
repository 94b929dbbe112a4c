"""Receive a credential: paste an offer link or upload a photo of its QR code; when the offer
needs a PIN, a second step asks for it; then the page shows what was received.

The loaded offer waits in the session under a random ticket (its pre-authorized code is a
bearer secret: it never goes back to the browser). The PIN travels in the form body only.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from wallet.errors import WalletError
from wallet.web.deps import CheckedForm, CurrentSession, Language, Link, Unlocked, Web
from wallet.web.forms import OFFER, Ticket
from wallet.web.pages import redirect
from wallet.web.state import PendingOffer, WalletLocked, wallet_of
from wallet.web.words import AUTHORIZATION_GONE, OFFER_GONE

__all__ = ["router"]

router = APIRouter()


@router.get("/receive")
def receive_page(request: Request, web: Web, unlocked: Unlocked) -> Response:
    return web.pages.show(request, "wallet/receive.html", unlocked.session)


@router.post("/receive")
def receive(
    request: Request, web: Web, unlocked: CheckedForm, lang: Language, link: Link
) -> Response:
    try:
        text = link.read(OFFER, web.settings.max_upload_bytes)
        with unlocked.opened.use() as wallet:
            offer = wallet.load_offer(text)
            if offer.tx_code is None:
                received, waiting = wallet.receive_offer(offer, language=lang)
                ticket = unlocked.opened.add_offer(
                    PendingOffer(None, tuple(received), tuple(waiting))
                )
            else:
                ticket = unlocked.opened.add_offer(PendingOffer(offer))
    except WalletError as exc:
        return web.pages.show(request, "wallet/receive.html", unlocked.session, problem=exc)
    return redirect(f"/receive/{ticket}")


@router.post("/receive/start")
def start_authorization(
    request: Request,
    web: Web,
    unlocked: CheckedForm,
    issuer: Annotated[str, Form(max_length=500)] = "",
    type_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Wallet-initiated: push the request to the agency, then send the browser to its page."""
    callback = f"http://127.0.0.1:{web.settings.port}/receive/callback"
    try:
        with unlocked.opened.use() as wallet:
            url, pending = wallet.begin_authorization(
                issuer.strip(), type_id.strip(), redirect_uri=callback
            )
    except WalletError as exc:
        return web.pages.show(request, "wallet/receive.html", unlocked.session, problem=exc)
    unlocked.opened.authorizations[pending.state] = pending
    response = redirect(url)
    target = urlsplit(url)
    # CSP form-action also governs a form's redirect: allow the agency's page.
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; form-action 'self' {target.scheme}://{target.netloc}"
    )
    return response


@router.get("/receive/callback")
def authorization_callback(
    request: Request,
    web: Web,
    session: CurrentSession,
    lang: Language,
    state: str = "",
    hop: str = "",
) -> Response:
    """The agency's redirect back (``code``, ``state``, ``iss``). Arriving from another site,
    the browser leaves out the wallet's SameSite=Strict cookie: one hop through this page
    (same site) brings it."""
    opened = None
    if session is not None:
        try:
            opened = wallet_of(session)
        except WalletLocked:
            opened = None
    if opened is None or session is None:
        if hop:
            problem = AUTHORIZATION_GONE
            return web.pages.render(request, "wallet/problem.html", problem=problem, status=404)
        again = str(request.url.include_query_params(hop="1"))
        return web.pages.render(request, "wallet/continue.html", url=again)
    pending = opened.authorizations.pop(state[:128], None)
    if pending is None:
        return web.pages.show(request, "wallet/receive.html", session, problem=AUTHORIZATION_GONE)
    try:
        with opened.use() as wallet:
            view = wallet.complete_authorization(pending, str(request.url), language=lang)
    except WalletError as exc:
        return web.pages.show(request, "wallet/receive.html", session, problem=exc)
    ticket = opened.add_offer(PendingOffer(None, (view,)))
    return redirect(f"/receive/{ticket}")


@router.get("/receive/{ticket}")
def pending_offer(request: Request, web: Web, unlocked: Unlocked, ticket: Ticket) -> Response:
    session = unlocked.session
    pending = unlocked.opened.offers.get(ticket)
    if pending is None:
        return web.pages.show(request, "wallet/receive.html", session, problem=OFFER_GONE)
    if pending.received is not None:
        return web.pages.show(
            request,
            "wallet/received.html",
            session,
            views=pending.received,
            waiting=pending.waiting,
        )
    return web.pages.show(request, "wallet/pin.html", session, offer=pending.offer, ticket=ticket)


@router.post("/receive/{ticket}")
def receive_with_pin(
    request: Request,
    web: Web,
    unlocked: CheckedForm,
    ticket: Ticket,
    lang: Language,
    tx_code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    session = unlocked.session
    pending = unlocked.opened.offers.get(ticket)
    if pending is None:
        return web.pages.show(request, "wallet/receive.html", session, problem=OFFER_GONE)
    try:
        with unlocked.opened.use() as wallet:
            offer = pending.offer  # read under the lock: a second press finds it received
            if offer is not None:
                received, waiting = wallet.receive_offer(offer, tx_code=tx_code, language=lang)
                pending.offer, pending.received = None, tuple(received)
                pending.waiting = tuple(waiting)
    except WalletError as exc:
        return web.pages.show(
            request, "wallet/pin.html", session, problem=exc, offer=pending.offer, ticket=ticket
        )
    return redirect(f"/receive/{ticket}")
