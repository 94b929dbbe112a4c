"""The approval queue page (deferred issuance): credential requests for types an operator must
approve, the longest waiting first, each with Approve and Decline buttons. Declining asks for
a reason for the audit log. The wallet learns the decision on its next try."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from issuer.api.deps import ContextDep, OperatorDep
from issuer.errors import InvalidRequestError, NotFoundError
from issuer.operator.results import ApprovalRequest
from issuer.web import views
from issuer.web.deps import PagesDep, Visit, VisitDep
from issuer.web.forms import page_number, reason_text

__all__ = ["router"]

router = APIRouter()

PAGE_SIZE = 20
_DECISIONS = {"approve": "Approved", "deny": "Declined"}


def _row(item: ApprovalRequest, visit: Visit, service: Any) -> dict[str, Any]:
    return {
        **item.to_json(),
        "type_name": views.type_name(
            service.types.get(item.credential_configuration_id),
            visit.lang,
            fallback=item.credential_configuration_id,
        ),
        "requested": item.requested_at,
        "expires": item.expires_at,
    }


@router.get("/approvals", response_class=HTMLResponse)
def approvals(
    request: Request,
    pages: PagesDep,
    visit: VisitDep,
    operator: OperatorDep,
    service: ContextDep,
    page: str | None = None,
) -> HTMLResponse:
    visit.actor.require("approvals:decide")
    context: dict[str, Any] = {"page_title": "Waiting for approval", "rows": []}
    try:
        number = page_number(page)
    except InvalidRequestError as exc:
        context["error"] = exc.message
        return pages.render(request, "approvals.html", context, visit=visit, status=400)
    listed = operator.approvals.page(
        visit.actor, status="pending", offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE
    )
    context["rows"] = [_row(item, visit, service) for item in listed.items]
    context["pager"] = views.Pager(number, PAGE_SIZE, total=listed.total)
    context["lang_links"] = views.language_links(request.query_params)
    return pages.render(request, "approvals.html", context, visit=visit)


@router.post("/approvals/{ref}/{decision}")
async def decide(
    ref: str,
    decision: str,
    request: Request,
    pages: PagesDep,
    visit: VisitDep,
    operator: OperatorDep,
    service: ContextDep,
) -> Response:
    form = await pages.form(request, visit, "reason")
    if decision not in _DECISIONS:
        raise NotFoundError("there is no such decision; use the buttons on the page")
    visit.actor.require("approvals:decide")
    ref = ref[:40]
    if decision == "approve":
        done = await run_in_threadpool(operator.approvals.approve, visit.actor, ref)
    else:
        try:
            reason = reason_text(form.get("reason"))
        except InvalidRequestError as exc:
            visit.flash("error", f"Nothing was declined: {exc.message}")
            return pages.redirect(request, "/approvals")
        done = await run_in_threadpool(operator.approvals.deny, visit.actor, ref, reason=reason)
    name = views.type_name(service.types.get(done.credential_configuration_id), visit.lang)
    visit.flash(
        "ok",
        f"{_DECISIONS[decision]}: {name} for {done.subject}. The citizen's wallet will be told "
        "on its next try.",
    )
    return pages.redirect(request, "/approvals")
