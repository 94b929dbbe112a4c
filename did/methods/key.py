"""did:key (W3C CCG "The did:key Method" v0.9: Format, Create, Read).

``did:key:<multibase(base58btc, varint(multicodec) || raw public key)>``: Ed25519 (0xed, 32
bytes, identifiers start ``z6Mk``) and P-256 (0x1200, 33-byte compressed point, ``zDna``).
The document is derived from the identifier alone, so resolution needs no network. It has one
``Multikey`` verification method ``<did>#<multibase value>`` used for both ``assertionMethod``
and ``authentication`` (did:key v0.9, "Document Creation Algorithm"). We do not derive the
optional X25519 key-agreement key: drukid never encrypts to a did:key.
"""

from __future__ import annotations

from did.document import MULTIKEY, DIDDocument, VerificationMethod, parse_did
from did.errors import InvalidDIDError
from did.keys import PublicKey
from did.multiformats import decode_multikey, encode_multikey

__all__ = ["create_did_key", "resolve_did_key"]

_PREFIX = "did:key:"


def create_did_key(public_key: PublicKey) -> str:
    """The did:key identifier of ``public_key``."""
    return _PREFIX + encode_multikey(public_key)


def resolve_did_key(did: str) -> DIDDocument:
    """Build the DID document of a did:key; checks codec, key length and P-256 point validity.

    Codes: ``invalid_did``, ``invalid_multibase``, ``invalid_multicodec``, ``invalid_key``.
    """
    method, msid = parse_did(did)
    if method != "key":
        raise InvalidDIDError(f"not a did:key: did:{method}")
    if ":" in msid:
        # v0.9 allows "did:key:<version>:<mb-value>" in theory; no version but the implicit
        # one exists, so anything with a colon is not a key we know how to read.
        raise InvalidDIDError("did:key identifier must be a single multibase value")
    public_key = decode_multikey(msid)
    vm_id = f"{did}#{msid}"
    method_ = VerificationMethod(vm_id, MULTIKEY, did, public_key)
    return DIDDocument(did, (method_,), (vm_id,), (vm_id,))
