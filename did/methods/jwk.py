"""did:jwk (did:jwk Method Specification, "DID Format", "Create", "Read", "Security").

``did:jwk:<base64url(UTF-8 JSON of a public JWK)>``; one verification method ``<did>#0`` of
type ``JsonWebKey2020``. Rules applied on read:

* the value is decoded as strict base64url and strict JSON (no duplicate members: otherwise a
  checker and a consumer could read different keys from one identifier);
* "a JWK for a private key must never be used and must be rejected": any private member
  (``d``, RSA ``p``/``q``/..., symmetric ``k``) is refused;
* the DID is never compared by re-encoding the key: the same key has many JWK spellings, so the
  identifier as written is the identity (spec, "Security").
"""

from __future__ import annotations

from core.encoding import (
    EncodingError,
    b64url_decode,
    b64url_encode,
    dumps_compact,
    parse_json,
)
from did.document import JSON_WEB_KEY_2020, DIDDocument, VerificationMethod, parse_did
from did.errors import InvalidDIDError, KeyFormatError
from did.keys import PublicKey

__all__ = ["create_did_jwk", "resolve_did_jwk"]

_PREFIX = "did:jwk:"
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def create_did_jwk(public_key: PublicKey) -> str:
    """The did:jwk of ``public_key``: its public JWK with sorted members, base64url-encoded."""
    return _PREFIX + b64url_encode(dumps_compact(public_key.to_jwk(), sort_keys=True).encode())


def resolve_did_jwk(did: str) -> DIDDocument:
    """Build the DID document of a did:jwk. Codes: ``invalid_did``, ``invalid_key``."""
    method, msid = parse_did(did)
    if method != "jwk":
        raise InvalidDIDError(f"not a did:jwk: did:{method}")
    try:
        jwk = parse_json(b64url_decode(msid))
    except EncodingError as exc:
        raise InvalidDIDError(f"did:jwk value is not base64url JSON: {exc.message}") from exc
    if not isinstance(jwk, dict):
        raise InvalidDIDError("did:jwk value must encode a JSON object (a JWK)")
    private = _PRIVATE_MEMBERS & set(jwk)
    if private:
        raise KeyFormatError(
            f"did:jwk contains private key members {sorted(private)}; only public keys may be "
            "published in a DID (and this key must now be considered compromised)"
        )
    public_key = PublicKey.from_jwk(jwk)  # rejects use=enc, wrong alg, bad points
    vm_id = f"{did}#0"
    vm = VerificationMethod(vm_id, JSON_WEB_KEY_2020, did, public_key)
    return DIDDocument(did, (vm,), (vm_id,), (vm_id,))
