"""The drukid wallet against the drukid issuer with HAIP's credential-endpoint features, through
today's pre-authorized flow (in-process): key attestations sent by a wallet configured with a
development wallet-provider certificate, and encrypted credential responses (OpenID4VCI 1.0 §10,
Appendix D)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from credentials.oauth.key_attestation import SOFTWARE_KEY_STORAGE
from did.fetch import Fetcher
from issuer.api.app import create_app as create_issuer
from issuer.operator import OfferItem, local_actor
from issuer.settings import IssuerSettings
from tests.support.key_attestation import make_wallet_provider
from wallet.errors import ReceiveError
from wallet.holder import Wallet
from wallet.oid4vci.encryption import ResponseKey, read_credential_answer
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams

ISSUER = "http://127.0.0.1:8101"
KARMA = "11512003456"
PASSPHRASE = "correct horse battery"


@contextmanager
def issuer_and_network(
    tmp_path: Path, log: list[tuple[httpx.Request, httpx.Response]], **settings: Any
) -> Iterator[tuple[Any, Any]]:
    app = create_issuer(
        IssuerSettings(
            mode="development",
            public_url=ISSUER,
            data_dir=tmp_path / "issuer",
            status_list_size=4096,
            seed_demo_data=True,
            **settings,
        )
    )
    with TestClient(app, base_url=ISSUER) as client:

        def handler(request: httpx.Request) -> httpx.Response:
            response = client.request(
                request.method, str(request.url), headers=dict(request.headers),
                content=request.read(), follow_redirects=False,
            )  # fmt: skip
            headers = [(k, v) for k, v in response.headers.multi_items()
                       if k.lower() not in ("content-length", "content-encoding")]  # fmt: skip
            answer = httpx.Response(response.status_code, headers=headers, content=response.content)
            log.append((request, answer))
            return answer

        transport = httpx.MockTransport(handler)
        policy = WalletSettings(mode="development").fetch_policy()
        yield app, lambda: Fetcher(policy, transport=transport)


def receive(
    tmp_path: Path, app: Any, network: Any, type_id: str, **wallet_settings: Any
) -> list[Any]:
    offer = app.state.runtime.operator.offers.create(local_actor(), OfferItem(type_id, KARMA))
    settings = WalletSettings(mode="development", data_dir=tmp_path / "wallet", **wallet_settings)
    with Wallet.create(
        tmp_path / "wallet" / "wallet.db",
        PASSPHRASE,
        settings=settings,
        kdf=ScryptParams(n=2**4),
        network=network,
    ) as wallet:
        return list(wallet.receive(wallet.load_offer(offer.offer_uri)))


def _credential_exchanges(
    log: list[tuple[httpx.Request, httpx.Response]],
) -> list[tuple[dict[str, Any], httpx.Response]]:
    return [
        (json.loads(request.content), response)
        for request, response in log
        if request.url.path == "/credential"
    ]


def test_wallet_asks_for_encryption_and_decrypts(tmp_path: Path) -> None:
    log: list[tuple[httpx.Request, httpx.Response]] = []
    with issuer_and_network(tmp_path, log, credential_response_encryption="required") as (
        app,
        network,
    ):
        [view] = receive(tmp_path, app, network, "foundational-id")
    assert view.copies > 1
    [(body, response)] = _credential_exchanges(log)
    encryption = body["credential_response_encryption"]
    assert encryption["enc"] == "A256GCM"  # preferred when offered
    assert encryption["jwk"]["alg"] == "ECDH-ES"
    assert "d" not in encryption["jwk"]
    assert response.headers["content-type"] == "application/jwt"
    assert response.text.count(".") == 4  # a compact JWE, not the credentials in clear


def test_wallet_does_not_ask_when_told_not_to(tmp_path: Path) -> None:
    log: list[tuple[httpx.Request, httpx.Response]] = []
    with issuer_and_network(tmp_path, log) as (app, network):
        receive(tmp_path, app, network, "foundational-id", response_encryption=False)
    [(body, response)] = _credential_exchanges(log)
    assert "credential_response_encryption" not in body
    assert response.headers["content-type"] == "application/json"


def test_wallet_refuses_plaintext_when_encryption_asked() -> None:
    key = ResponseKey.generate("A128GCM")
    plain = b'{"credentials": [{"credential": "x"}], "notification_id": "n"}'
    with pytest.raises(ReceiveError) as err:
        read_credential_answer(200, "application/json", plain, key)
    assert err.value.code == "response_not_encrypted"
    # Errors come in plain JSON (§8.3.1.2) and are read as such.
    refused = read_credential_answer(400, "application/json", b'{"error": "invalid_proof"}', key)
    assert refused == {"error": "invalid_proof"}


def test_wallet_refuses_an_answer_for_another_key() -> None:
    from credentials.jose import encrypt_jwe

    mine, other = ResponseKey.generate("A128GCM"), ResponseKey.generate("A128GCM")
    jwe = encrypt_jwe(b"{}", other.request_parameter()["jwk"], enc="A128GCM")
    with pytest.raises(ReceiveError) as err:
        read_credential_answer(200, "application/jwt", jwe.encode(), mine)
    assert err.value.code == "issuer_rejected"


def _provider_files(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    provider = make_wallet_provider()
    anchor = provider.write_anchor(tmp_path / "provider-ca.pem")
    chain = provider.write_chain(tmp_path / "provider-chain.pem")
    key = provider.key.save(tmp_path / "provider.key.json")
    return anchor, {"key_attestation_chain_file": chain, "key_attestation_key_file": key}


def test_wallet_sends_key_attestations_and_the_issuer_records_them(tmp_path: Path) -> None:
    anchor, wallet_files = _provider_files(tmp_path)
    log: list[tuple[httpx.Request, httpx.Response]] = []
    policy = {"permanent-address": {"required": True, "key_storage": [SOFTWARE_KEY_STORAGE]}}
    with issuer_and_network(
        tmp_path, log, key_attestation_anchors=(anchor,), key_attestation_required=policy
    ) as (app, network):
        [view] = receive(tmp_path, app, network, "permanent-address", **wallet_files)
        page = app.state.runtime.operator.credentials.page(
            local_actor(), offset=0, limit=50, subject=None, type_id=None
        )
    assert view.copies > 1
    assert page.items
    for item in page.items:
        assert item.key_storage == (SOFTWARE_KEY_STORAGE,)
        assert item.key_attestation_issuer is not None


def test_honest_software_keys_are_refused_where_high_is_required(tmp_path: Path) -> None:
    """Open question Q10: the wallet says its keys are software keys; a type that requires
    iso_18045_high refuses them, and the wallet tells why."""
    anchor, wallet_files = _provider_files(tmp_path)
    log: list[tuple[httpx.Request, httpx.Response]] = []
    policy = {"permanent-address": {"required": True, "key_storage": ["iso_18045_high"]}}
    with (
        issuer_and_network(
            tmp_path, log, key_attestation_anchors=(anchor,), key_attestation_required=policy
        ) as (app, network),
        pytest.raises(ReceiveError) as err,
    ):
        receive(tmp_path, app, network, "permanent-address", **wallet_files)
    assert err.value.code == "key_storage_insufficient"  # the issuer's own code, passed on
    assert "not kept in storage this credential requires (iso_18045_high)" in err.value.message
