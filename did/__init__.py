"""Keys, JWK and DIDs (did:key, did:jwk, did:web) for drukid."""

from did.errors import DIDError, FetchError, InvalidDIDError, KeyFormatError, ResolutionError
from did.keys import ALGORITHMS, EDDSA, ES256, PrivateKey, PublicKey

__all__ = [
    "ALGORITHMS",
    "EDDSA",
    "ES256",
    "DIDError",
    "FetchError",
    "InvalidDIDError",
    "KeyFormatError",
    "PrivateKey",
    "PublicKey",
    "ResolutionError",
]
