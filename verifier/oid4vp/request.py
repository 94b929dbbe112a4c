"""OpenID4VP 1.0 authorization requests, as the verifier builds them.

* §5 request parameters: ``response_type=vp_token``, ``response_mode`` ``direct_post`` or
  ``direct_post.jwt`` (§8.2, §8.3), ``response_uri``, ``client_id``, ``nonce``, ``state``,
  ``dcql_query`` (§6), ``client_metadata`` (§5.1: ``jwks`` with the ephemeral ECDH key for
  response encryption, ``encrypted_response_enc_values_supported``, ``vp_formats_supported``),
  plus drukid's plain-language ``purpose`` (docs/dev/contracts.md).
* §5.9 client identifier prefixes: ``decentralized_identifier:<DID>`` (the request object is
  a signed JAR, RFC 9101, ``typ`` ``oauth-authz-req+jwt``, header ``kid`` a DID URL of that
  DID), ``x509_san_dns:<dNSName>`` and ``x509_hash:<base64url sha-256 of the leaf DER>``
  (§5.9.3; a signed JAR whose header ``x5c`` carries the leaf and its intermediates, never the
  trust anchor: HAIP 1.0 §5), and ``redirect_uri:<response_uri>`` (unsigned: the request goes
  **by value** in the ``openid4vp://`` link, since RFC 9101 wants a JWT at ``request_uri`` and
  an unsigned JWT, ``alg: none``, is refused by wallets, this one included).
* A signed request object carries no ``iss``: OpenID4VP 1.0 §5 says wallets ignore it, and
  wallets that do read it (the Credo/Animo libraries) refuse one that is not the bare DID.
* §5.8 ``aud`` of a request object the wallet fetches without metadata discovery:
  ``https://self-issued.me/v2``.
* The QR code of a signed request holds only ``openid4vp://?client_id=...&request_uri=...``
  (by reference), which keeps it at a QR version a cheap phone camera reads; a
  ``redirect_uri:`` request holds every parameter (see README "Interoperability" for its size).

Pure: values in, values out; the clock, randomness and keys are arguments.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from core.encoding import dumps_compact
from credentials.jose import JWE_ENCRYPTIONS, sign_jws
from credentials.x509 import X509_HASH_PREFIX, X509_SAN_DNS_PREFIX
from did.keys import PrivateKey

__all__ = [
    "DID_PREFIX",
    "REDIRECT_URI_PREFIX",
    "REQUEST_OBJECT_MEDIA_TYPE",
    "REQUEST_OBJECT_TYP",
    "RESPONSE_MODES",
    "SELF_ISSUED_AUD",
    "SIGNED_PREFIXES",
    "X509_PREFIXES",
    "RequestParameters",
    "create_openid4vp_uri",
    "create_openid4vp_uri_by_value",
    "create_request_object",
    "request_parameters",
    "sign_request_object",
    "vp_formats_supported",
]

REQUEST_OBJECT_TYP = "oauth-authz-req+jwt"
REQUEST_OBJECT_MEDIA_TYPE = "application/oauth-authz-req+jwt"
RESPONSE_MODES = ("direct_post.jwt", "direct_post")
DID_PREFIX = "decentralized_identifier:"
REDIRECT_URI_PREFIX = "redirect_uri:"
SELF_ISSUED_AUD = "https://self-issued.me/v2"
X509_PREFIXES = (X509_SAN_DNS_PREFIX, X509_HASH_PREFIX)
BY_VALUE_SAFE = ":/,@"
# The prefixes whose requests are signed JARs fetched by reference.
SIGNED_PREFIXES = (DID_PREFIX, *X509_PREFIXES)


def vp_formats_supported(algorithms: Collection[str]) -> dict[str, Any]:
    """§11.1 / B.3.7: what this verifier accepts for ``dc+sd-jwt``."""
    algs = sorted(algorithms)
    return {"dc+sd-jwt": {"sd-jwt_alg_values": algs, "kb-jwt_alg_values": algs}}


@dataclass(frozen=True, slots=True)
class RequestParameters:
    """What one presentation request asks. ``encryption_jwk``: the *public* half of the
    per-request ECDH key (required for ``direct_post.jwt``)."""

    client_id: str
    response_uri: str
    nonce: str
    state: str
    dcql_query: Mapping[str, Any]
    response_mode: str
    client_name: str
    purpose: str
    algorithms: Collection[str]
    encryption_jwk: Mapping[str, Any] | None = None
    logo_uri: str | None = None

    def __post_init__(self) -> None:
        if self.response_mode not in RESPONSE_MODES:
            raise ValueError(f"response_mode must be one of {RESPONSE_MODES}")
        if self.response_mode == "direct_post.jwt" and self.encryption_jwk is None:
            raise ValueError("direct_post.jwt needs the ephemeral encryption key")
        if self.encryption_jwk is not None and "d" in self.encryption_jwk:
            raise ValueError("only the public encryption key goes into a request")
        if not self.client_id.startswith((*SIGNED_PREFIXES, REDIRECT_URI_PREFIX)):
            raise ValueError(
                "client_id must use the decentralized_identifier:, x509_san_dns:, x509_hash: or "
                "redirect_uri: prefix"
            )
        if self.client_id.startswith(REDIRECT_URI_PREFIX) and (
            self.client_id.removeprefix(REDIRECT_URI_PREFIX) != self.response_uri
        ):
            # §5.9.3: with direct_post the redirect_uri client id is the response_uri.
            raise ValueError("a redirect_uri: client_id must equal the response_uri")


def request_parameters(params: RequestParameters) -> dict[str, Any]:
    """The Authorization Request parameters (§5), as a request by value carries them."""
    client_metadata: dict[str, Any] = {
        "client_name": params.client_name,
        "vp_formats_supported": vp_formats_supported(params.algorithms),
    }
    if params.logo_uri:
        client_metadata["logo_uri"] = params.logo_uri
    if params.encryption_jwk is not None:
        client_metadata["jwks"] = {"keys": [dict(params.encryption_jwk)]}
        client_metadata["encrypted_response_enc_values_supported"] = sorted(JWE_ENCRYPTIONS)
    claims: dict[str, Any] = {
        "response_type": "vp_token",
        "response_mode": params.response_mode,
        "response_uri": params.response_uri,
        "client_id": params.client_id,
        "nonce": params.nonce,
        "state": params.state,
        "dcql_query": dict(params.dcql_query),
        "client_metadata": client_metadata,
        # drukid's extension (docs/dev/contracts.md): OpenID4VP 1.0 has no purpose parameter;
        # wallets that do not know it ignore it (§5: unknown parameters are ignored).
        "purpose": params.purpose,
    }
    return claims


def create_request_object(params: RequestParameters, *, iat: int, exp: int) -> dict[str, Any]:
    """The request object claims (§5) of a request fetched by reference: the parameters plus
    ``iat``/``exp`` and, for a signed request, ``aud`` (§5.8). Never ``iss`` (see above)."""
    claims = request_parameters(params)
    claims["iat"] = iat
    claims["exp"] = exp
    if params.client_id.startswith(SIGNED_PREFIXES):
        claims["aud"] = SELF_ISSUED_AUD
    return claims


def sign_request_object(
    claims: Mapping[str, Any],
    key: PrivateKey,
    *,
    kid: str | None = None,
    x5c: Sequence[str] | None = None,
) -> str:
    """The signed JAR (RFC 9101): for a ``decentralized_identifier:`` client with ``kid`` a DID
    URL of its DID; for an ``x509_*`` client with ``x5c`` (leaf first, intermediates, never
    the root) and no ``kid``; the client_id's match with the leaf is the caller's check
    (:func:`credentials.x509.verify_client_id`)."""
    client_id = claims.get("client_id")
    if not isinstance(client_id, str) or not client_id.startswith(SIGNED_PREFIXES):
        raise ValueError("only decentralized_identifier: and x509_* requests are signed")
    if "iss" in claims:
        raise ValueError("a request object carries no iss (wallets refuse a prefixed one)")
    if client_id.startswith(DID_PREFIX):
        did = client_id.removeprefix(DID_PREFIX)
        if kid is None or not kid.startswith(did + "#") or x5c:
            raise ValueError("the kid must be a DID URL of the client_id's DID (§5.9.3)")
        return sign_jws(claims, key, typ=REQUEST_OBJECT_TYP, kid=kid)
    if not x5c or kid is not None:
        raise ValueError("an x509 client signs with its certificate chain in x5c (§5.9.3)")
    return sign_jws(claims, key, typ=REQUEST_OBJECT_TYP, headers={"x5c": list(x5c)})


def create_openid4vp_uri(*, client_id: str, request_uri: str) -> str:
    """``openid4vp://?client_id=...&request_uri=...`` (contracts.md)."""
    return "openid4vp://?" + urlencode({"client_id": client_id, "request_uri": request_uri})


def create_openid4vp_uri_by_value(parameters: Mapping[str, Any]) -> str:
    """``openid4vp://?response_type=vp_token&client_id=...&dcql_query=...``: every parameter
    in the link (§5, "parameters containing objects are transferred as JSON-serialized
    strings"), compact JSON, ``client_id`` first. Only for unsigned ``redirect_uri:``
    requests."""
    client_id = parameters.get("client_id")
    if not isinstance(client_id, str) or not client_id.startswith(REDIRECT_URI_PREFIX):
        raise ValueError("only redirect_uri: requests are passed by value")
    ordered = {"client_id": client_id, **parameters}
    return "openid4vp://?" + urlencode(
        {
            name: dumps_compact(value) if isinstance(value, Mapping | list) else str(value)
            for name, value in ordered.items()
        },
        # RFC 3986 §3.4 allows these unescaped in a query; it keeps the QR code ~5% smaller.
        safe=BY_VALUE_SAFE,
    )
