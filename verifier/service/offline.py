"""Verifying with no network (docs/offline-qr.md): the offline request QR, the presentation
QR(s) scanned back, freshness, and re-checking when the network returns.

* :meth:`OfflineDesk.create_request` signs a ``DKR1:`` request with the verifier's
  request-signing certificate (``x5c``, so a wallet with no network checks it against its own
  trust anchors) and stores its nonce, single-use;
* :meth:`OfflineDesk.verify` reassembles the ``DKP1:`` parts (any order; an incomplete set is
  ``offline_part_missing`` with "3 of 4 scanned"), checks who the answer is for and that its
  nonce is one of ours and unused, verifies every presentation against the **signed trust
  bundle only** (pinned keys, bundled status lists: no network), applies the template's
  freshness (bundle age, status list age), uses the nonce (one conditional update) and keeps
  each accepted credential "to re-check";
* :meth:`OfflineDesk.recheck` re-checks those against fresh status lists once online, marks
  revoked or suspended ones and queues the relying party's ``result.revoked_after_acceptance``
  webhook.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from core.encoding import dumps_compact, parse_json
from credentials.dcql import DCQLQuery
from credentials.errors import CredentialError
from credentials.jose import parse_jws
from credentials.offline import (
    PartCollector,
    create_offline_request,
    parse_presentation,
)
from credentials.sd_jwt import parse_sd_jwt
from credentials.status_check import StatusChecker
from credentials.status_list import StatusReference
from verifier.errors import PresentationError, TrustError, VerificationError
from verifier.keys import IssuerKeys
from verifier.oid4vp.response import AuthorizationResponse, verify_response
from verifier.policy import MAX_KB_MAX_AGE, Policy
from verifier.request_templates import (
    DEFAULT_BUNDLE_MAX_AGE,
    DEFAULT_STATUS_MAX_AGE,
    load_templates,
    template_to_dcql,
)
from verifier.service.context import ServiceContext
from verifier.service.trust_admin import TrustAdmin
from verifier.storage.models import OfflineRequestRecord, OfflineResultRecord
from verifier.storage.repos import OfflineRequests, OfflineResults, WebhookDeliveries
from verifier.trust import TrustedIssuer, TrustRegistry, type_id_of
from verifier.verify import VerificationResult, thaw, verify_presentation

__all__ = ["OfflineDesk", "OfflineRequest", "OfflineVerdict", "RecheckReport", "age_words"]

log = logging.getLogger(__name__)

# An offline request is answered at the counter, so it lives longer than an online one.
OFFLINE_REQUEST_LIFETIME = 15 * 60
REVOKED_EVENT = "result.revoked_after_acceptance"


def age_words(seconds: int) -> str:
    """``seconds`` as a short age in words ("3 h 20 min", "2 days 4 h")."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} day{'s' if days != 1 else ''}" + (f" {hours} h" if hours else "")
    if hours:
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    return f"{minutes} min" if minutes else f"{seconds} s"


def _when(at: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at))


@dataclass(frozen=True, slots=True)
class OfflineRequest:
    id: str
    text: str
    client_id: str
    purpose: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class OfflineVerdict:
    """An answer accepted offline: the results per query id, and how fresh their data was."""

    request_id: str
    results: Mapping[str, tuple[VerificationResult, ...]]
    bundle_as_of: int
    verified_at: int

    def lines(self) -> list[str]:
        """The result in words, with "status as of T" and the bundle's age."""
        now = self.verified_at
        out = []
        for found in self.results.values():
            for result in found:
                out.append(f"VERIFIED: {result.issuer_name} ({result.vct})")
                if result.status_checked_at is not None:
                    out.append(
                        f"  status {result.status} as of {_when(result.status_checked_at)} "
                        f"({age_words(now - result.status_checked_at)} ago)"
                    )
                else:
                    out.append("  the credential carries no status list (it cannot be revoked)")
                for name, value in thaw(result.claims).items():
                    out.append(f"  {name}: {dumps_compact(value)}")
        out.append(
            f"Trust bundle of {_when(self.bundle_as_of)} ({age_words(now - self.bundle_as_of)} "
            "old). Accepted offline: kept to be re-checked when the network is back."
        )
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": True,
            "request_id": self.request_id,
            "bundle_as_of": self.bundle_as_of,
            "verified_at": self.verified_at,
            "credentials": {
                qid: [r.to_json() for r in found] for qid, found in self.results.items()
            },
        }


