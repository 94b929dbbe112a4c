"""The verifier service: presentation requests, responses and results for relying parties.

One method per use case; each is a unit of work with its own database session and commits.
Routes only parse, call one method and render (verifier/api/routes).

Lifecycle of a request: ``pending`` (QR shown) → the wallet fetches the signed request object
→ the wallet POSTs its response → the request is *claimed* atomically (``processing``; a second
response loses: the nonce is single-use) → every presentation is verified and DCQL re-checked →
``verified`` or ``rejected``; the ephemeral decryption key is deleted; only the verified
disclosed claims are kept, until ``result_expires_at``; then the row is deleted. Unanswered
requests become ``expired`` at ``expires_at``.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.encoding import dumps_compact, parse_json
from credentials.dcql import CredentialQuery, DCQLQuery
from credentials.errors import CredentialError
from credentials.jose import generate_encryption_key, public_encryption_jwk
from credentials.status_check import StatusChecker
from credentials.type_metadata import TypeMetadata, resolve_type_metadata
from did.keys import PrivateKey
from did.methods.web import create_did_web_document
from servicekit.qr import qr_png, qr_svg
from servicekit.settings import LOOPBACK_HOSTS
from verifier.admin import Administration
from verifier.errors import (
    PresentationError,
    RequestError,
    ServiceError,
    VerificationError,
    explain,
)
from verifier.keys import IssuerKeys
from verifier.oid4vp.request import (
    DID_PREFIX,
    REDIRECT_URI_PREFIX,
    REQUEST_OBJECT_MEDIA_TYPE,
    RequestParameters,
    create_openid4vp_uri,
    create_request_object,
    sign_request_object,
)
from verifier.oid4vp.response import check_state, parse_response, verify_response
from verifier.oid4vp.response_code import (
    check_response_code,
    create_response_code,
    invalid_response_code,
    redirect_with_response_code,
)
from verifier.policy import Policy
from verifier.request_templates import load_templates, template_to_dcql
from verifier.storage.models import (
    RequestRecord,
    WebhookDelivery,
)
from verifier.storage.repos import ApiKeys, Requests, WebhookDeliveries
from verifier.trust import TrustRegistry
from verifier.verify import VerificationResult, verify_presentation
from verifier.webhooks import WebhookDispatcher

__all__ = ["Identity", "ServiceConfig", "VerifierService"]

log = logging.getLogger(__name__)

MAX_PURPOSE = 500
PRUNE_ON_ACCESS_SECONDS = 5  # polls come every second; pruning that often would be waste
TERMINAL = frozenset({"verified", "rejected", "expired"})
# Seconds a Type Metadata document (or the failure to get one: labels then fall back to claim
# names) is reused; pages must not wait for an unreachable issuer on every view.
TYPE_METADATA_TTL = 300
_MAX_TYPE_METADATA = 64


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    public_url: str
    name: str
    policy: Policy
    client_id_scheme: str = "decentralized_identifier"
    response_mode: str = "direct_post.jwt"
    request_lifetime: int = 300
    retention: int = 900
    logo_uri: str | None = None
    development: bool = False


@dataclass(frozen=True, slots=True)
class Identity:
    """The verifier's signing key and its did:web (``kid`` = ``<did>#<thumbprint>``)."""

    key: PrivateKey
    did: str

    @property
    def kid(self) -> str:
        return f"{self.did}#{self.key.public_key.thumbprint()}"


