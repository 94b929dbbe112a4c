"""Finding an SD-JWT VC issuer's public key (draft-ietf-oauth-sd-jwt-vc-25 §4, "Issuer
Verification Key Discovery and Validation").

Four mechanisms, each an :class:`~credentials.sd_jwt.IssuerKeyResolver`:

* :class:`X5CKeyResolver` — "Inline X.509 Certificates" (the one HAIP 1.0 §6.1.1 mandates): the
  key of the signing certificate in the ``x5c`` header, after the chain is validated to a
  configured trust anchor at the given time (:func:`credentials.x509.validate_x5c`), the leaf
  names ``iss`` (drukid's rule, :func:`credentials.x509.verify_issuer_name`) and the anchor
  vouches for the credential type (``vct``). ``kid`` is not used.

* :class:`MetadataKeyResolver` — JWT VC Issuer Metadata (§4): for ``iss`` = ``https://host/path``
  GET ``https://host/.well-known/jwt-vc-issuer/path``; its ``issuer`` must equal ``iss`` exactly
  and it carries ``jwks`` or ``jwks_uri`` (never both). Fetching is the caller's ``fetch_json``
  (the SSRF-guarded fetcher), so this module stays free of network code.
* :class:`DIDKeyResolver` — a DID ``iss``: the header ``kid`` must be a DID URL of that DID.
* :class:`StaticKeyResolver` — keys known in advance (trust bundles, pinned issuers, tests).

``kid`` is only ever a lookup key into a set the issuer controls; ``jku``/``x5u`` are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from cryptography import x509

from credentials.errors import IssuerKeyError
from credentials.jose import JWS
from credentials.x509 import (
    TrustAnchor,
    ValidatedChain,
    validate_x5c,
    verify_issuer_name,
    verify_vct_allowed,
)
from did.errors import DIDError
from did.keys import PublicKey

__all__ = [
    "JWT_VC_ISSUER_WELL_KNOWN",
    "DIDKeyLookup",
    "DIDKeyResolver",
    "FirstMatchResolver",
    "MetadataKeyResolver",
    "StaticKeyResolver",
    "X5CKeyResolver",
    "has_x5c",
    "jwt_vc_issuer_metadata_url",
    "select_jwk",
]

JWT_VC_ISSUER_WELL_KNOWN = "/.well-known/jwt-vc-issuer"
IssuerKeyResolverLike = Callable[[JWS], PublicKey]


def jwt_vc_issuer_metadata_url(iss: str, *, allow_insecure_http: bool = False) -> str:
    """§4.1: insert ``/.well-known/jwt-vc-issuer`` between the host and the path of ``iss``.

    ``allow_insecure_http`` admits ``http://`` issuers: only for development on one machine.
    """
    parts = urlsplit(iss)
    schemes = ("https", "http") if allow_insecure_http else ("https",)
    # §4.1: the issuer identifier is an https URL. Plain http would let anyone on the path
    # substitute the issuer's keys; userinfo has no place in an identifier.
    if (
        parts.scheme not in schemes
        or not parts.hostname
        or "@" in parts.netloc
        or parts.query
        or parts.fragment
    ):
        raise IssuerKeyError(f"issuer {iss!r} is not an https URL", code="invalid_issuer")
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, JWT_VC_ISSUER_WELL_KNOWN + path, "", ""))


def has_x5c(jws: JWS) -> bool:
    """Whether the JWS header carries an ``x5c`` chain (whatever its shape: a malformed one
    must fail in :class:`X5CKeyResolver`, never be skipped)."""
    return "x5c" in jws.header


def _issuer_of(jws: JWS) -> str:
    iss = jws.payload.get("iss")
    if not isinstance(iss, str) or not iss:
        raise IssuerKeyError("the credential names no issuer ('iss')", code="missing_iss")
    return iss


def select_jwk(keys: Sequence[Any], kid: str | None, *, issuer: str) -> PublicKey:
    """Pick the key by ``kid`` from a JWKS ``keys`` array (the only key when there is no kid)."""
    if not isinstance(keys, Sequence) or isinstance(keys, str):
        raise IssuerKeyError(f"issuer {issuer} publishes no key set", code="issuer_key_unresolved")
    candidates = [k for k in keys if isinstance(k, Mapping)]
    if kid is not None:
        candidates = [k for k in candidates if k.get("kid") == kid]
    if len(candidates) != 1:
        what = f"key {kid!r}" if kid is not None else "a single key"
        raise IssuerKeyError(f"issuer {issuer} publishes no {what}", code="issuer_key_unresolved")
    try:
        return PublicKey.from_jwk(candidates[0])
    except DIDError as exc:
        raise IssuerKeyError(f"issuer key is unusable: {exc.message}", code="invalid_key") from exc


class MetadataKeyResolver:
    """Resolve via JWT VC Issuer Metadata; ``fetch_json(url)`` does the (guarded) GET."""

    def __init__(
        self, fetch_json: Callable[[str], Any], *, allow_insecure_http: bool = False
    ) -> None:
        self._fetch_json = fetch_json
        self._allow_http = allow_insecure_http

    def _get(self, url: str) -> Any:
        try:
            return self._fetch_json(url)
        except DIDError as exc:  # FetchError and friends from the guarded fetcher
            raise IssuerKeyError(
                f"cannot fetch issuer metadata: {exc.message}", code="issuer_metadata_unavailable"
            ) from exc

    def __call__(self, jws: JWS, /) -> PublicKey:
        iss = _issuer_of(jws)
        metadata = self._get(jwt_vc_issuer_metadata_url(iss, allow_insecure_http=self._allow_http))
        if not isinstance(metadata, Mapping) or metadata.get("issuer") != iss:
            raise IssuerKeyError(
                "issuer metadata does not belong to this issuer", code="issuer_metadata_mismatch"
            )
        has_jwks, has_uri = "jwks" in metadata, "jwks_uri" in metadata
        if has_jwks == has_uri:
            raise IssuerKeyError(
                "issuer metadata must have exactly one of jwks and jwks_uri",
                code="issuer_metadata_invalid",
            )
        if has_jwks:
            jwks = metadata["jwks"]
        else:
            jwks_uri = metadata["jwks_uri"]
            schemes = ("https://", "http://") if self._allow_http else ("https://",)
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(schemes):
                raise IssuerKeyError(
                    "issuer metadata jwks_uri is not an https URL", code="issuer_metadata_invalid"
                )
            jwks = self._get(jwks_uri)
        if not isinstance(jwks, Mapping):
            raise IssuerKeyError(
                "the issuer's key set is not a JWKS", code="issuer_metadata_invalid"
            )
        return select_jwk(jwks.get("keys", ()), jws.kid, issuer=iss)


class DIDKeyLookup(Protocol):
    def resolve_key(self, did_url: str, *, relationship: str | None = None) -> PublicKey: ...


class DIDKeyResolver:
    """Resolve a DID issuer's key: header ``kid`` must be ``<iss>#fragment`` (or ``#fragment``)."""

    def __init__(self, resolver: DIDKeyLookup) -> None:
        self._resolver = resolver

    def __call__(self, jws: JWS, /) -> PublicKey:
        iss = _issuer_of(jws)
        if not iss.startswith("did:"):
            raise IssuerKeyError(f"issuer {iss!r} is not a DID", code="invalid_issuer")
        kid = jws.kid
        if kid is None:
            raise IssuerKeyError("a DID issuer must name its key ('kid')", code="missing_kid")
        if kid.startswith("#"):
            kid = iss + kid
        if kid.split("#", 1)[0] != iss or "#" not in kid:
            raise IssuerKeyError(
                "the key id does not belong to the issuer's DID", code="issuer_kid_mismatch"
            )
        try:
            # DID Core §5.3.2: only an assertionMethod key may sign credentials.
            return self._resolver.resolve_key(kid, relationship="assertionMethod")
        except DIDError as exc:
            raise IssuerKeyError(
                f"cannot resolve the issuer's key: {exc.message}", code="issuer_key_unresolved"
            ) from exc


