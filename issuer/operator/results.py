"""What operator operations take and return: frozen values, each with its JSON form.

The JSON forms (field names and types) are a contract: the operator API answers with them,
``drukid issuer ... --json`` prints them, and agency scripts read them. Each value is turned
into JSON once, at the edge (:meth:`to_json`), and read back by the operator API's client
(:meth:`from_json`, see :mod:`issuer.commands.remote`). Times are UNIX seconds in the values
and ISO 8601 UTC (``2025-05-12T08:30:00Z``) in the JSON, except an offer's ``expires_at``,
which has always been seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel

from issuer.registry import Business, Person

__all__ = [
    "ApiKeyInfo",
    "ApprovalRequest",
    "AuditEntry",
    "CreatedApiKey",
    "IssuedCredential",
    "KeyCertificate",
    "KeyRotation",
    "NewOffer",
    "NewSignInCode",
    "OfferCredentials",
    "OfferItem",
    "OfferStatusChange",
    "OwnedBusiness",
    "Page",
    "PreparedKey",
    "RegistryChange",
    "RegistryMatches",
    "SearchHit",
    "SigningKeyInfo",
    "from_iso",
    "iso_time",
    "to_json",
]

T = TypeVar("T")


def iso_time(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def from_iso(text: Any) -> int | None:
    """The UNIX seconds of an ISO 8601 time from :func:`iso_time` (``None`` stays ``None``)."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError("a time must be ISO 8601 text")
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def to_json(value: Any) -> Any:
    """The JSON form of an operation's result: a value of this module, a registry record, or a
    list of them."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    if value is None:
        return None
    method: Callable[[], Any] = value.to_json
    return method()


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    return value


def _optional_text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    return value


def _int(data: Mapping[str, Any], name: str) -> int:
    value = data[name]
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be a number")
    return value


def _time(data: Mapping[str, Any], name: str) -> int:
    seconds = from_iso(data[name])
    if seconds is None:
        raise ValueError(f"{name} is missing")
    return seconds


def _list(data: Mapping[str, Any], name: str) -> list[Any]:
    value = data[name]
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list")
    return value


# --- offers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OfferItem:
    """What an offer is for: a credential type and the registry record (a person's CID, or a
    business by licence number or by its owner's CID), and whether it needs a PIN."""

    type_id: str
    cid: str | None = None
    licence_number: str | None = None
    tx_code: bool = False

    def to_json(self) -> dict[str, Any]:
        """The operator API's offer request."""
        return {
            "credential_configuration_id": self.type_id,
            "cid": self.cid,
            "licence_number": self.licence_number,
            "tx_code": self.tx_code,
        }


@dataclass(frozen=True, slots=True)
class NewOffer:
    """A new offer with its secrets (the link and the PIN), returned once at creation."""

    ref: str
    type_id: str
    subject_id: str
    offer_uri: str
    credential_offer_uri: str
    tx_code: str | None
    expires_at: int

    def to_json(self) -> dict[str, Any]:
        return {
            "offer_ref": self.ref,
            "credential_configuration_id": self.type_id,
            "subject": self.subject_id,
            "offer_uri": self.offer_uri,
            "credential_offer_uri": self.credential_offer_uri,
            "tx_code": self.tx_code,
            "expires_at": self.expires_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NewOffer:
        return cls(
            _text(data, "offer_ref"),
            _text(data, "credential_configuration_id"),
            _text(data, "subject"),
            _text(data, "offer_uri"),
            _text(data, "credential_offer_uri"),
            _optional_text(data, "tx_code"),
            _int(data, "expires_at"),
        )

    def __repr__(self) -> str:  # the link and PIN are bearer secrets
        return f"NewOffer(ref={self.ref!r}, type_id={self.type_id!r})"


# --- issued credentials ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedCredential:
    """An issued credential as the operator sees it (metadata only; the credential itself is
    never stored). ``copy`` numbers it among the ``copies`` issued from its offer (from 1)."""

    id: str
    credential_configuration_id: str
    subject: str
    offer_ref: str
    copy: int | None
    copies: int
    status: str
    status_list: str
    issued_at: int
    expires_at: int
    signing_key: str
    holder_key_thumbprint: str
    wallet_event: str | None
    # OpenID4VCI 1.0 Appendix D: what a key attestation said about the holder key (empty and
    # None when the wallet sent none).
    key_storage: tuple[str, ...] = ()
    user_authentication: tuple[str, ...] = ()
    key_attestation_issuer: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "credential_configuration_id": self.credential_configuration_id,
            "subject": self.subject,
            "offer_ref": self.offer_ref,
            "copy": self.copy,
            "copies": self.copies,
            "status": self.status,
            "status_list": self.status_list,
            "issued_at": iso_time(self.issued_at),
            "expires_at": iso_time(self.expires_at),
            "signing_key": self.signing_key,
            "holder_key_thumbprint": self.holder_key_thumbprint,
            "wallet_event": self.wallet_event,
            "key_storage": list(self.key_storage),
            "user_authentication": list(self.user_authentication),
            "key_attestation_issuer": self.key_attestation_issuer,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IssuedCredential:
        copy = data.get("copy")
        return cls(
            id=_text(data, "id"),
            credential_configuration_id=_text(data, "credential_configuration_id"),
            subject=_text(data, "subject"),
            offer_ref=_text(data, "offer_ref"),
            copy=None if copy is None else _int(data, "copy"),
            copies=_int(data, "copies"),
            status=_text(data, "status"),
            status_list=_text(data, "status_list"),
            issued_at=_time(data, "issued_at"),
            expires_at=_time(data, "expires_at"),
            signing_key=_text(data, "signing_key"),
            holder_key_thumbprint=_text(data, "holder_key_thumbprint"),
            wallet_event=_optional_text(data, "wallet_event"),
            key_storage=_levels(data, "key_storage"),
            user_authentication=_levels(data, "user_authentication"),
            key_attestation_issuer=_optional_text(data, "key_attestation_issuer"),
        )


def _levels(data: Mapping[str, Any], name: str) -> tuple[str, ...]:
    """An optional list of level names (absent in answers of servers before key attestations)."""
    value = data.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{name} must be a list of strings")
    return tuple(value)


def _credentials(data: Mapping[str, Any]) -> tuple[IssuedCredential, ...]:
    return tuple(IssuedCredential.from_json(item) for item in _list(data, "credentials"))


@dataclass(frozen=True, slots=True)
class OfferCredentials:
    """An offer's type and subject, and every credential issued from it, in copy order."""

    offer_ref: str
    credential_configuration_id: str
    subject: str
    credentials: tuple[IssuedCredential, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "offer_ref": self.offer_ref,
            "credential_configuration_id": self.credential_configuration_id,
            "subject": self.subject,
            "credentials": [c.to_json() for c in self.credentials],
        }


@dataclass(frozen=True, slots=True)
class OfferStatusChange:
    """A status change of every copy from one offer: ``changed`` of them changed."""

    offer_ref: str
    action: str
    changed: int
    credentials: tuple[IssuedCredential, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "offer_ref": self.offer_ref,
            "action": self.action,
            "changed": self.changed,
            "credentials": [c.to_json() for c in self.credentials],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OfferStatusChange:
        return cls(
            _text(data, "offer_ref"),
            _text(data, "action"),
            _int(data, "changed"),
            _credentials(data),
        )


# --- the registry ------------------------------------------------------------------------


class OwnedBusiness(Business):
    """A business record with its owner's name from the registry (``None`` if not there)."""

    owner_name: str | None = None


@dataclass(frozen=True, slots=True)
class RegistryMatches:
    """A short list of matches for the pages; ``more`` says it was cut."""

    people: tuple[Person, ...]
    businesses: tuple[OwnedBusiness, ...]
    more: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "people": to_json(self.people),
            "businesses": to_json(self.businesses),
            "more": self.more,
        }


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One person or business in a page of search results."""

    record: Person | OwnedBusiness

    @property
    def kind(self) -> Literal["person", "business"]:
        return "person" if isinstance(self.record, Person) else "business"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.record.model_dump(mode="json")}


@dataclass(frozen=True, slots=True)
class RegistryChange:
    """How many records a write added and how many it updated."""

    created: int
    updated: int

    def to_json(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RegistryChange:
        return cls(_int(data, "created"), _int(data, "updated"))


# --- API keys, signing keys, the audit log -------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreatedApiKey:
    """A new operator API key; ``token`` (the key itself) is shown only now."""

    key_id: str
    role: str
    token: str

    def to_json(self) -> dict[str, str]:
        return {"key_id": self.key_id, "role": self.role, "api_key": self.token}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CreatedApiKey:
        return cls(_text(data, "key_id"), _text(data, "role"), _text(data, "api_key"))

    def __repr__(self) -> str:  # the token is a bearer secret
        return f"CreatedApiKey(key_id={self.key_id!r}, role={self.role!r})"


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """An operator API key as listed (never the key itself)."""

    key_id: str
    role: str
    label: str
    created_at: int
    revoked_at: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "role": self.role,
            "label": self.label,
            "created_at": iso_time(self.created_at),
            "revoked_at": iso_time(self.revoked_at),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApiKeyInfo:
        return cls(
            _text(data, "key_id"),
            _text(data, "role"),
            _text(data, "label"),
            _time(data, "created_at"),
            from_iso(data.get("revoked_at")),
        )


@dataclass(frozen=True, slots=True)
class SigningKeyInfo:
    """A signing key: ``active`` signs now; ``published`` is still in the JWKS."""

    kid: str
    alg: str
    created_at: int
    retired_at: int | None
    active: bool
    published: bool
    certificate: str | None = None  # who the certificate is for, in words (None: none)
    certificate_expires_at: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kid": self.kid,
            "alg": self.alg,
            "created_at": iso_time(self.created_at),
            "retired_at": iso_time(self.retired_at),
            "active": self.active,
            "published": self.published,
            "certificate": self.certificate,
            "certificate_expires_at": iso_time(self.certificate_expires_at),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SigningKeyInfo:
        active, published = data["active"], data["published"]
        if not isinstance(active, bool) or not isinstance(published, bool):
            raise ValueError("active and published must be true or false")
        return cls(
            _text(data, "kid"),
            _text(data, "alg"),
            _time(data, "created_at"),
            from_iso(data.get("retired_at")),
            active,
            published,
            _optional_text(data, "certificate"),
            from_iso(data.get("certificate_expires_at")),
        )


@dataclass(frozen=True, slots=True)
class PreparedKey:
    """A new signing key that waits for its certificate: give ``public_jwk`` to the
    certificate authority (``drukid pki issue --use-key``), then rotate with the chain."""

    kid: str
    alg: str
    public_jwk: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"kid": self.kid, "alg": self.alg, "public_jwk": dict(self.public_jwk)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PreparedKey:
        jwk = data.get("public_jwk")
        if not isinstance(jwk, Mapping) or "d" in jwk:
            raise ValueError("public_jwk must be a public JWK")
        return cls(_text(data, "kid"), _text(data, "alg"), dict(jwk))


@dataclass(frozen=True, slots=True)
class KeyCertificate:
    """The key a certificate chain was attached to, who it is for, and until when."""

    kid: str
    subject: str
    expires_at: int

    def to_json(self) -> dict[str, Any]:
        return {"kid": self.kid, "subject": self.subject, "expires_at": iso_time(self.expires_at)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeyCertificate:
        return cls(_text(data, "kid"), _text(data, "subject"), _time(data, "expires_at"))


@dataclass(frozen=True, slots=True)
class KeyRotation:
    """The new active key and the keys it retired."""

    kid: str
    alg: str
    retired: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"kid": self.kid, "alg": self.alg, "retired": list(self.retired)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> KeyRotation:
        retired = _list(data, "retired")
        if not all(isinstance(kid, str) for kid in retired):
            raise ValueError("retired must list key ids")
        return cls(_text(data, "kid"), _text(data, "alg"), tuple(retired))


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the append-only audit log: who did what, when, to what."""

    id: int
    at: int
    actor: str
    action: str
    target: str
    detail: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": iso_time(self.at),
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "detail": dict(self.detail),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AuditEntry:
        detail = data["detail"]
        if not isinstance(detail, dict):
            raise ValueError("detail must be an object")
        return cls(
            _int(data, "id"),
            _time(data, "at"),
            _text(data, "actor"),
            _text(data, "action"),
            _text(data, "target"),
            detail,
        )


# --- pages of results ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """A credential request waiting for (or decided by) an operator (deferred issuance):
    what the wallet asked for, never a credential. ``keys``: how many credentials (holder keys)
    approval will issue; ``key_storage``: what key attestations said about them."""

    ref: str
    credential_configuration_id: str
    subject: str
    offer_ref: str
    keys: int
    key_storage: tuple[str, ...]
    status: str
    requested_at: int
    expires_at: int
    decided_at: int | None = None
    decided_by: str | None = None
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "credential_configuration_id": self.credential_configuration_id,
            "subject": self.subject,
            "offer_ref": self.offer_ref,
            "keys": self.keys,
            "key_storage": list(self.key_storage),
            "status": self.status,
            "requested_at": iso_time(self.requested_at),
            "expires_at": iso_time(self.expires_at),
            "decided_at": None if self.decided_at is None else iso_time(self.decided_at),
            "decided_by": self.decided_by,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApprovalRequest:
        decided = data.get("decided_at")
        return cls(
            ref=_text(data, "ref"),
            credential_configuration_id=_text(data, "credential_configuration_id"),
            subject=_text(data, "subject"),
            offer_ref=_text(data, "offer_ref"),
            keys=_int(data, "keys"),
            key_storage=_levels(data, "key_storage"),
            status=_text(data, "status"),
            requested_at=_time(data, "requested_at"),
            expires_at=_time(data, "expires_at"),
            decided_at=None if decided is None else _time(data, "decided_at"),
            decided_by=_optional_text(data, "decided_by"),
            reason=_optional_text(data, "reason"),
        )


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: ``items`` from ``offset`` (at most ``limit``) of ``total``."""

    items: tuple[T, ...]
    offset: int
    limit: int
    total: int

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [to_json(item) for item in self.items],
            "offset": self.offset,
            "limit": self.limit,
            "total": self.total,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], item: Callable[[Any], T]) -> Page[T]:
        return cls(
            tuple(item(entry) for entry in _list(data, "items")),
            _int(data, "offset"),
            _int(data, "limit"),
            _int(data, "total"),
        )


@dataclass(frozen=True, slots=True)
class NewSignInCode:
    """A citizen's one-time sign-in code, returned once at creation (``expires_at`` seconds)."""

    ref: str
    cid: str
    code: str
    expires_at: int

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "cid": self.cid,
            "signin_code": self.code,
            "signin_code_display": " ".join(
                self.code[i : i + 4] for i in range(0, len(self.code), 4)
            ),
            "expires_at": self.expires_at,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> NewSignInCode:
        return cls(
            _text(data, "ref"),
            _text(data, "cid"),
            _text(data, "signin_code"),
            _int(data, "expires_at"),
        )

    def __repr__(self) -> str:  # the code is a secret
        return f"NewSignInCode(ref={self.ref!r}, cid={self.cid!r})"
