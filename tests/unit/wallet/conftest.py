"""Wallet test fixtures: an in-process issuer and verifier (test doubles), a wallet with a
cheap KDF (the defaults stay strong; tests pass their own parameters), and a fixed clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from did.fetch import Fetcher
from tests.support.fake_verifier import FakeVerifier
from tests.support.wallet_issuer import FakeIssuer, asgi_transport
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.storage.repos import Records
from wallet.storage.store import WalletStore
from wallet.vault import ScryptParams

NOW = 1_800_000_000
PASSPHRASE = "correct horse battery"
FAST_KDF = ScryptParams(n=2**4, r=8, p=1)


class StoredRows:
    """The sealed rows of an open store's file as they are on disk (each read its own session),
    for tests that look beneath the store."""

    def __init__(self, store: WalletStore) -> None:
        self._file = store._file

    def get(self, kind: str, ident: str) -> bytes | None:
        with self._file.session() as session:
            return Records(session).get(kind, ident)

    def keys(self) -> set[tuple[str, str]]:
        with self._file.session() as session:
            return Records(session).keys()


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer("https://issuer.example", now=NOW)


@pytest.fixture
def verifier(issuer: FakeIssuer) -> FakeVerifier:
    keys = {issuer.base_url: {issuer.kid: issuer.key.public_key}}
    return FakeVerifier("https://verifier.example", issuer_keys=keys, now=NOW)


@pytest.fixture
def transport(issuer: FakeIssuer, verifier: FakeVerifier) -> httpx.MockTransport:
    return asgi_transport(
        {"issuer.example": issuer.build_app(), "verifier.example": verifier.build_app()}
    )


@pytest.fixture
def settings(tmp_path: Path) -> WalletSettings:
    return WalletSettings(mode="production", data_dir=tmp_path, max_response_bytes=1024 * 1024)


@pytest.fixture
def network(settings: WalletSettings, transport: httpx.MockTransport) -> Callable[[], Fetcher]:
    return lambda: Fetcher(settings.fetch_policy(), transport=transport)


@pytest.fixture
def wallet(
    tmp_path: Path, settings: WalletSettings, network: Callable[[], Fetcher]
) -> Iterator[Wallet]:
    with Wallet.create(
        tmp_path / "wallet.db",
        PASSPHRASE,
        settings=settings,
        kdf=FAST_KDF,
        network=network,
        clock=lambda: NOW,
    ) as opened:
        yield opened
