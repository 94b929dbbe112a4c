"""Finding an issuer's public key, by the mechanisms the policy permits.

* ``pinned``: keys recorded for the issuer in the trust registry or bundle. No network. When an
  issuer has pinned keys they are authoritative: an unknown ``kid`` fails rather than falling
  back to the network (a stolen web server must not be able to add keys).
* ``did``: a DID issuer; the header ``kid`` must be a DID URL of that DID
  (:class:`credentials.issuer_keys.DIDKeyResolver`), resolved by :class:`did.resolver.Resolver`
  (did:web through the SSRF-guarded fetcher).
* ``metadata``: JWT VC Issuer Metadata (draft-ietf-oauth-sd-jwt-vc-25 §4) at
  ``<origin>/.well-known/jwt-vc-issuer<path>``; ``issuer`` must equal ``iss``; ``jwks`` or an
  ``https`` ``jwks_uri``. Plain ``http`` only with ``allow_http`` (local development, where the
  issuer runs on ``http://127.0.0.1``). Documents are cached for ``cache_ttl`` seconds;
  failures are not cached.

* ``x5c``: the certificate chain in the token's header, validated to the certificate
  authorities the trust data lists for the credential's type, at the presentation time, with
  the configured CRLs; the leaf must name the issuer (:class:`credentials.issuer_keys.
  X5CKeyResolver`). No network at all. Which of the two paths applies is decided by the trust
  data, never by the credential alone (see :func:`verifier.verify.verify_presentation`).

The key is only ever looked up for an issuer that the trust registry already trusts for the
credential's type, so an untrusted credential never makes the verifier fetch anything.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from cryptography import x509

from credentials.errors import IssuerKeyError
from credentials.issuer_keys import (
    DIDKeyResolver,
    X5CKeyResolver,
    has_x5c,
    jwt_vc_issuer_metadata_url,
    select_jwk,
)
from credentials.jose import JWS
from credentials.x509 import TrustAnchor
from did.errors import DIDError
from did.fetch import Fetcher
from did.keys import PublicKey
from did.resolver import Resolver
from verifier.policy import KeyMechanism, Policy
from verifier.trust import TrustedIssuer

__all__ = ["IssuerKeys", "metadata_url"]

_MAX_CACHE = 256


def metadata_url(iss: str, *, allow_http: bool = False) -> str:
    """The JWT VC Issuer Metadata URL of ``iss`` (§4.1); ``http`` only with ``allow_http``."""
    return jwt_vc_issuer_metadata_url(iss, allow_insecure_http=allow_http)


class IssuerKeys:
    """Resolve issuer keys. ``fetcher`` ``None`` means offline: only pinned keys (and
    did:key/did:jwk, which need no network) can be used. Thread-safe."""

    def __init__(
        self,
        *,
        fetcher: Fetcher | None = None,
        did_resolver: Resolver | None = None,
        cache_ttl: int = 300,
        allow_http: bool = False,
        crls: Sequence[x509.CertificateRevocationList] = (),
        accept_stale_crl: bool = False,
    ) -> None:
        self._fetcher = fetcher
        self.crls = tuple(crls)
        self.accept_stale_crl = accept_stale_crl
        self._dids = did_resolver or Resolver(fetcher=fetcher, cache_ttl=cache_ttl)
        self._ttl = cache_ttl
        self._allow_http = allow_http
        self._cache: OrderedDict[str, tuple[int, Any]] = OrderedDict()
        self._keys: dict[tuple[str, str | None], tuple[int, PublicKey]] = {}
        self._lock = threading.Lock()

    @property
    def allow_http(self) -> bool:
        """Development mode: ``http://`` issuers (and their certificates' names) are allowed."""
        return self._allow_http

    def certificate_resolver(
        self,
        anchors: Sequence[TrustAnchor],
        *,
        now: int,
        extra_crls: Sequence[x509.CertificateRevocationList] = (),
        iss: str | None = None,
        check_vct: bool = True,
    ) -> X5CKeyResolver:
        """An ``x5c`` resolver over ``anchors`` at ``now`` with this verifier's CRLs."""
        return X5CKeyResolver(
            anchors,
            time=now,
            crls=(*self.crls, *extra_crls),
            iss=iss,
            check_vct=check_vct,
            accept_stale_crl=self.accept_stale_crl,
            allow_insecure_http=self._allow_http,
        )

    def resolve(
        self, jws: JWS, entry: TrustedIssuer, policy: Policy, *, now: int
    ) -> tuple[PublicKey, KeyMechanism]:
        """The key for ``jws`` (issued by the trusted ``entry``) and the mechanism used.
        Raises :class:`credentials.errors.IssuerKeyError`."""
        if entry.pinned is not None:
            self._permit("pinned", policy, entry)
            return entry.pinned(jws), "pinned"
        if entry.id.startswith("did:"):
            self._permit("did", policy, entry)
            return DIDKeyResolver(self._dids)(jws), "did"
        self._permit("metadata", policy, entry)
        return self._from_metadata(jws, entry.id, now), "metadata"

    @staticmethod
    def _permit(mechanism: KeyMechanism, policy: Policy, entry: TrustedIssuer) -> None:
        if mechanism not in policy.key_mechanisms:
            raise IssuerKeyError(
                f"issuer {entry.id}: key lookup by {mechanism!r} is not permitted by the policy",
                code="key_mechanism_not_permitted",
            )

    def fetch_json(self, url: str, *, now: int) -> Any:
        """GET ``url`` as strict JSON through the guarded fetcher, cached for ``cache_ttl``."""
        with self._lock:
            cached = self._cache.get(url)
            if cached is not None and cached[0] > now:
                return cached[1]
        if self._fetcher is None:
            raise IssuerKeyError(
                "the issuer's keys are needed from the network and this verifier is offline; "
                "pin the issuer's keys or load a trust bundle",
                code="issuer_metadata_unavailable",
            )
        try:
            value = self._fetcher.get(url, accept="application/json").json()
        except DIDError as exc:
            raise IssuerKeyError(
                f"cannot fetch issuer metadata: {exc.message}", code="issuer_metadata_unavailable"
            ) from exc
        with self._lock:
            self._cache[url] = (now + self._ttl, value)
            self._cache.move_to_end(url)
            while len(self._cache) > _MAX_CACHE:
                self._cache.popitem(last=False)
        return value

    def issuer_metadata(self, iss: str, *, now: int) -> Mapping[str, Any]:
        """The checked JWT VC Issuer Metadata document of ``iss``."""
        metadata = self.fetch_json(metadata_url(iss, allow_http=self._allow_http), now=now)
        if not isinstance(metadata, Mapping) or metadata.get("issuer") != iss:
            raise IssuerKeyError(
                "issuer metadata does not belong to this issuer", code="issuer_metadata_mismatch"
            )
        if ("jwks" in metadata) == ("jwks_uri" in metadata):
            raise IssuerKeyError(
                "issuer metadata must have exactly one of jwks and jwks_uri",
                code="issuer_metadata_invalid",
            )
        return metadata

    def issuer_jwks(self, iss: str, *, now: int) -> list[Any]:
        """The ``keys`` array the issuer publishes (for pinning)."""
        metadata = self.issuer_metadata(iss, now=now)
        if "jwks" in metadata:
            jwks = metadata["jwks"]
        else:
            uri = metadata["jwks_uri"]
            schemes = ("https://", "http://") if self._allow_http else ("https://",)
            if not isinstance(uri, str) or not uri.startswith(schemes):
                raise IssuerKeyError(
                    "issuer metadata jwks_uri is not an https URL", code="issuer_metadata_invalid"
                )
            jwks = self.fetch_json(uri, now=now)
        keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(keys, list):
            raise IssuerKeyError(
                "the issuer's key set is not a JWKS", code="issuer_metadata_invalid"
            )
        return keys

    def _from_metadata(self, jws: JWS, iss: str, now: int) -> PublicKey:
        slot = (iss, jws.kid)
        with self._lock:
            cached = self._keys.get(slot)
        if cached is not None and cached[0] > now:
            return cached[1]
        key = select_jwk(self.issuer_jwks(iss, now=now), jws.kid, issuer=iss)
        with self._lock:
            if len(self._keys) >= _MAX_CACHE:
                self._keys.clear()
            self._keys[slot] = (now + self._ttl, key)
        return key

    def for_issuer(
        self,
        entry: TrustedIssuer,
        policy: Policy,
        *,
        now: int,
        anchors: Sequence[TrustAnchor] = (),
        crls: Sequence[x509.CertificateRevocationList] = (),
    ) -> Callable[[JWS], PublicKey]:
        """A resolver for other tokens of the same issuer (its status lists): whatever ``iss``
        the token carries, the key is looked up as the trusted ``entry``'s key; a token with
        ``x5c`` (HAIP 1.0 §6.1) is checked against ``anchors`` (those that vouched for the
        credential) and must name the entry's issuer."""

        def resolve(jws: JWS) -> PublicKey:
            if has_x5c(jws) and anchors and "x5c" in policy.key_mechanisms:
                resolver = self.certificate_resolver(
                    anchors, now=now, extra_crls=crls, iss=entry.id, check_vct=False
                )
                return resolver(jws)
            as_issuer = replace(jws, payload={**jws.payload, "iss": entry.id})
            return self.resolve(as_issuer, entry, policy, now=now)[0]

        return resolve
