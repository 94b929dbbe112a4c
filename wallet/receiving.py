"""Receiving credentials: read the offer (a link or its QR code), run the OpenID4VCI client
(:mod:`wallet.oid4vci.client`), and store every verified credential in one transaction before
telling the issuer they were accepted. A failure anywhere leaves the wallet as it was.

Wallet-initiated (the authorization code flow, :mod:`wallet.oid4vci.code_flow`): :meth:`begin`
gives the agency page's URL for the citizen's browser and the pending sign-in to keep;
:meth:`complete` takes the browser's redirect back and stores the credential with its grant
(refresh token and DPoP key, sealed in the vault); :meth:`refresh` fetches fresh copies with
it later, without signing in again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from wallet.errors import ReceiveError
from wallet.links import read_link
from wallet.oid4vci.authorization import PendingAuthorization
from wallet.oid4vci.client import IssuanceClient
from wallet.oid4vci.code_flow import CodeFlowClient, Grant
from wallet.oid4vci.credential import ReceivedCredential
from wallet.oid4vci.offer import CredentialOffer
from wallet.oid4vci.sender import WalletAttestation
from wallet.runtime import Online, WalletRuntime
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
        with self._runtime.online() as online:
            client = IssuanceClient(online.fetcher, **self._client_options(online))
            received = client.receive(offer, tx_code=tx_code)
            ids = self._store_received(received)
            client.accepted(received)
        return ids

    # --- wallet-initiated: the authorization code flow ---------------------------------------

    def _attestation(self) -> WalletAttestation | None:
        settings = self._runtime.settings
        if settings.attestation_file is None or settings.attestation_key_file is None:
            return None
        return WalletAttestation.load(settings.attestation_file, settings.attestation_key_file)

    def _client_options(self, online: Online) -> dict[str, Any]:
        """What every issuance client of this wallet is given (both flows)."""
        runtime = self._runtime
        return {
            "clock": runtime.clock,
            "copies": runtime.settings.copies,
            "generate_key": runtime.generate_key,
            "known_types": self._store.catalog.types,
            "resolver": online.resolver,
            "trust": runtime.trust(self._store.catalog.trusted_roots),
            "key_attester": runtime.key_attester(),
            "encrypt_responses": runtime.settings.response_encryption,
        }

    def _code_client(self, online: Online) -> CodeFlowClient:
        return CodeFlowClient(
            online.fetcher,
            attestation=self._attestation(),
            client_id=self._runtime.settings.client_id,
            **self._client_options(online),
        )

    def begin(
        self, issuer: str, configuration_id: str, *, redirect_uri: str
    ) -> tuple[str, PendingAuthorization]:
        """Push the authorization request; the URL to open and what to keep until the
        redirect comes back."""
        with self._runtime.online() as online:
            return self._code_client(online).begin(
                issuer.rstrip("/"), configuration_id, redirect_uri=redirect_uri
            )

    def complete(self, pending: PendingAuthorization, redirect: str) -> str:
        """Redeem the redirect's code, store the credential with its grant; its id."""
        with self._runtime.online() as online:
            client = self._code_client(online)
            received, grant = client.complete(pending, redirect)
            grants = {0: grant.to_json()} if grant is not None else {}
            ids = self._store_received([received], grants=grants)
            client.accepted([received])
        return ids[0]

    def refresh(self, credential_id: str) -> int:
        """Fresh copies of a credential from its grant (the old copies are replaced); how
        many."""
        store = self._store
        entry = store.catalog.credentials.get(credential_id)
        if entry is None:
            raise ReceiveError(
                "there is no such credential in this wallet", code="credential_not_found"
            )
        secret = store.read_credential(credential_id)
        if secret.grant is None:
            raise ReceiveError(
                "this credential was received from an offer; ask the issuer for a new one",
                code="refresh_unsupported",
            )
        with self._runtime.online() as online:
            client = self._code_client(online)
            received, grant = client.refresh(Grant.from_json(secret.grant))
            copies = tuple(
                CopySecret(self._runtime.new_id(), sd_jwt, key.to_jwk())
                for sd_jwt, key in received.copies
            )
            entries = dict(store.catalog.credentials)
            entries[credential_id] = replace(
                entry,
                copies=tuple(CopyState(c.copy_id) for c in copies),
                claims=index_claims(received.claims),
                received_at=self._runtime.clock(),
            )
            store.commit(
                replace(store.catalog, credentials=entries),
                credentials=[(credential_id, CredentialSecret(copies, grant.to_json()))],
            )
            client.accepted([received])
        return len(copies)

    def _store_received(
        self,
        received: Sequence[ReceivedCredential],
        *,
        grants: dict[int, dict[str, object]] | None = None,
    ) -> list[str]:
        catalog = self._store.catalog
        entries = dict(catalog.credentials)
        types = dict(catalog.types)
        secrets_: list[tuple[str, CredentialSecret]] = []
        ids = []
        now = self._runtime.clock()
        for number, item in enumerate(received):
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
            secrets_.append((ident, CredentialSecret(copies, (grants or {}).get(number))))
            ids.append(ident)
        self._store.commit(replace(catalog, credentials=entries, types=types), credentials=secrets_)
        return ids
