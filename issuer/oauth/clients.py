"""The wallets this issuer knows (OAuth clients), and the redirect URI rule.

A wallet's ``client_id`` is the ``sub`` of its wallet attestation (HAIP 1.0 §4.4.1), shared by
every instance of that wallet app. The file (``DRUKID_ISSUER_WALLET_CLIENTS_FILE``) is JSON::

    {"clients": [{"client_id": "https://wallet.drukid.bt", "name": "drukid wallet",
                  "redirect_uris": ["http://127.0.0.1/receive/callback"]}]}

Redirect URIs match exactly (RFC 9700 §2.1), except that a registered loopback URI
(``http://127.0.0.1``, ``http://[::1]``) matches any port (RFC 8252 §7.3: native apps listen on
an ephemeral port). Without a file, development registers the drukid wallet and production none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from core.encoding import EncodingError, parse_json
from issuer.errors import ConfigurationError

__all__ = ["DRUKID_WALLET", "WalletClient", "load_clients", "redirect_uri_allowed"]

_LOOPBACK = frozenset({"127.0.0.1", "::1"})


@dataclass(frozen=True, slots=True)
class WalletClient:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]


DRUKID_WALLET = WalletClient(
    "https://wallet.drukid.bt",
    "drukid wallet",
    ("http://127.0.0.1/receive/callback", "http://127.0.0.1/callback"),
)


def _without_port(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def redirect_uri_allowed(registered: Sequence[str], given: str) -> bool:
    """Exact string match, or for a loopback ``http`` URI the same URI with any port."""
    if given in registered:
        return True
    try:
        parts = urlsplit(given)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK or parts.fragment:
        return False
    return _without_port(given) in {_without_port(uri) for uri in registered}


def _client(entry: object) -> WalletClient:
    if not isinstance(entry, dict):
        raise ValueError("each client must be an object")
    client_id, name, uris = entry.get("client_id"), entry.get("name"), entry.get("redirect_uris")
    if not isinstance(client_id, str) or not client_id:
        raise ValueError("client_id must be a non-empty string")
    if not isinstance(uris, list) or not uris or not all(isinstance(u, str) for u in uris):
        raise ValueError(f"{client_id}: redirect_uris must be a non-empty list of URIs")
    for uri in uris:
        if urlsplit(uri).fragment or not urlsplit(uri).scheme:
            raise ValueError(f"{client_id}: {uri!r} is not an absolute URI without fragment")
    return WalletClient(client_id, name if isinstance(name, str) else client_id, tuple(uris))


def load_clients(path: Path | None, *, development: bool) -> Mapping[str, WalletClient]:
    """The registered wallets by client_id; refuses a damaged file at start-up."""
    if path is None:
        return {DRUKID_WALLET.client_id: DRUKID_WALLET} if development else {}
    try:
        document = parse_json(path.read_bytes())
        entries = document.get("clients") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise ValueError('the file must be {"clients": [...]}')
        clients = [_client(entry) for entry in entries]
    except (OSError, EncodingError, ValueError) as exc:
        raise ConfigurationError(
            f"the wallet clients file {path} cannot be used: {exc}", code="wallet_clients_invalid"
        ) from exc
    return {client.client_id: client for client in clients}
