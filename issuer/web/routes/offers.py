"""Find a person or business in the registry, and make a credential offer for them: the QR code
and the PIN (tx_code) to hand over. The offer's secrets are shown once, on the page that
answers the form, and are kept nowhere (the database has only their hashes)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from issuer.api.deps import ContextDep, OperatorDep
from issuer.context import IssuerContext
from issuer.errors import InvalidRequestError
from issuer.operator import MAX_SEARCH_RESULTS, NewOffer, OfferItem
from issuer.web import views
from issuer.web.auth import Visit, check_csrf
from issuer.web.forms import Form, read_form
from issuer.web.pages import PREFIX, PagesDep, VisitDep

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)

_CID = re.compile(r"[0-9]{11}")
_LICENCE = re.compile(r"[A-Z0-9][A-Z0-9/-]{3,31}")
_OFFER_FIELDS = frozenset({"csrf_token", "type", "cid", "licence_number", "pin"})


def type_choices(service: IssuerContext, subject: str, lang: str) -> list[tuple[str, str]]:
    """(type id, display name) for the credentials a person or a business can be offered."""
    found = [t for t in service.types.values() if t.subject == subject]
    found.sort(key=lambda t: (t.id != "foundational-id", t.id))
    return [(t.id, views.type_name(t, lang)) for t in found]


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
        "person_types": type_choices(service, "person", visit.lang),
        "business_types": type_choices(service, "business", visit.lang),
        "max_results": MAX_SEARCH_RESULTS,
    }
    status = 200
    if q is not None:
        try:
            context["results"] = operator.registry.search(visit.actor, q)
        except InvalidRequestError as exc:
            context["error"] = exc.message
            status = 400
    return pages.render(
        request, "search.html", context, visit=visit, status=status, lang_switch=True
    )


def _offer_item(form: Form, service: IssuerContext) -> OfferItem:
    type_id = form.get("type")
    ctype = service.types.get(type_id)
    if ctype is None:
        raise InvalidRequestError("choose a credential from the list", code="unknown_type")
    pin = form.get("pin")
    if pin not in ("", "on"):
        raise InvalidRequestError("the PIN choice is not valid; reload the page and try again")
    if ctype.subject == "person":
        cid = form.get("cid")
        if not _CID.fullmatch(cid) or form.get("licence_number"):
            raise InvalidRequestError(
                f"a {ctype.name} is for a person: give their 11-digit CID number",
                code="bad_subject",
            )
        return OfferItem(ctype.id, cid=cid, tx_code=pin == "on")
    licence = form.get("licence_number").upper()
    if not _LICENCE.fullmatch(licence) or form.get("cid"):
        raise InvalidRequestError(
            f"a {ctype.name} is for a business: give its licence number (like BL-2024-00117)",
            code="bad_subject",
        )
    return OfferItem(ctype.id, licence_number=licence, tx_code=pin == "on")


def _offer_view(visit: Visit, service: IssuerContext, base: str, offer: NewOffer) -> dict[str, Any]:
    offer_id = offer.credential_offer_uri.rsplit("/", 1)[-1]
    ctype = service.types[offer.type_id]
    minutes = max(0, (offer.expires_at - service.clock()) // 60)
    return {
        "type_name": views.type_name(ctype, visit.lang),
        "subject_label": "CID" if ctype.subject == "person" else "Licence",
        "subject": offer.subject_id,
        "qr_src": f"{base}/offers/{offer_id}/qr.png",
        "offer_uri": offer.offer_uri,
        "tx_code": offer.tx_code,
        "tx_code_spoken": " ".join(offer.tx_code or ""),
        "expires_at": offer.expires_at,
        "minutes_left": minutes,
        "ref": offer.ref,
        "attempts": service.settings.tx_code_max_attempts,
    }


@router.post("/offers", response_class=HTMLResponse)
async def create_offer(
    request: Request,
    pages: PagesDep,
    visit: VisitDep,
    operator: OperatorDep,
    service: ContextDep,
) -> HTMLResponse:
    form = await read_form(request, allowed=_OFFER_FIELDS)
    check_csrf(visit, form)
    visit.actor.require("offers:create")
    offer = await run_in_threadpool(operator.offers.create, visit.actor, _offer_item(form, service))
    context = _offer_view(visit, service, pages.base(request), offer)
    context["page_title"] = "Offer ready"
    return pages.render(request, "offer.html", context, visit=visit)
