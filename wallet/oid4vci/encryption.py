"""Encrypted credential responses as the wallet asks for them (OpenID4VCI 1.0 §10, §8.2).

When the issuer publishes ``credential_response_encryption`` with ``ECDH-ES`` and an ``enc``
this wallet speaks (A256GCM preferred, then A128GCM), every credential request carries a fresh
ephemeral P-256 key (:class:`ResponseKey`), made for that one request and dropped after it,
so a key that leaks later opens no other answer. The answer must then be a compact JWE
(``application/jwt``) to that key: an unencrypted 200 is refused (§10: "SHOULD be rejected"),
because the wallet asked for confidentiality and got none. Error answers are plain JSON
(§8.3.1.2) and read as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from credentials.errors import CredentialError
from credentials.jose import decrypt_jwe, generate_encryption_key, parse_json, public_encryption_jwk
from wallet.errors import ReceiveError

__all__ = [
    "ENCRYPTED_MEDIA_TYPE",
    "ResponseKey",
    "choose_encryption",
    "read_credential_answer",
]

ENCRYPTED_MEDIA_TYPE = "application/jwt"
_PREFERRED_ENC = ("A256GCM", "A128GCM")
_ALG = "ECDH-ES"


def choose_encryption(offered: object) -> str | None:
    """The ``enc`` to ask for, or ``None`` when the issuer offers nothing this wallet can use
    (``credential_response_encryption`` of the issuer metadata, §12.2.4)."""
    if not isinstance(offered, Mapping):
        return None
    algs, encs = offered.get("alg_values_supported"), offered.get("enc_values_supported")
    if not isinstance(algs, list) or _ALG not in algs or not isinstance(encs, list):
        return None
    return next((enc for enc in _PREFERRED_ENC if enc in encs), None)


@dataclass(frozen=True, slots=True)
class ResponseKey:
    """One request's ephemeral key: its public half goes into the request."""

    enc: str
    private_jwk: Mapping[str, str] = field(repr=False)

    @classmethod
    def generate(cls, enc: str) -> ResponseKey:
        return cls(enc, generate_encryption_key())

    def request_parameter(self) -> dict[str, Any]:
        """§8.2 ``credential_response_encryption``: ``jwk`` (with ``alg``) and ``enc``."""
        return {"jwk": public_encryption_jwk(self.private_jwk), "enc": self.enc}


def read_credential_answer(
    status: int, media_type: str, content: bytes, key: ResponseKey | None
) -> object:
    """The credential (or deferred) endpoint's answer as JSON: decrypted when ``key`` asked
    for encryption; an unencrypted success refused then (``response_not_encrypted``)."""
    encrypted = media_type.split(";")[0].strip().lower() == ENCRYPTED_MEDIA_TYPE
    if key is not None and 200 <= status < 300 and not encrypted:
        raise ReceiveError(
            "the issuer answered without encryption although the wallet asked for it",
            code="response_not_encrypted",
        )
    if not content:
        return None
    try:
        if encrypted:
            if key is None:
                raise ReceiveError(
                    "the issuer sent an encrypted answer the wallet did not ask for",
                    code="issuer_rejected",
                )
            header, plaintext = decrypt_jwe(content.decode("ascii"), key.private_jwk)
            if header.get("enc") != key.enc:
                raise ReceiveError(
                    "the issuer encrypted its answer differently than the wallet asked",
                    code="response_not_encrypted",
                )
            return parse_json(plaintext)
        return parse_json(content)
    except (CredentialError, UnicodeDecodeError) as exc:
        raise ReceiveError(
            "the issuer's answer could not be read (decryption or JSON failed)",
            code="issuer_rejected",
        ) from exc
