"""The wallet's composition root: what opening a wallet needs, built once from settings.

:class:`WalletRuntime` holds the settings, the network (a factory of SSRF-guarded
:class:`did.fetch.Fetcher`, one per operation under the settings' fetch policy), the clock,
randomness, key generation and the KDF for new wallets and backups. It creates and opens the
encrypted store (:class:`wallet.storage.store.WalletStore`) and, per network operation, the
fetcher with the DID resolver and the status checker over it (:class:`Online`).

Built in one place for every way in: the command line (:mod:`wallet.commands`), the web wallet
(:func:`wallet.web.create_app`, served by :mod:`wallet.server`) and the library facade
(:meth:`wallet.holder.Wallet.create` / :meth:`~wallet.holder.Wallet.open`). Tests pass their own
network, clock and KDF here and nowhere else.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from credentials.clock import system_time
from credentials.errors import CredentialError
from credentials.status_check import StatusChecker
from credentials.status_list import STATUS_LIST_MEDIA_TYPE
from credentials.x509 import TrustAnchor, encode_x5c, parse_certificates, sha256_fingerprint
from did.errors import DIDError
from did.fetch import Fetcher
from did.keys import PrivateKey
from did.resolver import Resolver
from wallet.errors import ReceiveError
from wallet.oid4vci.key_attestation import KeyAttester
from wallet.settings import WalletSettings
from wallet.storage.store import WalletStore
from wallet.trust import (
    Trust,
    TrustedRoot,
    anchor_of,
    load_anchor_files,
    load_crl_files,
    shipped_anchor_files,
)
from wallet.vault import DEFAULT_KDF, KDFParams

__all__ = ["Network", "Online", "WalletRuntime"]

# One fresh fetcher per operation: its connections close when the operation ends.
Network = Callable[[], Fetcher]


@dataclass(frozen=True, slots=True)
class Online:
    """What one network operation uses: the fetcher, the DID resolver over it, and the status
    checker over it. Made per operation, so the checker's cache lives as long as one check:
    every status check asks the issuers afresh."""

    fetcher: Fetcher
    resolver: Resolver
    status: StatusChecker


@dataclass(slots=True)
class WalletRuntime:
    """Settings and every outside dependency of an open wallet (see the module docstring).
    ``kdf`` is used only for wallets and backups made here (tests pass cheap parameters; the
    default is the library's strong one). One object shared by an open wallet and its flows,
    so a test that takes the network away or moves the clock does so for all of them."""

    settings: WalletSettings
    network: Network
    clock: Callable[[], int] = system_time
    random_bytes: Callable[[int], bytes] = os.urandom
    generate_key: Callable[[str], PrivateKey] = PrivateKey.generate
    kdf: KDFParams = DEFAULT_KDF

    @classmethod
    def from_settings(
        cls,
        settings: WalletSettings,
        *,
        network: Network | None = None,
        clock: Callable[[], int] = system_time,
        random_bytes: Callable[[int], bytes] = os.urandom,
        generate_key: Callable[[str], PrivateKey] = PrivateKey.generate,
        kdf: KDFParams = DEFAULT_KDF,
    ) -> WalletRuntime:
        """The runtime for ``settings``; the network defaults to fetchers under the settings'
        fetch policy (``https`` and public addresses only, unless in development mode)."""
        return cls(
            settings,
            network or (lambda: Fetcher(settings.fetch_policy())),
            clock=clock,
            random_bytes=random_bytes,
            generate_key=generate_key,
            kdf=kdf,
        )

    @property
    def wallet_path(self) -> Path:
        return self.settings.wallet_path

    def create_store(self, passphrase: str, *, path: Path | None = None) -> WalletStore:
        """A new wallet file (``wallet_exists`` if there is one already)."""
        return WalletStore.create(
            Path(path or self.wallet_path), passphrase, kdf=self.kdf, random_bytes=self.random_bytes
        )

    def open_store(self, passphrase: str, *, path: Path | None = None) -> WalletStore:
        """Unlock a wallet file (``wrong_passphrase``, ``vault_corrupted``,
        ``wallet_not_found``)."""
        return WalletStore.open(
            Path(path or self.wallet_path), passphrase, random_bytes=self.random_bytes
        )

    @contextlib.contextmanager
    def online(self) -> Iterator[Online]:
        """One network operation; every request in it under the fetch policy's timeout."""
        with self.network() as fetcher:
            yield Online(
                fetcher,
                Resolver(fetcher=fetcher),
                StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE)),
            )

    def trust(self, added: Mapping[str, TrustedRoot]) -> Trust:
        """The wallet's trust store now: shipped anchors, configured ones, and ``added`` (the
        citizen's, from the catalog), each certificate once; and the configured CRLs."""
        settings = self.settings
        found = [
            *load_anchor_files(shipped_anchor_files(), source="shipped"),
            *load_anchor_files(settings.x509_anchor_files, source="configured"),
            *((anchor_of(root), "added") for root in added.values()),
        ]
        anchors: dict[str, tuple[TrustAnchor, str]] = {}
        for anchor, source in found:
            anchors.setdefault(sha256_fingerprint(anchor.certificate), (anchor, source))
        return Trust(
            tuple(anchor for anchor, _ in anchors.values()),
            tuple(source for _, source in anchors.values()),
            load_crl_files(settings.x509_crl_files),
            development=settings.mode == "development",
        )

    def key_attester(self) -> KeyAttester | None:
        """The configured key attestation signer (``None``: the wallet sends none)."""
        settings = self.settings
        if settings.key_attestation_chain_file is None or settings.key_attestation_key_file is None:
            return None
        try:
            chain = parse_certificates(settings.key_attestation_chain_file.read_bytes())
            signer = PrivateKey.load(settings.key_attestation_key_file)
        except (OSError, CredentialError, DIDError) as exc:
            raise ReceiveError(
                f"the key attestation files cannot be read ({exc})", code="key_attestation_files"
            ) from exc
        return KeyAttester(
            signer,
            tuple(encode_x5c([c for c in chain if c.issuer != c.subject])),
            settings.key_storage,
            settings.user_authentication,
        )

    def new_id(self) -> str:
        """A random identifier for a record (credential, copy, history entry)."""
        return self.random_bytes(9).hex()
