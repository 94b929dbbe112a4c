"""Receiving credentials: read the offer (a link or its QR code), run the OpenID4VCI client
(:mod:`wallet.oid4vci.client`), and store every verified credential in one transaction before
telling the issuer they were accepted. A failure anywhere leaves the wallet as it was.

Wallet-initiated (the authorization code flow, :mod:`wallet.oid4vci.code_flow`): :meth:`begin`
gives the agency page's URL for the citizen's browser and the pending sign-in to keep;
:meth:`complete` takes the browser's redirect back and stores the credential with its grant
(refresh token and DPoP key, sealed in the vault); :meth:`refresh` fetches fresh copies with
it later, without signing in again.

Deferred issuance (OpenID4VCI §9): before each credential request of an offer, the fresh holder
keys are committed as a pending issuance (:class:`~wallet.storage.catalog.PendingEntry` and its
sealed :class:`~wallet.storage.catalog.PendingSecret`), so that when the agency answers "later"
(202) the keys its credentials will be bound to survive a crash. An immediate answer stores the
credentials and drops that record in one commit; a 202 turns it into ``waiting`` with the
transaction id; a refusal drops it. :meth:`Receiving.check_pending` asks again for those whose
time has come (at least the issuer's interval, doubling, capped, with jitter:
:func:`wallet.oid4vci.deferred.next_poll_at`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from did.keys import PrivateKey
from wallet.errors import NetworkError, ReceiveError
from wallet.links import read_link
from wallet.oid4vci.authorization import PendingAuthorization
from wallet.oid4vci.client import Deferred, IssuanceClient, KeysToKeep
from wallet.oid4vci.code_flow import CodeFlowClient, Grant
from wallet.oid4vci.credential import ReceivedCredential
from wallet.oid4vci.deferred import next_poll_at
from wallet.oid4vci.offer import CredentialOffer
from wallet.oid4vci.sender import WalletAttestation
from wallet.runtime import Online, WalletRuntime
from wallet.storage.catalog import (
    Catalog,
    CopySecret,
    CopyState,
    CredentialEntry,
    CredentialSecret,
    PendingEntry,
    PendingSecret,
    index_claims,
)
from wallet.storage.store import WalletStore

__all__ = ["INTERRUPTED_AFTER", "PendingCheck", "ReceiveResult", "Receiving"]

# A request still "sending" this long after its keys were kept was cut off (the wallet stopped
# before it read the answer): it cannot be collected, and is dropped with a word of why.
INTERRUPTED_AFTER = 600


@dataclass(frozen=True, slots=True)
class ReceiveResult:
    """What one offer gave: credential ids stored now, and pending ids the agency will decide."""

    received: tuple[str, ...]
    waiting: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PendingCheck:
    """The outcome of asking again for one pending issuance: ``received`` (stored as
    ``credential_id``), ``waiting``, ``denied``, ``expired``, ``interrupted``, ``offline``
    (could not reach the issuer; asked again later) or ``failed`` (``code`` says why)."""

    pending_id: str
    configuration_id: str
    type_names: dict[str, str]
    issuer_names: dict[str, str]
    outcome: str
    credential_id: str | None = None
    code: str | None = None


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
        return list(self.receive_all(offer, tx_code=tx_code).received)

    def receive_all(
        self, offer: CredentialOffer | str | bytes, *, tx_code: str | None = None
    ) -> ReceiveResult:
        """Like :meth:`receive`, and those an operator must approve first become pending."""
        if not isinstance(offer, CredentialOffer):
            offer = self.load_offer(offer)
        self._kept: dict[str, str] = {}  # configuration id -> pending id, for this offer
        with self._runtime.online() as online:
            client = IssuanceClient(
                online.fetcher, keep_keys=self._keep, **self._client_options(online)
            )
            try:
                results = client.receive(offer, tx_code=tx_code)
            except BaseException:
                self._drop(self._kept.values())
                raise
            received = [r for r in results if isinstance(r, ReceivedCredential)]
            deferred = [r for r in results if isinstance(r, Deferred)]
            catalog = self._store.catalog
            finished = [self._kept[r.configuration_id] for r in received]
            entries = dict(catalog.pending)
            waiting: list[tuple[str, PendingSecret]] = []
            now = self._runtime.clock()
            for item in deferred:
                ident = self._kept[item.kept.configuration_id]
                interval = item.accepted.interval
                entries[ident] = replace(
                    entries[ident],
                    state="waiting",
                    interval=interval,
                    next_poll_at=now + interval,
                )
                secret = _secret(item.kept, item.accepted.transaction_id)
                waiting.append((ident, secret))
            for ident in finished:
                entries.pop(ident, None)
            ids = self._store_received(
                received,
                replace(catalog, pending=entries),
                pending=waiting,
                delete_pending=finished,
            )
            client.accepted(received)
        return ReceiveResult(tuple(ids), tuple(ident for ident, _ in waiting))

    def _keep(self, kept: KeysToKeep) -> None:
        """Before the credential request: the keys (and what fetching needs) in one commit."""
        catalog = self._store.catalog
        ident = self._kept.setdefault(kept.configuration_id, self._runtime.new_id())
        entry = PendingEntry(
            id=ident,
            credential_issuer=kept.credential_issuer,
            configuration_id=kept.configuration_id,
            issuer_names=dict(kept.issuer_names),
            type_names=dict(kept.type_names),
            created_at=self._runtime.clock(),
        )
        self._store.commit(
            replace(catalog, pending={**catalog.pending, ident: entry}),
            pending=[(ident, _secret(kept, None))],
        )

    def _drop(self, idents: Iterable[str]) -> None:
        catalog = self._store.catalog
        gone = [ident for ident in idents if ident in catalog.pending]
        if gone:
            pending = {k: v for k, v in catalog.pending.items() if k not in gone}
            self._store.commit(replace(catalog, pending=pending), delete_pending=gone)

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

    # --- deferred issuance ---------------------------------------------------------------

    def check_pending(self, *, force: bool = False) -> list[PendingCheck]:
        """Ask the issuers again for every pending issuance whose time has come (all of them
        with ``force``); store what arrives. Nothing is asked before the issuer's interval."""
        now = self._runtime.clock()
        results: list[PendingCheck] = []
        entries = sorted(self._store.catalog.pending.values(), key=lambda e: e.created_at)
        with self._runtime.online() as online:
            client = IssuanceClient(online.fetcher, **self._client_options(online))
            for entry in entries:
                if entry.state == "sending":
                    if now - entry.created_at >= INTERRUPTED_AFTER:
                        self._drop([entry.id])
                        results.append(_check(entry, "interrupted"))
                    continue
                if not force and entry.next_poll_at > now:
                    results.append(_check(entry, "waiting"))
                    continue
                results.append(self._ask(client, entry, now))
        return results

    def _ask(self, client: IssuanceClient, entry: PendingEntry, now: int) -> PendingCheck:
        secret = self._store.read_pending(entry.id)
        keys = tuple(PrivateKey.from_jwk(jwk) for jwk in secret.keys)
        kept = KeysToKeep(
            entry.credential_issuer, entry.configuration_id, keys, secret.access_token
        )
        try:
            got = client.fetch_deferred(kept, secret.transaction_id or "")
        except NetworkError as exc:
            self._later(entry, now)
            return _check(entry, "offline", code=exc.code)
        except ReceiveError as exc:
            self._drop([entry.id])
            outcome = {"issuance_denied": "denied", "issuance_expired": "expired"}
            return _check(entry, outcome.get(exc.code, "failed"), code=exc.code)
        if got is None:
            self._later(entry, now)
            return _check(entry, "waiting")
        catalog = self._store.catalog
        pending = {k: v for k, v in catalog.pending.items() if k != entry.id}
        [ident] = self._store_received(
            [got], replace(catalog, pending=pending), delete_pending=[entry.id]
        )
        client.accepted([got])
        return _check(entry, "received", credential_id=ident)

    def _later(self, entry: PendingEntry, now: int) -> None:
        jitter = int.from_bytes(self._runtime.random_bytes(2), "big") / 65536
        tries = entry.attempts + 1  # this one went unanswered: the wait doubles
        when = next_poll_at(now, interval=entry.interval, attempt=tries, jitter=jitter)
        catalog = self._store.catalog
        updated = replace(entry, attempts=tries, next_poll_at=when)
        self._store.commit(replace(catalog, pending={**catalog.pending, entry.id: updated}))

    def _store_received(
        self,
        received: Sequence[ReceivedCredential],
        catalog: Catalog | None = None,
        *,
        grants: dict[int, dict[str, object]] | None = None,
        pending: Sequence[tuple[str, PendingSecret]] = (),
        delete_pending: Sequence[str] = (),
    ) -> list[str]:
        catalog = catalog or self._store.catalog
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
        self._store.commit(
            replace(catalog, credentials=entries, types=types),
            credentials=secrets_,
            pending=pending,
            delete_pending=delete_pending,
        )
        return ids


def _secret(kept: KeysToKeep, transaction_id: str | None) -> PendingSecret:
    return PendingSecret(
        tuple(key.to_jwk() for key in kept.keys), kept.access_token, transaction_id
    )


def _check(
    entry: PendingEntry, outcome: str, *, credential_id: str | None = None, code: str | None = None
) -> PendingCheck:
    return PendingCheck(
        entry.id,
        entry.configuration_id,
        dict(entry.type_names),
        dict(entry.issuer_names),
        outcome,
        credential_id,
        code,
    )
