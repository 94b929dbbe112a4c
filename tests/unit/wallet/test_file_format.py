"""Wallet files and backups made by an earlier drukid still open, and their records read back
byte for byte (``tests/vectors/wallet/``, written by ``tests.support.make_wallet_vectors`` at
commit 7b6fae6, before the wallet's storage was reshaped)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.make_wallet_vectors import BACKUP_PASSPHRASE, NOW, PASSPHRASE
from tests.unit.wallet.conftest import FAST_KDF
from wallet.backup import open_backup
from wallet.history import HistoryEntry
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.storage.catalog import Catalog, CopyState, CredentialEntry, CredentialSecret
from wallet.storage.database import WalletFile
from wallet.storage.repos import Meta, Records
from wallet.vault import Vault

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "wallet"
BANK = "decentralized_identifier:did:web:verifier.example"


@pytest.fixture
def old_wallet(tmp_path: Path) -> Path:
    # A copy: opening a WAL-mode file writes its -wal and -shm files next to it.
    return Path(shutil.copy(VECTORS / "wallet-v1.sqlite3", tmp_path / "wallet.db"))


def test_an_existing_wallet_opens_with_everything_in_it(old_wallet: Path, tmp_path: Path) -> None:
    settings = WalletSettings(data_dir=tmp_path)
    with Wallet.open(old_wallet, PASSPHRASE, settings=settings, clock=lambda: NOW) as wallet:
        views = wallet.credentials()
        assert [v.type_id for v in views] == ["foundational-id", "permanent-address"]
        assert [v.copies for v in views] == [2, 2]
        assert [v.status.current if v.status else None for v in views] == ["revoked", "none"]
        assert [e.outcome for e in wallet.history()] == ["shared", "refused"]
        assert wallet.history()[0].disclosed == ("Full name",)
        assert wallet.catalog.trusted_verifiers == {BANK: "Bhutan National Bank"}
        # Every sealed record opens (a backup reads them all), and the file takes new writes.
        wallet.backup_bytes(BACKUP_PASSPHRASE, kdf=FAST_KDF)
        wallet.forget_verifier(BANK)
    with Wallet.open(old_wallet, PASSPHRASE, settings=settings) as reopened:
        assert reopened.catalog.trusted_verifiers == {}
        assert len(reopened.credentials()) == 2


def test_every_record_reads_back_byte_for_byte(old_wallet: Path) -> None:
    """What today's code writes for an old record is exactly what was there: the plaintext
    formats of the index, the credentials and the history did not change."""
    file = WalletFile.open(old_wallet)
    try:
        with file.session() as session:
            meta, records = Meta(session), Records(session)
            vault = Vault.unlock(meta.header(), PASSPHRASE)
            [raw_catalog] = records.get_all("catalog").values()
            plain = vault.open("catalog", "catalog", raw_catalog)
            catalog = Catalog.from_bytes(plain)
            assert catalog.to_bytes() == plain
            credentials = records.get_all("credential")
            assert set(credentials) == set(catalog.credentials)
            for ident, blob in credentials.items():
                plain = vault.open("credential", ident, blob)
                assert CredentialSecret.from_bytes(plain).to_bytes() == plain
            history = records.get_all("history")
            assert set(history) == set(catalog.history)
            for ident, blob in history.items():
                plain = vault.open("history", ident, blob)
                assert HistoryEntry.from_bytes(plain).to_bytes() == plain
            assert meta.generation() == catalog.generation
    finally:
        file.close()


def test_a_catalog_reads_back_integers_beyond_64_bits_exactly() -> None:
    # A claim may hold an integer beyond 64 bits: the index must open with the same values.
    # (orjson, tried for a faster open, reads such an integer back as a float: not used.)
    entry = CredentialEntry(
        id="c1",
        vct="https://registry.example.bt/types/x",
        iss="https://registry.example.bt",
        configuration_id="x",
        claims={"big": 2**70, "ratio": 0.1, "name": "ཀརྨ་", "nested": {"n": [1, None, True]}},
        disclosable=(("big",), ("nested", "n", 0)),
        received_at=1,
        copies=(CopyState("k1", ("did:web:bank.example.bt",)),),
    )
    raw = Catalog(credentials={"c1": entry}, generation=3).to_bytes()
    again = Catalog.from_bytes(raw)
    assert again.credentials["c1"] == entry
    assert again.to_bytes() == raw


def test_an_existing_backup_restores(tmp_path: Path) -> None:
    raw = (VECTORS / "backup-v1.drukid-backup").read_bytes()
    contents = open_backup(raw, BACKUP_PASSPHRASE)
    assert len(contents.credentials) == 2
    assert [e.outcome for e in contents.history] == ["shared", "refused"]
    settings = WalletSettings(data_dir=tmp_path)
    with Wallet.create(tmp_path / "new.db", PASSPHRASE, settings=settings, kdf=FAST_KDF) as new:
        assert new.import_backup_bytes(raw, BACKUP_PASSPHRASE) == 2
        assert [v.type_id for v in new.credentials()] == ["foundational-id", "permanent-address"]
        assert new.catalog.trusted_verifiers == {BANK: "Bhutan National Bank"}
