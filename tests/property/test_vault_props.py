"""Vault properties: any record round-trips; any flipped byte, in a record envelope or in the
wallet header, is refused with a specific error code, never decrypted into garbage."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wallet.errors import VaultError
from wallet.vault import ScryptParams, Vault

PASSPHRASE = "correct horse battery"
VAULT = Vault.create(PASSPHRASE, kdf=ScryptParams(n=2**4))
KINDS = st.sampled_from(["catalog", "credential", "history"])
IDS = st.text(min_size=1, max_size=40)
RECORD_CODES = {"vault_corrupted", "vault_version_unsupported"}
HEADER_CODES = {"wrong_passphrase", "vault_header_invalid", "vault_version_unsupported"}


@given(kind=KINDS, ident=IDS, data=st.binary(max_size=4096))
def test_any_record_round_trips(kind: str, ident: str, data: bytes) -> None:
    sealed = VAULT.seal(kind, ident, data)
    assert VAULT.open(kind, ident, sealed) == data
    assert len(data) < 16 or data not in sealed


@given(
    kind=KINDS,
    ident=IDS,
    data=st.binary(max_size=512),
    where=st.integers(min_value=0),
    bit=st.integers(min_value=0, max_value=7),
)
def test_any_flipped_byte_in_a_record_is_detected(
    kind: str, ident: str, data: bytes, where: int, bit: int
) -> None:
    sealed = bytearray(VAULT.seal(kind, ident, data))
    sealed[where % len(sealed)] ^= 1 << bit
    with pytest.raises(VaultError) as info:
        VAULT.open(kind, ident, bytes(sealed))
    assert info.value.code in RECORD_CODES


@given(data=st.binary(max_size=256), cut=st.integers(min_value=0))
def test_truncated_records_are_detected(data: bytes, cut: int) -> None:
    sealed = VAULT.seal("credential", "c", data)
    with pytest.raises(VaultError) as info:
        VAULT.open("credential", "c", sealed[: cut % len(sealed)])
    assert info.value.code == "vault_corrupted"


@settings(max_examples=150)
@given(where=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_byte_in_the_header_is_detected(where: int, bit: int) -> None:
    header = bytearray(VAULT.header)
    header[where % len(header)] ^= 1 << bit
    # Every byte of the compact JSON header is significant, so unlocking must fail.
    with pytest.raises(VaultError) as info:
        Vault.unlock(bytes(header), PASSPHRASE)
    assert info.value.code in HEADER_CODES


def test_header_is_json_without_secrets() -> None:
    header = json.loads(VAULT.header)
    assert set(header) == {"format", "version", "kdf", "salt", "dek"}
    assert PASSPHRASE not in VAULT.header.decode()
