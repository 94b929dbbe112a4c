"""Checking what the teller typed, field by field (the staff-pages kit reads the form).

Every refusal is a :class:`~servicekit.pages.PageProblem` that says what to type instead.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from servicekit.pages import PageProblem
from verifier.service import MAX_PURPOSE

__all__ = ["api_key_text", "purpose_text", "template_choice"]

_MAX_KEY = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
