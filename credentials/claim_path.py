"""Claim paths: the one way drukid names a claim inside a (possibly nested) credential, shared
by SD-JWT issuance and presentation, DCQL and SD-JWT VC Type Metadata.

Both specs define the same pointer: OpenID4VP 1.0 §7 ("Claims Path Pointer") and
draft-ietf-oauth-sd-jwt-vc-25 §5.6.1 ("Claim Path"). A pointer is a non-empty array of strings
(object keys), ``null`` (every element of the selected arrays) and non-negative integers (one
array index). Processing (OpenID4VP 1.0 §7.1.1) starts at the top-level object and walks left
to right; selecting a key in a non-object, or an index in a non-array, is an error, and so is an
empty result. :func:`select` reports every error as "no match" (an empty list): callers treat a
claim they cannot point at exactly like a missing claim. :func:`concrete_paths` is the same walk
for issuers and holders naming claims to hide or disclose, where naming nothing is a mistake to
report (``unknown_claim_path``).

The text form used on the command line is JSON-pointer-like (``/address/locality``,
``/nationalities/0``, RFC 6901 escaping ``~0`` for ``~`` and ``~1`` for ``/``). Text cannot say
whether ``0`` is a key or an index, so :func:`parse_claim_path` keeps it a string and the walk
reads a canonical digit string as an index only where it meets an array (an object key ``"0"``
still works): one walker, with that one documented allowance for text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

from credentials.errors import MalformedError, SDJWTError

__all__ = [
    "MAX_PATH_LENGTH",
    "ClaimPath",
    "ConcretePath",
    "concrete_paths",
    "format_claim_path",
    "matches_pattern",
    "parse_claim_path",
    "path_problem",
    "render_path",
    "select",
]

ClaimPath = tuple[str | int | None, ...]
ConcretePath = tuple[str | int, ...]

# parse_json already caps nesting at 32 levels, so a longer pointer could never select anything.
MAX_PATH_LENGTH = 32


def _is_index(component: object) -> TypeGuard[int]:
    # bool is a subclass of int in Python; JSON true is not an array index.
    return isinstance(component, int) and not isinstance(component, bool) and component >= 0


def path_problem(value: object) -> str | None:
    """Why ``value`` is not a valid claims path pointer, or ``None`` when it is one."""
    if not isinstance(value, list | tuple) or not value:
        return "must be a non-empty array"
    if len(value) > MAX_PATH_LENGTH:
        return f"must have at most {MAX_PATH_LENGTH} components"
    for component in value:
        if component is not None and not isinstance(component, str) and not _is_index(component):
            return f"has component {component!r}; only strings, null and integers >= 0 are allowed"
    return None


def _text_index(component: str) -> int:
    """An array index from a text path element: ASCII digits without a leading zero (RFC 6901
    §4). ``int()`` alone would also take ``" 1"``, ``"+1"``, ``"01"`` and ``"1_0"``, giving one
    claim several names. -1 when it is not one."""
    if component.isascii() and component.isdigit() and (component == "0" or component[0] != "0"):
        return int(component)
    return -1


def _walk(
    path: Sequence[str | int | None], root: Any, *, text_indexes: bool
) -> list[tuple[ConcretePath, Any]] | None:
    """Apply ``path`` to ``root``: each selected (concrete path, value), in order; ``None`` when
    a step names nothing (a key in a non-object or missing, an index in a non-array or out of
    range). A ``null`` over empty arrays selects nothing without error (``[]``).
    ``text_indexes``: a canonical digit string meeting an array is read as an index."""
    if not isinstance(root, Mapping):
        return None
    selected: list[tuple[ConcretePath, Any]] = [((), root)]
    for component in path:
        following: list[tuple[ConcretePath, Any]] = []
        for where, element in selected:
            # exact-type checks first: wallets run this over thousands of credentials
            is_object = type(element) is dict or isinstance(element, Mapping)
            is_array = not is_object and (
                type(element) is list or isinstance(element, list | tuple)
            )
            if isinstance(component, str) and is_object:
                if component not in element:
                    return None
                following.append(((*where, component), element[component]))
            elif component is None and is_array:
                following.extend(((*where, i), item) for i, item in enumerate(element))
            elif is_array and (
                _is_index(component) or (text_indexes and isinstance(component, str))
            ):
                index = component if isinstance(component, int) else _text_index(component)
                if not 0 <= index < len(element):
                    return None
                following.append(((*where, index), element[index]))
            else:
                return None
        selected = following
    return selected


def select(path: Sequence[str | int | None], root: Any) -> list[tuple[ConcretePath, Any]]:
    """Apply ``path`` to ``root`` (OpenID4VP 1.0 §7.1.1); return each selected (concrete path,
    value), in order, or ``[]`` when the pointer selects nothing.

    A ``null`` component is expanded into the concrete indexes it selected, so the result says
    exactly which claims a holder has to disclose.
    """
    return _walk(path, root, text_indexes=False) or []


def concrete_paths(path: ClaimPath, claims: Any) -> list[ConcretePath]:
    """The claims ``path`` names within ``claims`` (the same walk as :func:`select`, with text
    indexes allowed). Raises ``unknown_claim_path`` when a step names nothing; a ``null`` over
    an empty array names nothing, without error."""
    found = _walk(path, claims, text_indexes=True)
    if found is None:
        raise SDJWTError(
            f"claim path {format_claim_path(path)} names no claim", code="unknown_claim_path"
        )
    return [where for where, _value in found]


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
    """The text form of ``path`` (``null`` as ``*``)."""
    parts = []
    for element in path:
        if element is None:
            parts.append("*")
        else:
            parts.append(str(element).replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(parts)


def matches_pattern(
    pattern: Sequence[str | int | None], concrete: Sequence[str | int | None]
) -> bool:
    """True when the concrete path is one of those ``pattern`` can select (null = any index)."""
    if len(pattern) != len(concrete):
        return False
    for want, have in zip(pattern, concrete, strict=True):
        if want is None:
            if not _is_index(have):
                return False
        elif type(want) is not type(have) or want != have:
            return False
    return True


def render_path(path: Sequence[str | int | None]) -> str:
    """A path as people read it: ``address.street_address``, ``degrees[*].type``, ``n[1]``."""
    text = ""
    for component in path:
        if component is None:
            text += "[*]"
        elif isinstance(component, int):
            text += f"[{component}]"
        else:
            text += f".{component}" if text else component
    return text
