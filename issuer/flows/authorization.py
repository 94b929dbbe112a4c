"""The authorization code flow up to the code (HAIP 1.0 §4.3, RFC 9126, RFC 6749 §4.1, RFC
9207): the pushed request, the citizen's visit to the agency's page, their sign-in with CID and
a one-time sign-in code, their consent, and the redirect back to the wallet.

The pushed request's row is also the citizen's authorization session: the first visit binds it
to that browser (a cookie whose SHA-256 is stored; reloads in the same browser are fine, another
browser is refused), the sign-in records who they are, consent uses it up. The grant's person
comes from the sign-in only: never from ``scope``, ``issuer_state`` or a form field (for a
business credential, the person chooses among the businesses the registry says they own).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlmodel import Session

from issuer.context import IssuerContext
from issuer.errors import (
    InvalidClientError,
    InvalidDPoPProofError,
    InvalidRequestError,
    IssuerError,
    NotFoundError,
)
from issuer.flows.sender import SenderConstraint
from issuer.oauth.clients import redirect_uri_allowed
from issuer.oauth.par import REQUEST_URI_PREFIX, par_response, parse_par_request
from issuer.oid4vci.offer import lookup_hash, new_secret
from issuer.records import expiry_for, records_for
from issuer.signin.codes import hash_signin_code, normalise_signin_code
from issuer.storage.authorization import Grants, ParRequests, SignInCodes
from issuer.storage.models import (
    CITIZEN_SIGNIN_FAILURES,
    AuthorizationCodeRow,
    GrantRow,
    OfferRow,
    ParRequestRow,
)
from issuer.storage.repos import Audit, Offers, Registry
from servicekit.page_state import DatabaseSignInThrottle

__all__ = ["AuthorizationFlow", "AuthorizationPage", "SignInRefused"]

log = logging.getLogger(__name__)

MAX_SESSION_FAILURES = 3


class SignInRefused(IssuerError):
    """A wrong CID or sign-in code on the agency's page (one message for both, so the page never
    tells who has a live code); ``tries_left`` for the page."""

    code = "signin_failed"
    error = "access_denied"

    def __init__(self, message: str, *, code: str | None = None, tries_left: int = 0) -> None:
        super().__init__(message, code=code)
        self.tries_left = tries_left


@dataclass(frozen=True, slots=True)
class AuthorizationPage:
    """What the citizen's pages show for one authorization session."""

    ref: str
    csrf_token: str
    type_id: str
    type_name: str
    wallet_name: str
    signed_in: bool
    person_name: str | None
    cid: str | None
    businesses: tuple[tuple[str, str], ...]  # (licence number, name) the person owns


def _page_error(code: str, message: str) -> InvalidRequestError:
    return InvalidRequestError(message, code=code)