class VerifierService(Administration):
    """Presentation requests, wallet responses and results (plus, inherited, API keys and
    trust administration)."""

    def __init__(
        self,
        *,
        engine: Engine,
        config: ServiceConfig,
        identity: Identity,
        keys: IssuerKeys,
        status: StatusChecker,
        file_trust: Callable[[int], TrustRegistry],
        clock: Callable[[], int],
        webhooks: WebhookDispatcher | None = None,
        token: Callable[[int], str] = secrets.token_urlsafe,
    ) -> None:
        super().__init__(engine=engine, keys=keys, file_trust=file_trust, clock=clock, token=token)
        self.config = config
        self.identity = identity
        self.status = status
        self.webhooks = webhooks
        self._last_prune = 0
        self._type_metadata: dict[str, tuple[int, TypeMetadata | None]] = {}
        self._type_metadata_lock = threading.Lock()

    # identity -----------------------------------------------------------------------------
    @property
    def client_id(self) -> str:
        if self.config.client_id_scheme == "redirect_uri":
            return REDIRECT_URI_PREFIX + self.response_uri("{id}")
        return DID_PREFIX + self.identity.did

    def response_uri(self, request_id: str) -> str:
        return f"{self.config.public_url}/oid4vp/response/{request_id}"

    def request_uri(self, request_id: str) -> str:
        return f"{self.config.public_url}/oid4vp/request/{request_id}"

    def did_document(self) -> dict[str, object]:
        fragment = self.identity.kid.split("#", 1)[1]
        return create_did_web_document(
            self.identity.did, [(fragment, self.identity.key.public_key)]
        )

    def jwks(self) -> dict[str, Any]:
        jwk = {
            **self.identity.key.public_key.to_jwk(),
            "kid": self.identity.kid,
            "alg": self.identity.key.alg,
            "use": "sig",
        }
        return {"keys": [jwk]}

    # requests -----------------------------------------------------------------------------
    def _check_callback_url(self, url: str, what: str) -> str:
        parts = urlsplit(url)
        local = (
            self.config.development
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
            return template_to_dcql(found, self.trust_registry()), purpose or found.purpose
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

    def create_request(
        self,
        rp_key_id: str,
        *,
        template: str | None = None,
        dcql_query: Mapping[str, Any] | None = None,
        purpose: str | None = None,
        response_mode: str | None = None,
        same_device: bool = False,
        redirect_uri: str | None = None,
        webhook_url: str | None = None,
    ) -> dict[str, Any]:
        query, purpose = self._dcql(template, dcql_query, purpose)
        if len(purpose) > MAX_PURPOSE:
            raise ServiceError(
                f"purpose is longer than {MAX_PURPOSE} characters", code="invalid_request"
            )
        mode = response_mode or self.config.response_mode
        if mode not in ("direct_post", "direct_post.jwt"):
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
        now = self.clock()
        request_id = self._token(16)
        ephemeral = (
            generate_encryption_key(kid=self._token(8)) if mode == "direct_post.jwt" else None
        )
        record = RequestRecord(
            id=request_id,
            rp_key_id=rp_key_id,
            template=template,
            dcql_query=dumps_compact(query),
            purpose=purpose,
            response_mode=mode,
            client_id=self.client_id.replace("{id}", request_id),
            nonce=self._token(24),
            state=self._token(24),
            same_device=same_device,
            redirect_uri=redirect_uri,
            webhook_url=webhook_url,
            ephemeral_jwk=dumps_compact(ephemeral) if ephemeral else None,
            created_at=now,
            expires_at=now + self.config.request_lifetime,
        )
        with Session(self.engine, expire_on_commit=False) as session:
            Requests(session).add(record)
            session.commit()
        log.info("request created: id=%s rp=%s mode=%s", request_id, rp_key_id, mode)
        uri = create_openid4vp_uri(
            client_id=record.client_id, request_uri=self.request_uri(request_id)
        )
        base = f"{self.config.public_url}/api/v1/requests/{request_id}"
        return {
            "id": request_id,
            "status": "pending",
            "uri": uri,
            "request_uri": self.request_uri(request_id),
            "client_id": record.client_id,
            "qr_png_url": f"{base}/qr.png",
            "qr_svg_url": f"{base}/qr.svg",
            "purpose": purpose,
            "expires_at": record.expires_at,
        }

    def _open(
        self, session: Session, request_id: str, rp_key_id: str | None = None
    ) -> RequestRecord:
        record = Requests(session).get(request_id)
        if record is None or (rp_key_id is not None and record.rp_key_id != rp_key_id):
            raise RequestError(
                "no such request (it may have been removed after its retention period)",
                code="request_not_found",
                error="invalid_request",
                status=404,
            )
        return record

    def request_object(self, request_id: str) -> tuple[str, str]:
        """The request object: a signed JAR, or plain JSON for a ``redirect_uri:`` client."""
        self._prune_on_access()
        with Session(self.engine, expire_on_commit=False) as session:
            record = self._open(session, request_id)
        status = self._status_of(record)
        if status != "pending":
            code = "request_expired" if status == "expired" else "request_already_used"
            raise RequestError(explain(code), code=code, error="invalid_request_uri", status=400)
        encryption = None
        if record.ephemeral_jwk:
            encryption = public_encryption_jwk(parse_json(record.ephemeral_jwk))
        params = RequestParameters(
            client_id=record.client_id,
            response_uri=self.response_uri(record.id),
            nonce=record.nonce,
            state=record.state,
            dcql_query=parse_json(record.dcql_query),
            response_mode=record.response_mode,
            client_name=self.config.name,
            purpose=record.purpose,
            algorithms=self.config.policy.algorithms,
            encryption_jwk=encryption,
            logo_uri=self.config.logo_uri,
        )
        claims = create_request_object(params, iat=self.clock(), exp=record.expires_at)
        if record.client_id.startswith(DID_PREFIX):
            jar = sign_request_object(claims, self.identity.key, kid=self.identity.kid)
            return jar, REQUEST_OBJECT_MEDIA_TYPE
        return dumps_compact(claims), "application/json"

    # responses ----------------------------------------------------------------------------
    def handle_response(self, request_id: str, form: Mapping[str, str]) -> dict[str, str]:
        """Check a wallet's response; record the result; answer the wallet (§8.2)."""
        now = self.clock()
        with Session(self.engine, expire_on_commit=False) as session:
            record = self._open(session, request_id)
            if record.status == "pending" and record.expires_at <= now:
                self.prune()
                record.status = "expired"
            if record.status != "pending":
                code = "request_expired" if record.status == "expired" else "request_already_used"
                raise RequestError(explain(code), code=code, error="invalid_request")
            jwk = parse_json(record.ephemeral_jwk) if record.ephemeral_jwk else None
            response = parse_response(form, response_mode=record.response_mode, decryption_jwk=jwk)
            check_state(response, record.state)
            if not Requests(session).claim(request_id, now=now):
                session.rollback()
                raise RequestError(
                    explain("request_already_used"),
                    code="request_already_used",
                    error="invalid_request",
                )
            session.commit()
            error: VerificationError | None = None
            results: dict[str, tuple[VerificationResult, ...]] = {}
            if response.error is not None:
                error = PresentationError(
                    response.error_description or "the holder declined", code=response.error
                )
            else:
                try:
                    results = verify_response(
                        response,
                        query=DCQLQuery.from_json(parse_json(record.dcql_query)),
                        verify_one=self._verifier_for(record, now),
                    )
                except VerificationError as exc:
                    error = exc
            answer = self._finish(session, record, results, error, now)
        if self.webhooks is not None and record.webhook_url:
            self.webhooks.notify()
        if error is not None and response.error is None:
            raise RequestError(error.explanation, code=error.code, error="invalid_request")
        return answer

    def _verifier_for(
        self, record: RequestRecord, now: int
    ) -> Callable[[str, CredentialQuery], VerificationResult]:
        trust = self.trust_registry()

        def verify_one(presentation: str, query: CredentialQuery) -> VerificationResult:
            return verify_presentation(
                presentation,
                policy=self.config.policy,
                trust=trust,
                nonce=record.nonce,
                aud=record.client_id,
                now=now,
                vct_values=query.vct_values,
                keys=self.keys,
                status=self.status,
            )

        return verify_one

    def _finish(
        self,
        session: Session,
        record: RequestRecord,
        results: Mapping[str, tuple[VerificationResult, ...]],
        error: VerificationError | None,
        now: int,
    ) -> dict[str, str]:
        # ``record`` is still attached to ``session``: no second read; the claim made it ours.
        record.completed_at = now
        record.result_expires_at = now + self.config.retention
        record.ephemeral_jwk = None  # the session is over: its decryption key goes
        answer: dict[str, str] = {}
        if error is None:
            record.status = "verified"
            record.result = dumps_compact(
                {qid: [r.to_json() for r in found] for qid, found in results.items()}
            )
            if record.same_device and record.redirect_uri:
                code = create_response_code(self._token)
                record.response_code_hash = code.digest
                answer["redirect_uri"] = redirect_with_response_code(record.redirect_uri, code)
        else:
            record.status = "rejected"
            record.error_code = error.code[:64]
            record.error_message = error.message[:1000]
            record.result = dumps_compact({"cause": error.cause, "checks": error.checks})
        log.info("request %s: id=%s code=%s", record.status, record.id, record.error_code)
        session.add(record)
        if record.webhook_url:
            view = self._view(record)
            if record.same_device:
                # Session fixation (OpenID4VP §13.3): a same-device result belongs to whoever
                # completes the redirect with the response_code, not to whoever started the
                # request; the webhook only says that the result is there.
                view.pop("claims", None)
                view.pop("credentials", None)
                view["result_withheld"] = "same-device request: poll with ?response_code="
            body = dumps_compact({"event": "presentation.completed", **view})
            WebhookDeliveries(session).add(
                WebhookDelivery(
                    request_id=record.id,
                    rp_key_id=record.rp_key_id,
                    url=record.webhook_url,
                    body=body,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        session.commit()
        return answer

    # results ------------------------------------------------------------------------------
    def _view(self, record: RequestRecord) -> dict[str, Any]:
        view: dict[str, Any] = {
            "id": record.id,
            "status": self._status_of(record),
            "template": record.template,
            "purpose": record.purpose,
            "created_at": record.created_at,
            "expires_at": record.expires_at,
            "completed_at": record.completed_at,
            "result_expires_at": record.result_expires_at,
        }
        if record.status == "pending":  # what the QR code holds, for showing it again
            view["uri"] = create_openid4vp_uri(
                client_id=record.client_id, request_uri=self.request_uri(record.id)
            )
        stored = parse_json(record.result) if record.result else None
        if record.status == "verified" and isinstance(stored, dict):
            view["credentials"] = stored
            presentations = [item for found in stored.values() for item in found]
            if len(presentations) == 1:
                view["claims"] = presentations[0]["claims"]
        elif record.error_code is not None:
            view["error"] = {
                "code": record.error_code,
                "cause": stored.get("cause") if isinstance(stored, dict) else None,
                "message": record.error_message,
                "explanation": explain(record.error_code),
                "checks": [
                    {"name": c[0], "outcome": c[1], "detail": c[2]}
                    for c in (stored.get("checks", []) if isinstance(stored, dict) else [])
                ],
            }
        return view

    def request_view(
        self, rp_key_id: str, request_id: str, *, response_code: str | None = None
    ) -> dict[str, Any]:
        self._prune_on_access()
        with Session(self.engine, expire_on_commit=False) as session:
            record = self._open(session, request_id, rp_key_id)
            view = self._view(record)
            if record.same_device and record.status == "verified":
                if response_code is None:
                    view.pop("credentials", None)
                    view.pop("claims", None)
                    view["result_withheld"] = "same-device request: pass ?response_code="
                else:
                    now = self.clock()
                    digest = check_response_code(
                        response_code,
                        digest=record.response_code_hash,
                        used=record.response_code_used,
                        expires_at=record.result_expires_at,
                        now=now,
                    )
                    if not Requests(session).use_response_code(record.id, digest, now=now):
                        raise invalid_response_code()  # another fetch used it a moment ago
                    session.commit()
        return view

    def request_link(self, rp_key_id: str, request_id: str) -> str:
        """The ``openid4vp://`` link of a request (what its QR code holds)."""
        with Session(self.engine, expire_on_commit=False) as session:
            record = self._open(session, request_id, rp_key_id)
        return create_openid4vp_uri(
            client_id=record.client_id, request_uri=self.request_uri(record.id)
        )

    def qr(self, rp_key_id: str, request_id: str, kind: str) -> tuple[bytes, str]:
        uri = self.request_link(rp_key_id, request_id)
        if kind == "png":
            return qr_png(uri), "image/png"
        return qr_svg(uri).encode("utf-8"), "image/svg+xml"

    def _status_of(self, record: RequestRecord) -> str:
        """What a caller sees: ``processing`` is still ``pending``; past ``expires_at`` an
        unanswered request is ``expired`` whether or not pruning has run yet."""
        if record.status in ("pending", "processing") and record.expires_at <= self.clock():
            return "expired" if record.status == "pending" else "pending"
        return "pending" if record.status == "processing" else record.status

    def _prune_on_access(self) -> None:
        now = self.clock()
        if now >= self._last_prune + PRUNE_ON_ACCESS_SECONDS:
            self._last_prune = now
            self.prune()

    def prune(self) -> int:
        """Expire unanswered requests, delete results past retention (data minimisation)."""
        now = self.clock()
        with Session(self.engine, expire_on_commit=False) as session:
            requests = Requests(session)
            requests.expire(now=now, retention=self.config.retention)
            removed = requests.delete_past_retention(now=now)
            WebhookDeliveries(session).delete_finished()
            session.commit()
        return removed

    # teller pages -------------------------------------------------------------------------
    def desk_name(self, key_id: str) -> str | None:
        """The name of the API key ``key_id`` while it is valid, else ``None``. The teller pages
        ask on every page, so revoking a desk's key ends its browser sessions at once."""
        with Session(self.engine, expire_on_commit=False) as session:
            record = ApiKeys(session).get(key_id)
        return None if record is None or record.revoked else record.name

    def discard_request(self, rp_key_id: str, request_id: str) -> bool:
        """Delete a request and its result now: a cancelled check can no longer be answered,
        and a result read at the counter is not kept until retention ends. A response being
        checked at this very moment (``processing``) is left to finish; pruning removes it."""
        with Session(self.engine, expire_on_commit=False) as session:
            removed = Requests(session).discard(request_id, rp_key_id)
            session.commit()
        log.info("request discarded: id=%s removed=%s", request_id, removed)
        return removed

    def type_metadata(self, vct: str) -> TypeMetadata | None:
        """SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc-25 §6) of ``vct``, for display
        names and claim labels; ``None`` when no trusted issuer issues ``vct`` (nothing is
        fetched for untrusted types) or the document cannot be had (callers fall back to the
        claim names). Fetched through the SSRF-guarded fetcher; the answer, found or not, is
        kept for :data:`TYPE_METADATA_TTL` seconds."""
        now = self.clock()
        with self._type_metadata_lock:
            cached = self._type_metadata.get(vct)
        if cached is not None and cached[0] > now:
            return cached[1]
        found: TypeMetadata | None = None
        try:
            if any(vct in issuer.vcts for issuer in self.trust_registry().issuers):

                def fetch(url: str) -> bytes:
                    return dumps_compact(self.keys.fetch_json(url, now=now)).encode("utf-8")

                found = resolve_type_metadata(vct, fetch)
        except (CredentialError, VerificationError) as exc:
            log.info("type metadata unavailable: vct=%s code=%s", vct, exc.code)
        with self._type_metadata_lock:
            if len(self._type_metadata) >= _MAX_TYPE_METADATA:
                self._type_metadata.clear()
            self._type_metadata[vct] = (now + TYPE_METADATA_TTL, found)
        return found
