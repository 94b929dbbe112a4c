"""The encrypted wallet store: the vault (:mod:`wallet.vault`) over the wallet file
(:mod:`wallet.storage.repo`), with the catalog (:mod:`wallet.catalog`) as its index.

Integrity beyond each record's GCM tag: the catalog names every record that must exist, and
opening compares that list with the rows in the file. A row removed or added outside drukid
(say, an old credential pasted back after deletion) refuses the whole wallet
(``vault_corrupted``) instead of showing a partial or resurrected state. The catalog also
carries the change counter, so pasting back an old catalog row alone is caught as well.

Every change is one transaction that writes the new records and the new catalog together.
The in-memory catalog is replaced only after the commit succeeded, so a failed write leaves
the open wallet exactly as it was on disk.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from wallet.catalog import Catalog, CredentialSecret
from wallet.errors import VaultError
from wallet.history import HistoryEntry
from wallet.storage.repo import RecordRepository
from wallet.vault import DEFAULT_KDF, KDFParams, Vault

__all__ = ["CATALOG", "CREDENTIAL", "HISTORY", "WalletStore"]

log = logging.getLogger(__name__)

CATALOG, CREDENTIAL, HISTORY = "catalog", "credential", "history"
_CATALOG_ID = "catalog"


class WalletStore:
    """An open, unlocked wallet file."""

    def __init__(self, repo: RecordRepository, vault: Vault, catalog: Catalog) -> None:
        self._repo = repo
        self._vault = vault
        self._catalog = catalog

    @property
    def path(self) -> Path:
        return self._repo.path

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
        RecordRepository.create(Path(path), vault.header, [(CATALOG, _CATALOG_ID, sealed)])
        return cls(RecordRepository.open(Path(path)), vault, catalog)

    @classmethod
    def open(
        cls,
        path: Path,
        passphrase: str,
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> WalletStore:
        repo = RecordRepository.open(Path(path))
        try:
            vault = Vault.unlock(repo.header(), passphrase, random_bytes=random_bytes)
            return cls(repo, vault, cls._load(repo, vault))
        except BaseException:
            repo.close()
            raise

    @staticmethod
    def _load(repo: RecordRepository, vault: Vault) -> Catalog:
        blob = repo.get(CATALOG, _CATALOG_ID)
        if blob is None:
            raise VaultError("the wallet index is missing", code="vault_corrupted")
        catalog = Catalog.from_bytes(vault.open(CATALOG, _CATALOG_ID, blob))
        if catalog.generation != repo.generation():
            raise VaultError(
                "the wallet index does not match the wallet file (an old copy was put back?)",
                code="vault_corrupted",
            )
        stored = repo.keys()
        expected = catalog.record_keys() | {(CATALOG, _CATALOG_ID)}
        if stored != expected:
            missing, extra = len(expected - stored), len(stored - expected)
            raise VaultError(
                f"records were removed ({missing}) or added ({extra}) outside drukid",
                code="vault_corrupted",
            )
        return catalog

    def close(self) -> None:
        self._repo.close()

    def read_credential(self, credential_id: str) -> CredentialSecret:
        blob = self._repo.get(CREDENTIAL, credential_id)
        if blob is None:
            raise VaultError("a credential record is missing", code="vault_corrupted")
        return CredentialSecret.from_bytes(self._vault.open(CREDENTIAL, credential_id, blob))

    def read_history(self) -> list[HistoryEntry]:
        blobs = self._repo.get_all(HISTORY)
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
        puts.append((CATALOG, _CATALOG_ID, self._vault.seal(CATALOG, _CATALOG_ID, new.to_bytes())))
        deletes = [(CREDENTIAL, ident) for ident in delete_credentials]
        self._repo.commit(expected_generation=expected, puts=puts, deletes=deletes)
        self._catalog = new
        return new

    def verify_passphrase(self, passphrase: str) -> None:
        """Raise ``wrong_passphrase`` unless ``passphrase`` unwraps this file's data key now
        (asked again before a sensitive change, by a person at an already unlocked wallet)."""
        Vault.unlock(self._repo.header(), passphrase)

    def change_passphrase(self, new_passphrase: str, *, kdf: KDFParams | None = None) -> None:
        """Re-wrap the data key; records are untouched. One row changes, atomically."""
        vault = self._vault.rewrap(new_passphrase, kdf=kdf)
        expected = self._catalog.generation
        new = replace(self._catalog, generation=expected + 1)
        sealed = vault.seal(CATALOG, _CATALOG_ID, new.to_bytes())
        self._repo.commit(
            expected_generation=expected, puts=[(CATALOG, _CATALOG_ID, sealed)], header=vault.header
        )
        self._vault, self._catalog = vault, new
