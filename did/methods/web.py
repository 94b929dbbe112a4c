"""did:web (W3C CCG "did:web Method Specification": Method-Specific Identifier, Create, Read).

Read (Resolve): replace ``:`` by ``/`` in the method-specific id, percent-decode the port colon
(``%3A``), prepend ``https://``, append ``/.well-known`` when there is no path, then append
``/did.json``::

    did:web:w3c-ccg.github.io             -> https://w3c-ccg.github.io/.well-known/did.json
    did:web:example.com%3A3000:user:alice -> https://example.com:3000/user/alice/did.json

The identifier ends up in a URL we fetch, so the mapping is deliberately narrower than the
ABNF: the host is a DNS name or IPv4 address, the port is 1–65535, and path segments use only
unreserved characters, may not be empty and may not start with ``.`` (no ``..`` traversal, no
``.well-known`` aliasing of another DID's document). Any other percent-encoding is refused, so
``%2F`` cannot smuggle a slash. The fetch itself goes through :mod:`did.fetch` (SSRF rules).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from core.encoding import EncodingError, parse_json
from did.document import (
    JSON_WEB_KEY_2020,
    DIDDocument,
    VerificationMethod,
    parse_did,
    split_did_url,
)
from did.errors import InvalidDIDError, ResolutionError
from did.keys import PublicKey

__all__ = [
    "create_did_web_document",
    "did_web_from_url",
    "did_web_to_url",
    "parse_did_web_document",
]

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_PORT = re.compile(r"[1-9][0-9]{0,4}")
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_MAX_HOST = 253  # RFC 1035 §2.3.4


def _check_host(host: str) -> None:
    if len(host) > _MAX_HOST or not _HOST.fullmatch(host):
        raise InvalidDIDError(f"did:web host {host[:100]!r} is not a valid domain name")
    if host.replace(".", "").isdigit():
        # "2130706433" or "127.1" are read as IPv4 addresses by some resolvers; only the
        # plain dotted quad is accepted, so every reader sees the same address.
        try:
            ipaddress.IPv4Address(host)
        except ValueError as exc:
            raise InvalidDIDError(f"did:web host {host[:100]!r} is not a valid address") from exc


def _check_port(port: str) -> None:
    if not _PORT.fullmatch(port) or int(port) > 65535:
        raise InvalidDIDError(f"did:web port {port[:10]!r} is not a number from 1 to 65535")


def _check_segment(segment: str) -> None:
    if not _SEGMENT.fullmatch(segment):
        raise InvalidDIDError(
            f"did:web path segment {segment[:100]!r} is empty, starts with '.' or has characters "
            "other than letters, digits, '-', '_' and '.'"
        )


def _split(did: str) -> tuple[str, str | None, list[str]]:
    method, msid = parse_did(did)
    if method != "web":
        raise InvalidDIDError(f"not a did:web: did:{method}")
    host_part, *path = msid.split(":")
    host, sep, port = host_part.replace("%3a", "%3A").partition("%3A")
    _check_host(host)
    if sep:
        _check_port(port)
    for segment in path:
        _check_segment(segment)
    return host, port if sep else None, path


def did_web_to_url(did: str, *, scheme: str = "https") -> str:
    """The URL of the DID document of ``did`` (spec, "Read (Resolve)"). Code: ``invalid_did``.

    ``scheme="http"`` is only for local development, when the fetch policy allows HTTP.
    """
    if scheme not in ("https", "http"):
        raise ValueError("scheme must be 'https' or 'http'")
    host, port, path = _split(did)
    authority = f"{host}:{port}" if port else host
    location = "/".join(path) if path else ".well-known"
    return f"{scheme}://{authority}/{location}/did.json"


def did_web_from_url(base_url: str) -> str:
    """The did:web of a site or path: ``https://id.gov.bt/issuer`` → ``did:web:id.gov.bt:issuer``.

    An ``http://`` URL (local development) gives the same DID as ``https://``: did:web has no
    scheme; the resolver fetches with HTTP only when its fetch policy allows it.
    """
    if not isinstance(base_url, str):
        raise InvalidDIDError("base URL must be text")
    try:
        parts = urlsplit(base_url)
        port = parts.port
    except ValueError as exc:
        raise InvalidDIDError(f"not a valid URL: {exc}") from exc
    if parts.scheme not in ("https", "http"):
        raise InvalidDIDError("did:web base URL must start with https:// (or http:// locally)")
    if parts.username is not None or parts.password is not None:
        raise InvalidDIDError("did:web base URL must not contain a user name or password")
    if parts.query or parts.fragment or "?" in base_url or "#" in base_url:
        raise InvalidDIDError("did:web base URL must not have a query or fragment")
    host = parts.hostname or ""
    _check_host(host)
    msid = host
    if port is not None:
        _check_port(str(port))
        msid += f"%3A{port}"
    path = parts.path.strip("/")
    if path:
        segments = path.split("/")
        for segment in segments:
            _check_segment(segment)
        msid += ":" + ":".join(segments)
    did = f"did:web:{msid}"
    _split(did)  # one more check through the reading rules: create and read must agree
    return did


def create_did_web_document(did: str, keys: Sequence[tuple[str, PublicKey]]) -> dict[str, object]:
    """The ``did.json`` to publish for ``did``: one ``JsonWebKey2020`` per ``(fragment, key)``.

    Every key is listed under ``assertionMethod`` (signing credentials) and ``authentication``.
    """
    _split(did)
    if not keys:
        raise InvalidDIDError("a did:web document needs at least one key")
    methods = []
    for fragment, public_key in keys:
        vm_id = f"{did}#{fragment.removeprefix('#')}"
        split_did_url(vm_id)  # rejects empty or malformed fragments
        methods.append(VerificationMethod(vm_id, JSON_WEB_KEY_2020, did, public_key))
    ids = tuple(vm.id for vm in methods)
    return DIDDocument(did, tuple(methods), ids, ids).to_json()


def parse_did_web_document(did: str, body: bytes) -> DIDDocument:
    """Parse a fetched ``did.json`` for ``did`` strictly (strict JSON, id must equal ``did``)."""
    _split(did)
    try:
        data = parse_json(body)
    except EncodingError as exc:
        raise ResolutionError(
            f"DID document of {did} is not valid JSON: {exc.message}", code="did_document_invalid"
        ) from exc
    return DIDDocument.from_json(data, expected_id=did)
