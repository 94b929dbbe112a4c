"""Deferred issuance end to end (OpenID4VCI 1.0 §9): the drukid wallet asks the drukid issuer
for a credential an operator must approve (in-process), gets 202, keeps its keys across a
restart, polls no earlier than the issuer's interval and with back-off, and collects the
credential once an operator approved it; a denial is told in words."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from issuer.operator import OfferItem, local_actor
from tests.api.issuer.test_deferred import approval_types
from tests.e2e.wallet.test_haip_credential import issuer_and_network
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams

KARMA = "11512003456"
PASSPHRASE = "correct horse battery"


class Clock:
    def __init__(self) -> None:
        self.now = int(time.time())

    def __call__(self) -> int:
        return self.now


def _wallet(tmp_path: Path, network: Any, clock: Clock, *, create: bool) -> Wallet:
    settings = WalletSettings(mode="development", data_dir=tmp_path / "wallet")
    path = tmp_path / "wallet" / "wallet.db"
    if create:
        return Wallet.create(
            path, PASSPHRASE, settings=settings, kdf=ScryptParams(n=2**4), network=network,
            clock=clock,
        )  # fmt: skip
    return Wallet.open(path, PASSPHRASE, settings=settings, network=network, clock=clock)


def _deferred_posts(log: list[tuple[httpx.Request, httpx.Response]]) -> int:
    return sum(1 for request, _ in log if request.url.path == "/deferred_credential")


@pytest.mark.parametrize("decision", ["approve", "deny"])
def test_offer_202_operator_decides_wallet_collects(tmp_path: Path, decision: str) -> None:
    log: list[tuple[httpx.Request, httpx.Response]] = []
    clock = Clock()
    types = approval_types(tmp_path / "types")
    with issuer_and_network(tmp_path, log, types_dir=types, deferred_interval=30) as (
        app,
        network,
    ):
        operator = app.state.runtime.operator
        offer = operator.offers.create(local_actor(), OfferItem("permanent-address", KARMA))
        with _wallet(tmp_path, network, clock, create=True) as wallet:
            received, waiting = wallet.receive_offer(wallet.load_offer(offer.offer_uri))
            assert received == []
            [item] = waiting
            assert item.words.startswith("Waiting for the agency to approve your Permanent")
            assert "We will look again at" in item.words
            # Not before the issuer's interval: nothing is sent.
            [(check, words)] = wallet.check_pending()
            assert check.outcome == "waiting"
            assert _deferred_posts(log) == 0
        # The wallet process stops; the keys and the transaction are in the wallet file.
        with _wallet(tmp_path, network, clock, create=False) as wallet:
            [again] = wallet.pending()
            assert again.id == item.id
            clock.now += 30
            [(check, words)] = wallet.check_pending()
            assert check.outcome == "waiting"  # the agency has not decided
            assert _deferred_posts(log) == 1
            [later] = wallet.pending()
            assert later.next_poll_at is not None
            # Back-off: the next try waits at least twice the interval.
            assert later.next_poll_at - clock.now >= 60
            [request] = operator.approvals.page(local_actor()).items
            if decision == "approve":
                operator.approvals.approve(local_actor(), request.ref)
            else:
                operator.approvals.deny(local_actor(), request.ref, reason="not confirmed")
            clock.now = later.next_poll_at
            [(check, words)] = wallet.check_pending()
            assert wallet.pending() == []
            if decision == "approve":
                assert check.outcome == "received"
                assert (
                    words == "The agency approved your Permanent address. It is now in your wallet."
                )
                [view] = wallet.credentials()
                assert view.id == check.credential_id
                assert view.copies > 1
                assert any(c.value for c in view.claims)
            else:
                assert check.outcome == "denied"
                assert "decided not to issue your Permanent address" in words
                assert wallet.credentials() == []
    if decision == "approve":
        # The deferred answer came encrypted (the wallet asks whenever the issuer offers it).
        [(request_, response)] = [
            (r, a) for r, a in log if r.url.path == "/deferred_credential" and a.status_code == 200
        ]
        assert response.headers["content-type"] == "application/jwt"
        assert "credential_response_encryption" in json.loads(request_.content)


def test_keys_are_kept_before_the_request_is_sent(tmp_path: Path) -> None:
    """The holder keys are committed before the credential request leaves: a wallet that stops
    while the request is on its way finds the record, says so in words, and drops it."""
    log: list[tuple[httpx.Request, httpx.Response]] = []
    clock = Clock()
    types = approval_types(tmp_path / "types")
    with issuer_and_network(tmp_path, log, types_dir=types) as (app, network):
        offer = app.state.runtime.operator.offers.create(
            local_actor(), OfferItem("permanent-address", KARMA)
        )

        def cut_off() -> Any:
            real = network()
            original = real.request

            def request(method: str, url: str, **kwargs: Any) -> Any:
                if url.endswith("/credential"):
                    raise KeyboardInterrupt  # the process stops mid-request
                return original(method, url, **kwargs)

            real.request = request  # type: ignore[method-assign]
            return real

        with _wallet(tmp_path, cut_off, clock, create=True) as wallet:
            loaded = wallet.load_offer(offer.offer_uri)
            store = wallet._store  # type: ignore[attr-defined]
            seen: list[int] = []
            original_commit = store.commit

            def commit(catalog: Any, **kwargs: Any) -> Any:
                seen.append(len(catalog.pending))
                return original_commit(catalog, **kwargs)

            store.commit = commit
            with pytest.raises(KeyboardInterrupt):
                wallet.receive_offer(loaded)
            assert seen[0] == 1  # committed with the keys before the request was sent
        with _wallet(tmp_path, network, clock, create=False) as wallet:
            assert wallet.pending() == []  # a stop that Python saw cleans up after itself


def test_a_hard_stop_mid_request_is_told_and_cleared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wallet.receiving

    log: list[tuple[httpx.Request, httpx.Response]] = []
    clock = Clock()
    with issuer_and_network(tmp_path, log, types_dir=approval_types(tmp_path / "t")) as (
        app,
        network,
    ):
        offer = app.state.runtime.operator.offers.create(
            local_actor(), OfferItem("permanent-address", KARMA)
        )
        with _wallet(tmp_path, network, clock, create=True) as held:
            loaded = held.load_offer(offer.offer_uri)
            # A kill -9 between the commit of the keys and the answer: no clean-up runs.
            monkeypatch.setattr(wallet.receiving.Receiving, "_drop", lambda self, idents: None)
            monkeypatch.setattr(
                wallet.receiving.IssuanceClient,
                "receive",
                lambda self, offer, tx_code=None: _keep_then_die(self, offer),
            )
            with pytest.raises(SystemExit):
                held.receive_offer(loaded)
        monkeypatch.undo()
        with _wallet(tmp_path, network, clock, create=False) as held:
            [item] = held.pending()
            assert item.state == "interrupted"
            assert "ask the agency for a new offer" in item.words
            assert held.check_pending() == []  # too recent to call it lost
            clock.now += 600
            [(check, words)] = held.check_pending()
            assert check.outcome == "interrupted"
            assert "cut off" in words
            assert held.pending() == []


def _keep_then_die(client: Any, offer: Any) -> Any:
    from did.keys import PrivateKey
    from wallet.oid4vci.client import KeysToKeep

    assert client._keep_keys is not None
    client._keep_keys(
        KeysToKeep(offer.credential_issuer, "permanent-address", (PrivateKey.generate(),), "t")
    )
    raise SystemExit(137)
