"""Claims path pointers, shared by DCQL and SD-JWT VC Type Metadata.

Both specs define the same pointer: OpenID4VP 1.0 §7 ("Claims Path Pointer") and
draft-ietf-oauth-sd-jwt-vc-25 §5.6.1 ("Claim Path"). A pointer is a non-empty array of strings
(object keys), ``null`` (every element of the selected arrays) and non-negative integers (one
array index). Processing (OpenID4VP 1.0 §7.1.1) starts at the top-level object and walks left
to right; selecting a key in a non-object, or an index in a non-array, is an error, and so is an
empty result. Here every error is reported as "no match" (an empty list): callers treat a claim
they cannot point at exactly like a missing claim.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

__all__ = [
    "MAX_PATH_LENGTH",
    "ClaimPath",
    "ConcretePath",
    "matches_pattern",
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


def select(path: Sequence[str | int | None], root: Any) -> list[tuple[ConcretePath, Any]]:
    """Apply ``path`` to ``root``; return each selected (concrete path, value), in order.

    A ``null`` component is expanded into the concrete indexes it selected, so the result says
    exactly which claims a holder has to disclose.
    """
    if not isinstance(root, Mapping):
        return []
    selected: list[tuple[ConcretePath, Any]] = [((), root)]
    for component in path:
        following: list[tuple[ConcretePath, Any]] = []
        if isinstance(component, str):
            for where, element in selected:
                # exact-type checks first: wallets run this over thousands of credentials
                if type(element) is not dict and not isinstance(element, Mapping):
                    return []
                if component in element:
                    following.append(((*where, component), element[component]))
        elif component is None or _is_index(component):
            for where, element in selected:
                if type(element) is not list and not isinstance(element, list | tuple):
                    return []
                if component is None:
                    following.extend(((*where, i), item) for i, item in enumerate(element))
                elif component < len(element):
                    following.append(((*where, component), element[component]))
        else:
            return []
        if not following:
            return []
        selected = following
    return selected


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
