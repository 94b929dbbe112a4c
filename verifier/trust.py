"""The trust registry: which issuers a verifier trusts, for which credential types, with which
keys — and how fresh that knowledge is — and which certificate authorities vouch for issuers.

An entry names the issuer by its identifier (the ``iss`` of its credentials: an ``https`` URL
or a DID), a display name, the credential types it is trusted for (``type id → vct``, type ids
as in docs/dev/contracts.md: the last ``vct`` path segment or the issuer's OpenID4VCI
configuration id), optionally its pinned public keys (then no network is needed to check its
signatures) and the status list URIs it is known to use (exported into trust bundles).

A certificate authority entry (:class:`TrustedAuthority`, HAIP 1.0 §6.1.1) is a root or an
intermediate CA certificate with the credential types it may vouch for: an issuer whose
credential carries an ``x5c`` chain to it, with the leaf naming the credential's ``iss``, is
trusted for those types without being listed one by one (``{"anchors": [{"name": ...,
"certificate": "<PEM>", "types": {type id: vct}}]}`` in a trust file or bundle). Revocation
lists for such chains travel along (``"crls": ["<PEM>"]``).

A :class:`TrustRegistry` is an immutable snapshot. It is loaded from a JSON file
(:meth:`TrustRegistry.load`), from the service database, or from a signed trust bundle
(:mod:`verifier.bundle`); the service merges them (:meth:`TrustRegistry.merged`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from core.encoding import EncodingError, dumps_compact, parse_json
from credentials.errors import X509Error
from credentials.issuer_keys import StaticKeyResolver
from credentials.x509 import TrustAnchor, parse_certificates, parse_crl, sha256_fingerprint
from did.document import parse_did
from did.errors import DIDError
from did.files import atomic_write
from did.keys import PublicKey
from verifier.errors import TrustError

__all__ = [
    "MAX_ANCHORS",
    "MAX_ISSUERS",
    "TRUST_FILE_VERSION",
    "TrustRegistry",
    "TrustedAuthority",
    "TrustedIssuer",
    "type_id_of",
]

TRUST_FILE_VERSION = 1
MAX_ISSUERS = 1000
MAX_KEYS_PER_ISSUER = 16
MAX_ANCHORS = 100
MAX_CRLS = 100
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def type_id_of(vct: str) -> str:
    """The type id a ``vct`` URL implies: its last path segment (contracts.md)."""
    return vct.rstrip("/").rsplit("/", 1)[-1]


def _check_issuer_id(iss: object) -> str:
    if not isinstance(iss, str) or not iss or len(iss) > 2048:
        raise TrustError("an issuer identifier must be a non-empty string", code="trust_invalid")
    if iss.startswith("did:"):
        try:
            parse_did(iss)
        except DIDError as exc:
            raise TrustError(f"issuer {iss!r}: {exc.message}", code="trust_invalid") from exc
        return iss
    parts = urlsplit(iss)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or "@" in iss:
        raise TrustError(f"issuer {iss!r} must be an https URL or a DID", code="trust_invalid")
    return iss


def _check_key(jwk: object, iss: str) -> dict[str, Any]:
    if not isinstance(jwk, Mapping):
        raise TrustError(f"issuer {iss}: a key must be a JWK object", code="trust_invalid")
    if _PRIVATE_MEMBERS.intersection(jwk):
        raise TrustError(
            f"issuer {iss}: a trusted key must be public; private members found",
            code="trust_invalid",
        )
    try:
        PublicKey.from_jwk(jwk)
    except DIDError as exc:
        raise TrustError(
            f"issuer {iss}: unusable key: {exc.message}", code="trust_invalid"
        ) from exc
    return dict(jwk)


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """One trusted issuer. ``types`` pairs (type id, vct); ``keys`` are public JWKs."""

    id: str
    name: str
    types: tuple[tuple[str, str], ...]
    keys: tuple[Mapping[str, Any], ...] = ()
    status_lists: tuple[str, ...] = ()
    valid_as_of: int | None = None
    source: str = "file"
    _resolver: StaticKeyResolver | None = field(default=None, init=False, repr=False, compare=False)
    _vcts: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_issuer_id(self.id)
        if not isinstance(self.name, str) or not self.name.strip():
            raise TrustError(f"issuer {self.id}: a display name is required", code="trust_invalid")
        for pair in self.types:
            if len(pair) != 2 or not all(isinstance(part, str) and part for part in pair):
                raise TrustError(
                    f"issuer {self.id}: types must map type ids to vct strings",
                    code="trust_invalid",
                )
        if len(self.keys) > MAX_KEYS_PER_ISSUER:
            raise TrustError(f"issuer {self.id}: too many keys", code="trust_invalid")
        object.__setattr__(self, "keys", tuple(_check_key(jwk, self.id) for jwk in self.keys))
        object.__setattr__(self, "_vcts", frozenset(vct for _, vct in self.types))
        if self.keys:
            # Parsed once: a verification per second per desk should not re-parse JWKs.
            resolver = StaticKeyResolver({self.id: self.public_keys()})
            object.__setattr__(self, "_resolver", resolver)

    @property
    def pinned(self) -> StaticKeyResolver | None:
        """A resolver over the pinned keys (``None`` when none are pinned)."""
        return self._resolver

    @property
    def vcts(self) -> frozenset[str]:
        return self._vcts

    def type_id(self, vct: str) -> str | None:
        return next((type_id for type_id, value in self.types if value == vct), None)

    def public_keys(self) -> dict[str | None, PublicKey]:
        """Pinned keys by ``kid`` (the RFC 7638 thumbprint when a JWK has no kid); a single
        key is also found without a kid."""
        found: dict[str | None, PublicKey] = {}
        for jwk in self.keys:
            key = PublicKey.from_jwk(jwk)
            kid = jwk.get("kid")
            found[kid if isinstance(kid, str) else key.thumbprint()] = key
        if len(found) == 1:
            found[None] = next(iter(found.values()))
        return found

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "types": dict(self.types),
        }
        if self.keys:
            out["keys"] = [dict(jwk) for jwk in self.keys]
        if self.status_lists:
            out["status_lists"] = list(self.status_lists)
        if self.valid_as_of is not None:
            out["valid_as_of"] = self.valid_as_of
        return out

    @classmethod
    def from_json(cls, data: object, *, source: str = "file") -> TrustedIssuer:
        if not isinstance(data, Mapping):
            raise TrustError("a trusted issuer must be a JSON object", code="trust_invalid")
        iss = _check_issuer_id(data.get("id"))
        types = data.get("types", {})
        keys = data.get("keys", [])
        lists = data.get("status_lists", [])
        valid_as_of = data.get("valid_as_of")
        if not isinstance(types, Mapping) or not isinstance(keys, list):
            raise TrustError(
                f"issuer {iss}: 'types' must be an object, 'keys' an array", code="trust_invalid"
            )
        if not isinstance(lists, list) or not all(isinstance(u, str) and u for u in lists):
            raise TrustError(f"issuer {iss}: 'status_lists' must be URLs", code="trust_invalid")
        if valid_as_of is not None and (
            isinstance(valid_as_of, bool) or not isinstance(valid_as_of, int)
        ):
            raise TrustError(f"issuer {iss}: 'valid_as_of' must be seconds", code="trust_invalid")
        return cls(
            id=iss,
            name=str(data.get("name") or iss),
            types=tuple((str(k), v) for k, v in types.items()),
            keys=tuple(keys),
            status_lists=tuple(lists),
            valid_as_of=valid_as_of,
            source=source,
        )


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(Encoding.PEM).decode("ascii")


@dataclass(frozen=True, slots=True)
class TrustedAuthority:
    """A certificate authority (root or intermediate) that vouches for issuers of ``types``
    (type id, vct): the trust anchor of their ``x5c`` chains."""

    name: str
    certificate: x509.Certificate
    types: tuple[tuple[str, str], ...]
    source: str = "file"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise TrustError("a certificate authority needs a display name", code="trust_invalid")
        try:
            constraints = self.certificate.extensions.get_extension_for_class(
                x509.BasicConstraints
            ).value
        except x509.ExtensionNotFound:
            constraints = None
        if constraints is None or not constraints.ca:
            raise TrustError(
                f"{self.name}: an anchor must be a certificate authority's certificate (CA:TRUE)",
                code="trust_invalid",
            )
        if not self.types or any(
            len(pair) != 2 or not all(isinstance(part, str) and part for part in pair)
            for pair in self.types
        ):
            raise TrustError(
                f"{self.name}: list the credential types it vouches for (type id -> vct)",
                code="trust_invalid",
            )

    @property
    def vcts(self) -> frozenset[str]:
        return frozenset(vct for _, vct in self.types)

    @property
    def fingerprint(self) -> str:
        return sha256_fingerprint(self.certificate)

    @property
    def anchor(self) -> TrustAnchor:
        return TrustAnchor(self.certificate, vct_values=self.vcts, label=self.name)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "certificate": _pem(self.certificate), "types": dict(self.types)}

    @classmethod
    def from_json(cls, data: object, *, source: str = "file") -> TrustedAuthority:
        if not isinstance(data, Mapping):
            raise TrustError("a certificate authority must be a JSON object", code="trust_invalid")
        text, types = data.get("certificate"), data.get("types")
        if not isinstance(text, str) or not isinstance(types, Mapping):
            raise TrustError(
                "a certificate authority needs 'certificate' (PEM) and 'types'",
                code="trust_invalid",
            )
        try:
            certificates = parse_certificates(text.encode("ascii", "replace"))
        except X509Error as exc:
            raise TrustError(
                f"an anchor is not a certificate: {exc.message}", code="trust_invalid"
            ) from exc
        if len(certificates) != 1:
            raise TrustError("each anchor holds exactly one certificate", code="trust_invalid")
        return cls(
            name=str(data.get("name") or ""),
            certificate=certificates[0],
            types=tuple((str(k), v) for k, v in types.items()),
            source=source,
        )


def _parse_crls(items: object) -> tuple[x509.CertificateRevocationList, ...]:
    if not isinstance(items, list) or len(items) > MAX_CRLS:
        raise TrustError(
            f"'crls' must be an array of at most {MAX_CRLS} PEM CRLs", code="trust_invalid"
        )
    crls = []
    for item in items:
        if not isinstance(item, str):
            raise TrustError("a CRL must be PEM text", code="trust_invalid")
        try:
            crls.append(parse_crl(item.encode("ascii", "replace")))
        except X509Error as exc:
            raise TrustError(f"a CRL is not readable: {exc.message}", code="trust_invalid") from exc
    return tuple(crls)


def _crl_pem(crl: x509.CertificateRevocationList) -> str:
    return crl.public_bytes(Encoding.PEM).decode("ascii")


@dataclass(frozen=True, slots=True)
class TrustRegistry:
    """An immutable snapshot of trusted issuers.

    ``valid_as_of``: when the trust data as a whole was last known current (a bundle's ``iat``;
    for files and the database, the newest entry). ``status_tokens``: issuer-signed status list
    tokens by URI, carried by bundles for offline checks (each still verified with the issuer's
    key before use).
    """

    issuers: tuple[TrustedIssuer, ...] = ()
    valid_as_of: int | None = None
    expires_at: int | None = None
    status_tokens: Mapping[str, str] = field(default_factory=dict)
    source: str = "file"
    authorities: tuple[TrustedAuthority, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = ()
    _by_id: Mapping[str, TrustedIssuer] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.issuers) > MAX_ISSUERS:
            raise TrustError(f"more than {MAX_ISSUERS} issuers", code="trust_invalid")
        if len(self.authorities) > MAX_ANCHORS:
            raise TrustError(f"more than {MAX_ANCHORS} anchors", code="trust_invalid")
        by_id: dict[str, TrustedIssuer] = {}
        for issuer in self.issuers:
            if issuer.id in by_id:
                raise TrustError(f"issuer {issuer.id} is listed twice", code="trust_invalid")
            by_id[issuer.id] = issuer
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "status_tokens", dict(self.status_tokens))

    def issuer(self, iss: str) -> TrustedIssuer | None:
        return self._by_id.get(iss)

    def anchors_for(self, vct: str) -> tuple[TrustAnchor, ...]:
        """The certificate authorities that vouch for issuers of ``vct`` (one per
        certificate: the first entry for a certificate wins, as with issuers)."""
        seen: set[str] = set()
        found = []
        for authority in self.authorities:
            if vct in authority.vcts and authority.fingerprint not in seen:
                seen.add(authority.fingerprint)
                found.append(authority.anchor)
        return tuple(found)

    def check(self, iss: str, vct: str) -> TrustedIssuer:
        """The entry for ``iss`` if it is trusted for ``vct``; else :class:`TrustError`."""
        entry = self._by_id.get(iss)
        if entry is None:
            raise TrustError(
                f"issuer {iss!r} is not in the trust registry", code="untrusted_issuer"
            )
        if vct not in entry.vcts:
            raise TrustError(
                f"issuer {iss!r} is not trusted for credential type {vct!r}",
                code="vct_not_trusted",
            )
        return entry

    def vcts_for_type(self, type_id: str) -> tuple[str, ...]:
        """Every trusted vct for ``type_id`` (by type id or last vct segment), sorted."""
        pairs = [pair for issuer in self.issuers for pair in issuer.types]
        pairs += [pair for authority in self.authorities for pair in authority.types]
        found = {vct for tid, vct in pairs if tid == type_id or type_id_of(vct) == type_id}
        return tuple(sorted(found))

    def with_issuer(self, issuer: TrustedIssuer) -> TrustRegistry:
        """A copy with ``issuer`` added or replaced."""
        others = tuple(i for i in self.issuers if i.id != issuer.id)
        return replace(self, issuers=(*others, issuer))

    def without_issuer(self, iss: str) -> TrustRegistry:
        return replace(self, issuers=tuple(i for i in self.issuers if i.id != iss))

    @classmethod
    def merged(cls, registries: Iterable[TrustRegistry]) -> TrustRegistry:
        """One registry from several; the first registry that lists an issuer wins (put local
        decisions — database, file — before bundles). ``valid_as_of`` is the oldest of the
        parts (the result is only as fresh as its stalest source)."""
        issuers: dict[str, TrustedIssuer] = {}
        authorities: list[TrustedAuthority] = []
        crls: list[x509.CertificateRevocationList] = []
        tokens: dict[str, str] = {}
        dates: list[int] = []
        expiries: list[int] = []
        sources: list[str] = []
        for registry in registries:
            sources.append(registry.source)
            for issuer in registry.issuers:
                issuers.setdefault(issuer.id, issuer)
            authorities.extend(registry.authorities)
            crls.extend(c for c in registry.crls if c not in crls)
            for uri, token in registry.status_tokens.items():
                tokens.setdefault(uri, token)
            if registry.valid_as_of is not None:
                dates.append(registry.valid_as_of)
            if registry.expires_at is not None:
                expiries.append(registry.expires_at)
        return cls(
            tuple(issuers.values()),
            valid_as_of=min(dates) if dates else None,
            expires_at=min(expiries) if expiries else None,
            status_tokens=tokens,
            source="+".join(dict.fromkeys(sources)) or "empty",
            authorities=tuple(authorities),
            crls=tuple(crls),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": TRUST_FILE_VERSION,
            "issuers": [issuer.to_json() for issuer in self.issuers],
        }
        if self.authorities:  # additive: files without anchors read as before
            out["anchors"] = [authority.to_json() for authority in self.authorities]
        if self.crls:
            out["crls"] = [_crl_pem(crl) for crl in self.crls]
        return out

    def with_authority(self, authority: TrustedAuthority) -> TrustRegistry:
        """A copy with ``authority`` added or replacing the entry of the same certificate."""
        others = tuple(a for a in self.authorities if a.fingerprint != authority.fingerprint)
        return replace(self, authorities=(*others, authority))

    @classmethod
    def from_json(cls, data: object, *, source: str = "file") -> TrustRegistry:
        if not isinstance(data, Mapping) or data.get("version", TRUST_FILE_VERSION) != 1:
            raise TrustError("not a drukid trust file (version 1)", code="trust_invalid")
        items = data.get("issuers", [])
        if not isinstance(items, list):
            raise TrustError("'issuers' must be an array", code="trust_invalid")
        issuers = tuple(TrustedIssuer.from_json(item, source=source) for item in items)
        anchors = data.get("anchors", [])
        if not isinstance(anchors, list):
            raise TrustError("'anchors' must be an array", code="trust_invalid")
        authorities = tuple(TrustedAuthority.from_json(item, source=source) for item in anchors)
        dates = [i.valid_as_of for i in issuers if i.valid_as_of is not None]
        return cls(
            issuers,
            valid_as_of=max(dates) if dates else None,
            source=source,
            authorities=authorities,
            crls=_parse_crls(data.get("crls", [])),
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TrustRegistry:
        """Read a trust file; an absent file is an error (a typo must not mean "trust none")."""
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            raise TrustError(
                f"cannot read trust file {path}: {exc.strerror}", code="trust_file_unreadable"
            ) from exc
        try:
            data = parse_json(raw)
        except EncodingError as exc:
            raise TrustError(
                f"trust file {path} is not JSON: {exc.message}", code="trust_invalid"
            ) from exc
        return cls.from_json(data, source="file")

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write atomically (a crash never leaves half a trust file)."""
        data = (dumps_compact(self.to_json()) + "\n").encode("utf-8")
        return atomic_write(path, data, mode=0o644)  # public information
