"""Issued credentials (metadata only) and their status: suspend, reinstate or revoke one, or
every copy a wallet collected from one offer (batch issuance), after a confirmation page that
says what will happen and asks for a reason for the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from issuer.api.deps import ContextDep, OperatorDep
from issuer.context import IssuerContext
from issuer.errors import InvalidRequestError, NotFoundError
from issuer.operator.results import IssuedCredential, OfferCredentials
from issuer.web import views
from issuer.web.deps import PagesDep, Visit, VisitDep
from issuer.web.forms import page_number, reason_text, subject_filter
from issuer.web.views import ACTIONS, allowed_actions, short_ref

__all__ = ["StatusForm", "read_status_form", "router"]

router = APIRouter()

PAGE_SIZE = 20


def _row(item: IssuedCredential, visit: Visit, service: IssuerContext) -> dict[str, Any]:
    return views.credential_row(
        item.to_json(),
        service.types,
        visit.lang,
        now=service.clock(),
        can_change=visit.can("credentials:status"),
    )


@router.get("/credentials", response_class=HTMLResponse)
def credentials(
    request: Request,
    pages: PagesDep,
    visit: VisitDep,
    operator: OperatorDep,
    service: ContextDep,
    subject: str | None = None,
    page: str | None = None,
) -> HTMLResponse:
    visit.actor.require("credentials:read")
    context: dict[str, Any] = {
        "page_title": "Issued credentials",
        "subject": (subject or "").strip()[:32],
        "actions": ACTIONS,
        "rows": [],
    }
    try:
        subject_id, number = subject_filter(subject), page_number(page)
    except InvalidRequestError as exc:
        context["error"] = exc.message
        return pages.render(request, "credentials.html", context, visit=visit, status=400)
    listed = operator.credentials.page(
        visit.actor, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE, subject=subject_id
    )
    context["rows"] = [_row(item, visit, service) for item in listed.items]
    context["pager"] = views.Pager(number, PAGE_SIZE, total=listed.total)
    context["subject_id"] = subject_id
    context["lang_links"] = views.language_links(request.query_params)
    return pages.render(request, "credentials.html", context, visit=visit)


def _action(action: str) -> str:
    if action not in ACTIONS:
        raise NotFoundError("there is no such action; use the buttons on the credentials page")
    return action


@dataclass(frozen=True)
class StatusForm:
    """A sent confirmation form: the action, and the reason or what is wrong with it."""

    action: str
    reason: str | None = None
    error: str | None = None
    typed: str = ""  # the reason as typed, shown again with the error


async def read_status_form(
    request: Request, pages: PagesDep, visit: Visit, action: str
) -> StatusForm:
    """Check the form's CSRF token, the action and the role, then the reason."""
    form = await pages.form(request, visit, "reason")
    action = _action(action)
    visit.actor.require("credentials:status")
    try:
        return StatusForm(action, reason=reason_text(form.get("reason")))
    except InvalidRequestError as exc:  # the same form again, with what to fix
        return StatusForm(action, error=exc.message, typed=form.get("reason")[:200])


