"""Two issuer processes (A and B) on one PostgreSQL database and one data directory, answering
as one public URL (issue #12): the authorization code and the DPoP ``jti`` are single-use across
processes, a DPoP nonce minted by A is good at B (one key in the data directory), the citizen's
authorization session started at A continues at B, and an attestation PoP replayed from A to B is
refused. The DPoP ``htu`` is the public URL, never the port a request reached."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from issuer.operator import local_actor
from issuer.runtime import Runtime, build_runtime
from issuer.settings import IssuerSettings
from servicekit.runner import free_port
from tests.support.haip import HaipWallet, Provider, make_provider
from tests.support.workers import ServiceProcess

pytestmark = [pytest.mark.postgres, pytest.mark.network]

KARMA = "11512003456"


@dataclass
class Pair:
    public_url: str
    a: ServiceProcess
    b: ServiceProcess
    runtime: Runtime
    provider: Provider


@pytest.fixture(scope="module")
def pair(postgres_url_module: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    root = tmp_path_factory.mktemp("haip-workers")
    provider = make_provider(root / "provider")
    port_a, port_b = free_port(), free_port()
    public_url = f"http://127.0.0.1:{port_a}"
    env = {
        "DRUKID_ISSUER_MODE": "development",
        "DRUKID_ISSUER_PUBLIC_URL": public_url,
        "DRUKID_ISSUER_DATA_DIR": str(root / "data"),
        "DRUKID_ISSUER_DATABASE_URL": postgres_url_module,
        "DRUKID_ISSUER_STATUS_LIST_SIZE": "4096",
        "DRUKID_ISSUER_WALLET_ATTESTATION": "required",
        "DRUKID_ISSUER_WALLET_PROVIDER_ANCHOR_FILES": json.dumps([str(provider.ca_pem)]),
    }
    ready = "/.well-known/openid-credential-issuer"
    a = ServiceProcess("issuer", env, port=port_a, log=root / "a.log", ready_path=ready)
    b = ServiceProcess("issuer", env, port=port_b, log=root / "b.log", ready_path=ready)
    try:
        a.start(), b.start()
        a.wait_ready(), b.wait_ready()
        runtime = build_runtime(
            IssuerSettings(
                mode="development",
                public_url=public_url,
                data_dir=root / "data",
                database_url=postgres_url_module,
                status_list_size=4096,
            )
        )
        try:
            yield Pair(public_url, a, b, runtime, provider)
        finally:
            runtime.close()
    finally:
        a.stop()
        b.stop()


def clients(pair: Pair) -> tuple[httpx.Client, httpx.Client]:
    def client(url: str) -> httpx.Client:
        return httpx.Client(base_url=url, timeout=30, follow_redirects=False)

    return client(pair.a.url), client(pair.b.url)


def code_via_both(pair: Pair, wallet: HaipWallet, at_a: httpx.Client, at_b: httpx.Client) -> str:
    """PAR at A; the browser opens the page at A and signs in and agrees at B."""
    wallet.http = at_a
    pushed = wallet.par()
    assert pushed.status_code == 201, pushed.text
    page = wallet.authorize(pushed.json()["request_uri"])
    assert page.status_code == 200, page.text
    at_b.cookies = at_a.cookies  # one browser; the proxy sent the next request to B
    wallet.http = at_b
    signin = pair.runtime.operator.signin_codes.create(local_actor(), KARMA).code
    signed = wallet.sign_in(page, KARMA, signin)
    assert signed.status_code == 303, signed.text
    consent = at_b.get(signed.headers["location"])
    done = wallet.consent(consent)
    assert done.status_code == 303, done.text
    location = done.headers["location"]
    assert f"iss={pair.public_url}".replace(":", "%3A").replace("/", "%2F") in location
    return location.split("code=")[1].split("&")[0]


def test_code_and_dpop_jti_are_single_use_across_processes(pair: Pair) -> None:
    at_a, at_b = clients(pair)
    with at_a, at_b:
        wallet = HaipWallet(at_a, pair.public_url, pair.provider)
        code = code_via_both(pair, wallet, at_a, at_b)
        wallet.http = at_a
        first = wallet.token(code)
        assert first.status_code == 200, first.text  # the nonce came from B's answers
        wallet.http = at_b
        replay = wallet.token(code)
        assert replay.status_code == 400
        assert replay.json()["code"] == "code_used"
        token = first.json()["access_token"]
        for client in (at_a, at_b):  # the replay revoked what the code gave, everywhere
            wallet.http = client
            assert wallet.credential(token).status_code == 401

        fresh = HaipWallet(at_a, pair.public_url, pair.provider)
        at_a.cookies.clear()
        fresh_code = code_via_both(pair, fresh, at_a, at_b)
        fresh.http = at_a
        token = fresh.token(fresh_code).json()["access_token"]
        nonce = at_b.post("/nonce")
        fresh.nonce = nonce.headers["dpop-nonce"]  # minted by B, used at A
        proof = fresh.dpop("POST", "/credential", token=token)
        from did.keys import PrivateKey
        from tests.support.oid4vci_client import make_proof

        body = {
            "credential_configuration_id": "permanent-address",
            "proofs": {
                "jwt": [
                    make_proof(
                        PrivateKey.generate(), aud=pair.public_url, nonce=nonce.json()["c_nonce"]
                    )
                ]
            },
        }
        headers = {"Authorization": f"DPoP {token}", "DPoP": proof}
        ok = at_a.post("/credential", json=body, headers=headers)
        assert ok.status_code == 200, ok.text
        replayed = at_b.post("/credential", json=body, headers=headers)
        assert replayed.status_code == 401
        assert replayed.json()["code"] == "dpop_jti_replayed"


def test_attestation_pop_replayed_at_the_other_process(pair: Pair) -> None:
    at_a, at_b = clients(pair)
    with at_a, at_b:
        wallet = HaipWallet(at_a, pair.public_url, pair.provider)
        wallet.par()  # a nonce
        attestation = wallet.attestation_headers()
        first = wallet.post("/par", data=wallet.par_params(), headers=attestation)
        assert first.status_code == 201, first.text
        wallet.http = at_b
        again = wallet.post("/par", data=wallet.par_params(), headers=attestation)
        assert again.status_code == 401
        assert again.json()["code"] == "client_attestation_pop_replayed"
