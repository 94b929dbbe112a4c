"""OpenID4VP 1.0 authorization requests, as the verifier builds them.

* §5 request parameters: ``response_type=vp_token``, ``response_mode`` ``direct_post`` or
  ``direct_post.jwt`` (§8.2, §8.3), ``response_uri``, ``client_id``, ``nonce``, ``state``,
  ``dcql_query`` (§6), ``client_metadata`` (§5.1: ``jwks`` with the ephemeral ECDH key for
  response encryption, ``encrypted_response_enc_values_supported``, ``vp_formats_supported``),
  plus drukid's plain-language ``purpose`` (docs/dev/contracts.md).
* §5.9 client identifier prefixes: ``decentralized_identifier:<DID>`` (the request object is
  a signed JAR, RFC 9101, ``typ`` ``oauth-authz-req+jwt``, header ``kid`` a DID URL of that
  DID) and ``redirect_uri:<response_uri>`` (unsigned; never ``alg: none``, the wallet fetches
  the plain JSON object).
* §5.8 ``aud`` of a request object the wallet fetches without metadata discovery:
  ``https://self-issued.me/v2``.
* The QR code holds only ``openid4vp://?client_id=...&request_uri=...`` (by reference), which
  keeps it at a QR version a cheap phone camera reads.

Pure: values in, values out; the clock, randomness and keys are arguments.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from credentials.jose import JWE_ENCRYPTIONS, sign_jws
from did.keys import PrivateKey

__all__ = [
    "DID_PREFIX",
    "REDIRECT_URI_PREFIX",
    "REQUEST_OBJECT_MEDIA_TYPE",
    "REQUEST_OBJECT_TYP",
    "RESPONSE_MODES",
    "SELF_ISSUED_AUD",
    "RequestParameters",
    "create_openid4vp_uri",
    "create_request_object",
    "sign_request_object",
    "vp_formats_supported",
]

REQUEST_OBJECT_TYP = "oauth-authz-req+jwt"
REQUEST_OBJECT_MEDIA_TYPE = "application/oauth-authz-req+jwt"
RESPONSE_MODES = ("direct_post.jwt", "direct_post")
DID_PREFIX = "decentralized_identifier:"
REDIRECT_URI_PREFIX = "redirect_uri:"
SELF_ISSUED_AUD = "https://self-issued.me/v2"


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
        if not self.client_id.startswith((DID_PREFIX, REDIRECT_URI_PREFIX)):
            raise ValueError("client_id must use the decentralized_identifier: or redirect_uri:")
        if self.client_id.startswith(REDIRECT_URI_PREFIX) and (
            self.client_id.removeprefix(REDIRECT_URI_PREFIX) != self.response_uri
        ):
            # §5.9.3: with direct_post the redirect_uri client id is the response_uri.
            raise ValueError("a redirect_uri: client_id must equal the response_uri")


def create_request_object(params: RequestParameters, *, iat: int, exp: int) -> dict[str, Any]:
    """The request object claims (§5)."""
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
        "purpose": params.purpose,
        "iat": iat,
        "exp": exp,
    }
    if params.client_id.startswith(DID_PREFIX):
        claims["iss"] = params.client_id
        claims["aud"] = SELF_ISSUED_AUD
    return claims


def sign_request_object(claims: Mapping[str, Any], key: PrivateKey, *, kid: str) -> str:
    """The signed JAR (RFC 9101) for a ``decentralized_identifier:`` client."""
    client_id = claims.get("client_id")
    if not isinstance(client_id, str) or not client_id.startswith(DID_PREFIX):
        raise ValueError("only decentralized_identifier: requests are signed")
    did = client_id.removeprefix(DID_PREFIX)
    if not kid.startswith(did + "#"):
        raise ValueError("the kid must be a DID URL of the client_id's DID (§5.9.3)")
    return sign_jws(claims, key, typ=REQUEST_OBJECT_TYP, kid=kid)


def create_openid4vp_uri(*, client_id: str, request_uri: str) -> str:
    """``openid4vp://?client_id=...&request_uri=...`` (contracts.md)."""
    return "openid4vp://?" + urlencode({"client_id": client_id, "request_uri": request_uri})
