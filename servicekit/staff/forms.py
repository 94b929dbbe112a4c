"""Reading a staff page's form: small url-encoded bodies, each field named at most once.

Forms are ``application/x-www-form-urlencoded`` only (no multipart parser, no uploads), at most
:data:`MAX_FORM_BYTES` and a handful of fields. Every refusal is a
:class:`~servicekit.pages.PageProblem` in the role's words (:class:`~servicekit.staff.site.
StaffWords`), never a 500. An empty body without a media type is an empty form: the CSRF check
then refuses it as a stale form, which is what it is.
"""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import parse_qsl

from fastapi import Request

from servicekit.staff.site import StaffWords

__all__ = ["MAX_FORM_BYTES", "Form", "read_form"]

MAX_FORM_BYTES = 8 * 1024


class Form:
    """The fields of one submitted form (each name at most once)."""

    def __init__(self, fields: dict[str, str]) -> None:
        self._fields = fields

    def get(self, name: str) -> str:
        """The value, stripped; an empty string when the field is absent."""
        return self._fields.get(name, "").strip()

    def __contains__(self, name: object) -> bool:
        return name in self._fields


async def read_form(
    request: Request, *, allowed: Collection[str], words: StaffWords, max_fields: int
) -> Form:
    """The posted form; a field not in ``allowed``, or sent twice, is refused."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if not body and not media_type:
        return Form({})
    if media_type != "application/x-www-form-urlencoded":
        raise words.not_a_form.copy()
    if len(body) > MAX_FORM_BYTES:
        raise words.form_too_long.copy()
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=bool(body),
            max_num_fields=max_fields,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise words.form_unreadable.copy() from exc
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name not in allowed or name in fields:
            raise words.unexpected_field.copy()
        fields[name] = value
    return Form(fields)