class AuthorizationFlow:
    """PAR, the citizen's pages and the code."""

    def __init__(self, context: IssuerContext, *, sender: SenderConstraint) -> None:
        self.context = context
        self.sender = sender
        settings = context.settings
        self.throttle = DatabaseSignInThrottle(
            lambda: context.engine,
            CITIZEN_SIGNIN_FAILURES,
            clock=context.clock,
            limit=settings.signin_failures_per_address,
            window=settings.signin_failure_window,
        )

    # --- PAR (RFC 9126) -----------------------------------------------------------------

    def push(
        self,
        pairs: Sequence[tuple[str, Any]],
        *,
        dpop: Sequence[str],
        attestation: str | None,
        pop: str | None,
    ) -> dict[str, Any]:
        context = self.context
        request = parse_par_request(pairs, issuer=context.issuer_url, types=context.types)
        proof = self.sender.dpop(dpop, htm="POST", path="/par")
        if proof is None and context.settings.dpop == "required" and request.dpop_jkt is None:
            raise self.sender.refuse_dpop(
                "dpop_missing", "send a DPoP proof (or dpop_jkt) with the request", resource=False
            )
        if proof is not None and request.dpop_jkt is not None and request.dpop_jkt != proof.jkt:
            raise InvalidDPoPProofError(
                "dpop_jkt is not the thumbprint of the DPoP proof's key", code="dpop_jkt_mismatch"
            )
        client = self.sender.client(attestation, pop)
        if client is not None and client.sub != request.client_id:
            raise InvalidClientError(
                "client_id must be the sub of the wallet attestation", code="client_id_mismatch"
            )
        wallet = self.sender.clients.get(request.client_id)
        if wallet is None:
            raise InvalidClientError(
                f"the wallet {request.client_id!r} is not registered with this issuer",
                code="client_unknown",
            )
        if not redirect_uri_allowed(wallet.redirect_uris, request.redirect_uri):
            raise InvalidRequestError(
                "redirect_uri is not registered for this wallet", code="redirect_uri_not_registered"
            )
        now = context.clock()
        request_uri = REQUEST_URI_PREFIX + new_secret(context.random_bytes)
        lifetime = context.settings.par_lifetime
        row = ParRequestRow(
            ref="par_" + context.random_bytes(8).hex(),
            request_uri_hash=lookup_hash(request_uri),
            client_id=request.client_id,
            instance_jkt=client.instance_jkt if client else None,
            dpop_jkt=proof.jkt if proof else request.dpop_jkt,
            redirect_uri=request.redirect_uri,
            state=request.state,
            code_challenge=request.code_challenge,
            type_id=request.type_id,
            authorization_details=request.authorization_details,
            created_at=now,
            expires_at=now + lifetime,
        )
        with context.session(write=True) as s:
            ParRequests(s).add(row)
            if context.randbelow(64) == 0:
                ParRequests(s).purge(before=now - 3600)
            s.commit()
        log.info("pushed authorization request %s from %s", row.ref, request.client_id)
        return par_response(request_uri, expires_in=lifetime)

    # --- the citizen's pages ------------------------------------------------------------

    def _row(self, s: Session, ref: str, browser: str | None, now: int) -> ParRequestRow:
        row = ParRequests(s).get(ref, fresh=True)
        if row is None or row.browser_hash is None:
            raise _page_error("par_request_uri_unknown", "This sign-in link is not known.")
        if browser is None or not hmac.compare_digest(lookup_hash(browser), row.browser_hash):
            raise _page_error(
                "par_request_uri_used", "This sign-in was started in another browser."
            )
        if row.used_at is not None:
            raise _page_error("par_request_uri_used", "This sign-in link was already used.")
        if row.expires_at + self._session_time() <= now:
            raise _page_error("par_request_uri_expired", "This sign-in has expired.")
        return row

    def _session_time(self) -> int:
        """How long the citizen may take on the pages after the link was opened in time."""
        return 10 * 60

    def _page(self, s: Session, row: ParRequestRow) -> AuthorizationPage:
        ctype = self.context.types[row.type_id]
        wallet = self.sender.clients.get(row.client_id)
        person = Registry(s).person(row.subject_id) if row.subject_id else None
        businesses: tuple[tuple[str, str], ...] = ()
        if person is not None and ctype.subject == "business":
            businesses = tuple(
                (b.licence_number, b.business_name) for b in Registry(s).businesses_of(person.cid)
            )
        return AuthorizationPage(
            ref=row.ref,
            csrf_token=row.csrf_token or "",
            type_id=row.type_id,
            type_name=ctype.name,
            wallet_name=wallet.name if wallet else row.client_id,
            signed_in=person is not None,
            person_name=person.full_name if person else None,
            cid=person.cid if person else None,
            businesses=businesses,
        )

    def start(
        self, *, client_id: str | None, request_uri: str | None, browser: str | None
    ) -> tuple[AuthorizationPage, str | None]:
        """``GET /authorize``: the request pushed before (RFC 9126 §4), bound to this browser on
        the first visit. Returns the page and, on the first visit, the browser secret to set as
        the session cookie. Errors here are pages, never redirects (RFC 6749 §4.1.2.1)."""
        if not request_uri:
            raise _page_error(
                "par_required",
                "This page must be opened from your wallet app (pushed authorization request).",
            )
        context = self.context
        now = context.clock()
        with context.session(write=True) as s:
            row = ParRequests(s).by_request_uri_hash(lookup_hash(request_uri))
            if row is None:
                raise _page_error("par_request_uri_unknown", "This sign-in link is not known.")
            if client_id != row.client_id:
                raise _page_error(
                    "par_client_mismatch", "This sign-in link was made for another wallet app."
                )
            if row.used_at is not None:
                raise _page_error("par_request_uri_used", "This sign-in link was already used.")
            new_browser: str | None = None
            if row.browser_hash is None:
                if row.expires_at <= now:
                    raise _page_error("par_request_uri_expired", "This sign-in link has expired.")
                new_browser = new_secret(context.random_bytes)
                csrf = new_secret(context.random_bytes)
                if not ParRequests(s).bind_browser(
                    row.ref, browser_hash=lookup_hash(new_browser), csrf_token=csrf
                ):
                    raise _page_error(
                        "par_request_uri_used", "This sign-in was started in another browser."
                    )
                s.commit()
                browser = new_browser
            row = self._row(s, row.ref, browser, now)
            return self._page(s, row), new_browser

    def view(self, ref: str, browser: str | None) -> AuthorizationPage:
        with self.context.session() as s:
            return self._page(s, self._row(s, ref, browser, self.context.clock()))

    def checked(self, s: Session, ref: str, browser: str | None, csrf: str | None) -> ParRequestRow:
        """The session's row for a form posted by this browser (CSRF token checked)."""
        row = self._row(s, ref, browser, self.context.clock())
        if not csrf or not row.csrf_token or not hmac.compare_digest(csrf, row.csrf_token):
            raise _page_error("csrf_failed", "The form was too old or not from this page.")
        return row

    def sign_in_with_code(
        self,
        ref: str,
        *,
        browser: str | None,
        csrf: str | None,
        cid: str,
        code: str,
        client_address: str,
    ) -> AuthorizationPage:
        """Method (a): CID + the one-time sign-in code the agency gave the person."""
        context = self.context
        settings = context.settings
        now = context.clock()
        address = "citizen:" + client_address
        wait = self.throttle.retry_after(address)
        if wait:
            raise IssuerError(
                f"Too many wrong sign-ins from this network. Try again in {wait} seconds.",
                code="signin_throttled",
                headers={"Retry-After": str(wait)},
            )
        cid, code = cid.strip()[:11], normalise_signin_code(code)
        with context.session(write=True) as s:
            row = self.checked(s, ref, browser, csrf)
            if row.subject_id is not None:
                return self._page(s, row)
            if row.failed_signins >= MAX_SESSION_FAILURES:
                raise _page_error(
                    "signin_attempts_exhausted", "Too many wrong tries for this sign-in."
                )
            codes = SignInCodes(s)
            live = codes.live_for(cid, now=now)
            matched = False
            if live is not None and codes.spend_attempt(
                live.ref, max_attempts=settings.signin_code_max_attempts
            ):
                expected = hash_signin_code(live.ref, cid, code)
                matched = hmac.compare_digest(expected, live.code_hmac)
                if not matched and live.attempts + 1 >= settings.signin_code_max_attempts:
                    codes.burn(live.ref, now=now)
            if not matched or live is None or not codes.use(live.ref, now=now):
                ParRequests(s).fail_signin(row.ref)
                s.commit()
                self.throttle.failed(address)
                left = MAX_SESSION_FAILURES - row.failed_signins - 1
                log.warning("failed citizen sign-in for authorization %s", row.ref)
                raise SignInRefused(
                    "The CID or the sign-in code is not right. Check both and try again.",
                    tries_left=max(0, left),
                )
            if not ParRequests(s).authenticate(
                row.ref, kind="person", subject=cid, method="code", now=now
            ):
                raise _page_error("par_request_uri_used", "This sign-in link was already used.")
            Audit(s).append(
                at=now,
                actor=f"citizen:{cid}",
                action="signin.code_used",
                target=row.ref,
                detail={"signin_code": live.ref, "client_id": row.client_id},
            )
            s.commit()
            log.info("citizen signed in for authorization %s with a sign-in code", row.ref)
            return self._page(s, ParRequests(s).get(row.ref, fresh=True) or row)

    def consent(
        self,
        ref: str,
        *,
        browser: str | None,
        csrf: str | None,
        approve: bool,
        licence_number: str | None = None,
    ) -> str:
        """The citizen's answer: the redirect back to the wallet (RFC 6749 §4.1.2 with
        RFC 9207's ``iss``): ``code`` and ``state``, or ``error=access_denied``."""
        context = self.context
        now = context.clock()
        with context.session(write=True) as s:
            row = self.checked(s, ref, browser, csrf)
            if not approve:
                ParRequests(s).use(row.ref, now=now)
                s.commit()
                return self._redirect(row, error="access_denied")
            if row.subject_id is None:
                raise _page_error("signin_required", "Sign in first.")
            kind, subject = self._subject(s, row, licence_number)
            ctype = context.types[row.type_id]
            records = records_for(s, kind, subject)
            expiry_for(ctype, records.claims(ctype, now=now), now)  # fail here, not at the wallet
            offer_ref = "off_" + context.random_bytes(8).hex()
            Offers(s).add(
                OfferRow(
                    ref=offer_ref,
                    id_hash=lookup_hash(new_secret(context.random_bytes)),
                    code_hash=lookup_hash(new_secret(context.random_bytes)),
                    type_id=row.type_id,
                    subject_kind=kind,
                    subject_id=subject,
                    created_at=now,
                    expires_at=now,
                    redeemed_at=now,
                    created_by=f"citizen:{row.subject_id}"[:64],
                )
            )
            s.flush()  # the grant's foreign key needs the offer row first
            grant = GrantRow(
                ref="g_" + context.random_bytes(8).hex(),
                offer_ref=offer_ref,
                par_ref=row.ref,
                client_id=row.client_id,
                instance_jkt=row.instance_jkt,
                dpop_jkt=row.dpop_jkt,
                type_id=row.type_id,
                subject_kind=kind,
                subject_id=subject,
                authorization_details=row.authorization_details,
                created_at=now,
                expires_at=now + context.settings.grant_lifetime,
            )
            grants = Grants(s)
            grants.add(grant)
            code = new_secret(context.random_bytes)
            grants.add_code(
                AuthorizationCodeRow(
                    code_hash=lookup_hash(code),
                    grant_ref=grant.ref,
                    created_at=now,
                    expires_at=now + context.settings.authorization_code_lifetime,
                )
            )
            if not ParRequests(s).use(row.ref, now=now):
                raise _page_error("par_request_uri_used", "This sign-in link was already used.")
            Audit(s).append(
                at=now,
                actor=f"citizen:{row.subject_id}",
                action="grant.create",
                target=grant.ref,
                detail={"type": row.type_id, "subject": subject, "client_id": row.client_id},
            )
            s.commit()
        log.info("grant %s (%s for %s) to %s", grant.ref, row.type_id, subject, row.client_id)
        return self._redirect(row, code=code)

    def _subject(self, s: Session, row: ParRequestRow, licence: str | None) -> tuple[str, str]:
        ctype = self.context.types[row.type_id]
        cid = row.subject_id or ""
        if ctype.subject == "person":
            return "person", cid
        owned = {b.licence_number: b for b in Registry(s).businesses_of(cid)}
        if not owned:
            raise NotFoundError(
                "The registry names no business you own.", code="signin_no_business"
            )
        if licence is None and len(owned) == 1:
            return "business", next(iter(owned))
        if licence not in owned:
            raise _page_error("business_not_owned", "Choose one of the businesses you own.")
        return "business", licence

    def _redirect(self, row: ParRequestRow, **values: str) -> str:
        params = dict(values)
        if row.state is not None:
            params["state"] = row.state
        params["iss"] = self.context.issuer_url
        separator = "&" if "?" in row.redirect_uri else "?"
        return row.redirect_uri + separator + urlencode(params)