@dataclass(frozen=True, slots=True)
class RecheckReport:
    checked: int
    still_valid: int
    flagged: tuple[tuple[str, str, str], ...]  # (result id, new status, issuer name)
    unreachable: int


def _refuse(message: str, code: str) -> PresentationError:
    return PresentationError(message, code=code)


class OfflineDesk:
    """The offline exchange of one verifier (see the module docstring)."""

    def __init__(
        self,
        context: ServiceContext,
        *,
        bundle: Callable[[int], TrustRegistry | None],
        trust: TrustAdmin,
        keys: IssuerKeys,
        status: StatusChecker,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.context = context
        self._bundle = bundle
        self.trust = trust
        self.keys = keys
        self.status = status
        self.notify = notify

    # -- the request QR --------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        certificate = self.context.identity.certificate
        if certificate is None:
            raise TrustError(
                "offline requests are signed with the verifier's request-signing certificate, "
                "so a wallet with no network can check them; set DRUKID_VERIFIER_X509_CHAIN_FILE "
                "and DRUKID_VERIFIER_X509_KEY_FILE",
                code="offline_needs_certificate",
            )
        scheme = self.context.config.client_id_scheme
        scheme = scheme if scheme.startswith("x509_") else "x509_hash"
        return certificate.client_id(scheme, self.context.config.public_url)

    def _offline_trust(self, now: int) -> TrustRegistry:
        registry = self._bundle(now)
        if registry is None or registry.valid_as_of is None:
            raise TrustError(
                "this desk has no current signed trust bundle, which offline checks need; "
                "connect and run `drukid verifier trust refresh` (or set "
                "DRUKID_VERIFIER_TRUST_BUNDLE)",
                code="offline_no_bundle",
            )
        return registry

    def create_request(
        self,
        *,
        template: str | None = "kyc-basic",
        dcql_query: Mapping[str, Any] | None = None,
        purpose: str | None = None,
        rp_key_id: str | None = None,
        webhook_url: str | None = None,
        lifetime: int = OFFLINE_REQUEST_LIFETIME,
    ) -> OfflineRequest:
        now = self.context.clock()
        client_id = self.client_id
        if dcql_query is not None:
            template = None
            try:
                DCQLQuery.from_json(dcql_query)
            except CredentialError as exc:
                raise _refuse(exc.message, exc.code) from exc
            if not purpose:
                raise _refuse("a raw DCQL query needs a purpose in words", "invalid_request")
            query = dict(dcql_query)
        else:
            found = load_templates().get(template or "")
            if found is None:
                raise _refuse(f"unknown template {template!r}", "unknown_template")
            query = template_to_dcql(found, self._offline_trust(now))
            purpose = purpose or found.purpose
        assert purpose is not None
        token = self.context.token
        record = OfflineRequestRecord(
            id=token(12),
            nonce=token(18),
            client_id=client_id,
            template=template,
            dcql_query=dumps_compact(query),
            purpose=purpose,
            rp_key_id=rp_key_id,
            webhook_url=webhook_url,
            created_at=now,
            expires_at=now + lifetime,
        )
        certificate = self.context.identity.certificate
        assert certificate is not None
        claims: dict[str, Any] = {
            "client_id": client_id,
            "client_name": self.context.config.name,
            "nonce": record.nonce,
            "dcql_query": query,
            "purpose": purpose,
            "iat": now,
            "exp": record.expires_at,
        }
        if template:
            claims["template"] = template
        chain = certificate.x5c
        if self.context.config.offline_request_chain == "leaf":
            chain = chain[:1]
        text = create_offline_request(claims, certificate.key, x5c=chain)
        with self.context.session() as session:
            OfflineRequests(session).add(record)
            session.commit()
        log.info("offline request created: id=%s chars=%d", record.id, len(text))
        return OfflineRequest(record.id, text, client_id, purpose, record.expires_at)

    # -- the presentation QR(s) ------------------------------------------------------------

    def collect(self, texts: Sequence[str]) -> PartCollector:
        """The scanned part texts as one set (raises for a code of another set or a damaged
        one)."""
        collector = PartCollector()
        for text in texts:
            try:
                collector.add(text)
            except CredentialError as exc:
                raise _refuse(exc.message, exc.code) from exc
        return collector

    def verify(self, texts: Sequence[str]) -> OfflineVerdict:
        """Verify a scanned answer (see the module docstring); raises
        :class:`VerificationError` with its own code for every refusal."""
        now = self.context.clock()
        collector = self.collect(texts)
        try:
            if not collector.complete:
                collector.value()  # raises offline_part_missing: "3 of 4 scanned; missing 2"
            answer = parse_presentation(texts)
        except CredentialError as exc:
            raise _refuse(exc.message, exc.code) from exc
        client_id = self.client_id
        for items in answer.vp_token.values():
            for item in items:
                audience = _audience(item)
                if audience is not None and audience != client_id:
                    raise _refuse(
                        "this answer was made for another verifier, not for this desk",
                        "offline_other_verifier",
                    )
        with self.context.session() as session:
            record = OfflineRequests(session).by_nonce(answer.nonce)
        if record is None or record.client_id != client_id:
            raise _refuse(
                "this answer is for a request this desk did not make", "offline_nonce_unknown"
            )
        if record.used_at is not None:
            raise _refuse(
                f"this answer was already accepted at {_when(record.used_at)}; a QR code "
                "answers one request once. Show a new request QR",
                "offline_nonce_used",
            )
        if record.expires_at <= now:
            raise _refuse(
                "the request this answers has expired; show a new request QR",
                "offline_request_expired",
            )
        registry = self._offline_trust(now)
        template = load_templates().get(record.template or "")
        bundle_max = template.bundle_max_age if template else DEFAULT_BUNDLE_MAX_AGE
        status_max = template.status_max_age if template else DEFAULT_STATUS_MAX_AGE
        bundle_as_of = registry.valid_as_of
        assert bundle_as_of is not None
        if now - bundle_as_of > bundle_max:
            raise TrustError(
                f"this desk's trust bundle is {age_words(now - bundle_as_of)} old, older than "
                f"this check allows ({age_words(bundle_max)}); connect to the internet and run "
                "`drukid verifier trust refresh`, then verify again",
                code="offline_bundle_stale",
            )
        results = self._verify_answer(answer.vp_token, record, registry, status_max, now)
        with self.context.session() as session:
            if not OfflineRequests(session).use(record.id, now=now):
                session.rollback()
                raise _refuse("this answer was already accepted once", "offline_nonce_used")
            repo = OfflineResults(session)
            for query_id, found in results.items():
                for index, result in enumerate(found):
                    reference = _status_reference(answer.vp_token[query_id][index])
                    repo.add(
                        OfflineResultRecord(
                            id=self.context.token(12),
                            request_id=record.id,
                            query_id=query_id,
                            issuer=result.issuer,
                            issuer_name=result.issuer_name,
                            vct=result.vct,
                            status_uri=reference.uri if reference else None,
                            status_idx=reference.idx if reference else None,
                            status_as_of=result.status_checked_at,
                            bundle_as_of=bundle_as_of,
                            accepted_at=now,
                            recheck="to_recheck" if reference else "no_status",
                        )
                    )
            session.commit()
        log.info("offline answer accepted: request=%s", record.id)
        return OfflineVerdict(record.id, results, bundle_as_of, now)

    def _verify_answer(
        self,
        vp_token: Mapping[str, tuple[str, ...]],
        record: OfflineRequestRecord,
        registry: TrustRegistry,
        status_max: int,
        now: int,
    ) -> dict[str, tuple[VerificationResult, ...]]:
        config = self.context.config
        lifetime = max(record.expires_at - record.created_at, 1)
        policy = replace(
            config.policy,
            status_policy="reject",
            kb_max_age=min(max(config.policy.kb_max_age, lifetime), MAX_KB_MAX_AGE),
        )

        def verify_one(presentation: str, query: Any) -> VerificationResult:
            try:
                result = self._verify_offline(presentation, query, policy, registry, record, now)
            except PresentationError as exc:
                if exc.code != "status_unavailable":
                    raise
                raise PresentationError(
                    "this desk holds no current revocation list for this credential (its trust "
                    "bundle has none, or it has expired); connect to the internet and run "
                    "`drukid verifier trust refresh`, then verify again",
                    code="offline_status_stale",
                    cause=exc.cause,
                ) from exc
            checked = result.status_checked_at
            if checked is not None and now - checked > status_max:
                raise PresentationError(
                    f"the revocation list this desk holds for {result.issuer_name} is "
                    f"{age_words(now - checked)} old (status as of {_when(checked)}), older "
                    f"than this check allows ({age_words(status_max)}); connect to the internet "
                    "and run `drukid verifier trust refresh`, then verify again",
                    code="offline_status_stale",
                )
            return result

        return verify_response(
            AuthorizationResponse(state=None, vp_token=vp_token),
            query=DCQLQuery.from_json(parse_json(record.dcql_query)),
            verify_one=verify_one,
        )

    @staticmethod
    def _verify_offline(
        presentation: str,
        query: Any,
        policy: Policy,
        registry: TrustRegistry,
        record: OfflineRequestRecord,
        now: int,
    ) -> VerificationResult:
        return verify_presentation(
            presentation,
            policy=policy,
            trust=registry,
            nonce=record.nonce,
            aud=record.client_id,
            now=now,
            vct_values=query.vct_values,
            keys=IssuerKeys(),  # offline: pinned keys and certificates only
            status=StatusChecker(),  # offline: the bundle's status lists only
        )

    # -- re-checking once online -----------------------------------------------------------

    def recheck(self) -> RecheckReport:
        """Re-check every result accepted offline against fresh status lists (network)."""
        now = self.context.clock()
        registry = self.trust.registry()
        policy = self.context.config.policy
        checked = valid = unreachable = 0
        flagged: list[tuple[str, str, str]] = []
        with self.context.session() as session:
            rows = list(OfflineResults(session).to_recheck())
        for row in rows:
            assert row.status_uri is not None
            assert row.status_idx is not None
            entry = registry.issuer(row.issuer) or TrustedIssuer(
                id=row.issuer,
                name=row.issuer_name,
                types=((type_id_of(row.vct), row.vct),),
                source="certificate",
            )
            try:
                outcome = self.status.check(
                    StatusReference(row.status_idx, row.status_uri),
                    iss=row.issuer,
                    key_for=self.keys.for_issuer(
                        entry,
                        policy,
                        now=now,
                        anchors=registry.anchors_for(row.vct),
                        crls=registry.crls,
                    ),
                    now=now,
                    leeway=policy.leeway,
                    max_age=0,  # never the cache: the point is a fresh list
                )
            except (CredentialError, VerificationError) as exc:
                log.info("recheck failed for %s: %s", row.id, exc.code)
                unreachable += 1
                continue
            if outcome.status == "unknown" or outcome.source not in ("network",):
                unreachable += 1
                continue
            checked += 1
            new = {"valid": "valid", "invalid": "revoked", "suspended": "suspended"}.get(
                outcome.status, "revoked"
            )
            self._record_recheck(row, new, outcome.checked_at, now)
            if new == "valid":
                valid += 1
            else:
                flagged.append((row.id, new, row.issuer_name))
        if flagged and self.notify is not None:
            self.notify()
        return RecheckReport(checked, valid, tuple(flagged), unreachable)

    def _record_recheck(
        self, row: OfflineResultRecord, new: str, status_as_of: int | None, now: int
    ) -> None:
        with self.context.session() as session:
            stored = session.get(OfflineResultRecord, row.id)
            assert stored is not None
            stored.recheck, stored.rechecked_at = new, now
            stored.status_as_of = status_as_of
            request = session.get(OfflineRequestRecord, row.request_id)
            if new != "valid" and request is not None and request.webhook_url and request.rp_key_id:
                body = dumps_compact(
                    {
                        "event": REVOKED_EVENT,
                        "request_id": request.id,
                        "result_id": row.id,
                        "status": new,
                        "issuer": row.issuer,
                        "vct": row.vct,
                        "accepted_at": row.accepted_at,
                        "rechecked_at": now,
                    }
                )
                WebhookDeliveries(session).queue(
                    request.id, request.rp_key_id, request.webhook_url, body, now=now
                )
            session.commit()

    def results(self, limit: int = 50) -> list[OfflineResultRecord]:
        """The latest results accepted offline, flagged ones included (for the teller page)."""
        with self.context.session() as session:
            return list(OfflineResults(session).recent(limit))


def _audience(presentation: str) -> str | None:
    kb = presentation.rsplit("~", 1)[-1]
    try:
        aud = parse_jws(kb).payload.get("aud") if kb else None
    except CredentialError:
        return None
    return aud if isinstance(aud, str) else None


def _status_reference(presentation: str) -> StatusReference | None:
    try:
        return StatusReference.from_claims(parse_jws(parse_sd_jwt(presentation).jwt).payload)
    except CredentialError:
        return None
