"""Encrypted credential responses (OpenID4VCI 1.0 §10, §8.2, §12.2.4; HAIP 1.0 §4.5).

The wallet asks with ``credential_response_encryption`` = ``{jwk, enc, zip?}`` in the credential
request: ``jwk`` is a single public key whose ``alg`` names the JWE key management algorithm
(§10: "The ``alg`` parameter MUST be present"; the 1.0 object has no top-level ``alg``, a
draft-era one is ignored). This issuer takes an EC P-256 key with ``alg`` ``ECDH-ES`` and
``enc`` ``A128GCM`` or ``A256GCM`` (both, HAIP); ``zip`` is refused (no
``zip_values_supported`` is published: decompression bombs). The answer is a compact JWE of the
JSON response with ``Content-Type: application/jwt``, its ``kid`` copied from the JWK (§10).
Error responses are never encrypted (§8.3.1.2).

Policy (``credential_response_encryption`` setting): ``off`` publishes nothing and refuses a
request that asks; ``optional`` encrypts when asked; ``required`` publishes
``encryption_required: true`` and refuses a request that does not ask.

Requests themselves are accepted in plain JSON even when they carry
``credential_response_encryption`` (open question Q5: TLS protects them, and independent
wallets cannot encrypt requests yet); this issuer publishes no ``credential_request_encryption``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from core.encoding import dumps_compact
from credentials.errors import CredentialError
from credentials.jose import JWE_ENCRYPTIONS, encrypt_jwe
from did.errors import DIDError
from did.keys import PublicKey
from issuer.errors import InvalidEncryptionParametersError

__all__ = [
    "JWE_CONTENT_TYPE",
    "RESPONSE_ENCRYPTION_ALG",
    "EncryptionPolicy",
    "ResponseEncryption",
    "encrypt_response",
    "encryption_metadata",
    "parse_response_encryption",
]

EncryptionPolicy = Literal["off", "optional", "required"]
RESPONSE_ENCRYPTION_ALG = "ECDH-ES"
JWE_CONTENT_TYPE = "application/jwt"
_ENC_VALUES = tuple(sorted(JWE_ENCRYPTIONS))
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


@dataclass(frozen=True, slots=True)
class ResponseEncryption:
    """A checked ``credential_response_encryption``: the wallet's public key and ``enc``."""

    jwk: Mapping[str, str]
    enc: str


def encryption_metadata(policy: EncryptionPolicy) -> dict[str, Any] | None:
    """§12.2.4 ``credential_response_encryption`` (``None``: leave it out of the metadata)."""
    if policy == "off":
        return None
    return {
        "alg_values_supported": [RESPONSE_ENCRYPTION_ALG],
        "enc_values_supported": list(_ENC_VALUES),
        "encryption_required": policy == "required",
    }


def _bad_key(message: str) -> InvalidEncryptionParametersError:
    return InvalidEncryptionParametersError(message, code="encryption_key_invalid")


def _check_key(jwk: object) -> dict[str, str]:
    if not isinstance(jwk, dict):
        raise _bad_key("credential_response_encryption.jwk must be a JWK object")
    if _PRIVATE_MEMBERS & set(jwk):
        raise _bad_key("the encryption jwk contains a private key; send only the public key")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise _bad_key("the encryption key must be an EC P-256 key (ECDH-ES)")
    if "alg" not in jwk:
        raise _bad_key("the encryption jwk must carry alg (OpenID4VCI 1.0 section 10)")
    if jwk["alg"] != RESPONSE_ENCRYPTION_ALG:
        raise _bad_key(f"encryption alg {jwk['alg']!r} is not supported; use ECDH-ES")
    if jwk.get("use", "enc") != "enc":
        raise _bad_key("the encryption jwk is marked for another use than encryption")
    if not all(isinstance(value, str) for value in jwk.values()):
        raise _bad_key("the encryption jwk's members must be strings")
    try:
        # A point off the curve would only fail after the credentials were signed.
        PublicKey.from_jwk({name: jwk[name] for name in ("kty", "crv", "x", "y") if name in jwk})
    except DIDError as exc:
        raise _bad_key(f"the encryption key is unusable: {exc.message}") from exc
    return dict(jwk)


def parse_response_encryption(
    value: object, *, policy: EncryptionPolicy
) -> ResponseEncryption | None:
    """§8.2 ``credential_response_encryption`` of a credential (or deferred) request, checked
    against the policy; ``None`` when the wallet did not ask and may do so."""
    if value is None:
        if policy == "required":
            raise InvalidEncryptionParametersError(
                "this issuer sends credentials only encrypted; add credential_response_encryption",
                code="encryption_required",
            )
        return None
    if policy == "off":
        raise InvalidEncryptionParametersError(
            "this issuer does not encrypt credential responses; leave out "
            "credential_response_encryption",
            code="encryption_unsupported",
        )
    if not isinstance(value, dict):
        raise InvalidEncryptionParametersError(
            "credential_response_encryption must be an object with jwk and enc"
        )
    if "zip" in value:
        raise InvalidEncryptionParametersError(
            "compressed responses (zip) are not offered by this issuer",
            code="encryption_zip_refused",
        )
    enc = value.get("enc")
    if not isinstance(enc, str) or enc not in _ENC_VALUES:
        raise InvalidEncryptionParametersError(
            f"content encryption {enc!r} is not supported; use one of {', '.join(_ENC_VALUES)}",
            code="encryption_enc_unsupported",
        )
    return ResponseEncryption(_check_key(value.get("jwk")), enc)


def encrypt_response(body: Mapping[str, Any], params: ResponseEncryption) -> str:
    """§10: the JSON response as a compact JWE to the wallet's key (``kid`` copied)."""
    try:
        return encrypt_jwe(dumps_compact(dict(body)).encode(), params.jwk, enc=params.enc)
    except CredentialError as exc:
        raise _bad_key(f"the response could not be encrypted to this key: {exc.message}") from exc
