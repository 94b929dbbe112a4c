"""The encrypted wallet store: the vault (:mod:`wallet.vault`) over the wallet file
(:mod:`wallet.storage.database`, queries in :mod:`wallet.storage.repos`), with the catalog
(:mod:`wallet.storage.catalog`) as its index.

Integrity beyond each record's GCM tag: the catalog names every record that must exist, and
opening compares that list with the rows in the file. A row removed or added outside drukid
(say, an old credential pasted back after deletion) refuses the whole wallet
(``vault_corrupted``) instead of showing a partial or resurrected state. The catalog also
carries the change counter, so pasting back an old catalog row alone is caught as well.

Opening parses the catalog (tens of thousands of small objects for a wallet of 10,000
credentials) with the cyclic garbage collector paused: left on, it would run again and again
over objects that are all still in use (a third of the opening time, measured). It is switched
back on afterwards, also when opening fails (:func:`collector_paused`).

Every change is one unit of work: one transaction that checks the change counter, writes the
new records and the new catalog together, and advances the counter. The in-memory catalog is
replaced only after the commit succeeded, so a failed write leaves the open wallet exactly as
it was on disk.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from wallet.errors import VaultError
from wallet.history import HistoryEntry
from wallet.storage.catalog import Catalog, CredentialSecret, PendingSecret
from wallet.storage.database import WalletFile
from wallet.storage.repos import Meta, Records
from wallet.vault import DEFAULT_KDF, KDFParams, Vault

__all__ = ["CATALOG", "CREDENTIAL", "HISTORY", "PENDING", "WalletStore", "collector_paused"]

log = logging.getLogger(__name__)

CATALOG, CREDENTIAL, HISTORY, PENDING = "catalog", "credential", "history", "pending"
_CATALOG_ID = "catalog"


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for a burst of allocations that all stay alive;
    restore it as it was, whatever happens inside. Reference counting still frees everything
    that is dropped meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class WalletStore:
    """An open, unlocked wallet file."""

    def __init__(self, file: WalletFile, vault: Vault, catalog: Catalog) -> None:
        self._file = file
        self._vault = vault
        self._catalog = catalog

    @property
    def path(self) -> Path:
        return self._file.path

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    @classmethod
    def create(
        cls,
        path: Path,
        passphrase: str,
        *,
        kdf: KDFParams = DEFAULT_KDF,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> WalletStore:
        vault = Vault.create(passphrase, kdf=kdf, random_bytes=random_bytes)
        catalog = Catalog()
        sealed = vault.seal(CATALOG, _CATALOG_ID, catalog.to_bytes())
        WalletFile.create(Path(path), vault.header, [(CATALOG, _CATALOG_ID, sealed)])
        return cls(WalletFile.open(Path(path)), vault, catalog)

    @classmethod
    def open(
        cls,
        path: Path,
        passphrase: str,
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> WalletStore:
        file = WalletFile.open(Path(path))
        try:
            with file.session() as session:
                header = Meta(session).header()
            # The slow key derivation outside any transaction: a guess holds no lock.
            vault = Vault.unlock(header, passphrase, random_bytes=random_bytes)
            with collector_paused(), file.session() as session:
                catalog = cls._load(Meta(session), Records(session), vault)
            return cls(file, vault, catalog)
        except BaseException:
            file.close()
            raise

    @staticmethod
    def _load(meta: Meta, records: Records, vault: Vault) -> Catalog:
        blob = records.get(CATALOG, _CATALOG_ID)
        if blob is None:
            raise VaultError("the wallet index is missing", code="vault_corrupted")
        catalog = Catalog.from_bytes(vault.open(CATALOG, _CATALOG_ID, blob))
        if catalog.generation != meta.generation():
            raise VaultError(
                "the wallet index does not match the wallet file (an old copy was put back?)",
                code="vault_corrupted",
            )
        stored = records.keys()
        expected = catalog.record_keys() | {(CATALOG, _CATALOG_ID)}
        if stored != expected:
            missing, extra = len(expected - stored), len(stored - expected)
            raise VaultError(
                f"records were removed ({missing}) or added ({extra}) outside drukid",
                code="vault_corrupted",
            )
        return catalog

    def close(self) -> None:
        self._file.close()

    def read_credential(self, credential_id: str) -> CredentialSecret:
        with self._file.session() as session:
            blob = Records(session).get(CREDENTIAL, credential_id)
        if blob is None:
            raise VaultError("a credential record is missing", code="vault_corrupted")
        return CredentialSecret.from_bytes(self._vault.open(CREDENTIAL, credential_id, blob))

    def read_pending(self, pending_id: str) -> PendingSecret:
        with self._file.session() as session:
            blob = Records(session).get(PENDING, pending_id)
        if blob is None:
            raise VaultError("a pending issuance record is missing", code="vault_corrupted")
        return PendingSecret.from_bytes(self._vault.open(PENDING, pending_id, blob))

    def read_history(self) -> list[HistoryEntry]:
        with self._file.session() as session:
            blobs = Records(session).get_all(HISTORY)
        entries = []
        for ident in self._catalog.history:
            blob = blobs.get(ident)
            if blob is None:
                raise VaultError("a history record is missing", code="vault_corrupted")
            entries.append(HistoryEntry.from_bytes(self._vault.open(HISTORY, ident, blob)))
        return entries

    def commit(
        self,
        catalog: Catalog,
        *,
        credentials: Iterable[tuple[str, CredentialSecret]] = (),
        history: Iterable[HistoryEntry] = (),
        delete_credentials: Sequence[str] = (),
        pending: Iterable[tuple[str, PendingSecret]] = (),
        delete_pending: Sequence[str] = (),
    ) -> Catalog:
        """Write ``catalog`` with new records and deletions in one transaction; adopt it."""
        expected = self._catalog.generation
        new = replace(catalog, generation=expected + 1)
        puts = [
            (CREDENTIAL, ident, self._vault.seal(CREDENTIAL, ident, secret.to_bytes()))
            for ident, secret in credentials
        ]
        puts.extend(
            (HISTORY, entry.id, self._vault.seal(HISTORY, entry.id, entry.to_bytes()))
            for entry in history
        )
        puts.extend(
            (PENDING, ident, self._vault.seal(PENDING, ident, secret.to_bytes()))
            for ident, secret in pending
        )
        puts.append((CATALOG, _CATALOG_ID, self._vault.seal(CATALOG, _CATALOG_ID, new.to_bytes())))
        deletes = [(CREDENTIAL, ident) for ident in delete_credentials]
        deletes.extend((PENDING, ident) for ident in delete_pending)
        self._write(expected, puts, deletes)
        self._catalog = new
        return new

    def _write(
        self,
        expected: int,
        puts: Sequence[tuple[str, str, bytes]],
        deletes: Sequence[tuple[str, str]] = (),
        *,
        header: bytes | None = None,
    ) -> None:
        """The one unit of work every change is: check and advance the change counter, delete,
        write, and (for a new passphrase) replace the header, all in one transaction."""
        with self._file.session() as session:
            meta, records = Meta(session), Records(session)
            meta.advance(expected)
            for kind, ident in deletes:
                records.delete(kind, ident)
            records.put_all(puts)
            if header is not None:
                meta.set_header(header)
        if deletes:
            self._file.checkpoint()

    def verify_passphrase(self, passphrase: str) -> None:
        """Raise ``wrong_passphrase`` unless ``passphrase`` unwraps this file's data key now
        (asked again before a sensitive change, by a person at an already unlocked wallet)."""
        with self._file.session() as session:
            header = Meta(session).header()
        Vault.unlock(header, passphrase)

    def change_passphrase(self, new_passphrase: str, *, kdf: KDFParams | None = None) -> None:
        """Re-wrap the data key; records are untouched. One row changes, atomically."""
        vault = self._vault.rewrap(new_passphrase, kdf=kdf)
        expected = self._catalog.generation
        new = replace(self._catalog, generation=expected + 1)
        sealed = vault.seal(CATALOG, _CATALOG_ID, new.to_bytes())
        self._write(expected, [(CATALOG, _CATALOG_ID, sealed)], header=vault.header)
        self._vault, self._catalog = vault, new
