"""Method (b) of the citizen's sign-in: the Foundational ID presented to the agency's verifier
(:mod:`issuer.signin.presentation`), bound to this browser's authorization session.

``start`` asks the verifier for a same-device request returning to ``/authorize/presented``
and remembers its id in the session's row; ``finish`` runs in the same browser (its cookie finds
the row: a link relayed to another browser finds none, ``fid_session_mismatch``), uses the
remembered request once, fetches the result with the browser's single-use ``response_code`` and
signs the person in when the result is a fresh, valid Foundational ID from a trusted issuer
whose CID is in the registry. The grant's person comes from that result only.
"""

from __future__ import annotations

import hmac
import logging

from issuer.context import IssuerContext
from issuer.errors import IssuerError
from issuer.flows.authorization import AuthorizationFlow, AuthorizationPage
from issuer.oid4vci.offer import lookup_hash
from issuer.signin.presentation import PresentationVerifier, StartedPresentation, signed_in_cid
from issuer.storage.authorization import ParRequests
from issuer.storage.repos import Audit, Registry

__all__ = ["FoundationalIdSignIn"]

log = logging.getLogger(__name__)


def _mismatch() -> IssuerError:
    return IssuerError(
        "This answer does not belong to a sign-in started in this browser. Start again from "
        "your wallet on this phone.",
        code="fid_session_mismatch",
    )


class FoundationalIdSignIn:
    def __init__(
        self,
        context: IssuerContext,
        *,
        authorization: AuthorizationFlow,
        verifier: PresentationVerifier | None,
    ) -> None:
        self.context = context
        self.authorization = authorization
        self.verifier = verifier

    @property
    def enabled(self) -> bool:
        return self.verifier is not None

    def _verifier(self) -> PresentationVerifier:
        if self.verifier is None:
            raise IssuerError(
                "Signing in with the national ID is not offered here. Use a sign-in code.",
                code="fid_signin_off",
            )
        return self.verifier

    def start(self, ref: str, *, browser: str | None, csrf: str | None) -> StartedPresentation:
        verifier = self._verifier()
        context = self.context
        with context.session() as s:
            self.authorization.checked(s, ref, browser, csrf)
        started = verifier.start(return_url=context.issuer_url + "/authorize/presented")
        with context.session(write=True) as s:
            ParRequests(s).set_fid_request(ref, started.request_id)
            s.commit()
        log.info("authorization %s: Foundational ID requested at the verifier", ref)
        return started

    def finish(self, *, browser: str | None, response_code: str) -> AuthorizationPage:
        verifier = self._verifier()
        context = self.context
        settings = context.settings
        if not browser or not response_code:
            raise _mismatch()
        with context.session(write=True) as s:
            row = ParRequests(s).by_browser_hash(lookup_hash(browser))
            request_id = row.fid_request_id if row is not None else None
            if (
                row is None
                or request_id is None
                or row.browser_hash is None
                or not hmac.compare_digest(row.browser_hash, lookup_hash(browser))
                or not ParRequests(s).take_fid_request(row.ref, request_id)
            ):
                raise _mismatch()
            s.commit()
        result = verifier.result(request_id, response_code=response_code[:128])
        now = context.clock()
        cid = signed_in_cid(
            result,
            expected_vct=settings.fid_vct or f"{context.issuer_url}/types/foundational-id",
            trusted_issuers=settings.fid_trusted_issuers or (context.issuer_url,),
            now=now,
            max_age=settings.fid_result_max_age,
        )
        with context.session(write=True) as s:
            if not Registry(s).has_person(cid):
                raise IssuerError(
                    "The agency's registry has no record for this CID.", code="fid_person_unknown"
                )
            if not ParRequests(s).authenticate(
                row.ref, kind="person", subject=cid, method="fid", now=now
            ):
                raise _mismatch()
            Audit(s).append(
                at=now,
                actor=f"citizen:{cid}",
                action="signin.fid_presented",
                target=row.ref,
                detail={"verifier_request": request_id, "client_id": row.client_id},
            )
            s.commit()
        log.info("citizen signed in for authorization %s with the Foundational ID", row.ref)
        return self.authorization.view(row.ref, browser)
