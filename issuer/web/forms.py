"""Checking what the operator typed, field by field (the staff-pages kit reads the form).

Every refusal is an :class:`~issuer.errors.InvalidRequestError` whose message tells the clerk
what to type instead; the pages show it next to the form, or as a 400 page, never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from issuer.errors import InvalidRequestError
from issuer.operator import OfferItem
from issuer.types import CredentialType
from servicekit.staff import Form

__all__ = ["OFFER_FIELDS", "offer_item", "page_number", "reason_text", "subject_filter"]

OFFER_FIELDS = ("type", "cid", "licence_number", "pin")

_CID = re.compile(r"[0-9]{11}")
_LICENCE = re.compile(r"[A-Z0-9][A-Z0-9/-]{3,31}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_PAGE = 100_000


def subject_filter(value: str | None) -> str | None:
    """A CID (11 digits) or a licence number, or None for "everyone"."""
    text = (value or "").strip().upper()
    if not text:
        return None
    if _CID.fullmatch(text) or _LICENCE.fullmatch(text):
        return text
    raise InvalidRequestError(
        "type an 11-digit CID number (like 11512003456) or a licence number (like "
        "BL-2024-00117), or leave the box empty to see everything",
        code="bad_filter",
    )


def page_number(value: str | None) -> int:
    text = (value or "1").strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= _MAX_PAGE:
        raise InvalidRequestError("the page number must be a whole number from 1", code="bad_page")
    return int(text)


def reason_text(value: str) -> str:
    """The operator's reason for a status change: 3 to 200 characters of plain text."""
    text = " ".join(_CONTROL.sub(" ", value).split())
    if len(text) < 3:
        raise InvalidRequestError(
            "write a short reason (for example: 'phone reported lost by the citizen'); it is "
            "kept in the audit log",
            code="reason_required",
        )
    if len(text) > 200:
        raise InvalidRequestError("the reason is longer than 200 characters; shorten it")
    return text


def offer_item(form: Form, types: Mapping[str, CredentialType]) -> OfferItem:
    """The offer form: a credential type and whom it is for (a person by CID, a business by
    licence number, matching the type), and whether the wallet must ask for a PIN."""
    ctype = types.get(form.get("type"))
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