class StaticKeyResolver:
    """Keys known in advance: ``{iss: {kid: PublicKey}}`` (``None`` kid = the only key)."""

    def __init__(self, keys: Mapping[str, Mapping[str | None, PublicKey]]) -> None:
        self._keys = {iss: dict(by_kid) for iss, by_kid in keys.items()}

    def __call__(self, jws: JWS, /) -> PublicKey:
        iss = _issuer_of(jws)
        by_kid = self._keys.get(iss)
        if not by_kid:
            raise IssuerKeyError(f"no keys are known for issuer {iss}", code="unknown_issuer")
        kid = jws.kid
        if kid is not None and kid.startswith("#") and iss.startswith("did:"):
            kid = iss + kid
        if kid in by_kid:
            return by_kid[kid]
        if kid is None and len(by_kid) == 1:
            return next(iter(by_kid.values()))
        raise IssuerKeyError(f"issuer {iss} has no key {kid!r}", code="issuer_key_unresolved")


class FirstMatchResolver:
    """Pick the mechanism by the form of ``iss``: a DID → DID resolver, a URL → metadata."""

    def __init__(
        self,
        *,
        did: IssuerKeyResolverLike | None = None,
        metadata: IssuerKeyResolverLike | None = None,
    ) -> None:
        self._did = did
        self._metadata = metadata

    def __call__(self, jws: JWS, /) -> PublicKey:
        iss = _issuer_of(jws)
        resolver = self._did if iss.startswith("did:") else self._metadata
        if resolver is None:
            raise IssuerKeyError(
                f"no permitted way to resolve the key of issuer {iss}", code="issuer_key_unresolved"
            )
        return resolver(jws)


