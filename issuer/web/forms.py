"""Reading what the operator typed: form bodies and query values, checked field by field.

Forms are ``application/x-www-form-urlencoded`` only (no file uploads, no multipart parser),
at most a few kilobytes and a handful of fields, each named once. Every refusal is an
:class:`~issuer.errors.InvalidRequestError` whose message tells the clerk what to type instead;
the pages render it as a 400 page, never a 500.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from fastapi import Request

from issuer.errors import InvalidRequestError

__all__ = [
    "MAX_FORM_BYTES",
    "Form",
    "page_number",
    "read_form",
    "reason_text",
    "subject_filter",
]

MAX_FORM_BYTES = 8 * 1024
_MAX_FIELDS = 12
_CID = re.compile(r"[0-9]{11}")
_LICENCE = re.compile(r"[A-Z0-9][A-Z0-9/-]{3,31}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAX_PAGE = 100_000


class Form:
    """The fields of one submitted form (each name at most once)."""

    def __init__(self, fields: dict[str, str]) -> None:
        self._fields = fields

    def get(self, name: str) -> str:
        """The value, stripped; an empty string when the field is absent."""
        return self._fields.get(name, "").strip()

    def __contains__(self, name: object) -> bool:
        return name in self._fields


async def read_form(request: Request, *, allowed: frozenset[str]) -> Form:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if not body and not media_type:
        return Form({})  # an empty form: the CSRF check refuses it
    if media_type != "application/x-www-form-urlencoded":
        raise InvalidRequestError(
            "this page only accepts its own form; go back and use the form on the page",
            code="unsupported_media_type",
        )
    if len(body) > MAX_FORM_BYTES:
        raise InvalidRequestError("what was typed is too long; shorten it and try again")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=_MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequestError(
            "the form could not be read; reload the page and try again"
        ) from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name not in allowed or name in fields:
            raise InvalidRequestError(
                "the form has an unexpected field; reload the page and try again",
                code="unexpected_field",
            )
        fields[name] = value
    return Form(fields)


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
