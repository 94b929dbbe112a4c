"""Processing an issuer-signed payload with disclosures (RFC 9901 §7.1 steps 3-5).

One walk serves both sides: the verifier (only what was presented) and the holder (its own
credential, all disclosures). The walk enforces every structural rule of §4 and §7.1, each with
its own code:

* ``_sd`` must be an array of strings; a ``{"...": digest}`` placeholder a string
  (§4.2.4.1, §4.2.4.2) — ``invalid_sd_claim``;
* ``...`` is a key only of an array element with no other key (§4.1 rule 7, §4.2.4.2): an object
  anywhere else that carries it, or a placeholder with extra keys — ``invalid_array_placeholder``;
* ``_sd_alg`` only at the top level of the issuer-signed payload (§4.1.1): nested, inside a
  disclosed value, or itself disclosed — ``misplaced_sd_alg``;
* a digest found in ``_sd`` must resolve to a 3-element disclosure, one in ``...`` to a
  2-element one (§7.1 step 3.2.2.1 / 3.3.2.1) — ``disclosure_type_mismatch``;
* a disclosed name may not be ``_sd``/``...`` (checked when parsing) and may not collide with a
  sibling (step 3.2.2.2) — ``claim_name_collision``;
* any digest met twice anywhere, disclosed or not, rejects the SD-JWT (step 4) —
  ``duplicate_digest``; the same disclosure sent twice (§4) — ``duplicate_disclosure``;
* any disclosure not reached from the payload rejects the SD-JWT (step 5) —
  ``disclosure_unreferenced``;
* claims a profile says are never selectively disclosable (``never_disclosable``, top-level
  names; RFC 9901 §9.7 leaves the list to profiles): disclosed at any depth, or carrying a digest
  anywhere inside — ``forbidden_selective_disclosure``;
* nesting is capped, since disclosure values can recurse — ``too_deep``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from credentials.claim_path import ClaimPath
from credentials.errors import SDJWTError
from credentials.sd_jwt.disclosure import DEFAULT_HASH_ALG, Disclosure, digest_of, hash_function

__all__ = [
    "MAX_DEPTH",
    "SD_ALG",
    "SD_KEY",
    "ProcessedPayload",
    "has_digests",
    "process_payload",
]

SD_KEY = "_sd"
SD_ALG = "_sd_alg"
ARRAY_KEY = "..."
MAX_DEPTH = 24


@dataclass(frozen=True, slots=True)
class ProcessedPayload:
    """``claims``: the payload with disclosures applied and ``_sd``/``_sd_alg``/placeholders
    removed. ``disclosure_paths``: where each applied disclosure landed in ``claims``."""

    claims: dict[str, Any]
    hash_alg: str
    disclosure_paths: Mapping[ClaimPath, Disclosure] = field(default_factory=dict)


def sd_hash_alg(payload: Mapping[str, Any]) -> str:
    alg = payload.get(SD_ALG, DEFAULT_HASH_ALG)
    hash_function(alg)  # raises unsupported_sd_alg
    return str(alg)


def _misplaced_sd_alg(where: str) -> SDJWTError:
    return SDJWTError(
        f"'_sd_alg' {where}; it may appear only at the top level of the issuer-signed payload",
        code="misplaced_sd_alg",
    )


def _forbidden(name: str) -> SDJWTError:
    return SDJWTError(
        f"claim {name!r} must not be selectively disclosable, nor contain disclosable parts",
        code="forbidden_selective_disclosure",
    )


class _Walker:
    __slots__ = ("by_digest", "never", "paths", "seen", "used")

    def __init__(self, by_digest: dict[str, Disclosure], never: Collection[str]) -> None:
        self.by_digest = by_digest
        self.never = never
        self.seen: set[str] = set()
        self.used: set[str] = set()
        self.paths: dict[ClaimPath, Disclosure] = {}

    def _claim_digest(self, digest: Any) -> Disclosure | None:
        if not isinstance(digest, str):
            raise SDJWTError("a digest must be a string", code="invalid_sd_claim")
        if digest in self.seen:
            raise SDJWTError("a digest appears more than once", code="duplicate_digest")
        self.seen.add(digest)
        disclosure = self.by_digest.get(digest)
        if disclosure is not None:
            self.used.add(digest)
        return disclosure

    def walk(self, node: Any, path: ClaimPath, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise SDJWTError(f"claims nested deeper than {MAX_DEPTH} levels", code="too_deep")
        if isinstance(node, dict):
            return self._object(node, path, depth)
        if isinstance(node, list):
            return self._array(node, path, depth)
        return node

    def _object(self, node: dict[str, Any], path: ClaimPath, depth: int) -> dict[str, Any]:
        if ARRAY_KEY in node:
            # §4.1 rule 7: "..." conveys an array element's digest and nothing else. Here the
            # object is a claim value (or an array element with other keys, see _array).
            raise SDJWTError(
                "'...' may only be the single key of an array element",
                code="invalid_array_placeholder",
            )
        top = depth == 0
        out: dict[str, Any] = {}
        for name, value in node.items():
            if name == SD_KEY:
                continue
            if name == SD_ALG:
                if not top:
                    raise _misplaced_sd_alg("appears in a nested object")
                continue
            if top and name in self.never and has_digests(value):
                raise _forbidden(name)
            # Leaves need no walk (nor a path tuple): the common case, kept cheap.
            out[name] = (
                self.walk(value, (*path, name), depth + 1)
                if isinstance(value, dict | list)
                else value
            )
        if SD_KEY not in node:
            return out
        digests = node[SD_KEY]
        if not isinstance(digests, list):  # "_sd": null included
            raise SDJWTError("'_sd' must be an array of digests", code="invalid_sd_claim")
        for digest in digests:
            disclosure = self._claim_digest(digest)
            if disclosure is None:
                continue  # a decoy, or a claim the holder did not disclose
            claim_name = disclosure.name
            if claim_name is None:
                raise SDJWTError(
                    "an array-element disclosure is referenced from '_sd'",
                    code="disclosure_type_mismatch",
                )
            if claim_name in out or claim_name in node:
                raise SDJWTError(
                    f"disclosed claim {claim_name!r} collides with an existing claim",
                    code="claim_name_collision",
                )
            if claim_name == SD_ALG:
                raise _misplaced_sd_alg("is selectively disclosed")
            if top and claim_name in self.never:
                raise _forbidden(claim_name)
            child_path = (*path, claim_name)
            self.paths[child_path] = disclosure
            out[claim_name] = self.walk(disclosure.value, child_path, depth + 1)
        return out

    def _array(self, node: list[Any], path: ClaimPath, depth: int) -> list[Any]:
        out: list[Any] = []
        for element in node:
            if isinstance(element, dict) and ARRAY_KEY in element:
                if len(element) != 1:
                    raise SDJWTError(
                        "an array element placeholder must have '...' as its only key",
                        code="invalid_array_placeholder",
                    )
                disclosure = self._claim_digest(element[ARRAY_KEY])
                if disclosure is None:
                    continue  # undisclosed element (or decoy): removed from the array
                if disclosure.name is not None:
                    raise SDJWTError(
                        "an object-property disclosure is referenced from an array",
                        code="disclosure_type_mismatch",
                    )
                child_path = (*path, len(out))
                self.paths[child_path] = disclosure
                out.append(self.walk(disclosure.value, child_path, depth + 1))
            elif isinstance(element, dict | list):
                out.append(self.walk(element, (*path, len(out)), depth + 1))
            else:
                out.append(element)
        return out


def has_digests(value: Any) -> bool:
    """True when ``value`` holds an ``_sd`` key or a ``...`` key anywhere inside."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if SD_KEY in item or ARRAY_KEY in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def process_payload(
    payload: Mapping[str, Any],
    disclosures: Sequence[Disclosure],
    *,
    never_disclosable: Collection[str] = (),
) -> ProcessedPayload:
    """Apply ``disclosures`` to an issuer-signed ``payload`` (RFC 9901 §7.1 steps 3-5).

    ``never_disclosable`` names top-level claims that must be plain text through and through
    (a profile's list, e.g. SD-JWT VC's ``iss``/``vct``/``cnf``/``status``...).
    """
    hash_alg = sd_hash_alg(payload)
    by_digest: dict[str, Disclosure] = {}
    for disclosure in disclosures:
        digest = digest_of(disclosure.encoded, hash_alg)
        if digest in by_digest:
            raise SDJWTError("the same disclosure is sent twice", code="duplicate_disclosure")
        by_digest[digest] = disclosure
    walker = _Walker(by_digest, frozenset(never_disclosable))
    claims = walker.walk(dict(payload), (), 0)
    if len(walker.used) != len(by_digest):
        raise SDJWTError(
            "a disclosure is not referenced by the issuer-signed payload",
            code="disclosure_unreferenced",
        )
    return ProcessedPayload(claims, hash_alg, walker.paths)
