"""Wallet responses at the response URI (OpenID4VP §8.2 ``direct_post``, §8.3
``direct_post.jwt``): check, claim, verify, record, answer.

The response is parsed and its ``state`` checked (:mod:`verifier.oid4vp.response`) before
anything is consumed; then the request is claimed with one conditional update (a second response
loses: the nonce is single-use); then every presentation is verified
(:func:`verifier.verify.verify_presentation`) and DCQL re-checked. The result, its webhook
delivery and (same-device) the digest of its response code are written in one transaction; the
request's decryption key goes with it. The webhook worker is woken after the commit, never
waited for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from sqlmodel import Session

from core.encoding import dumps_compact, parse_json
from credentials.dcql import CredentialQuery, DCQLQuery
from credentials.status_check import StatusChecker
from verifier.errors import PresentationError, RequestError, VerificationError, explain
from verifier.keys import IssuerKeys
from verifier.oid4vp.response import check_state, parse_response, verify_response
from verifier.oid4vp.response_code import create_response_code, redirect_with_response_code
from verifier.service.context import ServiceContext
from verifier.service.records import open_request, result_view
from verifier.service.retention import Retention
from verifier.service.trust_admin import TrustAdmin
from verifier.storage.models import RequestRecord, WebhookDelivery
from verifier.storage.repos import Requests, WebhookDeliveries
from verifier.verify import VerificationResult, verify_presentation

__all__ = ["PresentationResponses"]

log = logging.getLogger(__name__)


class PresentationResponses:
    """``notify`` wakes the webhook worker after a result with a webhook was recorded."""

    def __init__(
        self,
        context: ServiceContext,
        *,
        trust: TrustAdmin,
        keys: IssuerKeys,
        status: StatusChecker,
        retention: Retention,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.context = context
        self.trust = trust
        self.keys = keys
        self.status = status
        self.retention = retention
        self.notify = notify

    def handle(self, request_id: str, form: Mapping[str, str]) -> dict[str, str]:
        """Check a wallet's response; record the result; the answer to the wallet (§8.2)."""
        now = self.context.clock()
        with self.context.session() as session:
            record = open_request(session, request_id)
            if record.status == "pending" and record.expires_at <= now:
                self.retention.prune()
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
                        unrequested=self.context.config.unrequested_claims,
                    )
                except VerificationError as exc:
                    error = exc
            answer = self._finish(session, record, results, error, now)
        if self.notify is not None and record.webhook_url:
            self.notify()
        if error is not None and response.error is None:
            raise RequestError(error.explanation, code=error.code, error="invalid_request")
        return answer

    def _verifier_for(
        self, record: RequestRecord, now: int
    ) -> Callable[[str, CredentialQuery], VerificationResult]:
        trust = self.trust.registry()
        policy = self.context.config.policy

        def verify_one(presentation: str, query: CredentialQuery) -> VerificationResult:
            return verify_presentation(
                presentation,
                policy=policy,
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
        # ``record`` is the row read before the claim, which made it ours: no second read.
        record.completed_at = now
        record.result_expires_at = now + self.context.config.retention
        record.ephemeral_jwk = None  # the session is over: its decryption key goes
        answer: dict[str, str] = {}
        if error is None:
            record.status = "verified"
            record.result = dumps_compact(
                {qid: [r.to_json() for r in found] for qid, found in results.items()}
            )
            if record.same_device and record.redirect_uri:
                code = create_response_code(self.context.token)
                record.response_code_hash = code.digest
                answer["redirect_uri"] = redirect_with_response_code(record.redirect_uri, code)
        else:
            record.status = "rejected"
            record.error_code = error.code[:64]
            record.error_message = error.message[:1000]
            record.result = dumps_compact({"cause": error.cause, "checks": error.checks})
        log.info("request %s: id=%s code=%s", record.status, record.id, record.error_code)
        Requests(session).complete(record)
        if record.webhook_url:
            view = result_view(record, now=now, context=self.context)
            if record.same_device:
                # Session fixation (OpenID4VP §14.3): a same-device result belongs to whoever
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
