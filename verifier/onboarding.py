"""Adding an issuer to the trust registry from its URL (``drukid verifier trust add``).

Reads the issuer's OpenID4VCI Credential Issuer Metadata (OpenID4VCI 1.0 §12.2:
``/.well-known/openid-credential-issuer``; ``credential_issuer`` must equal the URL) for its
display name and its ``dc+sd-jwt`` configurations (configuration id → ``vct``; the ids are the
type ids of docs/dev/contracts.md), and optionally pins its current keys from its JWT VC
Issuer Metadata, and records the status lists the issuer lists at ``<url>/status`` (so an
offline trust bundle can carry every one of them). Everything is fetched through the
SSRF-guarded fetcher; trusting an issuer is still the operator's decision, which this only
records.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from credentials.errors import CredentialError
from did.errors import DIDError
from verifier.errors import TrustError, from_lower_error
from verifier.keys import IssuerKeys
from verifier.trust import TrustedIssuer

__all__ = ["OPENID_CREDENTIAL_ISSUER_WELL_KNOWN", "discover_issuer"]

OPENID_CREDENTIAL_ISSUER_WELL_KNOWN = "/.well-known/openid-credential-issuer"


def _metadata_urls(url: str) -> list[str]:
    """§12.2.2 (1.0 Final): the well-known segment goes between host and path; issuers built
    on earlier drafts appended it after the path, which is tried second for those only."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    urls = [
        urlunsplit((parts.scheme, parts.netloc, OPENID_CREDENTIAL_ISSUER_WELL_KNOWN + path, "", ""))
    ]
    if path:
        urls.append(
            urlunsplit(
                (parts.scheme, parts.netloc, path + OPENID_CREDENTIAL_ISSUER_WELL_KNOWN, "", "")
            )
        )
    return urls


def _fetch_metadata(url: str, keys: IssuerKeys, now: int) -> Any:
    urls = _metadata_urls(url)
    for candidate in urls[:-1]:
        try:
            return keys.fetch_json(candidate, now=now)
        except CredentialError:
            continue
    return keys.fetch_json(urls[-1], now=now)


def _published_status_lists(url: str, keys: IssuerKeys, now: int) -> tuple[str, ...]:
    """The status lists the issuer lists at ``<url>/status`` (a drukid extension; other
    issuers simply have none, and their lists are learnt from the credentials themselves)."""
    try:
        listing = keys.fetch_json(f"{url}/status", now=now)
    except CredentialError:
        return ()
    if not isinstance(listing, Mapping) or listing.get("credential_issuer") != url:
        return ()
    uris = listing.get("status_lists")
    if not isinstance(uris, list):
        return ()
    # Only lists under the issuer's own URL: a listing cannot send the verifier elsewhere.
    return tuple(u for u in uris if isinstance(u, str) and u.startswith(url + "/"))[:1000]


def _display_name(metadata: Mapping[str, Any], fallback: str) -> str:
    display = metadata.get("display")
    if isinstance(display, list):
        for item in display:
            named = isinstance(item, Mapping) and isinstance(item.get("name"), str)
            if named and str(item.get("locale", "en")).startswith("en"):
                return str(item["name"])[:200]
        for item in display:
            if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                return str(item["name"])[:200]
    return fallback


def discover_issuer(
    url: str,
    *,
    keys: IssuerKeys,
    now: int,
    pin_keys: bool = False,
    name: str | None = None,
    status_lists: tuple[str, ...] = (),
) -> TrustedIssuer:
    """A trust entry for the issuer at ``url`` from its published metadata."""
    url = url.rstrip("/")
    try:
        metadata = _fetch_metadata(url, keys, now)
        if not isinstance(metadata, Mapping) or metadata.get("credential_issuer") != url:
            raise TrustError(
                f"{url} does not publish OpenID4VCI metadata for itself", code="issuer_discovery"
            )
        configurations = metadata.get("credential_configurations_supported")
        types: list[tuple[str, str]] = []
        if isinstance(configurations, Mapping):
            for config_id, config in configurations.items():
                if (
                    isinstance(config, Mapping)
                    and config.get("format") == "dc+sd-jwt"
                    and isinstance(config.get("vct"), str)
                ):
                    types.append((str(config_id), config["vct"]))
        if not types:
            raise TrustError(f"{url} offers no dc+sd-jwt credentials", code="issuer_discovery")
        pinned: tuple[Mapping[str, Any], ...] = ()
        if pin_keys:
            pinned = tuple(
                {k: v for k, v in jwk.items() if k != "d"}
                for jwk in keys.issuer_jwks(url, now=now)
                if isinstance(jwk, Mapping)
            )
        return TrustedIssuer(
            id=url,
            name=name or _display_name(metadata, url),
            types=tuple(types),
            keys=pinned,
            status_lists=tuple(
                dict.fromkeys((*status_lists, *_published_status_lists(url, keys, now)))
            ),
            valid_as_of=now,
            source="database",
        )
    except (CredentialError, DIDError) as exc:
        raise from_lower_error(exc, TrustError) from exc
