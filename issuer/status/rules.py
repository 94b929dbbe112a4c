"""The issuer's status list rules (draft-ietf-oauth-status-list-21), as plain code.

* 2 bits per entry: 0 VALID, 1 INVALID (revoked, permanent), 2 SUSPENDED (§7.1).
* Indexes are drawn uniformly at random with :mod:`secrets` (HAIP: unique and unpredictable, so
  an index reveals nothing about issuance order or about other credentials). Uniqueness is the
  database's job: a unique constraint on (list, index), and the caller retries on a clash.
* A list is closed once random draws keep landing on used entries (it is then about 80 % full);
  a new list is opened. Lists hold at least 100 000 entries in production (herd privacy).
* The served token (§5.1) is cached and re-signed when a status changed, when the signing key
  was rotated, or when less than a ``ttl`` of its lifetime is left.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from credentials.status_list import (
    STATUS_INVALID,
    STATUS_SUSPENDED,
    STATUS_VALID,
    StatusList,
)
from issuer.errors import ConflictError

__all__ = [
    "BITS",
    "MAX_DRAWS",
    "STATUS_NAMES",
    "Transition",
    "build_status_list",
    "choose_index",
    "choose_indexes",
    "explain_refused",
    "explain_refused_all",
    "needs_resign",
    "transition",
]

BITS = 2
MAX_DRAWS = 16
STATUS_NAMES = {STATUS_VALID: "valid", STATUS_INVALID: "revoked", STATUS_SUSPENDED: "suspended"}


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    to: int
    allowed_from: tuple[int, ...]


_TRANSITIONS = {
    "revoke": Transition("revoke", STATUS_INVALID, (STATUS_VALID, STATUS_SUSPENDED)),
    "suspend": Transition("suspend", STATUS_SUSPENDED, (STATUS_VALID,)),
    "reinstate": Transition("reinstate", STATUS_VALID, (STATUS_SUSPENDED,)),
}


def transition(action: str) -> Transition:
    try:
        return _TRANSITIONS[action]
    except KeyError:
        raise ValueError(f"unknown status action {action!r}") from None


def explain_refused(action: str, current: int) -> ConflictError:
    name = STATUS_NAMES.get(current, str(current))
    hint = {
        "revoked": "a revoked credential stays revoked; issue a new one instead",
        "valid": "it is already valid",
        "suspended": "reinstate it first or revoke it",
    }[name]
    return ConflictError(
        f"cannot {action} this credential: it is {name}; {hint}", code="status_transition_refused"
    )


def explain_refused_all(action: str, statuses: Sequence[int]) -> ConflictError:
    """None of several credentials (the copies from one offer) allows ``action``."""
    counts = Counter(STATUS_NAMES.get(s, str(s)) for s in statuses)
    summary = " and ".join(f"{n} {name}" for name, n in sorted(counts.items()))
    return ConflictError(
        f"cannot {action} any of these {len(statuses)} credentials: {summary}; nothing was changed",
        code="status_transition_refused",
    )


def choose_index(
    size: int,
    is_taken: Callable[[int], bool],
    *,
    randbelow: Callable[[int], int] = secrets.randbelow,
    draws: int = MAX_DRAWS,
) -> int | None:
    """A random free index in ``[0, size)``, or ``None`` when ``draws`` draws all hit used
    entries (the list is full enough to close)."""
    found = choose_indexes(
        size, 1, lambda ids: {i for i in ids if is_taken(i)}, randbelow=randbelow, draws=draws
    )
    return found[0] if found else None


def choose_indexes(
    size: int,
    count: int,
    taken_among: Callable[[Sequence[int]], Collection[int]],
    *,
    randbelow: Callable[[int], int] = secrets.randbelow,
    draws: int = MAX_DRAWS,
) -> list[int]:
    """``count`` distinct random free indexes in ``[0, size)`` for one batch, asking
    ``taken_among`` once per round of draws (one query, not one per credential). Fewer than
    ``count`` come back when ``draws`` draws in a row hit used entries: the list is full enough
    to close, and the rest go into a new one."""
    chosen: list[int] = []
    seen: set[int] = set()
    misses = 0
    while len(chosen) < count:
        candidates = [randbelow(size) for _ in range(count - len(chosen))]
        taken = taken_among(sorted(set(candidates) - seen))
        for idx in candidates:
            if idx in taken or idx in seen:
                misses += 1
                if misses >= draws:
                    return chosen
                continue
            chosen.append(idx)
            seen.add(idx)
            misses = 0
    return chosen


def build_status_list(
    size: int, entries: Iterable[tuple[int, int]], *, bits: int = BITS
) -> StatusList:
    status_list = StatusList(size, bits=bits)
    for idx, value in entries:
        status_list.set(idx, value)
    return status_list


def needs_resign(
    *,
    token: str | None,
    token_version: int,
    version: int,
    token_kid: str | None,
    active_kid: str,
    token_exp: int | None,
    now: int,
    ttl: int,
) -> bool:
    return (
        token is None
        or token_version != version
        or token_kid != active_kid
        or token_exp is None
        or token_exp - now <= ttl
    )
