"""Issuing SD-JWTs (RFC 9901 §4, §5).

The issuer names which claims are selectively disclosable by claim path. A path to an object
property puts its digest in the parent's ``_sd`` array (§4.2.4.1); a path to an array element
replaces the element with ``{"...": digest}`` (§4.2.4.2). Naming both a parent and a child makes
a recursive disclosure (§4.2.6). Decoy digests (§4.2.5) hide how many claims an object has.
``_sd`` arrays are sorted so that their order reveals nothing about the original claim order.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from core.encoding import b64url_encode
from credentials.claim_path import ClaimPath, concrete_paths, parse_claim_path
from credentials.errors import SDJWTError
from credentials.jose import sign_jws
from credentials.sd_jwt.disclosure import (
    DEFAULT_HASH_ALG,
    FORBIDDEN_CLAIM_NAMES,
    Disclosure,
    create_disclosure,
    hash_function,
)
from credentials.sd_jwt.model import SDJWT
from credentials.sd_jwt.process import ARRAY_KEY, SD_ALG, SD_KEY, process_payload
from credentials.sd_jwt.verify import check_cnf
from did.keys import PrivateKey, PublicKey

__all__ = ["ALWAYS_PLAINTEXT", "DEFAULT_TYP", "issue_sd_jwt", "resolve_sd_paths"]

DEFAULT_TYP = "sd+jwt"
# RFC 9901 §4.1 / §9.7: claims the verifier needs before it can trust anything else.
ALWAYS_PLAINTEXT = frozenset({"iss", "exp", "nbf", "cnf", SD_ALG})
# §9.7: "aud ..., although issuers MAY allow individual entries in the array to be selectively
# disclosable" -- the claim as a whole stays plain text, its elements may be hidden.
_PLAIN_CONTAINERS = frozenset({"aud"})


def resolve_sd_paths(
    claims: Mapping[str, Any], sd_paths: Iterable[str | ClaimPath]
) -> frozenset[tuple[str | int, ...]]:
    """Concrete, checked claim paths for ``sd_paths`` (text or tuples) within ``claims``."""
    resolved: set[tuple[str | int, ...]] = set()
    for raw in sd_paths:
        for path in concrete_paths(parse_claim_path(raw), claims):
            # Nested too: hiding cnf.jwk (or a member of it) breaks key binding just as well.
            if path[0] in ALWAYS_PLAINTEXT or (len(path) == 1 and path[0] in _PLAIN_CONTAINERS):
                raise SDJWTError(
                    f"claim {path[0]!r} must never be selectively disclosable",
                    code="forbidden_selective_disclosure",
                )
            resolved.add(path)
    return frozenset(resolved)


def _check_names(node: Any, depth: int = 0) -> None:
    if depth > 24:
        raise SDJWTError("claims nested too deeply", code="too_deep")
    if isinstance(node, dict):
        for name, value in node.items():
            if name in FORBIDDEN_CLAIM_NAMES:
                raise SDJWTError(f"{name!r} cannot be a claim name", code="invalid_claim_name")
            if name == SD_ALG and depth > 0:  # §4.1.1: only ever the top-level hash claim
                raise SDJWTError("'_sd_alg' cannot be a nested claim name", code="misplaced_sd_alg")
            _check_names(value, depth + 1)
    elif isinstance(node, list):
        for value in node:
            _check_names(value, depth + 1)


class _Builder:
    def __init__(
        self,
        sd: frozenset[tuple[str | int, ...]],
        hash_alg: str,
        decoys: int,
        random_bytes: Callable[[int], bytes],
    ) -> None:
        self.sd = sd
        self.hash = hash_function(hash_alg)
        self.hash_alg = hash_alg
        self.decoys = decoys
        self.random_bytes = random_bytes
        self.disclosures: list[Disclosure] = []

    def _disclose(self, name: str | None, value: Any) -> str:
        disclosure = create_disclosure(name, value, random_bytes=self.random_bytes)
        self.disclosures.append(disclosure)
        return disclosure.digest(self.hash_alg)

    def _decoys(self) -> list[str]:
        if self.decoys <= 0:
            return []
        count = self.random_bytes(1)[0] % (self.decoys + 1)
        return [b64url_encode(self.hash(self.random_bytes(32)).digest()) for _ in range(count)]

    def build(self, node: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            digests: list[str] = []
            for name, value in node.items():
                child = self.build(value, (*path, name))
                if (*path, name) in self.sd:
                    digests.append(self._disclose(name, child))
                else:
                    out[name] = child
            if digests:
                digests.extend(self._decoys())
                out[SD_KEY] = sorted(digests)
            return out
        if isinstance(node, list):
            items: list[Any] = []
            for index, value in enumerate(node):
                child = self.build(value, (*path, index))
                if (*path, index) in self.sd:
                    items.append({ARRAY_KEY: self._disclose(None, child)})
                else:
                    items.append(child)
            return items
        return node


def issue_sd_jwt(
    claims: Mapping[str, Any],
    key: PrivateKey,
    *,
    sd_paths: Iterable[str | ClaimPath] = (),
    typ: str = DEFAULT_TYP,
    kid: str | None = None,
    holder_key: PublicKey | None = None,
    hash_alg: str = DEFAULT_HASH_ALG,
    decoys: int = 0,
    headers: Mapping[str, Any] | None = None,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    never_disclosable: Iterable[str] = (),
) -> SDJWT:
    """Sign ``claims`` as an SD-JWT with the claims at ``sd_paths`` selectively disclosable.

    ``holder_key`` adds ``cnf.jwk`` for key binding (RFC 9901 §4.1.2). ``decoys`` is the most
    decoy digests added to each ``_sd`` array (a random number from 0 to ``decoys``).
    ``never_disclosable`` adds a profile's own always-plain-text claims to the built-in ones.
    """
    _check_names(claims)
    if SD_ALG in claims:
        raise SDJWTError("'_sd_alg' is set by the issuer code", code="invalid_claim_name")
    if holder_key is not None and "cnf" in claims:
        raise SDJWTError("give either holder_key or a 'cnf' claim", code="invalid_claim_name")
    if "cnf" in claims:  # a caller's own cnf: one key, public members only (RFC 7800 §3.1)
        check_cnf(claims["cnf"])
    never = ALWAYS_PLAINTEXT.union(never_disclosable)
    sd = resolve_sd_paths(claims, sd_paths)
    for path in sd:
        if path[0] in never:
            raise SDJWTError(
                f"claim {path[0]!r} must never be selectively disclosable",
                code="forbidden_selective_disclosure",
            )
    builder = _Builder(sd, hash_alg, decoys, random_bytes)
    payload: dict[str, Any] = builder.build(dict(claims), ())
    if hash_alg != DEFAULT_HASH_ALG or builder.disclosures:
        payload[SD_ALG] = hash_alg
    if holder_key is not None:
        payload["cnf"] = {"jwk": holder_key.to_jwk()}
    # Never sign what a verifier would refuse: the same §4/§7.1 walk, over our own output.
    process_payload(payload, builder.disclosures, never_disclosable=never - {SD_ALG})
    jwt = sign_jws(payload, key, typ=typ, kid=kid, headers=headers)
    return SDJWT(jwt, tuple(builder.disclosures))
