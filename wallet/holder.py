"""The wallet facade: one object a command line or a web page drives.

    wallet = Wallet.open(path, passphrase, settings=settings)
    offer = wallet.load_offer(link_or_qr)          # ask for offer.tx_code if it is set
    wallet.receive(offer, tx_code=code)            # verified, then stored in one transaction
    session = wallet.prepare_presentation(link_or_qr)
    show(session.consent)                          # plain words: who, why, what, warnings
    wallet.approve(session) or wallet.refuse(session)
    wallet.check_status()                          # revoked? suspended? kept with "as of"

Time (``clock``), randomness (``random_bytes``) and the network (``network``, a factory of
:class:`did.fetch.Fetcher`, one per operation) are passed in, so every flow runs in tests
against in-process test doubles and over loopback sockets alike.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from credentials.clock import system_time
from credentials.dcql import DCQLQuery, DCQLResult
from credentials.errors import CredentialError
from credentials.sd_jwt import decode_sd_jwt
from credentials.status_check import StatusChecker, StatusOutcome
from credentials.status_list import STATUS_LIST_MEDIA_TYPE, StatusReference
from did.fetch import Fetcher
from did.files import atomic_write
from did.keys import PrivateKey
from servicekit.qr import QRDecodeError, decode_qr_image
from wallet.backup import BackupContents, open_backup, read_backup, seal_backup
from wallet.consent import ConsentSummary, CredentialShare, Verifier, share_for, summarize
from wallet.errors import BackupError, NetworkError, PresentError, ReceiveError, StorageError
from wallet.history import HistoryEntry, SharedCredential
from wallet.network import NOT_SENT_CODES
from wallet.oid4vci.client import IssuanceClient
from wallet.oid4vci.credential import ReceivedCredential
from wallet.oid4vci.offer import CredentialOffer
from wallet.oid4vp.client import PresentationClient
from wallet.oid4vp.matching import Matcher, best_match, choose_copy, mark_shown
from wallet.oid4vp.request import AuthorizationRequest
from wallet.oid4vp.response import PresentedCopy, SendResult, build_vp_token
from wallet.settings import WalletSettings
from wallet.status import StatusRecord, check_references, issuer_key_lookup, no_answer
from wallet.storage.catalog import (
    Catalog,
    CopySecret,
    CopyState,
    CredentialEntry,
    CredentialSecret,
    index_claims,
)
from wallet.storage.store import WalletStore
from wallet.vault import DEFAULT_KDF, KDFParams
from wallet.views import CredentialView, describe_credential

__all__ = ["PresentationOutcome", "PresentationSession", "Wallet", "read_link"]

log = logging.getLogger(__name__)


def read_link(source: str | bytes, *, error: type[ReceiveError | PresentError]) -> str:
    """The text of a link, or of the QR code in an image (bytes, or a path to a PNG/JPEG)."""
    if isinstance(source, str) and "://" not in source and Path(source).is_file():
        image: str | bytes = source
    elif isinstance(source, bytes):
        image = source
    else:
        return source
    try:
        return decode_qr_image(image)[0]
    except QRDecodeError as exc:
        code = "offer_invalid" if error is ReceiveError else "request_invalid"
        raise error(exc.message, code=code) from exc


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


class Wallet:
    def __init__(
        self,
        store: WalletStore,
        *,
        settings: WalletSettings,
        network: Callable[[], Fetcher] | None = None,
        clock: Callable[[], int] = system_time,
        random_bytes: Callable[[int], bytes] = os.urandom,
        generate_key: Callable[[str], PrivateKey] = PrivateKey.generate,
    ) -> None:
        self._store = store
        self.settings = settings
        self._network = network or (lambda: Fetcher(settings.fetch_policy()))
        self._clock = clock
        self._random = random_bytes
        self._generate_key = generate_key
        self._matcher = Matcher()

    # --- lifecycle -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        passphrase: str,
        *,
        settings: WalletSettings | None = None,
        kdf: KDFParams = DEFAULT_KDF,
        network: Callable[[], Fetcher] | None = None,
        clock: Callable[[], int] = system_time,
        random_bytes: Callable[[int], bytes] = os.urandom,
        generate_key: Callable[[str], PrivateKey] = PrivateKey.generate,
    ) -> Wallet:
        """Create a new wallet file; ``wallet_exists`` if there is one already."""
        store = WalletStore.create(Path(path), passphrase, kdf=kdf, random_bytes=random_bytes)
        return cls(
            store,
            settings=settings or WalletSettings(),
            network=network,
            clock=clock,
            random_bytes=random_bytes,
            generate_key=generate_key,
        )

    @classmethod
    def open(
        cls,
        path: Path,
        passphrase: str,
        *,
        settings: WalletSettings | None = None,
        network: Callable[[], Fetcher] | None = None,
        clock: Callable[[], int] = system_time,
        random_bytes: Callable[[int], bytes] = os.urandom,
        generate_key: Callable[[str], PrivateKey] = PrivateKey.generate,
    ) -> Wallet:
        """Unlock a wallet; ``wrong_passphrase``, ``vault_corrupted``, ``wallet_not_found``."""
        store = WalletStore.open(Path(path), passphrase, random_bytes=random_bytes)
        return cls(
            store,
            settings=settings or WalletSettings(),
            network=network,
            clock=clock,
            random_bytes=random_bytes,
            generate_key=generate_key,
        )

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Wallet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def now(self) -> int:
        return self._clock()

    @property
    def path(self) -> Path:
        return self._store.path

    @property
    def catalog(self) -> Catalog:
        return self._store.catalog

    def _new_id(self) -> str:
        return self._random(9).hex()

    # --- credentials -----------------------------------------------------------------------

    def credentials(self, *, language: str | None = None) -> list[CredentialView]:
        lang = language or self.settings.language
        catalog = self.catalog
        entries = sorted(catalog.credentials.values(), key=lambda e: (e.received_at, e.id))
        return [describe_credential(catalog, e, lang) for e in entries]

    def credential(self, credential_id: str, *, language: str | None = None) -> CredentialView:
        return describe_credential(
            self.catalog, self._entry(credential_id), language or self.settings.language
        )

    def _entry(self, credential_id: str) -> CredentialEntry:
        entry = self.catalog.credentials.get(credential_id)
        if entry is None:
            matches = [i for i in self.catalog.credentials if i.startswith(credential_id)]
            if len(credential_id) >= 4 and len(matches) == 1:
                return self.catalog.credentials[matches[0]]
            raise StorageError(
                f"there is no credential {credential_id!r} in this wallet",
                code="credential_not_found",
            )
        return entry

    def delete(self, credential_id: str) -> None:
        """Remove a credential, its copies and their private keys, from the file itself."""
        entry = self._entry(credential_id)
        remaining = {k: v for k, v in self.catalog.credentials.items() if k != entry.id}
        self._store.commit(self.catalog.with_credentials(remaining), delete_credentials=[entry.id])

    # --- status of held credentials ----------------------------------------------------------

    def check_status(
        self, credential_id: str | None = None, *, language: str | None = None
    ) -> list[CredentialView]:
        """Ask each issuer now whether its credentials (all, or ``credential_id``) are still
        valid, and keep the answers with their "as of" time. Never raises for an unreachable
        issuer or a bad list: the record says so (see :mod:`wallet.status`)."""
        entries = (
            [self._entry(credential_id)]
            if credential_id is not None
            else list(self.catalog.credentials.values())
        )
        now = self._clock()
        records: dict[str, StatusRecord] = {}
        references: dict[str, list[StatusReference]] = {}
        for entry in entries:
            try:
                references[entry.id] = self._status_references(entry.id)
            except CredentialError as exc:  # this credential's own reference is unusable
                records[entry.id] = no_answer(entry.status, now, exc.code, refused=True)
        failed: dict[tuple[str, str], StatusOutcome] = {}
        with self._network() as fetcher:  # every request under the fetch policy's timeout
            checker = StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE))
            for entry in entries:
                if entry.id not in references:
                    continue
                records[entry.id] = check_references(
                    references[entry.id],
                    checker=checker,
                    key_for=issuer_key_lookup(fetcher, entry.iss),
                    iss=entry.iss,
                    now=now,
                    previous=entry.status,
                    failed=failed,
                )
        # Built from the catalog as it is now: a credential deleted meanwhile stays deleted.
        current = dict(self.catalog.credentials)
        for ident, record in records.items():
            if ident in current:
                current[ident] = replace(current[ident], status=record)
        self._store.commit(self.catalog.with_credentials(current))
        for ident, record in records.items():
            log.info("status of credential %s: %s (%s)", ident[:8], record.current, record.problem)
        lang = language or self.settings.language
        return [self.credential(e.id, language=lang) for e in entries if e.id in current]

    def _status_references(self, credential_id: str) -> list[StatusReference]:
        """Each copy's status reference (they sit in the sealed SD-JWTs, not in the index)."""
        found = []
        for copy in self._store.read_credential(credential_id).copies:
            # Raises CredentialError for a reference this version refuses (older wallets may
            # hold credentials received before references were checked on arrival).
            reference = StatusReference.from_claims(decode_sd_jwt(copy.sd_jwt).payload)
            if reference is not None:
                found.append(reference)
        return found

    # --- receiving -------------------------------------------------------------------------

    def load_offer(self, source: str | bytes) -> CredentialOffer:
        """Read an offer from a link or a QR image (fetching it when given by reference)."""
        text = read_link(source, error=ReceiveError)
        with self._network() as fetcher:
            return IssuanceClient(fetcher, clock=self._clock).load_offer(text)

    def receive(
        self,
        offer: CredentialOffer | str | bytes,
        *,
        tx_code: str | None = None,
        language: str | None = None,
    ) -> list[CredentialView]:
        """Receive, verify and store the offered credentials (all or nothing); describe them
        in ``language`` (default the settings')."""
        if not isinstance(offer, CredentialOffer):
            offer = self.load_offer(offer)
        with self._network() as fetcher:
            client = IssuanceClient(
                fetcher,
                clock=self._clock,
                copies=self.settings.copies,
                generate_key=self._generate_key,
                known_types=self.catalog.types,
            )
            received = client.receive(offer, tx_code=tx_code)
            ids = self._store_received(received)
            client.accepted(received)
        return [self.credential(ident, language=language) for ident in ids]

    def _store_received(self, received: Sequence[ReceivedCredential]) -> list[str]:
        catalog = self.catalog
        entries = dict(catalog.credentials)
        types = dict(catalog.types)
        secrets_: list[tuple[str, CredentialSecret]] = []
        ids = []
        now = self._clock()
        for item in received:
            ident = self._new_id()
            copies = tuple(
                CopySecret(self._new_id(), sd_jwt, key.to_jwk()) for sd_jwt, key in item.copies
            )
            entries[ident] = CredentialEntry(
                id=ident,
                vct=item.vct,
                iss=item.iss,
                configuration_id=item.configuration_id,
                claims=index_claims(item.claims),
                disclosable=item.disclosable,
                received_at=now,
                copies=tuple(CopyState(c.copy_id) for c in copies),
                issuer_names=item.issuer_names,
            )
            if item.type_metadata is not None:
                types[item.vct] = item.type_metadata
            secrets_.append((ident, CredentialSecret(copies)))
            ids.append(ident)
        self._store.commit(replace(catalog, credentials=entries, types=types), credentials=secrets_)
        return ids

    # --- presenting ------------------------------------------------------------------------

    def match(self, query: DCQLQuery) -> DCQLResult:
        """Evaluate a DCQL query over the stored, unexpired credentials (catalog only: no
        record is decrypted)."""
        return self._matcher.match(self.catalog, query, now=self._clock())

    def prepare_presentation(
        self, source: str | bytes, *, language: str | None = None
    ) -> PresentationSession:
        """Fetch and check a request, match it, and build the consent summary (names and
        labels in ``language``, default the settings'). Nothing is sent until
        :meth:`approve` or :meth:`refuse`."""
        text = read_link(source, error=PresentError)
        with self._network() as fetcher:
            request = PresentationClient(fetcher, clock=self._clock).load_request(text)
        return self.plan(request, language=language)

    def plan(
        self, request: AuthorizationRequest, *, language: str | None = None
    ) -> PresentationSession:
        catalog = self.catalog
        trusted = catalog.trusted_verifiers
        verifier = Verifier(
            client_id=request.client_id,
            name=request.client_name,
            known=request.client_id in trusted,
            known_as=trusted.get(request.client_id),
            response_mode=request.response_mode,
            response_uri=request.response_uri,
        )
        result = self.match(request.dcql)
        if not result.satisfied:
            consent = summarize(verifier, request.purpose, [], problems=result.unsatisfied_reasons)
            return PresentationSession(request, consent, ())
        lang = language or self.settings.language
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
            now=self._clock(),
        )
        try:
            with self._network() as fetcher:
                result = PresentationClient(fetcher, clock=self._clock).send(request, vp_token)
        except NetworkError as exc:
            if exc.code not in NOT_SENT_CODES:
                self._record(session, "uncertain", detail=exc.message)
            raise
        except PresentError as exc:
            self._record(session, "rejected", detail=exc.message)
            raise
        entry = self._record(session, "shared", result=result)
        return PresentationOutcome("shared", entry.id, result.redirect_uri)

    def refuse(self, session: PresentationSession) -> PresentationOutcome:
        """Tell the verifier no (§8.5 ``access_denied``) and record the refusal. A verifier
        that cannot be reached is still refused locally: nothing was shared."""
        self._claim(session)
        notified = True
        try:
            with self._network() as fetcher:
                PresentationClient(fetcher, clock=self._clock).refuse(session.request)
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
            id=self._new_id(),
            time=self._clock(),
            verifier_id=request.client_id,
            verifier_name=session.consent.verifier.known_as or request.client_name or "",
            purpose=request.purpose or "",
            outcome=outcome,
            credentials=shared,
            detail=detail,
            redirect_uri=result.redirect_uri if result else None,
        )
        catalog = self.catalog
        entries = dict(catalog.credentials)
        if sent:
            for p in session._plan:
                current = entries.get(p.entry.id)
                if current is not None:
                    entries[p.entry.id] = mark_shown(current, p.copy.copy_id, request.client_id)
        new = replace(catalog, credentials=entries, history=(*catalog.history, entry.id))
        self._store.commit(new, history=[entry])
        return entry

    # --- history, trust, passphrase, backup --------------------------------------------------

    def history(self) -> list[HistoryEntry]:
        return self._store.read_history()

    def trust_verifier(self, client_id: str, name: str) -> None:
        trusted = {**self.catalog.trusted_verifiers, client_id: name}
        self._store.commit(replace(self.catalog, trusted_verifiers=trusted))

    def forget_verifier(self, client_id: str) -> None:
        trusted = {k: v for k, v in self.catalog.trusted_verifiers.items() if k != client_id}
        self._store.commit(replace(self.catalog, trusted_verifiers=trusted))

    def verify_passphrase(self, passphrase: str) -> None:
        """Raise ``wrong_passphrase`` unless ``passphrase`` opens this wallet (the data key is
        already in memory; this only proves the person still knows the passphrase)."""
        self._store.verify_passphrase(passphrase)

    def change_passphrase(self, new_passphrase: str, *, kdf: KDFParams | None = None) -> None:
        self._store.change_passphrase(new_passphrase, kdf=kdf)

    def export_backup(self, path: Path, passphrase: str, *, kdf: KDFParams = DEFAULT_KDF) -> Path:
        """Write the backup file (see :meth:`backup_bytes`) to ``path``, atomically."""
        return atomic_write(Path(path), self.backup_bytes(passphrase, kdf=kdf))

    def backup_bytes(self, passphrase: str, *, kdf: KDFParams = DEFAULT_KDF) -> bytes:
        """The whole wallet (credentials with their keys, history, known verifiers) as one
        backup file's bytes, encrypted under ``passphrase``."""
        catalog = self.catalog
        contents = BackupContents(
            catalog,
            {ident: self._store.read_credential(ident) for ident in catalog.credentials},
            tuple(self.history()),
        )
        return seal_backup(
            contents, passphrase, now=self._clock(), kdf=kdf, random_bytes=self._random
        )

    def import_backup(self, path: Path, passphrase: str) -> int:
        """Restore the backup file at ``path`` into this (empty) wallet; return the number of
        credentials. Emptiness is checked before the (slow) passphrase."""
        self._require_empty()
        return self.restore(read_backup(Path(path), passphrase))

    def import_backup_bytes(self, raw: bytes, passphrase: str) -> int:
        """:meth:`import_backup` for a backup file's bytes (an upload)."""
        self._require_empty()
        return self.restore(open_backup(raw, passphrase))

    def _require_empty(self) -> None:
        if self.catalog.credentials or self.catalog.history:
            raise BackupError("this wallet already holds credentials", code="wallet_not_empty")

    def restore(self, contents: BackupContents) -> int:
        """Put an opened backup into this (empty) wallet in one transaction; return the number
        of credentials."""
        self._require_empty()
        restored = replace(contents.catalog, generation=self.catalog.generation)
        self._store.commit(
            restored,
            credentials=list(contents.credentials.items()),
            history=contents.history,
        )
        return len(contents.credentials)
