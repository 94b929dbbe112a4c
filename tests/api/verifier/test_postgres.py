"""The same request → response → result flow on PostgreSQL (never skipped in CI)."""

from __future__ import annotations

import threading

import pytest

from tests.api.verifier.conftest import (
    PUBLIC_URL,
    TestClient,
    auth,
    create,
    make_settings,
    open_request,
    path_of,
    respond,
)
from tests.support.fake_issuer import NOW
from verifier.api.app import create_app

pytestmark = pytest.mark.postgres


def test_flow_on_postgres(tmp_path, issuer, wallet, clock, postgres_url):
    settings = make_settings(tmp_path, issuer, database_url=postgres_url)
    app = create_app(settings, clock=clock, transport=issuer.transport(), start_workers=False)
    with TestClient(app, base_url=PUBLIC_URL) as client:
        token, _ = app.state.service.create_api_key("desk")
        rp = {"Authorization": f"Bearer {token}"}
        created = create(client, rp)
        assert respond(client, wallet, created).status_code == 200
        result = client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()
        assert result["status"] == "verified"
        assert result["claims"]["full_name"] == "Karma Wangmo"

        # Single use under concurrency: of many simultaneous responses exactly one wins.
        racing = create(client, rp)
        request = open_request(client, racing)
        form = wallet.form(request, wallet.vp_token(request, iat=NOW))
        statuses: list[int] = []

        def post() -> None:
            statuses.append(client.post(path_of(request["response_uri"]), data=form).status_code)

        threads = [threading.Thread(target=post) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(statuses) == [200, 400, 400, 400, 400, 400]

        clock.now += 10_000
        assert app.state.service.prune() == 2


def test_values_postgres_cannot_store_are_refused_not_500(tmp_path, issuer, clock, postgres_url):
    """A NUL character (which PostgreSQL text cannot hold) in the public OpenID4VP endpoints'
    paths is refused like any unknown request, never a 500."""
    settings = make_settings(tmp_path, issuer, database_url=postgres_url)
    app = create_app(settings, clock=clock, transport=issuer.transport(), start_workers=False)
    with TestClient(app, base_url=PUBLIC_URL, raise_server_exceptions=False) as client:
        token, _ = app.state.service.create_api_key("desk")
        rp = {"Authorization": f"Bearer {token}"}
        for response in (
            client.get("/oid4vp/request/a%00b"),
            client.post("/oid4vp/response/a%00b", data={"vp_token": "x", "state": "y"}),
            client.get("/api/v1/requests/a%00b", headers=auth(rp)),
        ):
            assert response.status_code == 400, response.text
            assert response.json()["code"] == "unstorable_value"
