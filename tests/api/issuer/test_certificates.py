"""The issuer signs with x5c (HAIP 1.0 §6.1, §6.1.1) once it has a certificate: credentials and
status list tokens carry the chain (leaf + intermediate, never the root), JWT VC Issuer
Metadata carries it in the JWK, and key rotation carries certificates: a new key needs its
certificate before it signs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from credentials.jose import parse_jws
from credentials.x509 import LeafPurpose, TrustAnchor, parse_x5c, validate_x5c, verify_issuer_name
from did.keys import PrivateKey, PublicKey
from drukid.devpki import DevelopmentPKI, pem
from issuer.api.app import create_app
from issuer.errors import ConfigurationError
from issuer.runtime import build_runtime
from tests.api.issuer.conftest import ISSUER, Clock, api_key, create_offer, make_settings
from tests.support.oid4vci_client import WalletClient


@pytest.fixture(scope="module")
def pki() -> DevelopmentPKI:
    return DevelopmentPKI.create()


def issuer_chain(
    pki: DevelopmentPKI, key: PublicKey, *, uri: str = ISSUER, **options: Any
) -> tuple[Any, ...]:
    return pki.issue(
        LeafPurpose.ISSUER,
        key,
        name="Civil registry",
        organization="DCRC",
        san_uris=[uri],
        **options,
    )


def write_files(tmp: Path, pki: DevelopmentPKI, **options: Any) -> tuple[Path, Path, PrivateKey]:
    key = PrivateKey.generate("ES256")
    chain = tmp / "chain.pem"
    chain.write_bytes(pem(issuer_chain(pki, key.public_key, **options)))
    key_file = tmp / "issuer-key.jwk"
    key.save(key_file)
    return chain, key_file, key


@pytest.fixture
def certified(
    data_dir: Path, tmp_path: Path, pki: DevelopmentPKI, clock: Clock
) -> Iterator[tuple[TestClient, PrivateKey, Path]]:
    chain, key_file, key = write_files(tmp_path, pki)
    settings = make_settings(
        data_dir,
        x509_chain_file=chain,
        x509_key_file=key_file,
        x509_anchor_files=(pki.write_root(tmp_path / "root.pem"),),
    )
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client, key, tmp_path


def issue_one(client: TestClient) -> str:
    offer = create_offer(client, api_key(client, "issue"))
    return WalletClient(client, issuer=ISSUER).receive(offer["offer_uri"]).credentials[0]


def test_credentials_and_status_lists_carry_the_chain(
    certified: tuple[TestClient, PrivateKey, Path], pki: DevelopmentPKI, clock: Clock
) -> None:
    client, key, _tmp = certified
    credential = issue_one(client)
    jws = parse_jws(credential.split("~", 1)[0])
    assert jws.kid == key.public_key.thumbprint()  # kid stays: JWT VC Issuer Metadata still works
    x5c = jws.header["x5c"]
    assert len(x5c) == 2  # the leaf and the intermediate, never the root
    certificates = parse_x5c(x5c)
    assert certificates[1] == pki.intermediate
    assert pki.root not in certificates
    chain = validate_x5c(x5c, [TrustAnchor(pki.root)], time=clock())
    verify_issuer_name(chain, jws.payload["iss"], allow_insecure_http=True)
    assert chain.public_key.thumbprint() == key.public_key.thumbprint()

    uri = jws.payload["status"]["status_list"]["uri"]
    token = client.get(uri.removeprefix(ISSUER)).text
    assert parse_jws(token).header["x5c"] == x5c

    metadata = client.get("/.well-known/jwt-vc-issuer").json()
    [jwk] = metadata["jwks"]["keys"]
    assert jwk["x5c"] == x5c  # RFC 7517 §4.7: the JWK says what x5c says
    assert client.get("/.well-known/did.json").status_code == 200  # did:web still offered


def test_rotation_needs_the_new_keys_certificate(
    certified: tuple[TestClient, PrivateKey, Path], pki: DevelopmentPKI
) -> None:
    client, old, _tmp = certified
    admin = api_key(client, "admin")
    refused = client.post("/api/v1/keys/rotate", json={}, headers=admin)
    assert refused.status_code == 400
    assert refused.json()["code"] == "certificate_required"

    prepared = client.post("/api/v1/keys/prepare", json={"alg": "ES256"}, headers=admin)
    assert prepared.status_code == 201, prepared.text
    body = prepared.json()
    assert "d" not in body["public_jwk"]
    new_key = PublicKey.from_jwk(body["public_jwk"])
    # Until its certificate arrives, the prepared key signs nothing.
    assert parse_jws(issue_one(client).split("~")[0]).kid == old.public_key.thumbprint()

    wrong = pem(issuer_chain(pki, new_key, uri="https://someone-else.example"))
    mismatch = client.post(
        "/api/v1/keys/rotate", json={"certificate_chain": wrong.decode()}, headers=admin
    )
    assert mismatch.status_code == 400
    assert mismatch.json()["code"] == "x5c_san_mismatch"

    chain = pem(issuer_chain(pki, new_key))
    rotated = client.post(
        "/api/v1/keys/rotate", json={"certificate_chain": chain.decode()}, headers=admin
    )
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["kid"] == body["kid"]
    assert rotated.json()["retired"] == [old.public_key.thumbprint()]
    jws = parse_jws(issue_one(client).split("~")[0])
    assert jws.kid == body["kid"]
    assert parse_x5c(jws.header["x5c"])[0].public_key() == new_key.key
    listed = {k["kid"]: k for k in client.get("/api/v1/keys", headers=admin).json()}
    assert listed[body["kid"]]["certificate"] == "DCRC — Civil registry (BT)"
    assert listed[body["kid"]]["certificate_expires_at"]

    again = client.post(
        "/api/v1/keys/rotate", json={"certificate_chain": chain.decode()}, headers=admin
    )
    assert again.status_code == 409
    assert again.json()["code"] == "signing_key_reused"


def test_certify_renews_the_active_keys_certificate(
    certified: tuple[TestClient, PrivateKey, Path], pki: DevelopmentPKI
) -> None:
    client, key, _tmp = certified
    admin = api_key(client, "admin")
    first = parse_jws(issue_one(client).split("~")[0]).header["x5c"]
    renewed = pem(issuer_chain(pki, key.public_key, days=3))
    answer = client.post(
        "/api/v1/keys/certify", json={"certificate_chain": renewed.decode()}, headers=admin
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["kid"] == key.public_key.thumbprint()
    second = parse_jws(issue_one(client).split("~")[0]).header["x5c"]
    assert second != first

    stranger = pem(issuer_chain(pki, PrivateKey.generate("ES256").public_key))
    unknown = client.post(
        "/api/v1/keys/certify", json={"certificate_chain": stranger.decode()}, headers=admin
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "unknown_signing_key"
    with_root = pem([*issuer_chain(pki, key.public_key), pki.root])
    rooted = client.post(
        "/api/v1/keys/certify", json={"certificate_chain": with_root.decode()}, headers=admin
    )
    assert rooted.status_code == 400
    assert rooted.json()["code"] == "x5c_contains_anchor"
    garbage = client.post(
        "/api/v1/keys/certify", json={"certificate_chain": "not a certificate"}, headers=admin
    )
    assert garbage.status_code == 400


def test_an_expired_certificate_never_signs(
    certified: tuple[TestClient, PrivateKey, Path], clock: Clock
) -> None:
    client, _key, _tmp = certified
    clock.advance(8 * 86400)  # the leaf is valid for 7 days
    runtime = client.app.state.runtime  # type: ignore[attr-defined]
    with pytest.raises(ConfigurationError) as refused, runtime.context.session() as s:
        runtime.signing.signer(s)
    assert refused.value.code == "signing_certificate_expired"


def test_an_uncertified_issuer_rotates_as_before(client: TestClient) -> None:
    admin = api_key(client, "admin")
    credential = issue_one(client)
    assert "x5c" not in parse_jws(credential.split("~")[0]).header
    assert client.post("/api/v1/keys/rotate", json={}, headers=admin).status_code == 200


def test_required_certificates_refuse_to_sign_without_one(data_dir: Path) -> None:
    runtime = build_runtime(make_settings(data_dir, x509_required=True))
    try:
        with runtime.context.session() as s, pytest.raises(ConfigurationError) as refused:
            runtime.signing.signer(s)
        assert refused.value.code == "signing_certificate_missing"
    finally:
        runtime.close()


def test_start_up_refuses_a_certificate_for_a_key_it_does_not_have(
    data_dir: Path, tmp_path: Path, pki: DevelopmentPKI
) -> None:
    chain, _key_file, _key = write_files(tmp_path, pki)
    with pytest.raises(ConfigurationError) as refused:
        build_runtime(make_settings(data_dir, x509_chain_file=chain))
    assert refused.value.code == "signing_certificate_invalid"
    assert "keys prepare" in refused.value.message


def test_start_up_refuses_a_chain_for_another_issuer(
    data_dir: Path, tmp_path: Path, pki: DevelopmentPKI
) -> None:
    chain, key_file, _key = write_files(tmp_path, pki, uri="https://other.example")
    with pytest.raises(ConfigurationError) as refused:
        build_runtime(make_settings(data_dir, x509_chain_file=chain, x509_key_file=key_file))
    assert refused.value.code == "signing_certificate_invalid"
    assert "https://other.example" in refused.value.message


def test_the_configured_certificate_replaces_an_uncertified_key(
    data_dir: Path, tmp_path: Path, pki: DevelopmentPKI
) -> None:
    first = build_runtime(make_settings(data_dir))
    old = first.signing.rows()[0].kid
    first.close()
    chain, key_file, key = write_files(tmp_path, pki)
    second = build_runtime(make_settings(data_dir, x509_chain_file=chain, x509_key_file=key_file))
    try:
        rows = {row.kid: row for row in second.signing.rows()}
        assert rows[key.public_key.thumbprint()].retired_at is None
        assert rows[old].retired_at is not None
        with second.context.session() as s:
            assert second.signing.signer(s).x5c is not None
    finally:
        second.close()
    third = build_runtime(make_settings(data_dir, x509_chain_file=chain, x509_key_file=key_file))
    try:  # a restart with the same settings changes nothing
        assert len(third.signing.rows()) == 2
    finally:
        third.close()
