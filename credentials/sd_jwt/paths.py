"""Claim paths: how drukid names one claim inside a (possibly nested) credential.

A path is a tuple of object keys (``str``), array indexes (``int``) and, where a query means
"every element of this array", ``None`` — the same model as OpenID4VP §7 claims path pointers.
The text form used on the command line is JSON-pointer-like (``/address/locality``,
``/nationalities/0``, RFC 6901 escaping ``~0`` for ``~`` and ``~1`` for ``/``); numeric segments
stay strings until they meet an array, so an object key ``"0"`` still works.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from credentials.errors import MalformedError, SDJWTError

__all__ = ["ClaimPath", "ConcretePath", "concrete_paths", "format_claim_path", "parse_claim_path"]

ClaimPath = tuple[str | int | None, ...]
ConcretePath = tuple[str | int, ...]


def _array_index(element: str | int) -> int:
    """An array index from a path element; text must be ASCII digits without a leading zero
    (RFC 6901 §4). ``int()`` alone would also take ``" 1"``, ``"+1"``, ``"01"`` and ``"1_0"``,
    giving one claim several names."""
    if isinstance(element, int):
        return element
    if element.isascii() and element.isdigit() and (element == "0" or element[0] != "0"):
        return int(element)
    return -1


def concrete_paths(path: ClaimPath, claims: Any) -> list[ConcretePath]:
    """The claims ``path`` names within ``claims``: ``None`` expands to every element of an
    array, a numeric text element indexes an array. Raises ``unknown_claim_path`` when a step
    names nothing (an empty array under ``None`` names nothing, without error)."""
    results: list[ConcretePath] = []

    def step(node: Any, rest: ClaimPath, done: ConcretePath) -> None:
        if not rest:
            results.append(done)
            return
        head, tail = rest[0], rest[1:]
        if isinstance(node, dict) and isinstance(head, str) and head in node:
            step(node[head], tail, (*done, head))
            return
        if isinstance(node, list):
            if head is None:
                for index, element in enumerate(node):
                    step(element, tail, (*done, index))
                return
            index = _array_index(head)
            if 0 <= index < len(node):
                step(node[index], tail, (*done, index))
                return
        raise SDJWTError(
            f"claim path {format_claim_path(path)} names no claim", code="unknown_claim_path"
        )

    step(claims, path, ())
    return results


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
