"""What every part of the verifier service shares: the database, the configuration, the
signing identity, the clock and the source of randomness.

Built once by :func:`verifier.runtime.build_runtime` and handed to each part
(:mod:`~verifier.service.requests`, :mod:`~verifier.service.responses`,
:mod:`~verifier.service.results`, :mod:`~verifier.service.api_keys`,
:mod:`~verifier.service.trust_admin`); none of them reads settings, the environment or the
real clock itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.engine import Engine
from sqlmodel import Session

from did.keys import PrivateKey
from did.methods.web import create_did_web_document
from verifier.certificates import RequestCertificate
from verifier.oid4vp.request import DID_PREFIX, REDIRECT_URI_PREFIX, create_openid4vp_uri
from verifier.policy import Policy

__all__ = ["Identity", "ServiceConfig", "ServiceContext"]


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    public_url: str
    name: str
    policy: Policy
    client_id_scheme: str = "decentralized_identifier"
    response_mode: str = "direct_post.jwt"
    request_lifetime: int = 300
    retention: int = 900
    unrequested_claims: Literal["drop", "refuse"] = "drop"
    logo_uri: str | None = None
    development: bool = False


@dataclass(frozen=True, slots=True)
class Identity:
    """The verifier's signing key and its did:web (``kid`` = ``<did>#<thumbprint>``), and its
    request-signing certificate when it is configured (the ``x509_*`` client ids)."""

    key: PrivateKey
    did: str
    certificate: RequestCertificate | None = None

    @property
    def kid(self) -> str:
        return f"{self.did}#{self.key.public_key.thumbprint()}"

    def did_document(self) -> dict[str, object]:
        fragment = self.kid.split("#", 1)[1]
        return create_did_web_document(self.did, [(fragment, self.key.public_key)])

    def jwks(self) -> dict[str, Any]:
        jwk = {**self.key.public_key.to_jwk(), "kid": self.kid, "alg": self.key.alg, "use": "sig"}
        return {"keys": [jwk]}


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """The shared dependencies, and the verifier's own addresses derived from them."""

    engine: Engine
    config: ServiceConfig
    identity: Identity
    clock: Callable[[], int]
    token: Callable[[int], str] = field(default=secrets.token_urlsafe)

    def session(self) -> Session:
        """A new unit of work (the caller commits)."""
        return Session(self.engine, expire_on_commit=False)

    def request_uri(self, request_id: str) -> str:
        return f"{self.config.public_url}/oid4vp/request/{request_id}"

    def response_uri(self, request_id: str) -> str:
        return f"{self.config.public_url}/oid4vp/response/{request_id}"

    def client_id(self, request_id: str) -> str:
        """OpenID4VP §5.9 client identifier of a request: the verifier's DID, its certificate
        (``x509_san_dns:<host>`` or ``x509_hash:<hash>``), or (the ``redirect_uri`` prefix)
        the request's own response URI."""
        scheme = self.config.client_id_scheme
        if scheme == "redirect_uri":
            return REDIRECT_URI_PREFIX + self.response_uri(request_id)
        if scheme.startswith("x509_"):
            if self.identity.certificate is None:  # the settings refuse this; kept fail-closed
                raise RuntimeError("an x509 client id needs the request-signing certificate")
            return self.identity.certificate.client_id(scheme, self.config.public_url)
        return DID_PREFIX + self.identity.did

    def link(self, client_id: str, request_id: str) -> str:
        """The ``openid4vp://`` link of a request passed by reference (a signed request); a
        ``redirect_uri:`` request is passed by value
        (:func:`verifier.service.records.request_link`)."""
        return create_openid4vp_uri(client_id=client_id, request_uri=self.request_uri(request_id))
