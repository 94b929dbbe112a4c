"""What the issuer publishes about itself: OpenID4VCI Credential Issuer Metadata (§12.2), OAuth
Authorization Server Metadata (RFC 8414), JWT VC Issuer Metadata, its did:web document, and
SD-JWT VC Type Metadata (draft-25 §6) for each credential type."""

from __future__ import annotations

from typing import Any

from did.keys import PublicKey
from did.methods.web import create_did_web_document, did_web_from_url
from issuer.context import IssuerContext
from issuer.errors import NotFoundError
from issuer.keys import SigningKeys
from issuer.oid4vci.encryption import encryption_metadata
from issuer.oid4vci.metadata import (
    authorization_server_metadata,
    credential_issuer_metadata,
    jwt_vc_issuer_metadata,
)

__all__ = ["Discovery"]

_DZONGKHA_NAMES = {"Department of Civil Registration and Census": "མི་ཁུངས་ཐོ་བཀོད་ལས་ཁུངས།"}


class Discovery:
    """The issuer's published documents."""

    def __init__(
        self,
        context: IssuerContext,
        *,
        signing: SigningKeys,
        proof_algorithms: tuple[str, ...],
        key_attestations: bool = False,
    ) -> None:
        self.context = context
        self.signing = signing
        self.proof_algorithms = proof_algorithms
        self.key_attestations = key_attestations

    def issuer_metadata(self) -> dict[str, Any]:
        settings = self.context.settings
        dz = _DZONGKHA_NAMES.get(settings.name)
        return credential_issuer_metadata(
            issuer=self.context.issuer_url,
            name=settings.name,
            types=self.context.types,
            signing_algs=[settings.signing_alg],
            proof_algs=list(self.proof_algorithms),
            batch_size=settings.batch_size,
            display_names={"dz": dz} if dz else None,
            key_attestations=self.key_attestations,
            response_encryption=encryption_metadata(settings.credential_response_encryption),
            deferred=any(t.approval == "operator" for t in self.context.types.values()),
        )

    def oauth_metadata(self) -> dict[str, Any]:
        settings = self.context.settings
        return authorization_server_metadata(
            issuer=self.context.issuer_url,
            authorization_code=settings.authorization_code_flow,
            scopes=sorted(self.context.types),
            dpop_algs=list(settings.dpop_algorithms),
            attestation=settings.attestation_policy,
            refresh_tokens=settings.refresh_tokens,
        )

    def jwt_vc_metadata(self) -> dict[str, Any]:
        return jwt_vc_issuer_metadata(issuer=self.context.issuer_url, keys=self.signing.jwks())

    def did_document(self) -> dict[str, object]:
        did = did_web_from_url(self.context.issuer_url)
        keys = [(jwk["kid"], PublicKey.from_jwk(jwk)) for jwk in self.signing.jwks()]
        return create_did_web_document(did, keys)

    def type_metadata(self, type_id: str) -> dict[str, Any]:
        ctype = self.context.types.get(type_id)
        if ctype is None:
            raise NotFoundError(f"there is no credential type {type_id!r}", code="unknown_type")
        return ctype.type_metadata(self.context.issuer_url)
