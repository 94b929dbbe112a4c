"""Keys, JWK and DIDs (did:key, did:jwk, did:web) for drukid."""

from did.document import DIDDocument, VerificationMethod, parse_did, split_did_url
from did.errors import (
    DIDError,
    FetchError,
    InvalidDIDError,
    KeyFormatError,
    ResolutionError,
)
from did.fetch import Fetcher, FetchPolicy, FetchResponse
from did.keys import ALGORITHMS, EDDSA, ES256, PrivateKey, PublicKey
from did.methods import (
    create_did_jwk,
    create_did_key,
    create_did_web_document,
    did_web_from_url,
    did_web_to_url,
    parse_did_web_document,
    resolve_did_jwk,
    resolve_did_key,
)
from did.resolver import Resolver, resolve

__all__ = [
    "ALGORITHMS",
    "EDDSA",
    "ES256",
    "DIDDocument",
    "DIDError",
    "FetchError",
    "FetchPolicy",
    "FetchResponse",
    "Fetcher",
    "InvalidDIDError",
    "KeyFormatError",
    "PrivateKey",
    "PublicKey",
    "ResolutionError",
    "Resolver",
    "VerificationMethod",
    "create_did_jwk",
    "create_did_key",
    "create_did_web_document",
    "did_web_from_url",
    "did_web_to_url",
    "parse_did",
    "parse_did_web_document",
    "resolve",
    "resolve_did_jwk",
    "resolve_did_key",
    "split_did_url",
]