class X5CKeyResolver:
    """The key of a validated ``x5c`` chain (see the module docstring).

    ``time`` is when the signature must have been made with a valid certificate: the
    presentation time for a presentation, now for a credential just received. ``iss`` replaces
    the token's own ``iss`` for tokens that are another token's (a status list token is checked
    against its credential's issuer). ``allow_insecure_http`` lets an ``http://`` issuer match
    its certificate (development mode only). ``check_vct`` applies the anchors'
    credential-type limits to the token's ``vct`` (off for status list tokens, which have
    none). Each refusal is the :class:`~credentials.errors.X509Error` of its rule
    (``x5c_chain_untrusted``, ``x5c_expired``, ``x5c_san_mismatch``, ...). :attr:`chain` is
    the last validated chain.
    """

    def __init__(
        self,
        anchors: Sequence[TrustAnchor],
        *,
        time: int,
        crls: Sequence[x509.CertificateRevocationList] = (),
        iss: str | None = None,
        check_vct: bool = True,
        accept_stale_crl: bool = False,
        allow_insecure_http: bool = False,
    ) -> None:
        self._anchors = tuple(anchors)
        self._time = time
        self._crls = tuple(crls)
        self._iss = iss
        self._check_vct = check_vct
        self._accept_stale_crl = accept_stale_crl
        self._allow_http = allow_insecure_http
        self.chain: ValidatedChain | None = None

    def __call__(self, jws: JWS, /) -> PublicKey:
        chain = validate_x5c(
            jws.header.get("x5c"),
            self._anchors,
            time=self._time,
            crls=self._crls,
            accept_stale_crl=self._accept_stale_crl,
        )
        iss = self._iss if self._iss is not None else jws.payload.get("iss")
        verify_issuer_name(chain, iss, allow_insecure_http=self._allow_http)
        if self._check_vct:
            vct = jws.payload.get("vct")
            verify_vct_allowed(chain, vct if isinstance(vct, str) else "")
        self.chain = chain
        return chain.public_key
