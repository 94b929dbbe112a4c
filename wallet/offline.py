"""Answering a verifier with no network on either side (docs/offline-qr.md): read the
verifier's ``DKR1:`` request QR, check its signature offline, show the same consent as online,
and turn the agreed presentation into ``DKP1:`` QR codes for the verifier's camera.

Who signed the request is checked with no network: the request carries the verifier's
certificate chain (``x5c``) and its ``x509_san_dns:`` / ``x509_hash:`` client id, checked by
:func:`wallet.oid4vp.certificates.verify_x509_request` against the wallet's trust anchors
(shipped, configured, added). A chain to no trusted authority is refused
(``offline_request_untrusted``) unless the citizen trusts that very ``x509_hash:`` client id
(``drukid wallet trust add-verifier``): the hash names the certificate, so the pin is exact.
There is no one to tell "no" to offline, so refusing only records the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from credentials.dcql import DCQLQuery
from credentials.errors import CredentialError
from credentials.offline import OFFLINE_REQUEST_TYP, encode_presentation, parse_offline_request
from did.keys import PrivateKey
from wallet.errors import PresentError
from wallet.links import read_link
from wallet.oid4vp.certificates import verify_x509_request
from wallet.oid4vp.request import AuthorizationRequest, clean_text, split_client_id
from wallet.oid4vp.response import PresentedCopy, build_vp_token
from wallet.presenting import PresentationSession, Presenting
from wallet.runtime import WalletRuntime
from wallet.storage.store import WalletStore

__all__ = ["OFFLINE_MODE", "OfflineAnswer", "OfflinePresenting"]

OFFLINE_MODE = "offline_qr"
_LEEWAY = 60


@dataclass(frozen=True, slots=True)
class OfflineAnswer:
    """The QR code texts of an agreed answer (show them all; the verifier scans them in any
    order) and its history entry."""

    parts: tuple[str, ...]
    history_id: str


class OfflinePresenting:
    """The offline present flow of one open wallet, over the same planning and history as
    :class:`~wallet.presenting.Presenting`."""

    def __init__(self, store: WalletStore, runtime: WalletRuntime, presenting: Presenting):
        self._store = store
        self._runtime = runtime
        self._presenting = presenting

    def read_request(self, source: str | bytes) -> AuthorizationRequest:
        """Check an offline request (text, or a photo/PNG of its QR) with no network."""
        text = read_link(source, error=PresentError).strip()
        try:
            jws = parse_offline_request(text)
        except CredentialError as exc:
            raise PresentError(exc.message, code=exc.code) from exc
        payload = jws.payload
        client_id = payload.get("client_id")
        if not isinstance(client_id, str) or not client_id.startswith(
            ("x509_hash:", "x509_san_dns:")
        ):
            raise PresentError(
                "an offline request must name its verifier by certificate (x509_hash or "
                "x509_san_dns), the only kind a wallet can check with no network",
                code="offline_request_untrusted",
            )
        now = self._runtime.clock()
        catalog = self._store.catalog
        certificate = verify_x509_request(
            jws,
            client_id,
            trust=self._runtime.trust(catalog.trusted_roots),
            now=now,
            typ=OFFLINE_REQUEST_TYP,
        )
        pinned = client_id.startswith("x509_hash:") and client_id in catalog.trusted_verifiers
        if not certificate.trusted and not pinned:
            raise PresentError(
                f"the request is signed by {certificate.name}, whose certificate no authority "
                "your wallet trusts vouches for",
                code="offline_request_untrusted",
            )
        exp, iat = payload.get("exp"), payload.get("iat")
        if not isinstance(exp, int) or not isinstance(iat, int) or now > exp + _LEEWAY:
            raise PresentError("this request QR has expired", code="offline_request_expired")
        nonce = payload.get("nonce")
        if not isinstance(nonce, str) or not 16 <= len(nonce) <= 128:
            raise PresentError("the request's nonce is missing or malformed")
        query = payload.get("dcql_query")
        if not isinstance(query, dict):
            raise PresentError("the request asks for nothing (no DCQL query)")
        try:
            dcql = DCQLQuery.from_json(query)
        except CredentialError as exc:
            raise PresentError(f"the request's query is not valid: {exc.message}") from exc
        name = payload.get("client_name")
        return AuthorizationRequest(
            client_id=client_id,
            prefix=split_client_id(client_id)[0],
            response_mode=OFFLINE_MODE,
            response_uri="",
            nonce=nonce,
            state=None,
            dcql=dcql,
            client_name=clean_text(name) if isinstance(name, str) else None,
            purpose=clean_text(payload.get("purpose")),
            signed=True,
            certificate=certificate,
            purpose_source="request",
        )

    def prepare(self, source: str | bytes, *, language: str | None = None) -> PresentationSession:
        """Check an offline request and build its consent summary."""
        return self._presenting.plan(self.read_request(source), language=language)

    def approve(self, session: PresentationSession) -> OfflineAnswer:
        """The QR code texts of the presentation the citizen agreed to; recorded in the
        history as shared ("shown as QR codes")."""
        if session.request.response_mode != OFFLINE_MODE:
            raise PresentError("this is not an offline request", code="request_invalid")
        if not session.consent.can_share:
            raise PresentError(
                "; ".join(session.consent.problems) or "the request cannot be answered",
                code="request_unsatisfiable",
            )
        self._presenting.claim(session)
        vp_token = build_vp_token(
            session.request,
            [
                PresentedCopy(
                    p.query_id, p.copy.sd_jwt, PrivateKey.from_jwk(p.copy.key), p.disclose
                )
                for p in session._plan
            ],
            now=self._runtime.clock(),
        )
        try:
            parts = encode_presentation(session.request.nonce, vp_token)
        except CredentialError as exc:
            raise PresentError(exc.message, code=exc.code) from exc
        entry = self._presenting.record(
            session, "shared", detail=f"shown offline as {len(parts)} QR code(s)"
        )
        return OfflineAnswer(tuple(parts), entry.id)

    def refuse(self, session: PresentationSession) -> str:
        """Record the refusal (offline, there is no verifier to tell)."""
        self._presenting.claim(session)
        return self._presenting.record(session, "refused", detail="offline request").id
