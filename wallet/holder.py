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
against in-process test doubles and over loopback sockets alike; :mod:`wallet.runtime` builds
them from the settings. The flows are their own objects (:class:`wallet.receiving.Receiving`,
:class:`wallet.presenting.Presenting`); this class holds the open store and hands out views.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from credentials.clock import system_time
from credentials.dcql import DCQLQuery, DCQLResult
from credentials.sd_jwt import decode_sd_jwt
from credentials.status_list import StatusReference
from did.files import atomic_write
from did.keys import PrivateKey
from wallet.backup import BackupContents, open_backup, read_backup, seal_backup
from wallet.errors import BackupError, StorageError, WalletError
from wallet.history import HistoryEntry
from wallet.oid4vci.authorization import PendingAuthorization
from wallet.oid4vci.offer import CredentialOffer
from wallet.oid4vp.request import AuthorizationRequest
from wallet.presenting import PresentationOutcome, PresentationSession, Presenting
from wallet.receiving import PendingCheck, Receiving
from wallet.runtime import Network, WalletRuntime
from wallet.settings import WalletSettings
from wallet.status import check_held, issuer_key_lookup
from wallet.storage.catalog import Catalog, CredentialEntry
from wallet.storage.store import WalletStore
from wallet.trust import RootView, anchor_of, root_from_pem, views
from wallet.vault import DEFAULT_KDF, KDFParams
from wallet.views import (
    CredentialView,
    PendingView,
    describe_credential,
    describe_pending,
    pending_outcome_words,
)

__all__ = ["PresentationOutcome", "PresentationSession", "Wallet"]

log = logging.getLogger(__name__)


