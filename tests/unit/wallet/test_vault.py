"""The vault (key hierarchy, envelopes) and the store (integrity of the whole file)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit.wallet.conftest import FAST_KDF, PASSPHRASE, StoredRows
from wallet.errors import StorageError, VaultError
from wallet.storage.catalog import CopySecret, CopyState, CredentialEntry, CredentialSecret
from wallet.storage.store import WalletStore
from wallet.vault import (
    DEFAULT_KDF,
    Argon2idParams,
    ScryptParams,
    Vault,
    kdf_from_json,
)


def entry(ident: str) -> CredentialEntry:
    return CredentialEntry(
        id=ident,
        vct="https://issuer.example/types/foundational-id",
        iss="https://issuer.example",
        configuration_id="foundational-id",
        claims={"full_name": "Karma Wangmo"},
        disclosable=(("full_name",),),
        received_at=1,
        copies=(CopyState("copy-1"),),
    )


SECRET = CredentialSecret((CopySecret("copy-1", "eyJ.eyJ.sig~", {"kty": "EC", "d": "SECRETKEY"}),))


def add(store: WalletStore, ident: str) -> None:
    catalog = store.catalog
    store.commit(
        catalog.with_credentials({**catalog.credentials, ident: entry(ident)}),
        credentials=[(ident, SECRET)],
    )


def test_defaults_are_strong() -> None:
    # RFC 9106 §4 second option, or OWASP's scrypt floor where Argon2 is unavailable.
    if isinstance(DEFAULT_KDF, Argon2idParams):
        assert (DEFAULT_KDF.memory_kib, DEFAULT_KDF.iterations, DEFAULT_KDF.lanes) == (65536, 3, 4)
    else:
        assert ScryptParams(n=2**17, r=8, p=1) == DEFAULT_KDF


@pytest.mark.parametrize("kdf", [FAST_KDF, Argon2idParams(memory_kib=8, iterations=1, lanes=1)])
def test_seal_open_round_trip_and_wrong_passphrase(kdf: ScryptParams | Argon2idParams) -> None:
    vault = Vault.create(PASSPHRASE, kdf=kdf)
    sealed = vault.seal("credential", "abc", b"hello")
    again = Vault.unlock(vault.header, PASSPHRASE)
    assert again.open("credential", "abc", sealed) == b"hello"
    with pytest.raises(VaultError) as info:
        Vault.unlock(vault.header, PASSPHRASE + "!")
    assert info.value.code == "wrong_passphrase"
    assert "import" in info.value.hint


def test_passphrase_is_nfc_normalised() -> None:
    composed, decomposed = "caf\u00e9 au lait", "cafe\u0301 au lait"
    vault = Vault.create(composed, kdf=FAST_KDF)
    Vault.unlock(vault.header, decomposed)


def test_record_bound_to_kind_and_id() -> None:
    vault = Vault.create(PASSPHRASE, kdf=FAST_KDF)
    sealed = vault.seal("credential", "a", b"x")
    for kind, ident in (("credential", "b"), ("history", "a"), ("credentia", "la")):
        with pytest.raises(VaultError) as info:
            vault.open(kind, ident, sealed)
        assert info.value.code == "vault_corrupted"


def test_unknown_envelope_version_is_refused() -> None:
    vault = Vault.create(PASSPHRASE, kdf=FAST_KDF)
    sealed = bytearray(vault.seal("credential", "a", b"x"))
    sealed[2] = 9
    with pytest.raises(VaultError) as info:
        vault.open("credential", "a", bytes(sealed))
    assert info.value.code == "vault_version_unsupported"


def test_weak_passphrase_refused() -> None:
    with pytest.raises(VaultError) as info:
        Vault.create("short", kdf=FAST_KDF)
    assert info.value.code == "weak_passphrase"


def test_rewrap_keeps_the_data_key() -> None:
    vault = Vault.create(PASSPHRASE, kdf=FAST_KDF)
    sealed = vault.seal("history", "h1", b"entry")
    rewrapped = vault.rewrap("another passphrase", kdf=ScryptParams(n=2**5))
    opened = Vault.unlock(rewrapped.header, "another passphrase")
    assert opened.open("history", "h1", sealed) == b"entry"
    assert json.loads(rewrapped.header)["kdf"]["n"] == 2**5
    with pytest.raises(VaultError):
        Vault.unlock(rewrapped.header, PASSPHRASE)


@pytest.mark.parametrize(
    ("data", "code"),
    [
        ({"alg": "argon2id", "m": 2**30, "t": 3, "p": 4}, "vault_header_invalid"),
        ({"alg": "scrypt", "n": 1000, "r": 8, "p": 1}, "vault_header_invalid"),
        ({"alg": "scrypt", "n": 2**30, "r": 8, "p": 1}, "vault_header_invalid"),
        ({"alg": "pbkdf2", "i": 1}, "vault_header_invalid"),
        ({"alg": "scrypt", "n": 2**10}, "vault_header_invalid"),
        ({"alg": "argon2id", "m": True, "t": 3, "p": 4}, "vault_header_invalid"),
    ],
)
def test_kdf_parameters_are_bounded(data: dict[str, object], code: str) -> None:
    # A tampered header must not make opening take gigabytes of memory or hours.
    with pytest.raises(VaultError) as info:
        kdf_from_json(data)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda h: {**h, "version": 2}, "vault_version_unsupported"),
        (lambda h: {**h, "version": "1"}, "vault_header_invalid"),
        (lambda h: {**h, "format": "other"}, "vault_header_invalid"),
        (lambda h: {**h, "salt": "AAAA"}, "vault_header_invalid"),
        (lambda h: {**h, "kdf": {**h["kdf"], "n": 2**5}}, "wrong_passphrase"),
    ],
)
def test_header_changes_are_refused(change, code: str) -> None:  # type: ignore[no-untyped-def]
    header = json.loads(Vault.create(PASSPHRASE, kdf=FAST_KDF).header)
    with pytest.raises(VaultError) as info:
        Vault.unlock(json.dumps(change(header)).encode(), PASSPHRASE)
    assert info.value.code == code


def test_store_create_open_and_refusals(tmp_path: Path) -> None:
    path = tmp_path / "w" / "wallet.db"
    store = WalletStore.create(path, PASSPHRASE, kdf=FAST_KDF)
    add(store, "c1")
    store.close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in path.parent.iterdir()] == ["wallet.db"]  # no leftovers
    with pytest.raises(StorageError) as info:
        WalletStore.create(path, PASSPHRASE, kdf=FAST_KDF)
    assert info.value.code == "wallet_exists"
    with pytest.raises(StorageError) as info:
        WalletStore.open(tmp_path / "missing.db", PASSPHRASE)
    assert info.value.code == "wallet_not_found"
    with pytest.raises(VaultError) as wrong:
        WalletStore.open(path, "not the passphrase")
    assert wrong.value.code == "wrong_passphrase"
    store = WalletStore.open(path, PASSPHRASE)
    assert store.read_credential("c1") == SECRET
    store.close()


def test_nothing_secret_is_stored_in_plaintext(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    store = WalletStore.create(path, PASSPHRASE, kdf=FAST_KDF)
    add(store, "c1")
    store.close()
    raw = path.read_bytes()
    for needle in (b"SECRETKEY", b"Karma", b"full_name", PASSPHRASE.encode()):
        assert needle not in raw


def _sql(path: Path, statement: str, *args: object) -> None:
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(statement, args)
    connection.close()


def test_a_removed_record_refuses_the_wallet(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    store = WalletStore.create(path, PASSPHRASE, kdf=FAST_KDF)
    add(store, "c1")
    store.close()
    _sql(path, "DELETE FROM wallet_record WHERE kind = 'credential'")
    with pytest.raises(VaultError) as info:
        WalletStore.open(path, PASSPHRASE)
    assert info.value.code == "vault_corrupted"


def test_a_resurrected_record_refuses_the_wallet(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    store = WalletStore.create(path, PASSPHRASE, kdf=FAST_KDF)
    add(store, "c1")
    blob = StoredRows(store).get("credential", "c1")
    store.commit(store.catalog.with_credentials({}), delete_credentials=["c1"])
    store.close()
    _sql(path, "INSERT INTO wallet_record (kind, id, blob) VALUES ('credential', 'c1', ?)", blob)
    with pytest.raises(VaultError) as info:
        WalletStore.open(path, PASSPHRASE)
    assert info.value.code == "vault_corrupted"


def test_an_old_catalog_pasted_back_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    store = WalletStore.create(path, PASSPHRASE, kdf=FAST_KDF)
    old = StoredRows(store).get("catalog", "catalog")
    add(store, "c1")
    store.close()
    _sql(path, "UPDATE wallet_record SET blob = ? WHERE kind = 'catalog'", old)
    with pytest.raises(VaultError) as info:
        WalletStore.open(path, PASSPHRASE)
    assert info.value.code == "vault_corrupted"


def test_a_modified_record_is_detected_on_read(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    store = WalletStore.create(path, PASSPHRASE, kdf=FAST_KDF)
    add(store, "c1")
    blob = bytearray(StoredRows(store).get("credential", "c1") or b"")
    store.close()
    blob[-1] ^= 1
    _sql(path, "UPDATE wallet_record SET blob = ? WHERE kind = 'credential'", bytes(blob))
    store = WalletStore.open(path, PASSPHRASE)
    with pytest.raises(VaultError) as info:
        store.read_credential("c1")
    assert info.value.code == "vault_corrupted"
    store.close()


def test_a_file_that_is_not_a_wallet(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(VaultError) as info:
        WalletStore.open(path, PASSPHRASE)
    assert info.value.code == "vault_corrupted"


def test_concurrent_writer_is_detected_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    WalletStore.create(path, PASSPHRASE, kdf=FAST_KDF).close()
    first = WalletStore.open(path, PASSPHRASE)
    second = WalletStore.open(path, PASSPHRASE)
    add(first, "c1")
    with pytest.raises(StorageError) as info:
        add(second, "c2")
    assert info.value.code == "wallet_changed_elsewhere"
    assert second.catalog.credentials == {}  # the failed write left memory as it was
    first.close()
    second.close()
    reopened = WalletStore.open(path, PASSPHRASE)
    assert set(reopened.catalog.credentials) == {"c1"}
    reopened.close()


def test_passphrase_change_rewraps_only(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    store = WalletStore.create(path, PASSPHRASE, kdf=FAST_KDF)
    add(store, "c1")
    before = StoredRows(store).get("credential", "c1")
    store.change_passphrase("a new passphrase")
    assert StoredRows(store).get("credential", "c1") == before  # not re-encrypted
    store.close()
    with pytest.raises(VaultError):
        WalletStore.open(path, PASSPHRASE)
    store = WalletStore.open(path, "a new passphrase")
    assert store.read_credential("c1") == SECRET
    store.close()


def test_deleted_keys_leave_the_file(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    store = WalletStore.create(path, PASSPHRASE, kdf=FAST_KDF)
    add(store, "c1")
    blob = StoredRows(store).get("credential", "c1")
    assert blob is not None
    store.commit(replace(store.catalog, credentials={}), delete_credentials=["c1"])
    store.close()
    files = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert blob[3:40] not in files  # secure_delete zeroed it; the WAL was checkpointed


def test_the_collector_is_paused_while_the_catalog_loads_and_restored_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening parses the catalog with the cyclic garbage collector off (no collection storms
    over objects that all stay alive), and leaves it as it was: on after a good open and after
    a refused one, off when the caller had turned it off."""
    import gc

    from wallet.storage import catalog as catalog_module
    from wallet.storage.store import collector_paused

    path = tmp_path / "wallet.db"
    store = WalletStore.create(path, PASSPHRASE, kdf=FAST_KDF)
    add(store, "c1")
    store.close()
    seen: list[bool] = []
    real = catalog_module.Catalog.from_bytes

    def watched(raw: bytes) -> catalog_module.Catalog:
        seen.append(gc.isenabled())
        return real(raw)

    monkeypatch.setattr(catalog_module.Catalog, "from_bytes", staticmethod(watched))
    assert gc.isenabled()
    WalletStore.open(path, PASSPHRASE).close()
    assert seen == [False]
    assert gc.isenabled()
    _sql(path, "DELETE FROM wallet_record WHERE kind = 'credential'")
    with pytest.raises(VaultError):
        WalletStore.open(path, PASSPHRASE)
    assert seen == [False, False]
    assert gc.isenabled()  # restored after the refusal too
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off: it stays off
    finally:
        gc.enable()
