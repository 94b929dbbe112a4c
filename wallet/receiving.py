"""Receiving credentials: read the offer (a link or its QR code), run the OpenID4VCI client
(:mod:`wallet.oid4vci.client`), and store every verified credential in one transaction before
telling the issuer they were accepted. A failure anywhere leaves the wallet as it was."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from wallet.errors import ReceiveError
from wallet.links import read_link
from wallet.oid4vci.client import IssuanceClient
from wallet.oid4vci.credential import ReceivedCredential
from wallet.oid4vci.offer import CredentialOffer
from wallet.runtime import WalletRuntime
from wallet.storage.catalog import (
    CopySecret,
    CopyState,
    CredentialEntry,
    CredentialSecret,
    index_claims,
)
from wallet.storage.store import WalletStore

__all__ = ["Receiving"]


class Receiving:
    """The receive flow of one open wallet."""

    def __init__(self, store: WalletStore, runtime: WalletRuntime) -> None:
        self._store = store
        self._runtime = runtime

    def load_offer(self, source: str | bytes) -> CredentialOffer:
        """Read an offer from a link or a QR image (fetching it when given by reference)."""
        text = read_link(source, error=ReceiveError)
        with self._runtime.online() as online:
            client = IssuanceClient(
                online.fetcher, clock=self._runtime.clock, resolver=online.resolver
            )
            return client.load_offer(text)

    def receive(
        self, offer: CredentialOffer | str | bytes, *, tx_code: str | None = None
    ) -> list[str]:
        """Receive, verify and store the offered credentials (all or nothing); their ids."""
        if not isinstance(offer, CredentialOffer):
            offer = self.load_offer(offer)
        runtime = self._runtime
        with runtime.online() as online:
            client = IssuanceClient(
                online.fetcher,
                clock=runtime.clock,
                copies=runtime.settings.copies,
                generate_key=runtime.generate_key,
                known_types=self._store.catalog.types,
                resolver=online.resolver,
                trust=runtime.trust(self._store.catalog.trusted_roots),
                key_attester=runtime.key_attester(),
                encrypt_responses=runtime.settings.response_encryption,
            )
            received = client.receive(offer, tx_code=tx_code)
            ids = self._store_received(received)
            client.accepted(received)
        return ids

    def _store_received(self, received: Sequence[ReceivedCredential]) -> list[str]:
        catalog = self._store.catalog
        entries = dict(catalog.credentials)
        types = dict(catalog.types)
        secrets_: list[tuple[str, CredentialSecret]] = []
        ids = []
        now = self._runtime.clock()
        for item in received:
            ident = self._runtime.new_id()
            copies = tuple(
                CopySecret(self._runtime.new_id(), sd_jwt, key.to_jwk())
                for sd_jwt, key in item.copies
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
