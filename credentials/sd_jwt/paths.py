"""Claim paths: how drukid names one claim inside a (possibly nested) credential.

A path is a tuple of object keys (``str``), array indexes (``int``) and, where a query means
"every element of this array", ``None`` — the same model as OpenID4VP §7 claims path pointers.
The text form used on the command line is JSON-pointer-like (``/address/locality``,
``/nationalities/0``, RFC 6901 escaping ``~0`` for ``~`` and ``~1`` for ``/``); numeric segments
stay strings until they meet an array, so an object key ``"0"`` still works.
"""

from __future__ import annotations

from collections.abc import Sequence

from credentials.errors import MalformedError

__all__ = ["ClaimPath", "format_claim_path", "parse_claim_path"]

ClaimPath = tuple[str | int | None, ...]


def parse_claim_path(text: str | Sequence[str | int | None]) -> ClaimPath:
    """``"/address/locality"`` → ``("address", "locality")``; sequences pass through checked."""
    if not isinstance(text, str):
        path = tuple(text)
        for element in path:
            if element is not None and not isinstance(element, str | int):
                raise MalformedError(f"invalid claim path element {element!r}", code="invalid_path")
            if isinstance(element, int) and (isinstance(element, bool) or element < 0):
                raise MalformedError(f"invalid array index {element!r}", code="invalid_path")
        if not path:
            raise MalformedError("a claim path cannot be empty", code="invalid_path")
        return path
    if not text.startswith("/") or text == "/":
        raise MalformedError(
            f"claim path {text!r} must start with '/' and name a claim, e.g. /address/locality",
            code="invalid_path",
        )
    return tuple(part.replace("~1", "/").replace("~0", "~") for part in text[1:].split("/"))


def format_claim_path(path: Sequence[str | int | None]) -> str:
    parts = []
    for element in path:
        if element is None:
            parts.append("*")
        else:
            parts.append(str(element).replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(parts)
