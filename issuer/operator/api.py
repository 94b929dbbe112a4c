"""The operator operations as one typed interface for one actor: :class:`OperatorAPI`, what
the ``drukid issuer`` commands call. :class:`LocalOperator` runs them in-process on the
issuer's own database (the command line's local mode, acting as the local administrator);
:class:`issuer.commands.remote.RemoteOperator` runs them through a running issuer's operator
API with that API key's role. Both return the same values (:mod:`issuer.operator.results`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from issuer.operator import Operator
from issuer.operator.actors import Actor
from issuer.operator.results import (
    ApiKeyInfo,
    ApprovalRequest,
    AuditEntry,
    CreatedApiKey,
    IssuedCredential,
    KeyCertificate,
    KeyRotation,
    NewOffer,
    NewSignInCode,
    OfferItem,
    OfferStatusChange,
    Page,
    PreparedKey,
    RegistryChange,
    SigningKeyInfo,
)
from issuer.registry import Business, Person

__all__ = ["LocalOperator", "OperatorAPI"]


class OperatorAPI(Protocol):
    """Every operation the operator command line offers, for the actor the interface acts as."""

    def create_offer(self, item: OfferItem) -> NewOffer: ...

    def create_offers(self, items: Sequence[OfferItem]) -> list[NewOffer]: ...

    def create_signin_code(self, cid: str) -> NewSignInCode: ...

    def list_credentials(
        self, *, offset: int = 0, limit: int = 50, subject: str | None = None
    ) -> Page[IssuedCredential]: ...

    def change_status(
        self, credential_id: str, action: str, *, reason: str | None = None
    ) -> IssuedCredential: ...

    def change_offer_status(
        self, offer_ref: str, action: str, *, reason: str | None = None
    ) -> OfferStatusChange: ...

    def people(self, *, offset: int = 0, limit: int = 50) -> Page[Person]: ...

    def businesses(self, *, offset: int = 0, limit: int = 50) -> Page[Business]: ...

    def add_person(self, data: dict[str, Any]) -> RegistryChange: ...

    def add_business(self, data: dict[str, Any]) -> RegistryChange: ...

    def import_csv(self, text: str, *, kind: str, source: str) -> RegistryChange: ...

    def create_api_key(self, *, role: str, label: str = "") -> CreatedApiKey: ...

    def list_api_keys(self) -> list[ApiKeyInfo]: ...

    def revoke_api_key(self, key_id: str) -> None: ...

    def rotate_key(
        self, *, alg: str | None = None, certificate_chain: str | None = None
    ) -> KeyRotation: ...

    def prepare_key(self, *, alg: str | None = None) -> PreparedKey: ...

    def certify_key(self, certificate_chain: str) -> KeyCertificate: ...

    def list_keys(self) -> list[SigningKeyInfo]: ...

    def audit(self, *, offset: int = 0, limit: int = 50) -> Page[AuditEntry]: ...

    def approvals(
        self, *, status: str | None = "pending", offset: int = 0, limit: int = 50
    ) -> Page[ApprovalRequest]: ...

    def decide_approval(
        self, ref: str, decision: str, *, reason: str | None = None
    ) -> ApprovalRequest: ...


class LocalOperator:
    """:class:`OperatorAPI` in-process, as ``actor``, over the operator services."""

    def __init__(self, operator: Operator, actor: Actor) -> None:
        self.operator = operator
        self.actor = actor

    def create_offer(self, item: OfferItem) -> NewOffer:
        return self.operator.offers.create(self.actor, item)

    def create_offers(self, items: Sequence[OfferItem]) -> list[NewOffer]:
        return self.operator.offers.create_many(self.actor, items)

    def create_signin_code(self, cid: str) -> NewSignInCode:
        return self.operator.signin_codes.create(self.actor, cid)

    def list_credentials(
        self, *, offset: int = 0, limit: int = 50, subject: str | None = None
    ) -> Page[IssuedCredential]:
        return self.operator.credentials.page(
            self.actor, offset=offset, limit=limit, subject=subject
        )

    def change_status(
        self, credential_id: str, action: str, *, reason: str | None = None
    ) -> IssuedCredential:
        return self.operator.credentials.change_status(
            self.actor, credential_id, action, reason=reason
        )

    def change_offer_status(
        self, offer_ref: str, action: str, *, reason: str | None = None
    ) -> OfferStatusChange:
        return self.operator.credentials.change_offer_status(
            self.actor, offer_ref, action, reason=reason
        )

    def people(self, *, offset: int = 0, limit: int = 50) -> Page[Person]:
        return self.operator.registry.people(self.actor, offset=offset, limit=limit)

    def businesses(self, *, offset: int = 0, limit: int = 50) -> Page[Business]:
        return self.operator.registry.businesses(self.actor, offset=offset, limit=limit)

    def add_person(self, data: dict[str, Any]) -> RegistryChange:
        return self.operator.registry.add_person(self.actor, data)

    def add_business(self, data: dict[str, Any]) -> RegistryChange:
        return self.operator.registry.add_business(self.actor, data)

    def import_csv(self, text: str, *, kind: str, source: str) -> RegistryChange:
        return self.operator.registry.import_csv(self.actor, text, kind=kind, source=source)

    def create_api_key(self, *, role: str, label: str = "") -> CreatedApiKey:
        return self.operator.admin.create_api_key(self.actor, role=role, label=label)

    def list_api_keys(self) -> list[ApiKeyInfo]:
        return self.operator.admin.list_api_keys(self.actor)

    def revoke_api_key(self, key_id: str) -> None:
        self.operator.admin.revoke_api_key(self.actor, key_id)

    def rotate_key(
        self, *, alg: str | None = None, certificate_chain: str | None = None
    ) -> KeyRotation:
        return self.operator.admin.rotate_key(
            self.actor, alg=alg, certificate_chain=certificate_chain
        )

    def prepare_key(self, *, alg: str | None = None) -> PreparedKey:
        return self.operator.admin.prepare_key(self.actor, alg=alg)

    def certify_key(self, certificate_chain: str) -> KeyCertificate:
        return self.operator.admin.certify_key(self.actor, certificate_chain=certificate_chain)

    def list_keys(self) -> list[SigningKeyInfo]:
        return self.operator.admin.list_keys(self.actor)

    def audit(self, *, offset: int = 0, limit: int = 50) -> Page[AuditEntry]:
        return self.operator.admin.audit(self.actor, offset=offset, limit=limit)

    def approvals(
        self, *, status: str | None = "pending", offset: int = 0, limit: int = 50
    ) -> Page[ApprovalRequest]:
        return self.operator.approvals.page(self.actor, status=status, offset=offset, limit=limit)

    def decide_approval(
        self, ref: str, decision: str, *, reason: str | None = None
    ) -> ApprovalRequest:
        if decision == "approve":
            return self.operator.approvals.approve(self.actor, ref)
        return self.operator.approvals.deny(self.actor, ref, reason=reason)
