""":class:`RemoteOperator`: the :class:`~issuer.operator.api.OperatorAPI` over a running
issuer's operator API (``/api/v1``), with one API key and its role. Answers are read back into
the same values the in-process operations return; a refusal becomes :class:`RemoteError` with
the issuer's own message and code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

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

__all__ = ["RemoteError", "RemoteOperator"]

T = TypeVar("T")


class RemoteError(Exception):
    """The issuer refused, or could not be reached, or answered in a shape it never sends."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def _reason_body(reason: str | None) -> dict[str, Any]:
    """No body without a reason: the request an issuer without reasons already accepts."""
    return {"json": {"reason": reason}} if reason else {}


class RemoteOperator:
    """Calls the operator API of a running issuer."""

    def __init__(self, url: str, api_key: str, *, transport: httpx.BaseTransport | None = None):
        self.client = httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30.0,
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(
                f"cannot reach the issuer ({type(exc).__name__}); check --url and the network",
                "issuer_unreachable",
            ) from exc
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            if not isinstance(body, dict):
                body = {}
            raise RemoteError(
                str(body.get("error_description") or f"HTTP {response.status_code}"),
                str(body.get("code") or body.get("error") or response.status_code),
            )
        return body

    def _read(self, parse: Callable[[Any], T], method: str, path: str, **kwargs: Any) -> T:
        body = self._request(method, path, **kwargs)
        try:
            return parse(body)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise RemoteError(
                "the issuer answered in a shape this command does not know; check that --url "
                "is a drukid issuer of a matching version",
                "unexpected_response",
            ) from exc

    def _list(self, parse: Callable[[Mapping[str, Any]], T]) -> Callable[[Any], list[T]]:
        def read(body: Any) -> list[T]:
            if not isinstance(body, list):
                raise ValueError("expected a list")
            return [parse(item) for item in body]

        return read

    # --- offers ----------------------------------------------------------------------------

    def create_offer(self, item: OfferItem) -> NewOffer:
        return self._read(NewOffer.from_json, "POST", "/api/v1/offers", json=item.to_json())

    def create_offers(self, items: Sequence[OfferItem]) -> list[NewOffer]:
        body = {"offers": [item.to_json() for item in items]}
        return self._read(
            lambda data: self._list(NewOffer.from_json)(data["offers"]),
            "POST",
            "/api/v1/offers/bulk",
            json=body,
        )

    def create_signin_code(self, cid: str) -> NewSignInCode:
        return self._read(
            NewSignInCode.from_json, "POST", "/api/v1/signin-codes", json={"cid": cid}
        )

    # --- credentials ---------------------------------------------------------------------

    def list_credentials(
        self, *, offset: int = 0, limit: int = 50, subject: str | None = None
    ) -> Page[IssuedCredential]:
        params: dict[str, Any] = {"offset": offset, "limit": limit}
        if subject is not None:
            params["subject"] = subject
        return self._read(
            lambda data: Page.from_json(data, IssuedCredential.from_json),
            "GET",
            "/api/v1/credentials",
            params=params,
        )

    def change_status(
        self, credential_id: str, action: str, *, reason: str | None = None
    ) -> IssuedCredential:
        return self._read(
            IssuedCredential.from_json,
            "POST",
            f"/api/v1/credentials/{quote(credential_id, safe='')}/{quote(action, safe='')}",
            **_reason_body(reason),
        )

    def change_offer_status(
        self, offer_ref: str, action: str, *, reason: str | None = None
    ) -> OfferStatusChange:
        return self._read(
            OfferStatusChange.from_json,
            "POST",
            f"/api/v1/offers/{quote(offer_ref, safe='')}/{quote(action, safe='')}",
            **_reason_body(reason),
        )

    # --- the registry ----------------------------------------------------------------------

    def people(self, *, offset: int = 0, limit: int = 50) -> Page[Person]:
        return self._read(
            lambda data: Page.from_json(data, Person.model_validate),
            "GET",
            "/api/v1/registry/people",
            params={"offset": offset, "limit": limit},
        )

    def businesses(self, *, offset: int = 0, limit: int = 50) -> Page[Business]:
        return self._read(
            lambda data: Page.from_json(data, Business.model_validate),
            "GET",
            "/api/v1/registry/businesses",
            params={"offset": offset, "limit": limit},
        )

    def add_person(self, data: dict[str, Any]) -> RegistryChange:
        return self._read(RegistryChange.from_json, "POST", "/api/v1/registry/people", json=data)

    def add_business(self, data: dict[str, Any]) -> RegistryChange:
        return self._read(
            RegistryChange.from_json, "POST", "/api/v1/registry/businesses", json=data
        )

    def import_csv(self, text: str, *, kind: str, source: str) -> RegistryChange:
        """``source`` names the file in local use; the API records its own (``api:<kind>``)."""
        return self._read(
            RegistryChange.from_json,
            "POST",
            f"/api/v1/registry/{quote(kind, safe='')}/import",
            content=text.encode(),
            headers={"Content-Type": "text/csv"},
        )

    # --- API keys, signing keys, the audit log -------------------------------------------

    def create_api_key(self, *, role: str, label: str = "") -> CreatedApiKey:
        return self._read(
            CreatedApiKey.from_json, "POST", "/api/v1/apikeys", json={"role": role, "label": label}
        )

    def list_api_keys(self) -> list[ApiKeyInfo]:
        return self._read(self._list(ApiKeyInfo.from_json), "GET", "/api/v1/apikeys")

    def revoke_api_key(self, key_id: str) -> None:
        self._request("POST", f"/api/v1/apikeys/{quote(key_id, safe='')}/revoke")

    def rotate_key(
        self, *, alg: str | None = None, certificate_chain: str | None = None
    ) -> KeyRotation:
        body: dict[str, Any] = {"alg": alg}
        if certificate_chain is not None:
            body["certificate_chain"] = certificate_chain
        return self._read(KeyRotation.from_json, "POST", "/api/v1/keys/rotate", json=body)

    def prepare_key(self, *, alg: str | None = None) -> PreparedKey:
        return self._read(PreparedKey.from_json, "POST", "/api/v1/keys/prepare", json={"alg": alg})

    def certify_key(self, certificate_chain: str) -> KeyCertificate:
        return self._read(
            KeyCertificate.from_json,
            "POST",
            "/api/v1/keys/certify",
            json={"certificate_chain": certificate_chain},
        )

    def list_keys(self) -> list[SigningKeyInfo]:
        return self._read(self._list(SigningKeyInfo.from_json), "GET", "/api/v1/keys")

    def audit(self, *, offset: int = 0, limit: int = 50) -> Page[AuditEntry]:
        return self._read(
            lambda data: Page.from_json(data, AuditEntry.from_json),
            "GET",
            "/api/v1/audit",
            params={"offset": offset, "limit": limit},
        )

    # --- the approval queue (deferred issuance) ----------------------------------------------

    def approvals(
        self, *, status: str | None = "pending", offset: int = 0, limit: int = 50
    ) -> Page[ApprovalRequest]:
        params = {"status": status or "all", "offset": offset, "limit": limit}
        return self._read(
            lambda data: Page.from_json(data, ApprovalRequest.from_json),
            "GET",
            "/api/v1/approvals",
            params=params,
        )

    def decide_approval(
        self, ref: str, decision: str, *, reason: str | None = None
    ) -> ApprovalRequest:
        return self._read(
            ApprovalRequest.from_json,
            "POST",
            f"/api/v1/approvals/{quote(ref, safe='')}/{quote(decision, safe='')}",
            **(_reason_body(reason) if decision == "deny" else {}),
        )
