"""Answer a verifier's request: paste its link or upload a photo of its QR code, read the
consent screen (who asks, why, what is shared, what stays hidden, warnings), then Share or
Don't share; the page then says what happened. An offline request QR (``DKR1:``,
docs/offline-qr.md) is answered with no network: "Show my answer as a QR code" pages, one
code each with next/previous (``/present/{ticket}/qr/{n}.png``).

The checked request waits in the session under a random ticket; nothing is sent before the
citizen presses a button, and only the exact value ``share`` shares.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from credentials.offline import REQUEST_PREFIX
from servicekit.qr import qr_png
from wallet.errors import WalletError
from wallet.holder import Wallet
from wallet.offline import OFFLINE_MODE
from wallet.presenting import PresentationOutcome, PresentationSession
from wallet.web.deps import CheckedForm, Language, Link, Unlocked, Web
from wallet.web.forms import REQUEST, Ticket
from wallet.web.pages import redirect
from wallet.web.state import PendingPresentation
from wallet.web.words import NO_DECISION, REQUEST_GONE

__all__ = ["router"]

router = APIRouter()


@router.get("/present")
def present_page(request: Request, web: Web, unlocked: Unlocked) -> Response:
    return web.pages.show(request, "wallet/present.html", unlocked.session)


@router.post("/present")
def present(
    request: Request, web: Web, unlocked: CheckedForm, lang: Language, link: Link
) -> Response:
    try:
        text = link.read(REQUEST, web.settings.max_upload_bytes)
        with unlocked.opened.use() as wallet:
            if text.startswith(REQUEST_PREFIX):  # an offline request: no network at all
                session = wallet.prepare_offline(text, language=lang)
            else:
                session = wallet.prepare_presentation(text, language=lang)
            pending = PendingPresentation(session.consent, session)
            ticket = unlocked.opened.add_presentation(pending)
    except WalletError as exc:
        return web.pages.show(request, "wallet/present.html", unlocked.session, problem=exc)
    return redirect(f"/present/{ticket}")


@router.get("/present/{ticket}")
def consent(request: Request, web: Web, unlocked: Unlocked, ticket: Ticket) -> Response:
    pending = unlocked.opened.presentations.get(ticket)
    if pending is None:
        return web.pages.show(
            request, "wallet/present.html", unlocked.session, problem=REQUEST_GONE
        )
    template = "wallet/consent.html" if pending.session is not None else "wallet/outcome.html"
    shown = request.query_params.get("code", "1")
    number = int(shown) if shown.isdigit() and 1 <= int(shown) <= len(pending.qr_parts) else 1
    return web.pages.show(
        request,
        template,
        unlocked.session,
        problem=pending.error,
        pending=pending,
        ticket=ticket,
        code=number,
    )


@router.post("/present/{ticket}")
def answer(
    request: Request,
    web: Web,
    unlocked: CheckedForm,
    ticket: Ticket,
    decision: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    pending = unlocked.opened.presentations.get(ticket)
    if pending is None:
        return web.pages.show(
            request, "wallet/present.html", unlocked.session, problem=REQUEST_GONE
        )
    if pending.session is None:  # answered already (a second click, a reload)
        return redirect(f"/present/{ticket}")
    if decision not in ("share", "refuse"):
        return web.pages.show(
            request,
            "wallet/consent.html",
            unlocked.session,
            problem=NO_DECISION,
            pending=pending,
            ticket=ticket,
        )
    with unlocked.opened.use() as wallet:
        session = pending.session  # read under the lock: two tabs cannot both answer
        if session is None:
            return redirect(f"/present/{ticket}")
        try:
            if session.request.response_mode == OFFLINE_MODE:
                _answer_offline(wallet, pending, session, decision == "share")
            elif decision == "share":
                pending.outcome = wallet.approve(session)
            else:
                pending.outcome = wallet.refuse(session)
        except WalletError as exc:
            pending.error = exc
        finally:
            pending.session = None  # the decrypted copies leave memory with it
    return redirect(f"/present/{ticket}")


def _answer_offline(
    wallet: Wallet, pending: PendingPresentation, session: PresentationSession, share: bool
) -> None:
    if share:
        answer = wallet.approve_offline(session)
        pending.qr_parts = answer.parts
        pending.outcome = PresentationOutcome("shared", answer.history_id)
    else:
        history_id = wallet.refuse_offline(session)
        pending.outcome = PresentationOutcome("refused", history_id, verifier_notified=False)


@router.get("/present/{ticket}/qr/{number}.png")
def answer_code(unlocked: Unlocked, ticket: Ticket, number: int) -> Response:
    """Code ``number`` (from 1) of an offline answer, as a PNG."""
    pending = unlocked.opened.presentations.get(ticket)
    parts = pending.qr_parts if pending is not None else ()
    if not 1 <= number <= len(parts):
        return Response(status_code=404)
    return Response(
        qr_png(parts[number - 1]), media_type="image/png", headers={"Cache-Control": "no-store"}
    )
