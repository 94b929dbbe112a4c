"""What the project's own issuer and verifier say reaches the citizen: the wallet passes on the
service's own code and words (issue 14), never "127.0.0.1 answered HTTP 410": a wrong PIN, an
offer already used, and a bank refusing a revoked credential (whom to contact)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from did.fetch import Fetcher
from issuer.operator import OfferItem, local_actor
from tests.e2e.wallet.test_issuer_verifier import KARMA, PASSPHRASE, apps, in_process
from wallet.errors import WalletError
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams

ISSUER_URL, VERIFIER_URL = "http://127.0.0.1:8101", "http://127.0.0.1:8102"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    clients: dict[str, TestClient] = {}
    transport = in_process(clients)
    issuer, verifier = apps(tmp_path, ISSUER_URL, VERIFIER_URL, transport)
    with ExitStack() as stack:
        clients["127.0.0.1:8101"] = stack.enter_context(TestClient(issuer, base_url=ISSUER_URL))
        clients["127.0.0.1:8102"] = stack.enter_context(TestClient(verifier, base_url=VERIFIER_URL))
        settings = WalletSettings(mode="development", data_dir=tmp_path / "wallet")
        policy = settings.fetch_policy()
        wallet = stack.enter_context(
            Wallet.create(
                tmp_path / "wallet" / "wallet.db",
                PASSPHRASE,
                settings=settings,
                kdf=ScryptParams(n=2**4),
                network=lambda: Fetcher(policy, transport=transport),
            )
        )
        yield {"issuer": issuer, "verifier": verifier, "wallet": wallet, "bank": clients[
            "127.0.0.1:8102"]}  # fmt: skip


def _offer(world: dict[str, Any], *, tx_code: bool) -> Any:
    return world["issuer"].state.runtime.operator.offers.create(
        local_actor(), OfferItem("foundational-id", KARMA, tx_code=tx_code)
    )


def test_a_wrong_pin_says_so_with_the_tries_left(world: dict[str, Any]) -> None:
    wallet: Wallet = world["wallet"]
    offer = _offer(world, tx_code=True)
    loaded = wallet.load_offer(offer.offer_uri)
    wrong = "000000" if offer.tx_code != "000000" else "111111"
    with pytest.raises(WalletError) as info:
        wallet.receive(loaded, tx_code=wrong)
    error = info.value
    assert error.code == "tx_code_invalid"  # the code README documents
    assert error.message.startswith("the issuer says: the PIN is wrong; ")
    assert "tries left; check the PIN the agency gave you" in error.message
    assert "invalid_grant" not in error.message
    assert "attempt(s)" not in error.message
    assert "Check the PIN the agency gave you" in error.hint
    [view] = wallet.receive(loaded, tx_code=offer.tx_code)  # and the right PIN still works
    assert view.type_id == "foundational-id"


def test_an_offer_used_already_is_the_issuers_own_code_and_words(world: dict[str, Any]) -> None:
    wallet: Wallet = world["wallet"]
    offer = _offer(world, tx_code=False)
    wallet.receive(offer.offer_uri)
    with pytest.raises(WalletError) as info:
        wallet.load_offer(offer.offer_uri)
    error = info.value
    assert error.code == "offer_used"  # not network_bad_status
    assert error.message == (
        "the issuer says: this offer was already used to add the credential to a wallet; if "
        "that was not you, contact the agency"
    )
    assert "HTTP" not in error.message
    assert "do what it says" in error.hint


def test_a_bank_refusing_a_revoked_credential_names_whom_to_contact(
    world: dict[str, Any],
) -> None:
    wallet: Wallet = world["wallet"]
    offer = _offer(world, tx_code=False)
    [view] = wallet.receive(offer.offer_uri)
    world["issuer"].state.runtime.operator.credentials.change_offer_status(
        local_actor(), offer.ref, "revoke", reason="reported stolen"
    )
    token, _ = world["verifier"].state.service.create_api_key("Bank of Bhutan KYC desk")
    created = world["bank"].post(
        "/api/v1/requests",
        json={"template": "account-opening"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201, created.text
    session = wallet.prepare_presentation(created.json()["uri"])
    with pytest.raises(WalletError) as info:
        wallet.approve(session)
    error = info.value
    assert error.code == "status_revoked"  # not presentation_rejected
    assert "revoked by its issuer" in error.message
    assert "Check the message" not in error.hint
    assert f"your {view.title} from {view.issuer} was revoked by its issuer" in error.hint
    assert f"Contact {view.issuer}" in error.hint
    assert [e.outcome for e in wallet.history()] == ["rejected"]