class Wallet:
    """An open wallet: its store and the runtime it was opened with."""

    def __init__(self, store: WalletStore, runtime: WalletRuntime) -> None:
        self._store = store
        self._runtime = runtime
        self._receiving = Receiving(store, runtime)
        self._presenting = Presenting(store, runtime)

    # --- lifecycle -------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: Path,
        passphrase: str,
        *,
        settings: WalletSettings | None = None,
        kdf: KDFParams = DEFAULT_KDF,
        network: Network | None = None,
        clock: Callable[[], int] = system_time,
        random_bytes: Callable[[int], bytes] = os.urandom,
        generate_key: Callable[[str], PrivateKey] = PrivateKey.generate,
    ) -> Wallet:
        """Create a new wallet file; ``wallet_exists`` if there is one already."""
        runtime = WalletRuntime.from_settings(
            settings or WalletSettings(),
            network=network,
            clock=clock,
            random_bytes=random_bytes,
            generate_key=generate_key,
            kdf=kdf,
        )
        return cls.create_with(runtime, passphrase, path=path)

    @classmethod
    def open(
        cls,
        path: Path,
        passphrase: str,
        *,
        settings: WalletSettings | None = None,
        network: Network | None = None,
        clock: Callable[[], int] = system_time,
        random_bytes: Callable[[int], bytes] = os.urandom,
        generate_key: Callable[[str], PrivateKey] = PrivateKey.generate,
    ) -> Wallet:
        """Unlock a wallet; ``wrong_passphrase``, ``vault_corrupted``, ``wallet_not_found``."""
        runtime = WalletRuntime.from_settings(
            settings or WalletSettings(),
            network=network,
            clock=clock,
            random_bytes=random_bytes,
            generate_key=generate_key,
        )
        return cls.open_with(runtime, passphrase, path=path)

    @classmethod
    def create_with(
        cls, runtime: WalletRuntime, passphrase: str, *, path: Path | None = None
    ) -> Wallet:
        """:meth:`create` with a prepared runtime, at ``path`` or the settings' wallet path."""
        return cls(runtime.create_store(passphrase, path=path), runtime)

    @classmethod
    def open_with(
        cls, runtime: WalletRuntime, passphrase: str, *, path: Path | None = None
    ) -> Wallet:
        """:meth:`open` with a prepared runtime, at ``path`` or the settings' wallet path."""
        return cls(runtime.open_store(passphrase, path=path), runtime)

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Wallet:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def settings(self) -> WalletSettings:
        return self._runtime.settings

    def now(self) -> int:
        return self._runtime.clock()

    @property
    def path(self) -> Path:
        return self._store.path

    @property
    def catalog(self) -> Catalog:
        return self._store.catalog

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
        now = self._runtime.clock()
        trust = self._runtime.trust(self.catalog.trusted_roots)
        with self._runtime.online() as online:  # every request under the fetch policy's timeout
            records = check_held(
                entries,
                references=self._status_references,
                checker=online.status,
                key_lookup=lambda iss: issuer_key_lookup(
                    online.fetcher, iss, resolver=online.resolver, trust=trust, now=now
                ),
                now=now,
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
        return self._receiving.load_offer(source)

    def receive(
        self,
        offer: CredentialOffer | str | bytes,
        *,
        tx_code: str | None = None,
        language: str | None = None,
    ) -> list[CredentialView]:
        """Receive, verify and store the offered credentials (all or nothing); describe them
        in ``language`` (default the settings')."""
        ids = self._receiving.receive(offer, tx_code=tx_code)
        return [self.credential(ident, language=language) for ident in ids]

    def receive_offer(
        self,
        offer: CredentialOffer | str | bytes,
        *,
        tx_code: str | None = None,
        language: str | None = None,
    ) -> tuple[list[CredentialView], list[PendingView]]:
        """Like :meth:`receive`, and the credentials the agency will approve first (deferred
        issuance): kept as pending, their holder keys safe in the wallet."""
        result = self._receiving.receive_all(offer, tx_code=tx_code)
        received = [self.credential(ident, language=language) for ident in result.received]
        lang = language or self.settings.language
        waiting = [describe_pending(self.catalog.pending[i], lang) for i in result.waiting]
        return received, waiting

    def pending(self, *, language: str | None = None) -> list[PendingView]:
        """The credentials asked for and not yet received, oldest first."""
        lang = language or self.settings.language
        entries = sorted(self.catalog.pending.values(), key=lambda e: (e.created_at, e.id))
        return [describe_pending(entry, lang) for entry in entries]

    def check_pending(
        self, *, force: bool = False, language: str | None = None
    ) -> list[tuple[PendingCheck, str]]:
        """Ask the agencies again about pending credentials whose time has come (all with
        ``force``); each outcome with its words for the citizen."""
        lang = language or self.settings.language
        return [
            (
                check,
                pending_outcome_words(
                    check.outcome,
                    type_names=check.type_names,
                    issuer_names=check.issuer_names,
                    configuration_id=check.configuration_id,
                    language=lang,
                ),
            )
            for check in self._receiving.check_pending(force=force)
        ]

    def begin_authorization(
        self, issuer: str, configuration_id: str, *, redirect_uri: str
    ) -> tuple[str, PendingAuthorization]:
        """Wallet-initiated receiving (HAIP authorization code flow): the agency page's URL for
        the citizen's browser, and the pending sign-in to pass to
        :meth:`complete_authorization` with the redirect that comes back to ``redirect_uri``."""
        return self._receiving.begin(issuer, configuration_id, redirect_uri=redirect_uri)

    def complete_authorization(
        self, pending: PendingAuthorization, redirect: str, *, language: str | None = None
    ) -> CredentialView:
        """Check the redirect (``state``, ``iss``), redeem its code, store the credential."""
        ident = self._receiving.complete(pending, redirect)
        return self.credential(ident, language=language)

    def refresh(self, credential_id: str) -> int:
        """Fresh copies of a wallet-initiated credential without signing in again."""
        return self._receiving.refresh(credential_id)

    # --- presenting ------------------------------------------------------------------------

    def match(self, query: DCQLQuery) -> DCQLResult:
        """Evaluate a DCQL query over the stored, unexpired credentials (catalog only: no
        record is decrypted)."""
        return self._presenting.match(query)

    def prepare_presentation(
        self, source: str | bytes, *, language: str | None = None
    ) -> PresentationSession:
        """Fetch and check a request, match it, and build the consent summary (names and
        labels in ``language``, default the settings'). Nothing is sent until
        :meth:`approve` or :meth:`refuse`."""
        return self._presenting.prepare(source, language=language)

    def plan(
        self, request: AuthorizationRequest, *, language: str | None = None
    ) -> PresentationSession:
        return self._presenting.plan(request, language=language)

    def approve(self, session: PresentationSession) -> PresentationOutcome:
        """Send the presentation the citizen agreed to, and record it."""
        return self._presenting.approve(session)

    def refuse(self, session: PresentationSession) -> PresentationOutcome:
        """Tell the verifier no (§8.5 ``access_denied``) and record the refusal. A verifier
        that cannot be reached is still refused locally: nothing was shared."""
        return self._presenting.refuse(session)

    # --- history, trust, passphrase, backup --------------------------------------------------

    def history(self) -> list[HistoryEntry]:
        return self._store.read_history()

    def trust_verifier(self, client_id: str, name: str) -> None:
        trusted = {**self.catalog.trusted_verifiers, client_id: name}
        self._store.commit(replace(self.catalog, trusted_verifiers=trusted))

    def forget_verifier(self, client_id: str) -> None:
        trusted = {k: v for k, v in self.catalog.trusted_verifiers.items() if k != client_id}
        self._store.commit(replace(self.catalog, trusted_verifiers=trusted))

    def trust_root(self, data: bytes, *, label: str | None = None) -> RootView:
        """Trust a certificate authority (a root or intermediate, PEM or DER) for issuers and
        verifiers from now on (``trust_root_invalid`` for anything else)."""
        root = root_from_pem(data, label=label, now=self._runtime.clock())
        roots = {**self.catalog.trusted_roots, root.fingerprint: root}
        self._store.commit(replace(self.catalog, trusted_roots=roots))
        return views([(anchor_of(root), "added")])[0]

    def forget_root(self, fingerprint: str) -> None:
        """Stop trusting an authority the citizen added (shipped and configured ones stay)."""
        wanted = fingerprint.replace(":", "").upper()
        roots = {
            k: v
            for k, v in self.catalog.trusted_roots.items()
            if k.replace(":", "").upper() != wanted
        }
        if len(roots) == len(self.catalog.trusted_roots):
            raise WalletError(
                "no authority you added has that fingerprint", code="trust_root_not_found"
            )
        self._store.commit(replace(self.catalog, trusted_roots=roots))

    def trusted_roots(self) -> list[RootView]:
        """Every authority the wallet trusts, with where it came from."""
        trust = self._runtime.trust(self.catalog.trusted_roots)
        return views(list(zip(trust.anchors, trust.sources, strict=True)))

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
        backup file's bytes, encrypted under ``passphrase``. Pending issuances stay out: their
        holder keys belong to the request this wallet made, and a restored copy would poll the
        agency a second time."""
        catalog = replace(self.catalog, pending={})
        contents = BackupContents(
            catalog,
            {ident: self._store.read_credential(ident) for ident in catalog.credentials},
            tuple(self.history()),
        )
        return seal_backup(
            contents,
            passphrase,
            now=self._runtime.clock(),
            kdf=kdf,
            random_bytes=self._runtime.random_bytes,
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
        if self.catalog.credentials or self.catalog.history or self.catalog.pending:
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
