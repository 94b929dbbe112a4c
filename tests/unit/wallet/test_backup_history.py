"""Backup (export → import on another machine) and the citizen's history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.fake_verifier import FakeVerifier, query
from tests.support.wallet_issuer import FakeIssuer
from tests.unit.wallet.conftest import FAST_KDF, NOW, PASSPHRASE, StoredRows
from wallet.backup import MAGIC
from wallet.errors import BackupError, StorageError, VaultError
from wallet.history import HistoryEntry, SharedCredential, export_csv, export_json
from wallet.holder import Wallet
from wallet.settings import WalletSettings

BACKUP_PASSPHRASE = "a different backup phrase"


@pytest.fixture
def filled(wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier) -> Wallet:
    wallet.receive(issuer.offer("foundational-id", "permanent-address"))
    wallet.trust_verifier(verifier.client_id, "My bank")
    link, _ = verifier.create_request(query(issuer.vct("foundational-id"), ["full_name"]))
    wallet.approve(wallet.prepare_presentation(link))
    link, _ = verifier.create_request(query(issuer.vct("foundational-id"), ["cid"]))
    wallet.refuse(wallet.prepare_presentation(link))
    return wallet


def fresh(tmp_path: Path, name: str = "other.db") -> Wallet:
    return Wallet.create(
        tmp_path / name, "another machine pass", kdf=FAST_KDF, clock=lambda: NOW,
        settings=WalletSettings(data_dir=tmp_path),
    )  # fmt: skip


def test_backup_round_trip_restores_everything(filled: Wallet, tmp_path: Path) -> None:
    file = filled.export_backup(tmp_path / "backup.drukid", BACKUP_PASSPHRASE, kdf=FAST_KDF)
    assert file.stat().st_mode & 0o777 == 0o600
    raw = file.read_bytes()
    assert raw.startswith(MAGIC)
    assert b"Karma" not in raw
    assert b"full_name" not in raw
    with fresh(tmp_path) as other:
        assert other.import_backup(file, BACKUP_PASSPHRASE) == 2
        assert [v.id for v in other.credentials()] == [v.id for v in filled.credentials()]
        assert other.history() == filled.history()
        assert other.catalog.trusted_verifiers == filled.catalog.trusted_verifiers
        # the keys came along: the restored wallet can still present
        for ident in filled.catalog.credentials:
            assert other._store.read_credential(ident) == filled._store.read_credential(ident)
    with Wallet.open(tmp_path / "other.db", "another machine pass") as reopened:
        assert len(reopened.credentials()) == 2


def test_backup_wrong_passphrase_and_tampering(filled: Wallet, tmp_path: Path) -> None:
    file = filled.export_backup(tmp_path / "b", BACKUP_PASSPHRASE, kdf=FAST_KDF)
    with fresh(tmp_path) as other:
        with pytest.raises(BackupError) as info:
            other.import_backup(file, PASSPHRASE)
        assert info.value.code == "backup_wrong_passphrase"
        raw = bytearray(file.read_bytes())
        for index in (len(raw) - 1, len(raw) // 2, len(MAGIC) + 15):
            changed = bytearray(raw)
            changed[index] ^= 0x01
            file.write_bytes(bytes(changed))
            with pytest.raises(BackupError) as info:
                other.import_backup(file, BACKUP_PASSPHRASE)
            assert info.value.code in ("backup_wrong_passphrase", "backup_invalid")
        assert other.credentials() == []
        assert other.history() == []


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"hello", "backup_invalid"),
        (MAGIC + b'{"version":2}\n', "backup_version_unsupported"),
        (MAGIC + b"{not json}\n", "backup_invalid"),
        (MAGIC + b'{"version":1,"kdf":{"alg":"scrypt","n":16,"r":8,"p":1}}\n', "backup_invalid"),
    ],
)
def test_not_a_backup(tmp_path: Path, content: bytes, code: str) -> None:
    (tmp_path / "b").write_bytes(content)
    with fresh(tmp_path) as other, pytest.raises(BackupError) as info:
        other.import_backup(tmp_path / "b", BACKUP_PASSPHRASE)
    assert info.value.code == code


def test_import_only_into_an_empty_wallet(filled: Wallet, tmp_path: Path) -> None:
    file = filled.export_backup(tmp_path / "b", BACKUP_PASSPHRASE, kdf=FAST_KDF)
    with pytest.raises(BackupError) as info:
        filled.import_backup(file, BACKUP_PASSPHRASE)
    assert info.value.code == "wallet_not_empty"


def test_history_records_shares_and_refusals(filled: Wallet, verifier: FakeVerifier) -> None:
    shared, refused = filled.history()
    assert shared.outcome == "shared"
    assert shared.verifier_name == "My bank"
    assert shared.disclosed == ("Full name",)
    assert shared.purpose == "Open a bank account"
    assert refused.outcome == "refused"
    assert refused.disclosed == ()
    exported = json.loads(export_json(filled.history()))
    assert exported[0]["credentials"][0]["claims"] == ["Full name"]
    assert exported[0]["time_text"] == "2027-01-15 08:00 UTC"


def test_history_csv_is_spreadsheet_safe() -> None:
    entry = HistoryEntry(
        id="1",
        time=NOW,
        verifier_id="decentralized_identifier:did:web:x",
        verifier_name='=HYPERLINK("http://evil")',
        purpose="+cmd",
        outcome="shared",
        credentials=(SharedCredential("c", "National ID", "v", ("Full name",)),),
    )
    text = export_csv([entry])
    assert "'=HYPERLINK" in text
    assert "'+cmd" in text
    assert "National ID: Full name" in text


def test_delete_removes_credential_and_keys(filled: Wallet) -> None:
    view = filled.credentials()[0]
    filled.delete(view.id[:8])  # a unique prefix, as the CLI shows
    assert view.id not in filled.catalog.credentials
    with pytest.raises(StorageError) as info:
        filled.credential(view.id)
    assert info.value.code == "credential_not_found"
    assert ("credential", view.id) not in StoredRows(filled._store).keys()  # noqa: SIM118
    with Wallet.open(filled.path, PASSPHRASE) as reopened:
        assert len(reopened.credentials()) == 1


def test_change_passphrase(filled: Wallet) -> None:
    filled.change_passphrase("brand new passphrase")
    with Wallet.open(filled.path, "brand new passphrase") as reopened:
        assert len(reopened.credentials()) == 2


def test_verify_passphrase_checks_the_file_key_without_changing_anything(filled: Wallet) -> None:
    generation = filled.catalog.generation
    filled.verify_passphrase(PASSPHRASE)
    with pytest.raises(VaultError) as info:
        filled.verify_passphrase("not the passphrase")
    assert info.value.code == "wrong_passphrase"
    filled.change_passphrase("brand new passphrase")
    filled.verify_passphrase("brand new passphrase")  # the header on disk, not the one at open
    with pytest.raises(VaultError):
        filled.verify_passphrase(PASSPHRASE)
    assert filled.catalog.generation == generation + 1
