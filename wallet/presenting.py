"""Presenting credentials: read and check a request, match it against the catalog, build the
consent summary, and, once the citizen decided, send the answer or the refusal and record it in
the history. Nothing leaves the wallet before :meth:`Presenting.approve`.

The OpenID4VP messages are :mod:`wallet.oid4vp` (request, matching, response) and its HTTP
client; the consent screen's words are :mod:`wallet.consent`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from credentials.dcql import DCQLQuery, DCQLResult
from credentials.errors import CredentialError
from credentials.sd_jwt import decode_sd_jwt
from did.keys import PrivateKey
from wallet.consent import ConsentSummary, CredentialShare, Verifier, share_for, summarize
from wallet.errors import NetworkError, PresentError
from wallet.history import HistoryEntry, SharedCredential
from wallet.links import read_link
from wallet.oid4vp.client import PresentationClient
from wallet.oid4vp.matching import Matcher, best_match, choose_copy, mark_shown
from wallet.oid4vp.request import AuthorizationRequest
from wallet.oid4vp.response import PresentedCopy, SendResult, build_vp_token
from wallet.runtime import WalletRuntime
from wallet.storage.catalog import CopySecret, CredentialEntry
from wallet.storage.store import WalletStore

__all__ = ["PresentationOutcome", "PresentationSession", "Presenting"]

log = logging.getLogger(__name__)


# A service refused a credential for its status: the citizen hears whom to ask.
_STATUS_REFUSALS = {"status_revoked": "revoked", "status_suspended": "suspended"}


def _whom(session: PresentationSession, code: str, language: str) -> str:
    """The next step after a status refusal, naming the credential and the agency to contact."""
    shares = [(p.share.title, p.entry.issuer_title(language)) for p in session._plan]
    what = " and ".join(f"your {title} from {issuer}" for title, issuer in dict.fromkeys(shares))
    issuers = " or ".join(dict.fromkeys(issuer for _, issuer in shares)) or "the agency"
    return (
        f"The service says {what or 'your credential'} was {_STATUS_REFUSALS[code]} by its "
        f"issuer, so it is not accepted. Contact {issuers} to ask why, or for a new one."
    )


@dataclass(frozen=True, slots=True)
class _Planned:
    query_id: str
    entry: CredentialEntry
    copy: CopySecret = field(repr=False)
    share: CredentialShare
    disclose: tuple[tuple[str | int, ...], ...]


@dataclass(slots=True)
class PresentationSession:
    """A checked request waiting for the citizen's decision. ``consent`` is what to show."""

    request: AuthorizationRequest
    consent: ConsentSummary
    _plan: tuple[_Planned, ...] = field(repr=False)
    answered: bool = False


@dataclass(frozen=True, slots=True)
class PresentationOutcome:
    outcome: str  # "shared" or "refused"
    history_id: str
    redirect_uri: str | None = None
    verifier_notified: bool = True


