"""JOSE adapter: compact JWS (RFC 7515) and JWE (RFC 7516) for the rest of drukid.

This is the only module that imports pyjwt or jwcrypto. Rules enforced here (RFC 8725, the
JWT BCP, and the CVE history of JOSE libraries):

* the algorithm comes from the caller's allow-list *and* must equal the key's own algorithm;
  ``none`` and every MAC algorithm are refused outright (no HMAC-with-a-public-key confusion);
* ``typ`` is checked against the expected value for every token type (RFC 8725 §3.11);
* ``crit`` is refused (we implement no extension, RFC 7515 §4.1.11), ``b64: false`` too;
* ``jku``, ``x5u`` and ``jwk``-as-trust are never used: keys come from the caller;
* header and payload are parsed as strict JSON (no duplicate names, no NaN) with a size cap;
* JWE: only ECDH-ES with AES-GCM, and ``zip`` is refused (decompression bombs).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from jwcrypto import jwe as _jwe
from jwcrypto import jwk as _jwk
from jwcrypto.common import JWException
from jwt.algorithms import ECAlgorithm, OKPAlgorithm

from core.encoding import EncodingError, b64url_decode, b64url_encode, dumps_compact
from core.encoding import parse_json as _parse_json
from credentials.errors import JOSEError, MalformedError
from did.keys import EDDSA, ES256, PrivateKey, PublicKey

__all__ = [
    "JWE_ALGORITHMS",
    "JWE_ENCRYPTIONS",
    "JWS",
    "MAX_TOKEN_BYTES",
    "SIGNING_ALGORITHMS",
    "decrypt_jwe",
    "encrypt_jwe",
    "generate_encryption_key",
    "parse_json",
    "parse_jws",
    "public_encryption_jwk",
    "sign_jws",
    "typ_matches",
    "verify_jws",
]

SIGNING_ALGORITHMS = frozenset({ES256, EDDSA})
JWE_ALGORITHMS = frozenset({"ECDH-ES"})
JWE_ENCRYPTIONS = frozenset({"A128GCM", "A256GCM"})
MAX_TOKEN_BYTES = 256 * 1024

_FORBIDDEN_ALGS = frozenset({"none", "HS256", "HS384", "HS512"})
_ALG_IMPL = {ES256: ECAlgorithm(ECAlgorithm.SHA256), EDDSA: OKPAlgorithm()}


def parse_json(data: str | bytes) -> Any:
    """Strict JSON (see :mod:`core.encoding`), raising :class:`MalformedError`."""
    try:
        return _parse_json(data)
    except EncodingError as exc:
        raise MalformedError(exc.message) from exc


def _b64_json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = _parse_json(b64url_decode(segment))
    except EncodingError as exc:
        raise MalformedError(f"JWS {what} is not base64url JSON: {exc.message}") from exc
    if not isinstance(value, dict):
        raise MalformedError(f"JWS {what} is not a JSON object")
    return value


def typ_matches(actual: object, expected: str) -> bool:
    """RFC 7515 §4.1.9: media types compare case-insensitively, ``application/`` optional."""
    if not isinstance(actual, str):
        return False
    value = actual.lower()
    value = value.removeprefix("application/")
    return value == expected.lower().removeprefix("application/")


@dataclass(frozen=True, slots=True)
class JWS:
    """A parsed compact JWS. Until :func:`verify_jws` returned it, nothing in it is trusted."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes
    compact: str

    @property
    def alg(self) -> str | None:
        alg = self.header.get("alg")
        return alg if isinstance(alg, str) else None

    @property
    def kid(self) -> str | None:
        kid = self.header.get("kid")
        return kid if isinstance(kid, str) else None


def parse_jws(token: str, *, max_bytes: int = MAX_TOKEN_BYTES) -> JWS:
    """Split and decode a compact JWS without checking anything but its form."""
    if not isinstance(token, str):
        raise MalformedError("a JWS must be text")
    if len(token) > max_bytes:
        raise MalformedError(f"token larger than {max_bytes} bytes", code="too_large")
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedError("a compact JWS has three dot-separated parts")
    header = _b64_json_object(parts[0], "header")
    payload = _b64_json_object(parts[1], "payload")
    try:
        signature = b64url_decode(parts[2])
    except EncodingError as exc:
        raise MalformedError("JWS signature is not base64url") from exc
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    return JWS(header, payload, signing_input, signature, token)


def sign_jws(
    payload: Mapping[str, Any],
    key: PrivateKey,
    *,
    typ: str,
    kid: str | None = None,
    headers: Mapping[str, Any] | None = None,
) -> str:
    """Sign ``payload`` as a compact JWS with the key's own algorithm and the given ``typ``."""
    header: dict[str, Any] = {"alg": key.alg, "typ": typ}
    if kid is not None:
        header["kid"] = kid
    if headers:
        for name in ("alg", "crit", "b64", "jku", "x5u"):
            if name in headers:
                raise JOSEError(f"header {name!r} cannot be set here", code="invalid_header")
        header.update(headers)
    try:
        signing_input = (
            b64url_encode(dumps_compact(header).encode())
            + "."
            + b64url_encode(dumps_compact(dict(payload)).encode())
        )
    except (TypeError, ValueError) as exc:
        raise MalformedError(f"payload is not JSON-serialisable: {exc}") from exc
    signature = _ALG_IMPL[key.alg].sign(signing_input.encode("ascii"), key.key)
    return signing_input + "." + b64url_encode(signature)


