"""The teller pages' one handle on the service, ``app.state.service``.

A desk's page signs in with an API key, reads the trust registry and the type labels, starts a
request, shows its link and QR code, reads its result and discards it: operations of five
different parts. :class:`VerifierService` gives the pages (and the demo and tests, which create
keys and prune through it) those operations under one name, each one line that hands over to
the part that owns it. It holds no state and no logic of its own; everything else (the API, the
command line) uses the parts, assembled by :func:`verifier.runtime.build_runtime`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine

from credentials.type_metadata import TypeMetadata
from verifier.keys import IssuerKeys
from verifier.service.api_keys import ApiKeyAdmin
from verifier.service.context import ServiceContext
from verifier.service.requests import PresentationRequests
from verifier.service.results import PresentationResults
from verifier.service.retention import Retention
from verifier.service.trust_admin import TrustAdmin
from verifier.service.type_metadata import TypeMetadataCache
from verifier.trust import TrustRegistry

__all__ = ["VerifierService"]


class VerifierService:
    def __init__(
        self,
        *,
        context: ServiceContext,
        keys: IssuerKeys,
        api_keys: ApiKeyAdmin,
        trust: TrustAdmin,
        requests: PresentationRequests,
        results: PresentationResults,
        retention: Retention,
        type_labels: TypeMetadataCache,
    ) -> None:
        self.context = context
        self.keys = keys
        self.api_keys = api_keys
        self.trust = trust
        self.requests = requests
        self.results = results
        self.retention = retention
        self.type_labels = type_labels

    @property
    def engine(self) -> Engine:
        return self.context.engine

    # API keys -----------------------------------------------------------------------------
    def authenticate(self, token: str | None, *, admin: bool = False) -> str:
        return self.api_keys.authenticate(token, admin=admin)

    def desk_name(self, key_id: str) -> str | None:
        return self.api_keys.desk_name(key_id)

    def create_api_key(self, name: str, *, admin: bool = False) -> tuple[str, str]:
        return self.api_keys.create(name, admin=admin)

    def revoke_api_key(self, key_id: str) -> None:
        self.api_keys.revoke(key_id)

    # trust and labels ---------------------------------------------------------------------
    def trust_registry(self) -> TrustRegistry:
        return self.trust.registry()

    def type_metadata(self, vct: str) -> TypeMetadata | None:
        return self.type_labels.lookup(vct)

    # requests and results -----------------------------------------------------------------
    def create_request(
        self,
        rp_key_id: str,
        *,
        template: str | None = None,
        dcql_query: Mapping[str, Any] | None = None,
        purpose: str | None = None,
    ) -> dict[str, Any]:
        return self.requests.create(
            rp_key_id, template=template, dcql_query=dcql_query, purpose=purpose
        )

    def request_view(
        self, rp_key_id: str, request_id: str, *, response_code: str | None = None
    ) -> dict[str, Any]:
        return self.results.view(rp_key_id, request_id, response_code=response_code)

    def request_link(self, rp_key_id: str, request_id: str) -> str:
        return self.requests.link(rp_key_id, request_id)

    def qr(self, rp_key_id: str, request_id: str, kind: str) -> tuple[bytes, str]:
        return self.requests.qr(rp_key_id, request_id, kind)

    def discard_request(self, rp_key_id: str, request_id: str) -> bool:
        return self.requests.discard(rp_key_id, request_id)

    def prune(self) -> int:
        return self.retention.prune()
