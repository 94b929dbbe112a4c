"""The issuer's unit of work for every OpenID4VCI operation (pre-authorized code flow).

Each public method is one operation: it reads what it needs, calls the pure spec modules
(:mod:`issuer.oid4vci`, :mod:`issuer.claims`, :mod:`issuer.status`), writes in one transaction
and commits. Single-use state (codes, tx_code attempts, nonces, access token uses) changes only
through conditional updates (see :mod:`issuer.storage.repos`), so concurrent requests cannot
both win. Time and randomness are injected; nothing here logs a secret — offers are logged by
their public reference, credentials by id, keys by thumbprint.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from credentials.sd_jwt_vc import issue_sd_jwt_vc
from credentials.status_list import create_status_list_token
from did.keys import ALGORITHMS, PrivateKey, PublicKey
from did.methods.web import create_did_web_document, did_web_from_url
from issuer.claims import build_claims, present_sd_paths
from issuer.errors import (
    ConfigurationError,
    CredentialRequestDeniedError,
    InsufficientScopeError,
    InvalidGrantError,
    InvalidNonceError,
    InvalidNotificationIdError,
    InvalidRequestError,
    InvalidTokenError,
    IssuerError,
    NotFoundError,
    OfferGoneError,
    OfferNotFoundError,
    TemporarilyUnavailableError,
    UnknownCredentialConfigurationError,
)
from issuer.oid4vci.credential import credential_response, parse_credential_request
from issuer.oid4vci.notification import parse_notification_request
from issuer.oid4vci.offer import (
    create_credential_offer,
    lookup_hash,
    new_secret,
    offer_uri,
    offer_url,
    pre_authorized_code_for,
    tx_code_matches,
)
from issuer.oid4vci.proof import KidResolver, verify_proofs
from issuer.oid4vci.token import parse_token_request, token_response
from issuer.registry import Business, Person
from issuer.settings import IssuerSettings
from issuer.signing import KeyStore, jwk_entry, published_keys
from issuer.status import BITS, build_status_list, choose_index, needs_resign
from issuer.storage.models import (
    AccessTokenRow,
    CredentialRow,
    OfferRow,
    SigningKeyRow,
    StatusListRow,
    create_schema,
)
from issuer.storage.repos import (
    Credentials,
    Keys,
    Nonces,
    Offers,
    Registry,
    StatusLists,
    Tokens,
)
from issuer.types import CredentialType

__all__ = ["IssuerService", "Records", "system_clock"]

log = logging.getLogger(__name__)

_OFFER_ID_LENGTH = 43  # 32 random bytes, base64url
_ALLOCATION_RETRIES = 8
_DAY = 86400
_JWKS_CACHE = 30


def system_clock() -> int:
    return int(datetime.now(UTC).timestamp())


@dataclass(frozen=True, slots=True)
class Records:
    """The registry records one credential is made from."""

    person: Person | None = None
    business: Business | None = None
    owner: Person | None = None


@dataclass
class IssuerService:
    """Everything an operation needs, built once by the app's lifespan (or the local CLI)."""

    settings: IssuerSettings
    engine: Engine
    keys: KeyStore
    types: dict[str, CredentialType]
    clock: Callable[[], int] = system_clock
    random_bytes: Callable[[int], bytes] = secrets.token_bytes
    randbelow: Callable[[int], int] = secrets.randbelow
    resolve_kid: KidResolver | None = None
    proof_algorithms: tuple[str, ...] = ALGORITHMS
    _ready: bool = field(default=False, repr=False)
    _write_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _jwks_cache: tuple[int, list[dict[str, Any]]] | None = field(default=None, repr=False)

    @property
    def issuer_url(self) -> str:
        return self.settings.public_url

    @contextmanager
    def session(self, *, write: bool = False) -> Iterator[Session]:
        """One unit of work. ``write=True`` on SQLite also takes a process-wide lock: SQLite has
        one writer at a time anyway, and queueing here avoids its busy-wait back-off (sleeps of
        up to 100 ms) when many requests write at once. PostgreSQL needs no such lock."""
        lock = self._write_lock if write and self.engine.dialect.name == "sqlite" else nullcontext()
        with lock, Session(self.engine, expire_on_commit=False) as session:
            yield session

    # --- start-up -----------------------------------------------------------------------

    def prepare(self) -> None:
        """Create the schema, make sure a signing key exists, seed demo data when asked."""
        # Keys, the SQLite database and its journal hold secrets and personal data.
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings.data_dir.chmod(0o700)
        create_schema(self.engine)
        now = self.clock()
        with self.session() as s:
            if Keys(s).active() is None:
                key = self.keys.create(self.settings.signing_alg)
                self._add_key(s, key, now)
                s.commit()
        if self.settings.seed_demo:
            from issuer.registry import demo_businesses, demo_people

            with self.session() as s:
                registry = Registry(s)
                if registry.count_people() == 0:
                    for person in demo_people():
                        registry.put_person(person.cid, person.full_name, _dump(person), now)
                    for business in demo_businesses():
                        registry.put_business(
                            business.licence_number,
                            business.owner_cid,
                            business.business_name,
                            _dump(business),
                            now,
                        )
                    s.commit()
                    log.info("seeded the registry with demo people and businesses")
        self._ready = True

    @staticmethod
    def _add_key(s: Session, key: PrivateKey, now: int) -> str:
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

    def active_key(self, s: Session) -> tuple[str, PrivateKey]:
        row = Keys(s).active()
        if row is None:
            raise ConfigurationError("the issuer has no signing key", code="no_signing_key")
        return row.kid, self.keys.load(row.kid)

    # --- discovery ----------------------------------------------------------------------

    def jwks(self) -> list[dict[str, Any]]:
        """The published keys, recomputed at most every :data:`_JWKS_CACHE` seconds (the
        retired-key check scans credential expiries) and at once when the active key changed,
        also when another worker process rotated it."""
        now = self.clock()
        with self.session() as s:
            active = Keys(s).active()
            cached = self._jwks_cache
            if (
                cached is not None
                and cached[0] > now
                and active is not None
                and cached[1][:1] == [json.loads(active.public_jwk)]
            ):
                return cached[1]
            rows = Keys(s).all()
            latest = Credentials(s).latest_expiry_by_kid()
        kids = set(
            published_keys(
                [(r.kid, r.public_jwk, r.retired_at) for r in rows],
                latest,
                now=now,
                token_lifetime=self.settings.status_list_lifetime,
            )
        )
        # Newest first: a verifier that tries keys in order hits the active one first.
        keys = [json.loads(r.public_jwk) for r in reversed(rows) if r.kid in kids]
        self._jwks_cache = (now + _JWKS_CACHE, keys)
        return keys

    def forget_jwks(self) -> None:
        self._jwks_cache = None

    def did_document(self) -> dict[str, object]:
        did = did_web_from_url(self.issuer_url)
        keys = [(jwk["kid"], PublicKey.from_jwk(jwk)) for jwk in self.jwks()]
        return create_did_web_document(did, keys)

    def type_metadata(self, type_id: str) -> dict[str, Any]:
        ctype = self.types.get(type_id)
        if ctype is None:
            raise NotFoundError(f"there is no credential type {type_id!r}", code="unknown_type")
        return ctype.type_metadata(self.issuer_url)

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
        now = self.clock()
        with self.session() as s:
            offer = self._live_offer(s, offer_id, now)
        return create_credential_offer(
            issuer=self.issuer_url,
            configuration_ids=[offer.type_id],
            pre_authorized_code=pre_authorized_code_for(offer_id),
            tx_code_length=offer.tx_code_length if offer.tx_code_hash else None,
        )

    def offer_link(self, offer_id: str) -> str:
        """The ``openid-credential-offer://`` link for a live offer (QR code content)."""
        with self.session() as s:
            self._live_offer(s, offer_id, self.clock())
        return offer_uri(offer_url(self.issuer_url, offer_id))

    # --- token endpoint -----------------------------------------------------------------

    def exchange_token(self, pairs: Sequence[tuple[str, Any]]) -> dict[str, Any]:
        """OpenID4VCI §6: pre-authorized code (+ tx_code) → access token."""
        request = parse_token_request(pairs)
        now = self.clock()
        max_attempts = self.settings.tx_code_max_attempts
        with self.session(write=True) as s:
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
                    refreshed = s.get(OfferRow, offer.ref, populate_existing=True)
                    left = max_attempts - (refreshed.tx_attempts if refreshed else max_attempts)
                    log.warning("wrong tx_code for offer %s (%d attempts left)", offer.ref, left)
                    if burned or left <= 0:
                        raise InvalidGrantError(
                            "the PIN was wrong too many times; this offer is cancelled, ask the "
                            "agency for a new one",
                            code="tx_code_attempts_exhausted",
                        )
                    raise InvalidGrantError(
                        f"the PIN is wrong; {left} attempt(s) left", code="tx_code_wrong"
                    )
            if not offers.redeem(offer.ref, now=now):
                s.rollback()
                raise InvalidGrantError(
                    "this code was already used; ask the agency for a new offer", code="code_used"
                )
            access_token = new_secret(self.random_bytes)
            Tokens(s).add(
                AccessTokenRow(
                    token_hash=lookup_hash(access_token),
                    offer_ref=offer.ref,
                    type_id=offer.type_id,
                    subject_kind=offer.subject_kind,
                    subject_id=offer.subject_id,
                    created_at=now,
                    expires_at=now + self.settings.access_token_lifetime,
                )
            )
            s.commit()
        log.info("offer %s redeemed for an access token", offer.ref)
        return token_response(access_token, expires_in=self.settings.access_token_lifetime)

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
        with self.session() as s:
            offer = s.get(OfferRow, ref)
        if offer is not None:
            self._check_grant(offer, self.clock())
        return InvalidGrantError(
            "the PIN was wrong too many times; this offer is cancelled, ask the agency for a "
            "new one",
            code="tx_code_attempts_exhausted",
        )

    # --- nonce endpoint -----------------------------------------------------------------

    def new_nonce(self) -> str:
        """OpenID4VCI §7: a fresh, single-use, expiring c_nonce."""
        now = self.clock()
        nonce = new_secret(self.random_bytes)
        with self.session(write=True) as s:
            nonces = Nonces(s)
            nonces.add(lookup_hash(nonce), expires_at=now + self.settings.nonce_lifetime)
            if self.randbelow(64) == 0:  # housekeeping, amortised over requests
                nonces.purge(before=now - 60)
            s.commit()
        return nonce

    # --- credential endpoint ------------------------------------------------------------

    def _access(self, s: Session, access_token: str | None, now: int) -> AccessTokenRow:
        if not access_token:
            raise InvalidTokenError(
                "send the access token from the token endpoint as 'Authorization: Bearer ...'",
                code="missing_token",
            )
        row = Tokens(s).get(lookup_hash(access_token))
        if row is None:
            raise InvalidTokenError("the access token is not valid", code="unknown_token")
        if row.expires_at <= now:
            raise InvalidTokenError(
                "the access token has expired; start again from the offer", code="token_expired"
            )
        return row

    def records_for(self, s: Session, subject_kind: str, subject_id: str) -> Records:
        registry = Registry(s)
        if subject_kind == "person":
            row = registry.person(subject_id)
            if row is None:
                raise NotFoundError(
                    f"no person with CID {subject_id} is in the registry", code="unknown_person"
                )
            return Records(person=Person.model_validate_json(row.data))
        business_row = registry.business(subject_id)
        if business_row is None:
            raise NotFoundError(
                f"no business with licence {subject_id} is in the registry",
                code="unknown_business",
            )
        business = Business.model_validate_json(business_row.data)
        owner_row = registry.person(business.owner_cid)
        if owner_row is None:
            raise NotFoundError(
                f"the owner {business.owner_cid} of {subject_id} is not in the registry",
                code="unknown_person",
            )
        return Records(business=business, owner=Person.model_validate_json(owner_row.data))

    def issue_credentials(self, access_token: str | None, body: Any) -> dict[str, Any]:
        """OpenID4VCI §8: verify the key proofs, then sign one credential per proof key."""
        now = self.clock()
        with self.session() as s:
            token = self._access(s, access_token, now)
            try:
                records = self.records_for(s, token.subject_kind, token.subject_id)
            except NotFoundError as exc:
                missing: NotFoundError | None = exc
            else:
                missing = None
        request = parse_credential_request(body, batch_size=self.settings.batch_size)
        if request.configuration_id not in self.types:
            raise UnknownCredentialConfigurationError(
                f"this issuer has no credential configuration {request.configuration_id!r}"
            )
        if request.configuration_id != token.type_id:
            raise InsufficientScopeError(
                f"this access token is for {token.type_id}, not {request.configuration_id}"
            )
        proofs = verify_proofs(
            request.proofs,
            audience=self.issuer_url,
            now=now,
            algorithms=self.proof_algorithms,
            max_age=self.settings.proof_max_age,
            leeway=self.settings.clock_leeway,
            resolve_kid=self.resolve_kid,
        )
        ctype = self.types[token.type_id]
        if missing is not None:
            raise CredentialRequestDeniedError(
                f"the agency can no longer issue this credential: {missing.message}",
                code="record_missing",
            ) from missing
        claims = build_claims(
            ctype,
            today=datetime.fromtimestamp(now, UTC).date(),
            person=records.person,
            business=records.business,
            owner=records.owner,
        )
        sd_paths = present_sd_paths(ctype, claims)
        expires_at = self.expiry_for(ctype, claims, now)
        holder_keys = [proof.key for proof in proofs]
        nonce_hash = lookup_hash(proofs[0].nonce)
        for _attempt in range(_ALLOCATION_RETRIES):
            try:
                issued, notification_id = self._issue_once(
                    token, ctype, claims, sd_paths, holder_keys, nonce_hash, now, expires_at
                )
            except IntegrityError:
                # A status index drawn at the same instant by another request hit the unique
                # constraint: nothing was committed, the nonce is still unused, so the whole
                # unit of work runs again with fresh draws.
                log.info("status index clash; retrying issuance")
                continue
            return credential_response(issued, notification_id=notification_id)
        raise TemporarilyUnavailableError("the issuer is busy; try again in a moment")

    def expiry_for(self, ctype: CredentialType, claims: dict[str, Any], now: int) -> int:
        """When a credential issued ``now`` expires, rounded down to a UTC day boundary."""
        expires_at = now + ctype.validity_days * _DAY
        valid_until = claims.get("valid_until")
        if isinstance(valid_until, str):
            # A licence credential must not outlive the licence it describes.
            end = datetime.combine(date.fromisoformat(valid_until), datetime.max.time(), UTC)
            expires_at = min(expires_at, int(end.timestamp()))
        expires_at -= expires_at % _DAY
        if expires_at <= now:
            raise CredentialRequestDeniedError(
                "the registry record has already expired; renew it before issuing",
                code="record_expired",
            )
        return expires_at

    def _issue_once(
        self,
        token: AccessTokenRow,
        ctype: CredentialType,
        claims: dict[str, Any],
        sd_paths: list[tuple[str, ...]],
        holder_keys: list[PublicKey],
        nonce_hash: str,
        now: int,
        expires_at: int,
    ) -> tuple[list[str], str]:
        with self.session(write=True) as s:
            # Token use first: it is the row every retry of this wallet contends on.
            if not Tokens(s).use(
                token.token_hash, max_requests=self.settings.max_credential_requests, now=now
            ):
                raise InvalidTokenError(
                    "this access token was used up or expired; start again from the offer",
                    code="token_used",
                )
            if not Nonces(s).consume(nonce_hash, now=now):
                raise InvalidNonceError(
                    "the c_nonce is unknown, used or expired; get a fresh one from the nonce "
                    "endpoint and sign new proofs"
                )
            kid, key = self.active_key(s)
            notification_id = new_secret(self.random_bytes)
            issued: list[str] = []
            refs: list[tuple[str, int, str]] = []
            for holder_key in holder_keys:
                list_id, idx = self._allocate(s, now)
                credential_id = "cred_" + self.random_bytes(12).hex()
                sd_jwt = issue_sd_jwt_vc(
                    claims,
                    key,
                    iss=self.issuer_url,
                    vct=ctype.vct(self.issuer_url),
                    # Day granularity: an exact second shared by batch copies (or unique to one
                    # citizen) would let verifiers link presentations; a day is shared by many.
                    iat=now - now % _DAY,
                    exp=expires_at,
                    sd_paths=sd_paths,
                    holder_key=holder_key,
                    status={
                        "status_list": {"idx": idx, "uri": f"{self.issuer_url}/status/{list_id}"}
                    },
                    kid=kid,
                    decoys=3,
                    random_bytes=self.random_bytes,
                )
                Credentials(s).add(
                    CredentialRow(
                        id=credential_id,
                        type_id=ctype.id,
                        subject_kind=token.subject_kind,
                        subject_id=token.subject_id,
                        offer_ref=token.offer_ref,
                        kid=kid,
                        holder_thumbprint=holder_key.thumbprint(),
                        status_list_id=list_id,
                        status_idx=idx,
                        issued_at=now,
                        expires_at=expires_at,
                        notification_id=notification_id,
                    )
                )
                s.flush()  # the unique (list, index) constraint is checked here, in this try
                issued.append(sd_jwt.serialize())
                refs.append((credential_id, idx, holder_key.thumbprint()))
            s.commit()
        for credential_id, _idx, thumbprint in refs:
            log.info(
                "issued %s %s (offer %s, key %s, holder %s)",
                ctype.id,
                credential_id,
                token.offer_ref,
                kid,
                thumbprint,
            )
        return issued, notification_id

    def _allocate(self, s: Session, now: int) -> tuple[str, int]:
        lists = StatusLists(s)
        for _ in range(4):
            row = lists.newest_open()
            if row is None:
                row = StatusListRow(
                    id=self.random_bytes(8).hex(),
                    size=self.settings.status_list_size,
                    bits=BITS,
                    created_at=now,
                )
                lists.add(row)
                s.flush()
                log.info("opened status list %s (%d entries)", row.id, row.size)
            list_id = row.id
            idx = choose_index(
                row.size, partial(lists.index_taken, list_id), randbelow=self.randbelow
            )
            if idx is not None:
                return list_id, idx
            lists.close(list_id)
            log.info("closed status list %s: it is nearly full", list_id)
        raise IssuerError("no status list entry could be allocated", code="status_list_full")

    # --- notification endpoint ---------------------------------------------------------

    def notify(self, access_token: str | None, body: Any) -> None:
        """OpenID4VCI §11: record the wallet's event; identical repeats succeed."""
        now = self.clock()
        with self.session(write=True) as s:
            token = self._access(s, access_token, now)
            request = parse_notification_request(body)
            credentials = Credentials(s)
            rows = credentials.by_notification(request.notification_id)
            if not rows or any(row.offer_ref != token.offer_ref for row in rows):
                raise InvalidNotificationIdError("the notification_id is not known for this token")
            credentials.notify(request.notification_id, event=request.event, now=now)
            s.commit()
        log.info("wallet notification %s for offer %s", request.event, token.offer_ref)

    # --- status lists -------------------------------------------------------------------

    def status_list_token(self, list_id: str) -> str:
        """The signed ``statuslist+jwt`` for a list, re-signed only when needed."""
        now = self.clock()
        if not list_id.isalnum() or len(list_id) > 32:
            raise NotFoundError("there is no such status list", code="unknown_status_list")
        with self.session() as s:
            lists = StatusLists(s)
            row = lists.get(list_id)
            if row is None:
                raise NotFoundError("there is no such status list", code="unknown_status_list")
            kid, key = self.active_key(s)
            ttl = self.settings.status_list_ttl
            if (
                not needs_resign(
                    token=row.token,
                    token_version=row.token_version,
                    version=row.version,
                    token_kid=row.token_kid,
                    active_kid=kid,
                    token_exp=row.token_exp,
                    now=now,
                    ttl=ttl,
                )
                and row.token is not None
            ):
                return row.token
            version = row.version
            status_list = build_status_list(row.size, lists.entries(list_id), bits=row.bits)
            exp = now + self.settings.status_list_lifetime
            token = create_status_list_token(
                status_list,
                uri=f"{self.issuer_url}/status/{list_id}",
                key=key,
                iat=now,
                exp=exp,
                ttl=ttl,
                kid=kid,
                iss=self.issuer_url,
            )
            lists.store_token(list_id, token=token, version=version, kid=kid, exp=exp)
            s.commit()
        return token


_NO_OFFER = "there is no such offer; check the link or ask the agency for a new QR code"


def _dump(record: Person | Business) -> str:
    return record.model_dump_json()
