"""Trust administration over HTTP, and adding an issuer from its published metadata."""

from __future__ import annotations

import pytest

from did.fetch import Fetcher
from tests.api.verifier.conftest import create, respond
from tests.support.fake_issuer import FakeIssuer
from tests.support.fake_wallet import FakeWallet


@pytest.fixture
def admin(client) -> dict[str, str]:
    token, _ = client.app.state.service.create_api_key("operator", admin=True)
    return {"Authorization": f"Bearer {token}"}


def test_add_issuer_from_its_url_and_use_it(client, admin, rp, issuer):
    # The trust file lists the fake issuer; the database entry (pinned keys) takes precedence.
    added = client.post(
        "/api/v1/trust/issuers", json={"url": issuer.url, "pin_keys": True}, headers=admin
    )
    assert added.status_code == 201, added.text
    entry = added.json()
    assert entry["name"] == "Department of Civil Registration"
    assert entry["types"]["foundational-id"] == issuer.vct("foundational-id")
    assert entry["keys"][0]["kid"] == issuer.kid
    listed = client.get("/api/v1/trust/issuers", headers=admin).json()
    assert [i["source"] for i in listed["issuers"]] == ["database"]
    wallet = FakeWallet()
    wallet.add(issuer.issue(holder_key=wallet.public_key)[0])
    issuer.requests.clear()
    created = create(client, {"Authorization": rp["Authorization"]})
    assert respond(client, wallet, created).status_code == 200
    assert "/.well-known/jwt-vc-issuer" not in issuer.requests  # pinned: no key lookup
    removed = client.delete("/api/v1/trust/issuers", params={"id": issuer.url}, headers=admin)
    assert removed.status_code == 204
    again = client.delete("/api/v1/trust/issuers", params={"id": issuer.url}, headers=admin)
    assert again.status_code == 404


def test_add_issuer_entry_directly(client, admin):
    other = FakeIssuer("https://licences.example.bt")
    entry = other.trusted_entry(pin_keys=True, types=["business-licence"], name="Licensing")
    answer = client.post("/api/v1/trust/issuers", json={"entry": entry}, headers=admin)
    assert answer.status_code == 201
    names = {
        i["name"] for i in client.get("/api/v1/trust/issuers", headers=admin).json()["issuers"]
    }
    assert names == {"Licensing", "Department of Civil Registration"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": "https://registry.example.bt", "entry": {}},
        {"url": "https://unknown.example.bt"},
        {"url": "http://registry.example.bt"},
        {"url": "https://10.0.0.1"},
        {"entry": {"id": "nope"}},
    ],
)
def test_bad_trust_additions(client, admin, body):
    answer = client.post("/api/v1/trust/issuers", json=body, headers=admin)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["code"]


def test_issuer_with_a_path(client, admin):
    # OpenID4VCI 1.0 §12.2.2: /.well-known/openid-credential-issuer goes before the path.
    agency = FakeIssuer("https://gov.example.bt/licensing")
    keys = client.app.state.service.keys
    with Fetcher(transport=agency.transport()) as fetcher:
        keys._fetcher = fetcher  # this test's issuer lives behind its own mock network
        answer = client.post(
            "/api/v1/trust/issuers", json={"url": agency.url, "pin_keys": True}, headers=admin
        )
    assert answer.status_code == 201, answer.text
    assert "/.well-known/openid-credential-issuer/licensing" in agency.requests
    assert "/.well-known/jwt-vc-issuer/licensing" in agency.requests