def check_header(
    header: Mapping[str, Any], *, algorithms: Collection[str], typ: str | Collection[str] | None
) -> str:
    """Check alg, typ and crit of a JWS header; return the algorithm."""
    alg = header.get("alg")
    if not isinstance(alg, str) or alg in _FORBIDDEN_ALGS or alg.startswith("HS"):
        raise JOSEError(f"algorithm {alg!r} is not allowed", code="algorithm_not_allowed")
    if alg not in algorithms or alg not in SIGNING_ALGORITHMS:
        raise JOSEError(f"algorithm {alg!r} is not allowed here", code="algorithm_not_allowed")
    if "crit" in header:
        raise JOSEError("critical header extensions are not supported", code="unsupported_crit")
    if "b64" in header:
        raise JOSEError("unencoded payloads (b64) are not supported", code="unsupported_crit")
    if typ is not None:
        expected = (typ,) if isinstance(typ, str) else tuple(typ)
        if not any(typ_matches(header.get("typ"), value) for value in expected):
            raise JOSEError(
                f"token type {header.get('typ')!r} is not {' or '.join(expected)}",
                code="invalid_typ",
            )
    return alg


def verify_jws(
    token: str | JWS,
    key: PublicKey,
    *,
    typ: str | Collection[str] | None,
    algorithms: Collection[str] = SIGNING_ALGORITHMS,
) -> JWS:
    """Verify a compact JWS with ``key``; return it parsed, or raise :class:`JOSEError`.

    ``typ`` is mandatory by position so every caller decides; ``None`` skips the check and is
    only for token types that have no registered ``typ``.
    """
    jws = token if isinstance(token, JWS) else parse_jws(token)
    alg = check_header(jws.header, algorithms=algorithms, typ=typ)
    if alg != key.alg:
        raise JOSEError(
            f"token uses {alg} but the key is for {key.alg}", code="algorithm_key_mismatch"
        )
    if not key.verify_raw(jws.signature, jws.signing_input):
        raise JOSEError(
            "the signature does not verify with the expected key", code="invalid_signature"
        )
    return jws


def generate_encryption_key(*, kid: str | None = None) -> dict[str, str]:
    """A fresh P-256 ECDH key as a private JWK (``use`` ``enc``, ``alg`` ``ECDH-ES``)."""
    key = _jwk.JWK.generate(kty="EC", crv="P-256")
    data: dict[str, str] = json.loads(key.export_private())
    data.update({"use": "enc", "alg": "ECDH-ES"})
    if kid is not None:
        data["kid"] = kid
    return data


def public_encryption_jwk(private_jwk: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in private_jwk.items() if name != "d"}


def encrypt_jwe(
    plaintext: bytes,
    recipient_jwk: Mapping[str, Any],
    *,
    enc: str = "A128GCM",
    headers: Mapping[str, Any] | None = None,
) -> str:
    """Encrypt to an EC P-256 public JWK with ECDH-ES (direct key agreement) and AES-GCM."""
    if enc not in JWE_ENCRYPTIONS:
        raise JOSEError(f"content encryption {enc!r} is not allowed", code="algorithm_not_allowed")
    if recipient_jwk.get("kty") != "EC" or recipient_jwk.get("crv") != "P-256":
        raise JOSEError("the recipient key must be an EC P-256 JWK", code="invalid_key")
    protected: dict[str, Any] = {"alg": "ECDH-ES", "enc": enc}
    if "kid" in recipient_jwk:
        protected["kid"] = recipient_jwk["kid"]
    if headers:
        protected.update({k: v for k, v in headers.items() if k not in ("alg", "enc", "zip")})
    try:
        key = _jwk.JWK(**{k: v for k, v in recipient_jwk.items() if k != "d"})
        token = _jwe.JWE(plaintext, protected=dumps_compact(protected))
        token.add_recipient(key)
        return str(token.serialize(compact=True))
    except (JWException, ValueError, TypeError) as exc:
        raise JOSEError(f"cannot encrypt: {exc}", code="encryption_failed") from exc


def decrypt_jwe(
    token: str,
    private_jwk: Mapping[str, Any],
    *,
    algorithms: Collection[str] = JWE_ALGORITHMS,
    encryptions: Collection[str] = JWE_ENCRYPTIONS,
    max_bytes: int = MAX_TOKEN_BYTES,
) -> tuple[dict[str, Any], bytes]:
    """Decrypt a compact JWE; return (protected header, plaintext). Refuses ``zip``."""
    if not isinstance(token, str) or len(token) > max_bytes:
        raise MalformedError("JWE missing or too large", code="too_large")
    parts = token.split(".")
    if len(parts) != 5:
        raise MalformedError("a compact JWE has five dot-separated parts")
    header = _b64_json_object(parts[0], "protected header")
    alg, enc = header.get("alg"), header.get("enc")
    # Membership of an unhashable value (a list or object) in a set raises TypeError.
    if (
        not isinstance(alg, str)
        or not isinstance(enc, str)
        or alg not in algorithms
        or enc not in encryptions
    ):
        raise JOSEError(
            f"JWE algorithm {alg!r}/{enc!r} is not allowed", code="algorithm_not_allowed"
        )
    if "zip" in header:
        raise JOSEError("compressed JWE is refused", code="unsupported_zip")
    if "crit" in header:
        raise JOSEError("critical header extensions are not supported", code="unsupported_crit")
    try:
        key = _jwk.JWK(**dict(private_jwk))
        jwe = _jwe.JWE(algs=sorted(set(algorithms) | set(encryptions)))
        jwe.deserialize(token, key=key)
    except (JWException, ValueError, TypeError) as exc:
        raise JOSEError(
            "the JWE cannot be decrypted with this key", code="decryption_failed"
        ) from exc
    return header, bytes(jwe.payload)
