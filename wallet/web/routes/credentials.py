"""The credentials the wallet holds: cards, one credential's details, checking their status
with the issuers, deleting one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from wallet.views import CredentialView
from wallet.web.deps import CheckedForm, Unlocked, Web
from wallet.web.routes.common import flash, language, redirect

__all__ = ["router"]

router = APIRouter()

CredentialId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{4,64}$")]
# On a card: the first few details in the order the issuer's type metadata lists them.
CARD_CLAIMS = 3


@dataclass(frozen=True, slots=True)
class DetailRow:
    label: str
    value: str
    you_choose: bool  # can stay hidden when sharing (selectively disclosable)


def detail_rows(view: CredentialView) -> list[DetailRow]:
    return [
        DetailRow(
            claim.label,
            claim.value,
            any(claim.path[: len(p)] == p for p in view.hidden_by_default),
        )
        for claim in view.claims
    ]


@router.get("/credentials")
def list_credentials(request: Request, web: Web, unlocked: Unlocked) -> Response:
    with unlocked.opened.use() as wallet:
        views = wallet.credentials(language=language(request))
        now = wallet.now()
    return web.pages.show(
        request,
        "wallet/credentials.html",
        unlocked.session,
        views=views,
        now=now,
        card_claims=CARD_CLAIMS,
    )


def status_summary(views: Sequence[CredentialView]) -> tuple[str, str]:
    """The notice after a check, and its kind (``ok``, or ``warn`` when anything needs care)."""
    counts = Counter(view.status_text.word.lower() for view in views)
    said = ", ".join(f"{count} {word}" for word, count in sorted(counts.items()))
    count = "1 credential" if len(views) == 1 else f"{len(views)} credentials"
    text = f"Asked the issuers about {count}: {said}."
    unreachable = sum(1 for v in views if v.status is not None and v.status.problem)
    if unreachable:
        text += (
            f" {unreachable} could not be checked now; each card shows the last known status "
            "and when it was checked. Try again when you are online."
        )
    calm = not unreachable and set(counts) <= {"valid", "cannot be revoked"}
    return text, "ok" if calm else "warn"


@router.post("/credentials/status")
def check_status(request: Request, unlocked: CheckedForm) -> Response:
    with unlocked.opened.use() as wallet:
        views = wallet.check_status(language=language(request))
    if views:
        flash(unlocked.session, *status_summary(views))
    return redirect("/credentials")


@router.get("/credentials/{credential_id}")
def show_credential(
    request: Request, web: Web, unlocked: Unlocked, credential_id: CredentialId
) -> Response:
    with unlocked.opened.use() as wallet:
        view = wallet.credential(credential_id, language=language(request))
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
    request: Request, web: Web, unlocked: Unlocked, credential_id: CredentialId
) -> Response:
    with unlocked.opened.use() as wallet:
        view = wallet.credential(credential_id, language=language(request))
    return web.pages.show(request, "wallet/delete.html", unlocked.session, view=view)


@router.post("/credentials/{credential_id}/delete")
def delete(request: Request, unlocked: CheckedForm, credential_id: CredentialId) -> Response:
    with unlocked.opened.use() as wallet:
        view = wallet.credential(credential_id, language=language(request))
        wallet.delete(view.id)
    flash(unlocked.session, f"Deleted your {view.title} and its keys from this wallet.")
    return redirect("/credentials")
