"""The issuer's signing keys as stored state: the one active key that signs (with its X.509
certificate chain when it has one), adding, certifying and rotating keys (each in the caller's
unit of work), and the published JWKS, recomputed at most every :data:`JWKS_CACHE_SECONDS`
(which keys stay published is :func:`issuer.signing.published_keys`).

Certificates (HAIP 1.0 §6.1.1): a key's chain lives in ``issuer_signing_certificate`` and goes
into the ``x5c`` header of everything the key signs. Once the issuer signs with certificates
(``x509_required``, a configured chain, or an active key that has one), a new key needs its
certificate **before** it signs: :meth:`SigningKeys.rotate` without a chain is refused
(``certificate_required``), and the two-step way is :meth:`SigningKeys.prepare` (a new private
key, not yet used; its public key goes to the certificate authority) then
:meth:`SigningKeys.rotate` with the chain the authority issued for it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from sqlmodel import Session

from credentials.x509 import SigningChain, TrustAnchor
from did.errors import KeyFormatError
from did.keys import PrivateKey, PublicKey
from issuer.certificates import check_issuer_chain, read_anchors, read_chain
from issuer.context import IssuerContext
from issuer.errors import ConfigurationError, ConflictError, InvalidRequestError, NotFoundError
from issuer.signing import jwk_entry, published_keys
from issuer.storage.models import SigningCertificateRow, SigningKeyRow
from issuer.storage.repos import Certificates, Credentials, Keys, StatusLists

__all__ = ["JWKS_CACHE_SECONDS", "Signer", "SigningKeys"]

log = logging.getLogger(__name__)

JWKS_CACHE_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Signer:
    """What signs now: the active key, its ``kid`` and its ``x5c`` (``None``: no certificate)."""

    kid: str
    key: PrivateKey
    x5c: tuple[str, ...] | None = None


class SigningKeys:
    """The active signing key, its certificate, key rotation, and the published keys."""

    def __init__(self, context: IssuerContext) -> None:
        self.context = context
        self._jwks_cache: tuple[int, list[dict[str, Any]]] | None = None
        self._anchors: tuple[TrustAnchor, ...] | None = None

    # --- certificates ------------------------------------------------------------------------

    @property
    def anchors(self) -> tuple[TrustAnchor, ...]:
        """The roots the issuer validates its own chains against (settings; may be none)."""
        if self._anchors is None:
            self._anchors = read_anchors(self.context.settings.x509_anchor_files)
        return self._anchors

    def check_chain(self, certificates: Sequence[x509.Certificate], key: PublicKey) -> SigningChain:
        settings = self.context.settings
        return check_issuer_chain(
            certificates,
            key,
            issuer_url=self.context.issuer_url,
            now=self.context.clock(),
            anchors=self.anchors,
            development=settings.mode == "development",
        )

    def _certified(self, s: Session) -> bool:
        """Whether the issuer signs with certificates (so a new key needs one)."""
        settings = self.context.settings
        if settings.x509_required or settings.x509_chain_file is not None:
            return True
        active = Keys(s).active()
        return active is not None and Certificates(s).get(active.kid) is not None

    def _attach(self, s: Session, kid: str, chain: SigningChain, *, now: int) -> None:
        x5c = json.dumps(chain.x5c)
        stored = Certificates(s).get(kid)
        if stored is not None and stored.x5c == x5c:
            return  # the same chain again (a restart with the same settings)
        Certificates(s).put(kid, x5c=x5c, not_after=chain.not_after, now=now)
        # Status list tokens are re-signed with the new x5c at their next fetch.
        StatusLists(s).forget_tokens()

    def certify(self, s: Session, certificates: Sequence[x509.Certificate], *, now: int) -> str:
        """Attach a (new or renewed) certificate chain to the key it certifies, which must be
        the active key or a key that still signs nothing (in ``s``); returns the key's kid.
        Call :meth:`changed` once ``s`` has committed."""
        if not certificates:
            raise InvalidRequestError("the certificate chain is empty", code="x5c_malformed")
        Keys(s).lock_for_change()
        kid = PublicKey.from_crypto(certificates[0].public_key()).thumbprint()  # type: ignore[arg-type]
        row = next((r for r in Keys(s).all() if r.kid == kid), None)
        if row is None:
            raise NotFoundError(
                f"the certificate is for key {kid}, which this issuer does not sign with; "
                "for a new key use keys rotate --chain",
                code="unknown_signing_key",
            )
        if row.retired_at is not None:
            raise ConflictError(
                f"key {kid} was retired and signs nothing more; its certificate is not needed",
                code="signing_key_retired",
            )
        chain = self.check_chain(certificates, self.context.keys.load(kid).public_key)
        self._attach(s, kid, chain, now=now)
        return kid

    # --- keys ----------------------------------------------------------------------------------

    def ensure_active(self) -> None:
        """At start-up: a first signing key when there is none, and the configured certificate
        (``x509_chain_file``) attached to its key (imported from ``x509_key_file``, or prepared
        before with :meth:`prepare`), which becomes the active key if it is new."""
        settings = self.context.settings
        with self.context.session(write=True) as s:
            now = self.context.clock()
            if settings.x509_chain_file is not None:
                self._configured_certificate(s, now=now)
            elif Keys(s).active() is None:
                key = self.context.keys.create(settings.signing_alg)
                self.add(s, key, now=now)
            s.commit()
        self.changed(())

    def _configured_certificate(self, s: Session, *, now: int) -> None:
        settings = self.context.settings
        assert settings.x509_chain_file is not None
        certificates = read_chain(settings.x509_chain_file)
        if not certificates:
            raise ConfigurationError(
                f"{settings.x509_chain_file} holds no certificate",
                code="signing_certificate_invalid",
            )
        kid = PublicKey.from_crypto(certificates[0].public_key()).thumbprint()  # type: ignore[arg-type]
        if settings.x509_key_file is not None and not self.context.keys.has(kid):
            try:
                key = PrivateKey.load(settings.x509_key_file)
            except (KeyFormatError, OSError) as exc:
                raise ConfigurationError(
                    f"cannot load the signing key {settings.x509_key_file}: {exc}",
                    code="signing_key_unavailable",
                ) from exc
            if key.public_key.thumbprint() != kid:
                raise ConfigurationError(
                    f"{settings.x509_key_file} is not the key of the certificate in "
                    f"{settings.x509_chain_file}",
                    code="signing_certificate_invalid",
                )
            self.context.keys.store(key)
            log.info("imported signing key %s from %s", kid, settings.x509_key_file)
        rows = {row.kid: row for row in Keys(s).all()}
        try:
            if kid in rows and rows[kid].retired_at is not None:
                log.warning(
                    "the configured certificate is for retired key %s; the active key keeps "
                    "signing (update DRUKID_ISSUER_X509_CHAIN_FILE)",
                    kid,
                )
                return
            if kid in rows:
                self.certify(s, certificates, now=now)
                return
            if not self.context.keys.has(kid):
                raise ConfigurationError(
                    f"the certificate in {settings.x509_chain_file} is for key {kid}, which this "
                    "issuer does not have: set DRUKID_ISSUER_X509_KEY_FILE to its key file, or "
                    "issue a certificate for a key made with `drukid issuer keys prepare`",
                    code="signing_certificate_invalid",
                )
            _kid, retired = self._rotate_to(s, kid, certificates, now=now)
        except InvalidRequestError as exc:
            raise ConfigurationError(
                f"{settings.x509_chain_file}: {exc.message}", code="signing_certificate_invalid"
            ) from exc
        for old in retired:
            self.context.keys.destroy(old)
        log.info("signing with the configured certificate's key %s", kid)

    def add(self, s: Session, key: PrivateKey, *, now: int) -> str:
        kid = key.public_key.thumbprint()
        Keys(s).add(
            SigningKeyRow(
                kid=kid,
                alg=key.alg,
                public_jwk=json.dumps(jwk_entry(key.public_key)),
                created_at=now,
            )
        )
        return kid

    def active(self, s: Session) -> tuple[str, PrivateKey]:
        """The ``kid`` and private key that sign everything from now on."""
        row = Keys(s).active()
        if row is None:
            raise ConfigurationError("the issuer has no signing key", code="no_signing_key")
        return row.kid, self.context.keys.load(row.kid)

    def signer(self, s: Session) -> Signer:
        """The active key with its certificate chain; refuses to sign with an expired
        certificate (every wallet would refuse the result) or, when certificates are required,
        without one."""
        kid, key = self.active(s)
        row = Certificates(s).get(kid)
        if row is None:
            if self._certified(s):
                raise ConfigurationError(
                    f"the signing key {kid} has no certificate and this issuer signs only with "
                    "certificates; attach it with `drukid issuer keys certify --chain FILE`",
                    code="signing_certificate_missing",
                )
            return Signer(kid, key)
        if self.context.clock() > row.not_after:
            raise ConfigurationError(
                f"the certificate of signing key {kid} has expired; rotate to a key with a "
                "current certificate (drukid issuer keys prepare, then keys rotate --chain)",
                code="signing_certificate_expired",
            )
        return Signer(kid, key, tuple(json.loads(row.x5c)))

    def prepare(self, alg: str) -> PublicKey:
        """A new private key that signs nothing until :meth:`rotate` activates it with its
        certificate; its public key is what the certificate authority certifies."""
        key = self.context.keys.create(alg)
        log.info(
            "prepared signing key %s (waiting for its certificate)", key.public_key.thumbprint()
        )
        return key.public_key

    def rotate(
        self,
        s: Session,
        alg: str,
        *,
        now: int,
        certificates: Sequence[x509.Certificate] | None = None,
    ) -> tuple[str, list[str]]:
        """A new active key (in ``s``); returns its ``kid`` and the ``kid`` of each key it
        retired. With ``certificates``, the new key is the one they certify (made before with
        :meth:`prepare`, or imported); without, a fresh key, which is refused once the issuer
        signs with certificates (``certificate_required``). Call :meth:`rotated` once ``s`` has
        committed. Exactly one key is active afterwards, however many workers rotate at once
        (:meth:`Keys.lock_for_change`)."""
        Keys(s).lock_for_change()
        if certificates:
            kid = PublicKey.from_crypto(certificates[0].public_key()).thumbprint()  # type: ignore[arg-type]
            if not self.context.keys.has(kid):
                raise NotFoundError(
                    f"the certificate is for key {kid}, whose private key this issuer does not "
                    "have; make the key with `drukid issuer keys prepare` and have the "
                    "certificate issued for it",
                    code="unknown_signing_key",
                )
            if any(row.kid == kid for row in Keys(s).all()):
                raise ConflictError(
                    f"key {kid} has signed before; a rotation needs a new key",
                    code="signing_key_reused",
                )
            return self._rotate_to(s, kid, certificates, now=now)
        if self._certified(s):
            raise InvalidRequestError(
                "this issuer signs with certificates, so a new key needs its certificate before "
                "it signs: run `drukid issuer keys prepare`, have the authority certify the key, "
                "then `drukid issuer keys rotate --chain FILE`",
                code="certificate_required",
            )
        kid = self.add(s, self.context.keys.create(alg), now=now)
        s.flush()
        return kid, Keys(s).retire_all_except(kid, now=now)

    def _rotate_to(
        self, s: Session, kid: str, certificates: Sequence[x509.Certificate], *, now: int
    ) -> tuple[str, list[str]]:
        key = self.context.keys.load(kid)
        chain = self.check_chain(certificates, key.public_key)
        self.add(s, key, now=now)
        s.flush()
        self._attach(s, kid, chain, now=now)
        return kid, Keys(s).retire_all_except(kid, now=now)

    def rotated(self, retired: Sequence[str]) -> None:
        """After a committed rotation: publish the new key at once, and delete the retired
        keys' private files (they never sign again, so they need not exist to be stolen)."""
        self.changed(retired)

    def changed(self, retired: Sequence[str]) -> None:
        """After a committed change of keys or certificates: republish at once, and delete the
        private files of ``retired`` keys."""
        self._jwks_cache = None
        for kid in retired:
            self.context.keys.destroy(kid)

    def rows(self) -> Sequence[SigningKeyRow]:
        with self.context.session() as s:
            return Keys(s).all()

    def certificates(self) -> dict[str, SigningCertificateRow]:
        with self.context.session() as s:
            return {row.kid: row for row in Certificates(s).all()}

    def jwks(self) -> list[dict[str, Any]]:
        """The published keys, recomputed at most every :data:`JWKS_CACHE_SECONDS` (the
        retired-key check scans credential expiries) and at once when the active key changed,
        also when another worker process rotated it. A certified key carries its chain in the
        JWK's ``x5c`` (RFC 7517 §4.7), so JWT VC Issuer Metadata says what ``x5c`` says."""
        now = self.context.clock()
        with self.context.session() as s:
            active = Keys(s).active()
            cached = self._jwks_cache
            if (
                cached is not None
                and cached[0] > now
                and active is not None
                and [{k: v for k, v in jwk.items() if k != "x5c"} for jwk in cached[1][:1]]
                == [json.loads(active.public_jwk)]
            ):
                return cached[1]
            rows = Keys(s).all()
            latest = Credentials(s).latest_expiry_by_kid()
            chains = {row.kid: json.loads(row.x5c) for row in Certificates(s).all()}
        kids = set(
            published_keys(
                [(r.kid, r.public_jwk, r.retired_at) for r in rows],
                latest,
                now=now,
                token_lifetime=self.context.settings.status_list_lifetime,
            )
        )
        # Newest first: a verifier that tries keys in order hits the active one first.
        keys = []
        for row in reversed(rows):
            if row.kid in kids:
                jwk = json.loads(row.public_jwk)
                if row.kid in chains:
                    jwk["x5c"] = chains[row.kid]
                keys.append(jwk)
        self._jwks_cache = (now + JWKS_CACHE_SECONDS, keys)
        return keys
