"""The offline presentation request (docs/offline-qr.md §3): the verifier's signed request as
one QR code, ``DKR1:`` + base45(deflate(CBOR([header, payload, signature, chain]))).

The first three items are the raw bytes of an ordinary compact JWS (RFC 7515 §7.1; ``typ``
:data:`OFFLINE_REQUEST_TYP`, ES256 or EdDSA): the QR code drops only the base64url layer, and
the reader rebuilds the exact compact JWS (base64url without padding has one spelling for
given bytes), so the signature is checked by the same JOSE code and rules as every other
token. ``chain`` is the signer's certificate chain as raw DER (leaf first, never the root),
outside the signature like COSE's unprotected ``x5chain`` (RFC 9360 §2): base64 inside the
JSON header would cost a third more of the code. It needs no signature of its own: the leaf
must verify the signature and, for the ``x509_hash:`` client id, hash to it; the reader hands
it on as the JWS ``x5c``, and a protected header that carries ``x5c`` too is refused.

The payload's members: ``client_id``, ``nonce`` (fresh, single-use), ``dcql_query``
(OpenID4VP §6), ``purpose``, ``iat``, ``exp``, and optionally ``client_name`` and
``template``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

from core.encoding import b64url_decode, b64url_encode
from credentials.errors import CredentialError, OfflineCodeError
from credentials.jose import JWS, parse_jws, sign_jws
from credentials.offline.codec import pack, unpack
from did.keys import PrivateKey

__all__ = [
    "MAX_REQUEST_INFLATED",
    "OFFLINE_REQUEST_TYP",
    "REQUEST_PREFIX",
    "create_offline_request",
    "parse_offline_request",
]

REQUEST_PREFIX = "DKR1:"
OFFLINE_REQUEST_TYP = "drukid-offline-req+jwt"
MAX_REQUEST_INFLATED = 16 * 1024
_MAX_CHAIN = 4
_REQUIRED = ("client_id", "nonce", "dcql_query", "purpose", "iat", "exp")


def create_offline_request(
    claims: Mapping[str, Any],
    key: PrivateKey,
    *,
    x5c: Sequence[str] | None = None,
    kid: str | None = None,
) -> str:
    """The request QR text for ``claims`` (the payload members above), signed by ``key``."""
    missing = [name for name in _REQUIRED if name not in claims]
    if missing:
        raise OfflineCodeError(f"an offline request needs {', '.join(missing)}")
    compact = sign_jws(claims, key, typ=OFFLINE_REQUEST_TYP, kid=kid)
    chain = [base64.b64decode(item, validate=True) for item in x5c or ()]
    return pack(REQUEST_PREFIX, [*(b64url_decode(part) for part in compact.split(".")), chain])


def parse_offline_request(text: str) -> JWS:
    """The request's JWS, parsed but not verified (the wallet checks who signed it)."""
    value = unpack(REQUEST_PREFIX, text.strip(), cap=MAX_REQUEST_INFLATED)
    if not (
        isinstance(value, list)
        and len(value) == 4
        and all(isinstance(v, bytes) for v in value[:3])
        and isinstance(value[3], list)
        and len(value[3]) <= _MAX_CHAIN
        and all(isinstance(v, bytes) for v in value[3])
    ):
        raise OfflineCodeError("the request code does not hold a signed request")
    try:
        jws = parse_jws(".".join(b64url_encode(part) for part in value[:3]))
    except CredentialError as exc:
        raise OfflineCodeError(f"the request code is damaged ({exc.code})") from exc
    if value[3]:
        if "x5c" in jws.header:
            raise OfflineCodeError("the request carries two certificate chains")
        jws.header["x5c"] = [base64.b64encode(der).decode("ascii") for der in value[3]]
    for name in _REQUIRED:
        if name not in jws.payload:
            raise OfflineCodeError(f"the request has no {name!r}")
    return jws