def _confirm_page(
    request: Request,
    pages: PagesDep,
    visit: Visit,
    service: IssuerContext,
    credential: IssuedCredential,
    action: str,
    *,
    form: StatusForm | None = None,
    status: int = 200,
) -> HTMLResponse:
    button, _past, effect = ACTIONS[action]
    minutes = max(1, service.settings.status_list_ttl // 60)
    context = {
        "page_title": f"{button} a credential",
        "credential": _row(credential, visit, service),
        "action": action,
        "button": button,
        "effect": effect,
        "minutes": minutes,
        "allowed": action in allowed_actions(credential.status),
        "error": form.error if form else None,
        "reason": form.typed if form else "",
    }
    return pages.render(request, "confirm.html", context, visit=visit, status=status)


@router.get("/credentials/{credential_id}/{action}", response_class=HTMLResponse)
def confirm(
    credential_id: str,
    action: str,
    request: Request,
    pages: PagesDep,
    visit: VisitDep,
    operator: OperatorDep,
    service: ContextDep,
) -> HTMLResponse:
    action = _action(action)
    visit.actor.require("credentials:status")
    credential = operator.credentials.get(visit.actor, credential_id[:64])
    return _confirm_page(request, pages, visit, service, credential, action)


@router.post("/credentials/{credential_id}/{action}")
async def change_status(
    credential_id: str,
    action: str,
    request: Request,
    pages: PagesDep,
    visit: VisitDep,
    operator: OperatorDep,
    service: ContextDep,
) -> Response:
    sent = await read_status_form(request, pages, visit, action)
    action, credential_id = sent.action, credential_id[:64]
    if sent.error:
        credential = await run_in_threadpool(operator.credentials.get, visit.actor, credential_id)
        return _confirm_page(
            request, pages, visit, service, credential, action, form=sent, status=400
        )
    changed = await run_in_threadpool(
        operator.credentials.change_status, visit.actor, credential_id, action, reason=sent.reason
    )
    name = views.type_name(service.types.get(changed.credential_configuration_id), visit.lang)
    visit.flash("ok", f"{name} for {changed.subject} is now {ACTIONS[action][1]}.")
    return pages.redirect(request, "/credentials", subject=changed.subject)


# --- every copy from one offer ---------------------------------------------------------------


def _confirm_offer_page(
    request: Request,
    pages: PagesDep,
    visit: Visit,
    service: IssuerContext,
    offer: OfferCredentials,
    action: str,
    *,
    form: StatusForm | None = None,
    status: int = 200,
) -> HTMLResponse:
    button, past, effect = ACTIONS[action]
    rows = [_row(item, visit, service) for item in offer.credentials]
    changing = sum(1 for row in rows if action in allowed_actions(row["status"]))
    context = {
        "page_title": f"{button} all copies from an offer",
        "offer": offer,
        "type_name": views.type_name(
            service.types.get(offer.credential_configuration_id),
            visit.lang,
            fallback=offer.credential_configuration_id,
        ),
        "rows": rows,
        "changing": changing,
        "action": action,
        "button": button,
        "past": past,
        "effect": effect,
        "minutes": max(1, service.settings.status_list_ttl // 60),
        "error": form.error if form else None,
        "reason": form.typed if form else "",
    }
    return pages.render(request, "confirm_offer.html", context, visit=visit, status=status)


@router.get("/offers/{offer_ref}/{action}", response_class=HTMLResponse)
def confirm_offer(
    offer_ref: str,
    action: str,
    request: Request,
    pages: PagesDep,
    visit: VisitDep,
    operator: OperatorDep,
    service: ContextDep,
) -> HTMLResponse:
    action = _action(action)
    visit.actor.require("credentials:status")
    offer = operator.credentials.of_offer(visit.actor, offer_ref[:64])
    return _confirm_offer_page(request, pages, visit, service, offer, action)


@router.post("/offers/{offer_ref}/{action}")
async def change_offer_status(
    offer_ref: str,
    action: str,
    request: Request,
    pages: PagesDep,
    visit: VisitDep,
    operator: OperatorDep,
    service: ContextDep,
) -> Response:
    sent = await read_status_form(request, pages, visit, action)
    action, offer_ref = sent.action, offer_ref[:64]
    if sent.error:
        offer = await run_in_threadpool(operator.credentials.of_offer, visit.actor, offer_ref)
        return _confirm_offer_page(
            request, pages, visit, service, offer, action, form=sent, status=400
        )
    result = await run_in_threadpool(
        operator.credentials.change_offer_status,
        visit.actor,
        offer_ref,
        action,
        reason=sent.reason,
    )
    copies = result.credentials
    name = views.type_name(service.types.get(copies[0].credential_configuration_id), visit.lang)
    subject, past = copies[0].subject, ACTIONS[action][1]
    changed, total = result.changed, len(copies)
    if changed == total:
        copies_changed = f"All {total} copies" if total > 1 else "The one copy"
        text = (
            f"{name} for {subject} is now {past}. {copies_changed} from offer "
            f"{short_ref(offer_ref)} changed."
        )
    else:
        others = total - changed
        stay = (
            "the other one stays as it was"
            if others == 1
            else f"the other {others} stay as they were"
        )
        text = (
            f"{changed} of the {total} copies of {name} for {subject} from offer "
            f"{short_ref(offer_ref)} {'is' if changed == 1 else 'are'} now {past}; {stay}."
        )
    visit.flash("ok", text)
    return pages.redirect(request, "/credentials", subject=subject)
