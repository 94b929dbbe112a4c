"""DID methods drukid resolves: did:key and did:jwk (offline) and did:web (HTTPS)."""

from did.methods.jwk import create_did_jwk, resolve_did_jwk
from did.methods.key import create_did_key, resolve_did_key
from did.methods.web import (
    create_did_web_document,
    did_web_from_url,
    did_web_to_url,
    parse_did_web_document,
)

__all__ = [
    "create_did_jwk",
    "create_did_key",
    "create_did_web_document",
    "did_web_from_url",
    "did_web_to_url",
    "parse_did_web_document",
    "resolve_did_jwk",
    "resolve_did_key",
]
