"""The OpenID4VCI pre-authorized code flow up to the access token: the Credential Offer a wallet
fetches by reference (OpenID4VCI §4.1.3), the token endpoint (§6: pre-authorized code and
tx_code for an access token, with a cap on wrong PINs) and the nonce endpoint (§7).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from issuer.context import IssuerContext
from issuer.errors import (
    InvalidGrantError,
    InvalidRequestError,
    OfferGoneError,
    OfferNotFoundError,
)
from issuer.flows.access import issue_access_token
from issuer.oid4vci.offer import (
    create_credential_offer,
    lookup_hash,
    new_secret,
    offer_uri,
    offer_url,
    pre_authorized_code_for,
    tx_code_matches,
    unseal_pre_authorized_code,
)
from issuer.oid4vci.token import parse_token_request, token_response
from issuer.storage.models import OfferRow
from issuer.storage.repos import Nonces, Offers

__all__ = ["PreAuthorizedFlow"]

log = logging.getLogger(__name__)

_OFFER_ID_LENGTH = 43  # 32 random bytes, base64url
_NO_OFFER = "there is no such offer; check the link or ask the agency for a new QR code"


class PreAuthorizedFlow:
    """Offers, the token endpoint and the nonce endpoint."""

    def __init__(self, context: IssuerContext) -> None:
        self.context = context

    # --- offers -------------------------------------------------------------------------

    def _live_offer(self, s: Session, offer_id: str, now: int) -> OfferRow:
        if len(offer_id) != _OFFER_ID_LENGTH:
            raise OfferNotFoundError(_NO_OFFER)
        offer = Offers(s).by_id_hash(lookup_hash(offer_id))
        if offer is None:
            raise OfferNotFoundError(_NO_OFFER)
        if offer.redeemed_at is not None:
            raise OfferGoneError(
                "this offer was already used to add the credential to a wallet; if that was not "
                "you, contact the agency",
                code="offer_used",
            )
        if offer.burned_at is not None:
            raise OfferGoneError(
                "this offer was cancelled after too many wrong PINs; ask the agency for a new one",
                code="offer_burned",
            )
        if offer.expires_at <= now:
            raise OfferGoneError(
                "this offer has expired; ask the agency for a new one", code="offer_expired"
            )
        return offer

    def credential_offer(self, offer_id: str) -> dict[str, Any]:
        """OpenID4VCI §4.1.3: the Credential Offer a wallet fetches by reference."""
        now = self.context.clock()
        with self.context.session() as s:
            offer = self._live_offer(s, offer_id, now)
        return create_credential_offer(
            issuer=self.context.issuer_url,
            configuration_ids=[offer.type_id],
            pre_authorized_code=(
                unseal_pre_authorized_code(offer_id, offer.ref, offer.code_sealed)
                if offer.code_sealed
                else pre_authorized_code_for(offer_id)  # an offer made before revision 0007
            ),
            tx_code_length=offer.tx_code_length if offer.tx_code_hash else None,
        )

    def offer_link(self, offer_id: str) -> str:
        """The ``openid-credential-offer://`` link for a live offer (QR code content)."""
        with self.context.session() as s:
            self._live_offer(s, offer_id, self.context.clock())
        return offer_uri(offer_url(self.context.issuer_url, offer_id))

    # --- token endpoint -----------------------------------------------------------------

    def exchange_token(
        self, pairs: Sequence[tuple[str, Any]], *, dpop_jkt: str | None = None
    ) -> dict[str, Any]:
        """OpenID4VCI §6: pre-authorized code (+ tx_code) → access token, bound to the DPoP
        key ``dpop_jkt`` when the request carried a proof (RFC 9449 §5: ``token_type`` DPoP)."""
        request = parse_token_request(pairs)
        context = self.context
        now = context.clock()
        max_attempts = context.settings.tx_code_max_attempts
        with context.session(write=True) as s:
            offers = Offers(s)
            offer = offers.by_code_hash(lookup_hash(request.pre_authorized_code))
            if offer is None:
                raise InvalidGrantError(
                    "the code is not valid; scan the agency's QR code again", code="unknown_code"
                )
            self._check_grant(offer, now)
            if offer.tx_code_hash is None and request.tx_code is not None:
                raise InvalidRequestError(
                    "this offer has no PIN; send the request without tx_code",
                    code="tx_code_unexpected",
                )
            if offer.tx_code_hash is not None:
                if not request.tx_code:
                    raise InvalidRequestError(
                        "this offer needs the PIN the agency sent you (tx_code)",
                        code="tx_code_required",
                    )
                if not offers.spend_tx_attempt(offer.ref, max_attempts=max_attempts, now=now):
                    s.rollback()
                    raise self._spent(offer.ref)
                if not tx_code_matches(offer.ref, request.tx_code, offer.tx_code_hash):
                    burned = offers.burn_if_exhausted(offer.ref, max_attempts=max_attempts, now=now)
                    s.commit()  # the failed attempt counts even though the request is refused
                    refreshed = offers.get(offer.ref, fresh=True)
                    left = max_attempts - (refreshed.tx_attempts if refreshed else max_attempts)
                    log.warning("wrong tx_code for offer %s (%d attempts left)", offer.ref, left)
                    if burned or left <= 0:
                        raise InvalidGrantError(
                            "the PIN was wrong too many times; this offer is cancelled, ask the "
                            "agency for a new one",
                            code="tx_code_attempts_exhausted",
                        )
                    raise InvalidGrantError(
                        f"the PIN is wrong; {left} {'try' if left == 1 else 'tries'} left; "
                        "check the PIN the agency gave you",
                        code="tx_code_wrong",
                    )
            if not offers.redeem(offer.ref, now=now):
                s.rollback()
                raise InvalidGrantError(
                    "this code was already used; ask the agency for a new offer", code="code_used"
                )
            access_token = issue_access_token(
                s,
                context,
                offer_ref=offer.ref,
                type_id=offer.type_id,
                subject=(offer.subject_kind, offer.subject_id),
                now=now,
                dpop_jkt=dpop_jkt,
            )
            s.commit()
        log.info("offer %s redeemed for an access token", offer.ref)
        return token_response(
            access_token,
            expires_in=context.settings.access_token_lifetime,
            token_type="DPoP" if dpop_jkt else "Bearer",
        )

    @staticmethod
    def _check_grant(offer: OfferRow, now: int) -> None:
        if offer.burned_at is not None:
            raise InvalidGrantError(
                "this offer was cancelled after too many wrong PINs; ask the agency for a new one",
                code="tx_code_attempts_exhausted",
            )
        if offer.redeemed_at is not None:
            raise InvalidGrantError(
                "this code was already used; ask the agency for a new offer", code="code_used"
            )
        if offer.expires_at <= now:
            raise InvalidGrantError(
                "this offer has expired; ask the agency for a new one", code="code_expired"
            )

    def _spent(self, ref: str) -> InvalidGrantError:
        with self.context.session() as s:
            offer = Offers(s).get(ref)
        if offer is not None:
            self._check_grant(offer, self.context.clock())
        return InvalidGrantError(
            "the PIN was wrong too many times; this offer is cancelled, ask the agency for a "
            "new one",
            code="tx_code_attempts_exhausted",
        )

    # --- nonce endpoint -----------------------------------------------------------------

    def new_nonce(self) -> str:
        """OpenID4VCI §7: a fresh, single-use, expiring c_nonce."""
        context = self.context
        now = context.clock()
        nonce = new_secret(context.random_bytes)
        with context.session(write=True) as s:
            nonces = Nonces(s)
            nonces.add(lookup_hash(nonce), expires_at=now + context.settings.nonce_lifetime)
            if context.randbelow(64) == 0:  # housekeeping, amortised over requests
                nonces.purge(before=now - 60)
            s.commit()
        return nonce
