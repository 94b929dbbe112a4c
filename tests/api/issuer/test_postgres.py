"""The issuer on PostgreSQL: the full flow, replay refusals, the append-only audit trigger and
200 concurrent issuances (distinct status indexes under real row locking)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from starlette.testclient import TestClient

from credentials.jose import parse_jws
from issuer.api.app import create_app
from issuer.operator import OfferItem, local_actor
from tests.api.issuer.conftest import ISSUER, KARMA, make_settings
from tests.api.issuer.test_live import check_concurrent_issuance
from tests.support.oid4vci_client import WalletClient
from tests.support.servers import free_port, serve_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_client(data_dir: Path, postgres_url: str) -> Iterator[TestClient]:
    settings = make_settings(data_dir, database_url=postgres_url)
    with TestClient(create_app(settings)) as client:
        yield client


def test_flow_and_refusals_on_postgres(pg_client: TestClient) -> None:
    app: Any = pg_client.app
    operator = app.state.runtime.operator
    wallet = WalletClient(pg_client, issuer=ISSUER)
    offer = operator.offers.create(local_actor(), OfferItem("foundational-id", KARMA))
    document = wallet.fetch_offer(offer.offer_uri)
    code = wallet.code_of(document)
    access_token = wallet.token(code)
    assert wallet.token_response(code).json()["code"] == "code_used"
    received = wallet.receive(
        operator.offers.create(local_actor(), OfferItem("business-licence", KARMA)).offer_uri,
        keys=2,
    )
    assert len(received.credentials) == 2
    nonce = wallet.nonce()
    from did.keys import PrivateKey
    from tests.support.oid4vci_client import make_proof

    proof = make_proof(PrivateKey.generate(), aud=ISSUER, nonce=nonce)
    assert wallet.request_credentials(access_token, "foundational-id", [proof]).status_code == 200
    again = make_proof(PrivateKey.generate(), aud=ISSUER, nonce=nonce)
    replay = wallet.request_credentials(access_token, "foundational-id", [again])
    assert replay.json()["error"] == "invalid_nonce"
    listed = operator.credentials.page(local_actor()).to_json()
    assert listed["total"] == 3
    credential_id = listed["items"][0]["id"]
    assert (
        operator.credentials.change_status(local_actor(), credential_id, "revoke").status
        == "revoked"
    )
    uri = parse_jws(received.credentials[0].split("~")[0]).payload["status"]["status_list"]["uri"]
    assert pg_client.get(uri.removeprefix(ISSUER)).status_code == 200
    with (
        pytest.raises(DatabaseError, match="append-only"),
        app.state.runtime.context.engine.begin() as conn,
    ):
        conn.execute(text("DELETE FROM issuer_audit"))


@pytest.mark.slow
@pytest.mark.network
def test_200_concurrent_issuances_postgres(data_dir: Path, postgres_url: str) -> None:
    port = free_port()
    settings = make_settings(
        data_dir, database_url=postgres_url, public_url=f"http://127.0.0.1:{port}"
    )
    app = create_app(settings)
    with serve_app(app, port=port) as base_url:
        check_concurrent_issuance(base_url, app)


def test_values_postgres_cannot_store_are_refused_not_500(pg_client: TestClient) -> None:
    """PostgreSQL text cannot hold a NUL character (SQLite can): such input is the client's
    mistake, answered 400 ``unstorable_value`` (JSON for the API, a page for the pages)."""
    from tests.api.issuer.conftest import api_key
    from tests.api.issuer.test_operator_pages import assert_page, signed_in

    admin = api_key(pg_client, "admin")
    for method, path, kwargs in [
        ("GET", "/api/v1/credentials/a%00b", {}),
        ("POST", "/api/v1/credentials/a%00b/revoke", {}),
        ("GET", "/api/v1/registry/people/1%00", {}),
        ("GET", "/api/v1/registry/search", {"params": {"q": "ka\x00"}}),
        ("GET", "/api/v1/credentials", {"params": {"subject": "\x00"}}),
        ("GET", "/api/v1/audit", {"params": {"action": "\x00"}}),
        ("POST", "/api/v1/apikeys", {"json": {"role": "issue", "label": "desk\x00"}}),
    ]:
        response = pg_client.request(method, path, headers=admin, **kwargs)
        assert response.status_code in (400, 404), (path, response.text)
        body = response.json()
        assert body["error"] in ("invalid_request", "not_found"), body
    refused = pg_client.get("/api/v1/registry/search", params={"q": "ka\x00"}, headers=admin)
    assert refused.json()["code"] == "unstorable_value"
    assert "NUL" in refused.json()["error_description"]

    web, _csrf = signed_in(pg_client, "admin")
    assert_page(web.get("/operator/search", params={"q": "a\x00b"}), 400, "cannot be kept")
