"""Presentation requests: a relying party creates one, the wallet fetches its request object,
the QR code shows its link, the relying party (or the teller page) discards it.

What is asked comes from a request template (:mod:`verifier.request_templates`) or a raw DCQL
query (OpenID4VP §6) with a purpose in plain words. A ``direct_post.jwt`` request gets its own
ephemeral ECDH key, whose private half stays in the request's row until the response arrives
(§8.3). Redirect and webhook addresses must be https (loopback http in development only).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from core.encoding import dumps_compact
from credentials.dcql import DCQLQuery
from credentials.errors import CredentialError
from credentials.jose import generate_encryption_key
from servicekit.qr import MAX_QR_PAYLOAD, qr_png, qr_svg
from servicekit.settings import LOOPBACK_HOSTS
from verifier.errors import RequestError, ServiceError, explain
from verifier.oid4vp.request import (
    DID_PREFIX,
    REQUEST_OBJECT_MEDIA_TYPE,
    RESPONSE_MODES,
    X509_PREFIXES,
    create_request_object,
    sign_request_object,
)
from verifier.request_templates import load_templates, template_to_dcql
from verifier.service.context import ServiceContext
from verifier.service.records import open_request, request_link, request_params, visible_status
from verifier.service.retention import Retention
from verifier.service.trust_admin import TrustAdmin
from verifier.storage.models import RequestRecord
from verifier.storage.repos import Requests

__all__ = ["MAX_PURPOSE", "PresentationRequests"]

log = logging.getLogger(__name__)

MAX_PURPOSE = 500


class PresentationRequests:
    def __init__(self, context: ServiceContext, *, trust: TrustAdmin, retention: Retention) -> None:
        self.context = context
        self.trust = trust
        self.retention = retention

    def create(
        self,
        rp_key_id: str,
        *,
        template: str | None = None,
        dcql_query: Mapping[str, Any] | None = None,
        purpose: str | None = None,
        response_mode: str | None = None,
        same_device: bool = False,
        redirect_uri: str | None = None,
        response_code_in: str = "fragment",
        webhook_url: str | None = None,
    ) -> dict[str, Any]:
        """A new pending request of relying party ``rp_key_id``: its id, link and QR code
        addresses (the relying-party API's answer)."""
        query, purpose = self._dcql(template, dcql_query, purpose)
        if len(purpose) > MAX_PURPOSE:
            raise ServiceError(
                f"purpose is longer than {MAX_PURPOSE} characters", code="invalid_request"
            )
        config = self.context.config
        mode = response_mode or config.response_mode
        if mode not in RESPONSE_MODES:
            raise ServiceError(
                "response_mode must be direct_post or direct_post.jwt", code="invalid_request"
            )
        if same_device and not redirect_uri:
            raise ServiceError(
                "a same-device request needs the redirect_uri to return to", code="invalid_request"
            )
        if redirect_uri:
            self._check_callback_url(redirect_uri, "redirect_uri")
        if webhook_url:
            self._check_callback_url(webhook_url, "webhook_url")
        token = self.context.token
        now = self.context.clock()
        request_id = token(16)
        ephemeral = generate_encryption_key(kid=token(8)) if mode == "direct_post.jwt" else None
        record = RequestRecord(
            id=request_id,
            rp_key_id=rp_key_id,
            template=template,
            dcql_query=dumps_compact(query),
            purpose=purpose,
            response_mode=mode,
            client_id=self.context.client_id(request_id),
            nonce=token(24),
            state=token(24),
            same_device=same_device,
            redirect_uri=redirect_uri,
            response_code_in_query=response_code_in == "query",
            webhook_url=webhook_url,
            ephemeral_jwk=dumps_compact(ephemeral) if ephemeral else None,
            created_at=now,
            expires_at=now + config.request_lifetime,
        )
        link = request_link(record, self.context)
        if len(link) > MAX_QR_PAYLOAD:
            # A redirect_uri: request travels whole in its link, and so in its QR code.
            raise ServiceError(
                f"this request is {len(link)} characters long, too large for a QR code "
                f"({MAX_QR_PAYLOAD}); ask for less, shorten the purpose, or use a signed "
                "client id (decentralized_identifier, x509_hash), whose QR code holds only an "
                "address",
                code="request_too_large",
            )
        with self.context.session() as session:
            Requests(session).add(record)
            session.commit()
        log.info("request created: id=%s rp=%s mode=%s", request_id, rp_key_id, mode)
        base = f"{config.public_url}/api/v1/requests/{request_id}"
        return {
            "id": request_id,
            "status": "pending",
            "uri": link,
            "request_uri": self.context.request_uri(request_id),
            "client_id": record.client_id,
            "qr_png_url": f"{base}/qr.png",
            "qr_svg_url": f"{base}/qr.svg",
            "purpose": purpose,
            "expires_at": record.expires_at,
        }

    def _check_callback_url(self, url: str, what: str) -> str:
        parts = urlsplit(url)
        local = (
            self.context.config.development
            and parts.scheme == "http"
            and (parts.hostname in LOOPBACK_HOSTS)
        )
        if not (parts.scheme == "https" or local) or not parts.hostname or "@" in parts.netloc:
            raise ServiceError(f"{what} must be an https:// URL", code="invalid_request")
        return url

    def _dcql(
        self, template: str | None, dcql_query: Mapping[str, Any] | None, purpose: str | None
    ) -> tuple[dict[str, Any], str]:
        if (template is None) == (dcql_query is None):
            raise ServiceError(
                "give exactly one of 'template' and 'dcql_query'", code="invalid_request"
            )
        if template is not None:
            found = load_templates().get(template)
            if found is None:
                raise ServiceError(
                    f"unknown template {template!r}; see GET /api/v1/templates",
                    code="unknown_template",
                    status=404,
                )
            return template_to_dcql(found, self.trust.registry()), purpose or found.purpose
        assert dcql_query is not None
        try:
            DCQLQuery.from_json(dcql_query)
        except CredentialError as exc:
            raise ServiceError(exc.message, code=exc.code) from exc
        if not purpose:
            raise ServiceError(
                "a 'purpose' (shown to the citizen) is required with a raw DCQL query",
                code="invalid_request",
            )
        return dict(dcql_query), purpose

    def request_object(self, request_id: str) -> tuple[str, str]:
        """The request object and its media type (OpenID4VP §5.7): a signed JAR (RFC 9101),
        with the DID key's ``kid`` or the certificate chain in ``x5c``. A ``redirect_uri:``
        request is passed by value in its link; its parameters are still answered here as
        plain JSON for wallets that fetch them (drukid wallets before by-value links). Only
        while the request is pending."""
        self.retention.prune_on_access()
        with self.context.session() as session:
            record = open_request(session, request_id)
        status = visible_status(record, self.context.clock())
        if status != "pending":
            code = "request_expired" if status == "expired" else "request_already_used"
            raise RequestError(explain(code), code=code, error="invalid_request_uri", status=400)
        params = request_params(record, self.context)
        identity = self.context.identity
        claims = create_request_object(params, iat=self.context.clock(), exp=record.expires_at)
        if record.client_id.startswith(DID_PREFIX):
            jar = sign_request_object(claims, identity.key, kid=identity.kid)
            return jar, REQUEST_OBJECT_MEDIA_TYPE
        if record.client_id.startswith(X509_PREFIXES):
            certificate = identity.certificate
            if certificate is None:
                raise ServiceError(
                    "this request needs the verifier's certificate, which is not configured",
                    code="request_certificate_invalid",
                    status=500,
                )
            jar = sign_request_object(claims, certificate.key, x5c=certificate.x5c)
            return jar, REQUEST_OBJECT_MEDIA_TYPE
        return dumps_compact(claims), "application/json"

    def link(self, rp_key_id: str, request_id: str) -> str:
        """The ``openid4vp://`` link of a request (what its QR code holds)."""
        with self.context.session() as session:
            record = open_request(session, request_id, rp_key_id)
        return request_link(record, self.context)

    def qr(self, rp_key_id: str, request_id: str, kind: str) -> tuple[bytes, str]:
        """The QR code of the link, as ``png`` or ``svg``, and its media type."""
        uri = self.link(rp_key_id, request_id)
        if kind == "png":
            return qr_png(uri), "image/png"
        return qr_svg(uri).encode("utf-8"), "image/svg+xml"

    def discard(self, rp_key_id: str, request_id: str) -> bool:
        """Delete a request and its result now: a cancelled check can no longer be answered,
        and a result read at the counter is not kept until retention ends. A response being
        checked at this very moment (``processing``) is left to finish; pruning removes it."""
        with self.context.session() as session:
            removed = Requests(session).discard(request_id, rp_key_id)
            session.commit()
        log.info("request discarded: id=%s removed=%s", request_id, removed)
        return removed
