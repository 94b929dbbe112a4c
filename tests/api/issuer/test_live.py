"""The issuer over a real loopback socket (uvicorn): the whole flow, the remote CLI, and 200
concurrent issuances that must give 200 distinct status indexes and 200 stored records."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from credentials.jose import parse_jws
from issuer.api.app import create_app
from issuer.cli import app as cli_app
from issuer.operator import OfferItem, local_actor
from tests.api.issuer.conftest import KARMA, make_settings
from tests.support.oid4vci_client import WalletClient
from tests.support.servers import free_port, serve_app

pytestmark = pytest.mark.network

PEOPLE = ["11512003456", "10711001234", "11005004567", "10303002345", "11410006789"]


@pytest.fixture
def live(data_dir: Path) -> Iterator[tuple[str, Any]]:
    port = free_port()
    settings = make_settings(data_dir, public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings)
    with serve_app(app, port=port) as base_url:
        yield base_url, app


def issue_concurrently(base_url: str, offer_uris: list[str], *, workers: int = 16) -> list[str]:
    """Each offer redeemed by its own wallet thread: offer → token → nonce → credential."""

    local = threading.local()
    clients: list[httpx.Client] = []

    def one(offer_uri: str) -> str:
        if not hasattr(local, "wallet"):  # one connection-pooling client per worker thread
            http = httpx.Client(base_url=base_url, timeout=120)
            clients.append(http)
            local.wallet = WalletClient(http, issuer=base_url)
        return str(local.wallet.receive(offer_uri).credentials[0])

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(one, offer_uris))
    finally:
        for http in clients:
            http.close()


def check_concurrent_issuance(base_url: str, app: Any, count: int = 200) -> None:
    items = [OfferItem("foundational-id", cid=PEOPLE[i % len(PEOPLE)]) for i in range(count)]
    offers = app.state.runtime.operator.offers.create_many(local_actor(), items)
    credentials = issue_concurrently(base_url, [o.offer_uri for o in offers])
    positions = set()
    for credential in credentials:
        reference = parse_jws(credential.split("~")[0]).payload["status"]["status_list"]
        positions.add((reference["uri"], reference["idx"]))
    assert len(positions) == count
    stored = app.state.runtime.operator.credentials.page(local_actor(), limit=1).to_json()
    assert stored["total"] == count


def test_flow_over_a_real_socket(live: tuple[str, Any]) -> None:
    base_url, app = live
    offer = app.state.runtime.operator.offers.create(
        local_actor(), OfferItem("permanent-address", KARMA)
    )
    with httpx.Client(base_url=base_url, timeout=30) as http:
        wallet = WalletClient(http, issuer=base_url)
        received = wallet.receive(offer.offer_uri)
        assert (
            wallet.notify(
                received.access_token, received.notification_id, "credential_accepted"
            ).status_code
            == 204
        )
        metadata = http.get("/.well-known/openid-credential-issuer").json()
    assert metadata["credential_issuer"] == base_url
    assert parse_jws(received.credentials[0].split("~")[0]).payload["iss"] == base_url


def test_remote_cli_against_a_running_issuer(live: tuple[str, Any]) -> None:
    base_url, app = live
    key = app.state.runtime.operator.admin.create_api_key(local_actor(), role="admin").token
    runner = CliRunner()
    env = {"DRUKID_ISSUER_URL": base_url, "DRUKID_ISSUER_API_KEY": key}
    result = runner.invoke(
        cli_app,
        ["offer", "--person", KARMA, "--type", "foundational-id", "--tx-code", "--json"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    import json

    created = json.loads(result.stdout)
    assert created["offer_uri"].startswith("openid-credential-offer://")
    assert len(created["tx_code"]) == 6
    with httpx.Client(base_url=base_url, timeout=30) as http:
        WalletClient(http, issuer=base_url).receive(
            created["offer_uri"], tx_code=created["tx_code"]
        )
    listed = runner.invoke(cli_app, ["credentials", "--json"], env=env)
    credential_id = json.loads(listed.stdout)["items"][0]["id"]
    revoked = runner.invoke(cli_app, ["revoke", credential_id, "--json"], env=env)
    assert revoked.exit_code == 0, revoked.output
    assert json.loads(revoked.stdout)["status"] == "revoked"
    again = runner.invoke(cli_app, ["reinstate", credential_id], env=env)
    assert again.exit_code == 1
    assert "stays revoked" in again.output
    issue_only = app.state.runtime.operator.admin.create_api_key(local_actor(), role="issue").token
    denied = runner.invoke(
        cli_app, ["keys", "rotate"], env={**env, "DRUKID_ISSUER_API_KEY": issue_only}
    )
    assert denied.exit_code == 1
    assert "role_forbidden" in denied.output
    unreachable = runner.invoke(
        cli_app, ["audit"], env={**env, "DRUKID_ISSUER_URL": f"http://127.0.0.1:{free_port()}"}
    )
    assert unreachable.exit_code == 1
    assert "cannot reach the issuer" in unreachable.output


@pytest.mark.slow
def test_200_concurrent_issuances_sqlite(live: tuple[str, Any]) -> None:
    check_concurrent_issuance(*live)


def test_remote_status_commands_for_every_copy_from_an_offer(live: tuple[str, Any]) -> None:
    import json

    base_url, app = live
    operator = app.state.runtime.operator
    key = operator.admin.create_api_key(local_actor(), role="revoke").token
    env = {"DRUKID_ISSUER_URL": base_url, "DRUKID_ISSUER_API_KEY": key}
    offer = operator.offers.create(local_actor(), OfferItem("foundational-id", KARMA))
    with httpx.Client(base_url=base_url, timeout=30) as http:
        WalletClient(http, issuer=base_url).receive(offer.offer_uri, keys=3)
    runner = CliRunner()

    suspended = runner.invoke(
        cli_app, ["suspend", "--offer", offer.ref, "--reason", "phone lost", "--json"], env=env
    )
    assert suspended.exit_code == 0, suspended.output
    result = json.loads(suspended.stdout)
    assert result["changed"] == 3
    assert [c["copy"] for c in result["credentials"]] == [1, 2, 3]
    single = result["credentials"][0]["id"]
    reinstated = runner.invoke(cli_app, ["reinstate", single, "--reason", "found it"], env=env)
    assert reinstated.exit_code == 0, reinstated.output
    assert f"{single} is now valid" in reinstated.output
    revoked = runner.invoke(cli_app, ["revoke", "--offer", offer.ref], env=env)
    assert revoked.exit_code == 0, revoked.output
    assert "3 of the 3 credentials" in revoked.output
    statuses = operator.credentials.of_offer(local_actor(), offer.ref).to_json()["credentials"]
    assert {c["status"] for c in statuses} == {"revoked"}
    entries = operator.admin.audit(local_actor(), limit=20).to_json()["items"]
    reasons = [e["detail"].get("reason") for e in entries if e["action"].startswith("credential.")]
    assert reasons == [None, None, None, "found it", "phone lost", "phone lost", "phone lost"]

    again = runner.invoke(cli_app, ["revoke", "--offer", offer.ref], env=env)
    assert again.exit_code == 1
    assert "status_transition_refused" in again.output
    issue_only = operator.admin.create_api_key(local_actor(), role="issue").token
    denied = runner.invoke(
        cli_app,
        ["suspend", "--offer", offer.ref],
        env={**env, "DRUKID_ISSUER_API_KEY": issue_only},
    )
    assert denied.exit_code == 1
    assert "role_forbidden" in denied.output
