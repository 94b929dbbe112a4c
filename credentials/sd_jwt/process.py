"""Processing an issuer-signed payload with disclosures (RFC 9901 §7.1 step 3-5).

One walk serves both sides: the verifier (only what was presented) and the holder (its own
credential, all disclosures). The walk enforces every structural rule of §7.1:

* ``_sd`` must be an array of strings; a ``{"...": digest}`` placeholder a string;
* a digest found in ``_sd`` must resolve to a 3-element disclosure, one in ``...`` to a
  2-element one (§7.1 step 3.2.2.1 / 3.3.2.1);
* a disclosed name may not be ``_sd``/``...`` and may not collide with a sibling (step 3.2.2.2);
* any digest met twice anywhere, disclosed or not, rejects the SD-JWT (step 4);
* any disclosure not reached from the payload rejects the SD-JWT (step 5);
* nesting is capped, since disclosure values can recurse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from credentials.claim_path import ClaimPath
from credentials.errors import SDJWTError
from credentials.sd_jwt.disclosure import DEFAULT_HASH_ALG, Disclosure, digest_of, hash_function

__all__ = ["MAX_DEPTH", "SD_ALG", "SD_KEY", "ProcessedPayload", "process_payload"]

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


class _Walker:
    __slots__ = ("by_digest", "paths", "seen", "used")

    def __init__(self, by_digest: dict[str, Disclosure]) -> None:
        self.by_digest = by_digest
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
        out: dict[str, Any] = {}
        for name, value in node.items():
            if name == SD_KEY or (name == SD_ALG and depth == 0):
                continue
            # Leaves need no walk (nor a path tuple): the common case, kept cheap.
            out[name] = (
                self.walk(value, (*path, name), depth + 1)
                if isinstance(value, dict | list)
                else value
            )
        digests = node.get(SD_KEY)
        if digests is None:
            return out
        if not isinstance(digests, list):
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
            child_path = (*path, claim_name)
            self.paths[child_path] = disclosure
            out[claim_name] = self.walk(disclosure.value, child_path, depth + 1)
        return out

    def _array(self, node: list[Any], path: ClaimPath, depth: int) -> list[Any]:
        out: list[Any] = []
        for element in node:
            if isinstance(element, dict) and len(element) == 1 and ARRAY_KEY in element:
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


def process_payload(
    payload: Mapping[str, Any], disclosures: Sequence[Disclosure]
) -> ProcessedPayload:
    """Apply ``disclosures`` to an issuer-signed ``payload`` (RFC 9901 §7.1 steps 3-5)."""
    hash_alg = sd_hash_alg(payload)
    by_digest: dict[str, Disclosure] = {}
    for disclosure in disclosures:
        digest = digest_of(disclosure.encoded, hash_alg)
        if digest in by_digest:
            raise SDJWTError("the same disclosure is sent twice", code="duplicate_disclosure")
        by_digest[digest] = disclosure
    walker = _Walker(by_digest)
    claims = walker.walk(dict(payload), (), 0)
    if len(walker.used) != len(by_digest):
        raise SDJWTError(
            "a disclosure is not referenced by the issuer-signed payload",
            code="disclosure_unreferenced",
        )
    return ProcessedPayload(claims, hash_alg, walker.paths)
