"""Reading what the teller sent: small url-encoded forms, checked field by field.

Forms are ``application/x-www-form-urlencoded`` only (no multipart parser, no uploads), at most
a few kilobytes and a handful of fields, each named once. Every refusal is a
:class:`~verifier.web.problems.PageProblem` (400) that says what to type instead.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from urllib.parse import parse_qsl

from fastapi import Request

from verifier.service import MAX_PURPOSE
from verifier.web.problems import PageProblem

__all__ = ["MAX_FORM_BYTES", "api_key_text", "purpose_text", "read_form", "template_choice"]

MAX_FORM_BYTES = 8 * 1024
_MAX_FIELDS = 8
_MAX_KEY = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_RELOAD = "Reload the page and use the form on it."


async def read_form(request: Request, *, allowed: Collection[str]) -> dict[str, str]:
    """The fields of a posted form; unknown or repeated fields are refused."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise PageProblem(415, "This page only accepts its own forms.", _RELOAD)
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise PageProblem(413, "What was typed is too long.", "Shorten it and try again.")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=_MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise PageProblem(400, "The form could not be read.", _RELOAD) from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name not in allowed or name in fields:
            raise PageProblem(400, "The form has a field this page does not know.", _RELOAD)
        fields[name] = value
    return fields


def api_key_text(value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        raise PageProblem(
            401,
            "Type or paste this desk's API key.",
            "Your administrator gives each desk a key that starts with drk_.",
        )
    if len(text) > _MAX_KEY or _CONTROL.search(text):
        raise PageProblem(
            401,
            "That is not an API key.",
            "Paste the whole key your administrator gave you; it starts with drk_.",
        )
    return text


def purpose_text(value: str | None) -> str | None:
    """The teller's own words for the customer's screen, or ``None`` for the standard text."""
    text = " ".join(_CONTROL.sub(" ", value or "").split())
    if not text:
        return None
    if len(text) < 10:
        raise PageProblem(
            400,
            "The reason for the customer is too short.",
            "Write a full sentence (for example: 'To open your savings account'), or leave "
            "the box empty to use the standard text.",
        )
    if len(text) > MAX_PURPOSE:
        raise PageProblem(
            400,
            f"The reason for the customer is longer than {MAX_PURPOSE} characters.",
            "Shorten it, or leave the box empty to use the standard text.",
        )
    return text


def template_choice(value: str | None, known: Collection[str]) -> str:
    if not value or value not in known:
        raise PageProblem(
            400,
            "Choose what to check with one of the buttons.",
            "Reload the page if you do not see the buttons.",
        )
    return value