class Presenting:
    """The present flow of one open wallet."""

    def __init__(self, store: WalletStore, runtime: WalletRuntime) -> None:
        self._store = store
        self._runtime = runtime
        self._matcher = Matcher()

    def match(self, query: DCQLQuery) -> DCQLResult:
        """Evaluate a DCQL query over the stored, unexpired credentials (catalog only: no
        record is decrypted)."""
        return self._matcher.match(self._store.catalog, query, now=self._runtime.clock())

    def prepare(self, source: str | bytes, *, language: str | None = None) -> PresentationSession:
        """Fetch and check a request, match it, and build the consent summary."""
        text = read_link(source, error=PresentError)
        with self._runtime.online() as online:
            client = PresentationClient(
                online.fetcher,
                clock=self._runtime.clock,
                resolver=online.resolver,
                trust=self._runtime.trust(self._store.catalog.trusted_roots),
                language=language or self._runtime.settings.language,
            )
            request = client.load_request(text)
        return self.plan(request, language=language)

    def plan(
        self, request: AuthorizationRequest, *, language: str | None = None
    ) -> PresentationSession:
        """Match a checked request and build its consent summary (names and labels in
        ``language``, default the settings')."""
        catalog = self._store.catalog
        trusted = catalog.trusted_verifiers
        certificate = request.certificate
        vouched = certificate is not None and certificate.trusted
        verifier = Verifier(
            client_id=request.client_id,
            name=request.client_name,
            known=request.client_id in trusted,
            known_as=trusted.get(request.client_id),
            response_mode=request.response_mode,
            response_uri=request.response_uri,
            certified_as=certificate.name if certificate is not None and vouched else None,
            certified_by=certificate.authority if certificate is not None else None,
            certificate_untrusted=certificate is not None and not vouched,
        )
        result = self.match(request.dcql)
        if not result.satisfied:
            consent = summarize(verifier, request.purpose, [], problems=result.unsatisfied_reasons)
            return PresentationSession(request, consent, ())
        lang = language or self._runtime.settings.language
        planned: list[_Planned] = []
        taken: set[str] = set()
        for query_id in result.selection:
            match = best_match(result.matches[query_id], catalog, request.client_id, taken)
            entry = catalog.credentials[match.candidate.ref]
            copy_state = choose_copy(entry, request.client_id, taken)
            taken.add(copy_state.copy_id)
            copy = self._store.read_credential(entry.id).copy(copy_state.copy_id)
            try:
                decoded = decode_sd_jwt(copy.sd_jwt)
                disclose = tuple(match.claim_paths)
                chosen = decoded.disclosures_for(disclose)
            except CredentialError as exc:  # our own verified credential: should not happen
                raise PresentError(
                    f"a stored credential cannot be presented ({exc.code})",
                    code="request_unsatisfiable",
                ) from exc
            share = share_for(
                decoded,
                chosen,
                credential_id=entry.id,
                title=catalog.title(entry, lang),
                issuer=entry.issuer_title(lang),
                metadata=catalog.type_metadata(entry.vct),
                language=lang,
                shown_before_to=copy_state.shown_to,
                status=entry.status.known if entry.status else None,
                status_as_of=entry.status.as_of if entry.status else None,
            )
            planned.append(_Planned(query_id, entry, copy, share, disclose))
        consent = summarize(verifier, request.purpose, [p.share for p in planned])
        return PresentationSession(request, consent, tuple(planned))

    def approve(self, session: PresentationSession) -> PresentationOutcome:
        """Send the presentation the citizen agreed to, and record it."""
        if not session.consent.can_share:
            raise PresentError(
                "; ".join(session.consent.problems) or "the request cannot be answered",
                code="request_unsatisfiable",
            )
        self._claim(session)
        request = session.request
        vp_token = build_vp_token(
            request,
            [
                PresentedCopy(
                    p.query_id, p.copy.sd_jwt, PrivateKey.from_jwk(p.copy.key), p.disclose
                )
                for p in session._plan
            ],
            now=self._runtime.clock(),
        )
        try:
            with self._runtime.online() as online:
                client = PresentationClient(
                    online.fetcher, clock=self._runtime.clock, resolver=online.resolver
                )
                result = client.send(request, vp_token)
        except NetworkError as exc:
            if not exc.not_sent:
                self._record(session, "uncertain", detail=exc.message)
                raise
            # No connection was made: the answer certainly did not arrive, so it is no
            # "unclear" entry in the history, and the person hears that nothing was shared.
            raise NetworkError(
                f"{exc.message}; your answer was not sent, so nothing was shared",
                code=exc.code,
                hint="Check that the service is running and that this device is online, then "
                "scan its QR code again.",
                not_sent=True,
            ) from exc
        except PresentError as exc:
            self._record(session, "rejected", detail=exc.message)
            if exc.code in _STATUS_REFUSALS:
                hint = _whom(session, exc.code, self._runtime.settings.language)
                raise PresentError(exc.message, code=exc.code, hint=hint) from exc
            raise
        entry = self._record(session, "shared", result=result)
        return PresentationOutcome("shared", entry.id, result.redirect_uri)

    def refuse(self, session: PresentationSession) -> PresentationOutcome:
        """Tell the verifier no (§8.5 ``access_denied``) and record the refusal. A verifier
        that cannot be reached is still refused locally: nothing was shared."""
        self._claim(session)
        notified = True
        try:
            with self._runtime.online() as online:
                client = PresentationClient(
                    online.fetcher, clock=self._runtime.clock, resolver=online.resolver
                )
                client.refuse(session.request)
        except (NetworkError, PresentError) as exc:
            log.info("refusal not delivered: %s", exc.code)
            notified = False
        entry = self._record(session, "refused", detail="" if notified else "verifier not reached")
        return PresentationOutcome("refused", entry.id, None, verifier_notified=notified)

    @staticmethod
    def _claim(session: PresentationSession) -> None:
        if session.answered:
            raise PresentError("this request was already answered", code="already_answered")
        session.answered = True

    def _record(
        self,
        session: PresentationSession,
        outcome: str,
        *,
        result: SendResult | None = None,
        detail: str = "",
    ) -> HistoryEntry:
        request = session.request
        sent = outcome != "refused"
        shared = tuple(
            SharedCredential(
                credential_id=p.entry.id,
                type_name=p.share.title,
                vct=p.entry.vct,
                claims=tuple(c.label for c in p.share.shared),
                paths=tuple(c.path for c in p.share.shared),
                copy_id=p.copy.copy_id,
            )
            for p in session._plan
            if sent
        )
        entry = HistoryEntry(
            id=self._runtime.new_id(),
            time=self._runtime.clock(),
            verifier_id=request.client_id,
            verifier_name=(
                session.consent.verifier.known_as
                or session.consent.verifier.certified_as
                or request.client_name
                or ""
            ),
            purpose=request.purpose or "",
            outcome=outcome,
            credentials=shared,
            detail=detail,
            redirect_uri=result.redirect_uri if result else None,
        )
        catalog = self._store.catalog
        entries = dict(catalog.credentials)
        if sent:
            for p in session._plan:
                current = entries.get(p.entry.id)
                if current is not None:
                    entries[p.entry.id] = mark_shown(current, p.copy.copy_id, request.client_id)
        new = replace(catalog, credentials=entries, history=(*catalog.history, entry.id))
        self._store.commit(new, history=[entry])
        return entry
