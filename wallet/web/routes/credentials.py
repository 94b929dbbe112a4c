"""The credentials the wallet holds: cards, one credential's details, checking their status
with the issuers, deleting one."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from wallet.web.deps import CheckedForm, Language, Unlocked, Web
from wallet.web.forms import CredentialId
from wallet.web.pages import flash, redirect
from wallet.web.views import CARD_CLAIMS, detail_rows, status_summary

__all__ = ["router"]

router = APIRouter()


@router.get("/credentials")
def list_credentials(request: Request, web: Web, unlocked: Unlocked, lang: Language) -> Response:
    with unlocked.opened.use() as wallet:
        views = wallet.credentials(language=lang)
        pending = wallet.pending(language=lang)
        now = wallet.now()
    return web.pages.show(
        request,
        "wallet/credentials.html",
        unlocked.session,
        views=views,
        pending=pending,
        now=now,
        card_claims=CARD_CLAIMS,
    )


@router.post("/credentials/pending")
def check_pending(unlocked: CheckedForm, lang: Language) -> Response:
    """Ask the agencies about credentials waiting for approval (none before its interval)."""
    with unlocked.opened.use() as wallet:
        outcomes = wallet.check_pending(language=lang)
    if outcomes:
        flash(unlocked.session, " ".join(words for _check, words in outcomes))
    return redirect("/credentials")


@router.post("/credentials/status")
def check_status(unlocked: CheckedForm, lang: Language) -> Response:
    with unlocked.opened.use() as wallet:
        views = wallet.check_status(language=lang)
    if views:
        flash(unlocked.session, *status_summary(views))
    return redirect("/credentials")


@router.get("/credentials/{credential_id}")
def show_credential(
    request: Request, web: Web, unlocked: Unlocked, credential_id: CredentialId, lang: Language
) -> Response:
    with unlocked.opened.use() as wallet:
        view = wallet.credential(credential_id, language=lang)
        now = wallet.now()
    return web.pages.show(
        request,
        "wallet/credential.html",
        unlocked.session,
        view=view,
        rows=detail_rows(view),
        now=now,
    )


@router.get("/credentials/{credential_id}/delete")
def confirm_delete(
    request: Request, web: Web, unlocked: Unlocked, credential_id: CredentialId, lang: Language
) -> Response:
    with unlocked.opened.use() as wallet:
        view = wallet.credential(credential_id, language=lang)
    return web.pages.show(request, "wallet/delete.html", unlocked.session, view=view)


@router.post("/credentials/{credential_id}/delete")
def delete(unlocked: CheckedForm, credential_id: CredentialId, lang: Language) -> Response:
    with unlocked.opened.use() as wallet:
        view = wallet.credential(credential_id, language=lang)
        wallet.delete(view.id)
    flash(unlocked.session, f"Deleted your {view.title} and its keys from this wallet.")
    return redirect("/credentials")
