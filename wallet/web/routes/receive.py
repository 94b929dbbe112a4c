"""Receive a credential: paste an offer link or upload a photo of its QR code; when the offer
needs a PIN, a second step asks for it; then the page shows what was received.

The loaded offer waits in the session under a random ticket (its pre-authorized code is a
bearer secret: it never goes back to the browser). The PIN travels in the form body only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from wallet.errors import WalletError
from wallet.web.deps import CheckedForm, Language, Link, Unlocked, Web
from wallet.web.forms import OFFER, Ticket
from wallet.web.pages import redirect
from wallet.web.state import PendingOffer
from wallet.web.words import OFFER_GONE

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
