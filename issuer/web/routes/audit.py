"""The audit log: who did what, when, to which record — newest first, page by page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from issuer.api.deps import ContextDep, OperatorDep
from issuer.errors import InvalidRequestError
from issuer.web import views
from issuer.web.deps import PagesDep, VisitDep
from issuer.web.forms import page_number

__all__ = ["router"]

router = APIRouter()

PAGE_SIZE = 25


@router.get("/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    pages: PagesDep,
    visit: VisitDep,
    operator: OperatorDep,
    service: ContextDep,
    page: str | None = None,
) -> HTMLResponse:
    visit.actor.require("audit:read")
    try:
        number = page_number(page)
    except InvalidRequestError as exc:
        context: dict[str, Any] = {"page_title": "Audit log", "error": exc.message, "rows": []}
        return pages.render(request, "audit.html", context, visit=visit, status=400)
    # One row more than a page says whether there is a next page.
    result = operator.admin.audit(visit.actor, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
    items = result.items
    labels = {}
    if visit.can("apikeys:manage"):
        labels = {k.key_id: k.label for k in operator.admin.list_api_keys(visit.actor)}
    rows = [
        {
            **item.to_json(),
            "who": views.who(item.actor, labels),
            "what": views.action_words(item.action),
            "details": views.audit_details(item.detail, service.types, visit.lang),
        }
        for item in items[:PAGE_SIZE]
    ]
    context = {
        "page_title": "Audit log",
        "rows": rows,
        "pager": views.Pager(number, PAGE_SIZE, has_next_hint=len(items) > PAGE_SIZE),
        "lang_links": views.language_links(request.query_params),
    }
    return pages.render(request, "audit.html", context, visit=visit)
