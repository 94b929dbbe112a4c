"""OpenID4VCI 1.0 §7 Nonce Endpoint and Appendix F.1 ``openid4vci-proof+jwt``: the proof that
the wallet holds the key a credential will be bound to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from credentials.jose import sign_jws
from did.keys import PrivateKey
from wallet.errors import ReceiveError

__all__ = ["PROOF_TYP", "parse_nonce_response", "proof_jwt"]

PROOF_TYP = "openid4vci-proof+jwt"


def parse_nonce_response(status: int, body: object) -> str:
    """§7.2: the ``c_nonce`` to put in the next proofs."""
    nonce = body.get("c_nonce") if isinstance(body, Mapping) else None
    if status != 200 or not isinstance(nonce, str) or not nonce:
        raise ReceiveError("the issuer sent no nonce", code="issuer_metadata_invalid")
    return nonce


def proof_jwt(
    key: PrivateKey,
    *,
    audience: str,
    nonce: str | None,
    iat: int,
    key_attestation: str | None = None,
) -> str:
    """Appendix F.1: signed by ``key``, ``aud`` the credential issuer, ``nonce`` when the issuer
    has a nonce endpoint, and the ``key_attestation`` header when the wallet has one."""
    payload: dict[str, Any] = {"aud": audience, "iat": iat}
    if nonce is not None:
        payload["nonce"] = nonce
    # Appendix F.1: exactly one of kid/jwk/x5c; jwk, since these keys exist nowhere else.
    headers: dict[str, Any] = {"jwk": key.public_key.to_jwk()}
    if key_attestation is not None:
        headers["key_attestation"] = key_attestation
    return sign_jws(payload, key, typ=PROOF_TYP, headers=headers)
