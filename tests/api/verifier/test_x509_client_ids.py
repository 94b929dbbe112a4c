"""The verifier's x509_san_dns: and x509_hash: client ids (OpenID4VP 1.0 §5.9.3, HAIP 1.0 §5):
signed request objects with x5c (leaf and intermediate, never the root), the client id derived
from the leaf, the certificate checked at start-up; and redirect_uri: requests too large for a
QR code refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from credentials.jose import parse_jws, verify_jws
from credentials.x509 import (
    LeafPurpose,
    TrustAnchor,
    parse_x5c,
    validate_x5c,
    verify_client_id,
    x509_hash_client_id,
)
from did.keys import PrivateKey
from drukid.devpki import DevelopmentPKI
from tests.api.verifier.conftest import PUBLIC_URL, auth, create, make_settings, path_of
from tests.support.clock import Clock
from tests.support.fake_issuer import NOW, FakeIssuer
from tests.support.fake_wallet import parse_openid4vp_uri
from verifier.api.app import create_app
from verifier.errors import TrustError

START = dt.datetime.fromtimestamp(NOW, dt.UTC) - dt.timedelta(days=1)


@pytest.fixture(scope="module")
def pki() -> DevelopmentPKI:
    return DevelopmentPKI.create(now=START, days=60)


def certificate_files(
    tmp_path: Path, pki: DevelopmentPKI, *, dns: str = "verifier.example.bt", **options: Any
) -> dict[str, Path]:
    key = PrivateKey.generate("ES256")
    chain = pki.issue(
        LeafPurpose.VERIFIER,
        key.public_key,
        name="KYC",
        organization="Bank",
        san_dns=[dns],
        **options,
    )
    key_file = tmp_path / "request-key.jwk"
    key.save(key_file)
    return {
        "x509_chain_file": DevelopmentPKI.write_chain(tmp_path / "request-chain.pem", chain),
        "x509_key_file": key_file,
    }


@pytest.mark.parametrize("scheme", ["x509_hash", "x509_san_dns"])
def test_x509_requests_are_signed_with_the_chain(
    tmp_path: Path, issuer: FakeIssuer, clock: Clock, pki: DevelopmentPKI, scheme: str
) -> None:
    files = certificate_files(tmp_path, pki)
    settings = make_settings(tmp_path, issuer, client_id_scheme=scheme, **files)
    app = create_app(settings, clock=clock, transport=issuer.transport(), start_workers=False)
    with TestClient(app, base_url=PUBLIC_URL) as client:
        token, _ = app.state.service.create_api_key("desk")
        rp = {"Authorization": f"Bearer {token}"}
        created = create(client, rp)
        link = parse_openid4vp_uri(created["uri"])
        response = client.get(path_of(link["request_uri"]))
        assert response.headers["content-type"].startswith("application/oauth-authz-req+jwt")
        jws = parse_jws(response.text)
    assert set(jws.header) == {"alg", "typ", "x5c"}  # no kid: the key is the certificate's
    certificates = parse_x5c(jws.header["x5c"])
    assert certificates[1] == pki.intermediate
    assert pki.root not in certificates
    chain = validate_x5c(jws.header["x5c"], [TrustAnchor(pki.root)], time=NOW)
    verify_jws(jws, chain.public_key, typ="oauth-authz-req+jwt")
    client_id = jws.payload["client_id"]
    assert client_id == link["client_id"] == created["client_id"]
    verify_client_id(chain, client_id)
    expected = (
        x509_hash_client_id(certificates[0])
        if scheme == "x509_hash"
        else "x509_san_dns:verifier.example.bt"
    )
    assert client_id == expected
    assert "iss" not in jws.payload
    assert jws.payload["aud"] == "https://self-issued.me/v2"


@pytest.mark.parametrize(
    ("case", "cause"),
    [
        ("wrong-host", "x5c_san_mismatch"),
        ("expired", "x5c_expired"),
        ("other-key", "x5c_key_mismatch"),
        ("with-root", "x5c_contains_anchor"),
    ],
)
def test_start_up_refuses_a_bad_request_certificate(
    tmp_path: Path, issuer: FakeIssuer, clock: Clock, pki: DevelopmentPKI, case: str, cause: str
) -> None:
    options: dict[str, Any] = {}
    if case == "expired":
        options = {"not_before": START, "days": 0.5}
    files = certificate_files(
        tmp_path,
        pki,
        dns="bank.example" if case == "wrong-host" else "verifier.example.bt",
        **options,
    )
    if case == "other-key":
        PrivateKey.generate("ES256").save(files["x509_key_file"])
    if case == "with-root":
        path = files["x509_chain_file"]
        path.write_bytes(path.read_bytes() + pki.write_root(tmp_path / "r.pem").read_bytes())
    settings = make_settings(tmp_path, issuer, client_id_scheme="x509_san_dns", **files)
    app = create_app(settings, clock=clock, start_workers=False)
    with pytest.raises(TrustError) as refused, TestClient(app):
        pass
    assert refused.value.code == "request_certificate_invalid"
    assert refused.value.cause == cause


def test_x509_scheme_needs_its_certificate(tmp_path: Path, issuer: FakeIssuer) -> None:
    with pytest.raises(ValueError, match="X509_CHAIN_FILE"):
        make_settings(tmp_path, issuer, client_id_scheme="x509_hash")


def test_a_redirect_uri_request_too_large_for_a_qr_code(
    tmp_path: Path, issuer: FakeIssuer, clock: Clock
) -> None:
    settings = make_settings(tmp_path, issuer, client_id_scheme="redirect_uri")
    app = create_app(settings, clock=clock, transport=issuer.transport(), start_workers=False)
    with TestClient(app, base_url=PUBLIC_URL) as client:
        token, _ = app.state.service.create_api_key("desk")
        rp = {"Authorization": f"Bearer {token}"}
        query = {
            "credentials": [
                {
                    "id": f"q{i}",
                    "format": "dc+sd-jwt",
                    "meta": {"vct_values": [issuer.vct("foundational-id")]},
                    "claims": [{"path": [name]} for name in ("full_name", "cid", "birthdate")],
                }
                for i in range(8)
            ]
        }
        response = client.post(
            "/api/v1/requests",
            json={"dcql_query": query, "purpose": "Many checks at once"},
            headers=auth(rp),
        )
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "request_too_large"
        small = create(client, rp)  # the templates fit
        assert len(small["uri"]) < 2048
        assert (
            client.get(f"/api/v1/requests/{small['id']}/qr.png", headers=auth(rp)).status_code
            == 200
        )
