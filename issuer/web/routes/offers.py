"""Find a person or business in the registry, and make a credential offer for them: the QR code
and the PIN (tx_code) to hand over. The offer's secrets are shown once, on the page that
answers the form, and are kept nowhere (the database has only their hashes)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from issuer.api.deps import ContextDep, OperatorDep
from issuer.errors import InvalidRequestError
from issuer.operator import MAX_SEARCH_RESULTS
from issuer.web import views
from issuer.web.deps import PagesDep, VisitDep
from issuer.web.forms import OFFER_FIELDS, offer_item

__all__ = ["router"]

router = APIRouter()


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    pages: PagesDep,
    visit: VisitDep,
    operator: OperatorDep,
    service: ContextDep,
    q: str | None = None,
) -> HTMLResponse:
    visit.actor.require("registry:read")
    context: dict[str, Any] = {
        "page_title": "Find a person",
        "query": (q or "").strip()[:100],
        "person_types": views.type_choices(service.types, "person", visit.lang),
        "business_types": views.type_choices(service.types, "business", visit.lang),
        "max_results": MAX_SEARCH_RESULTS,
        "lang_links": views.language_links(request.query_params),
    }
    status = 200
    if q is not None:
        try:
            context["results"] = operator.registry.search(visit.actor, q)
        except InvalidRequestError as exc:
            context["error"] = exc.message
            status = 400
    return pages.render(request, "search.html", context, visit=visit, status=status)


@router.post("/offers", response_class=HTMLResponse)
async def create_offer(
    request: Request,
    pages: PagesDep,
    visit: VisitDep,
    operator: OperatorDep,
    service: ContextDep,
) -> HTMLResponse:
    form = await pages.form(request, visit, *OFFER_FIELDS)
    visit.actor.require("offers:create")
    item = offer_item(form, service.types)
    offer = await run_in_threadpool(operator.offers.create, visit.actor, item)
    ctype = service.types[offer.type_id]
    context = views.offer_view(
        offer, ctype, visit.lang, base=pages.base(request), now=service.clock()
    )
    context["attempts"] = service.settings.tx_code_max_attempts
    context["page_title"] = "Offer ready"
    return pages.render(request, "offer.html", context, visit=visit)


@router.post("/signin-codes", response_class=HTMLResponse)
async def create_signin_code(
    request: Request, pages: PagesDep, visit: VisitDep, operator: OperatorDep
) -> HTMLResponse:
    """A one-time sign-in code for the authorization page, shown once."""
    form = await pages.form(request, visit, "cid")
    created = await run_in_threadpool(operator.signin_codes.create, visit.actor, form.get("cid"))
    context = {"page_title": "Sign-in code ready", "created": created}
    return pages.render(request, "signin_code.html", context, visit=visit)
