"""Request → QR → request object → wallet response → result, through the HTTP API."""

from __future__ import annotations

import json

import pytest

from credentials.jose import parse_jws
from servicekit.qr import decode_qr_image
from tests.api.verifier.conftest import (
    NOW,
    PUBLIC_URL,
    TestClient,
    auth,
    create,
    make_settings,
    open_request,
    path_of,
    respond,
)
from tests.support.fake_issuer import CLAIMS, FakeIssuer
from tests.support.fake_wallet import FakeWallet
from verifier.api.app import create_app
from verifier.trust import TrustRegistry


def test_kyc_basic_end_to_end(client, rp, wallet):
    created = create(client, rp, template="kyc-basic")
    assert created["uri"].startswith("openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb")
    assert len(created["uri"]) < 200  # a small QR code (by reference)
    png = client.get(path_of(created["qr_png_url"]), headers=auth(rp))
    assert png.headers["content-type"] == "image/png"
    assert decode_qr_image(png.content) == [created["uri"]]
    svg = client.get(path_of(created["qr_svg_url"]), headers=auth(rp))
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content
    assert client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()["status"] == (
        "pending"
    )

    raw = client.get(path_of(created["request_uri"]))
    assert raw.headers["content-type"] == "application/oauth-authz-req+jwt"
    header = parse_jws(raw.text).header
    assert header["typ"] == "oauth-authz-req+jwt"
    assert header["kid"].startswith("did:web:verifier.example.bt#")
    request = open_request(client, created)
    assert request["response_mode"] == "direct_post.jwt"
    assert request["client_metadata"]["client_name"] == "Bank of Bhutan KYC desk"
    assert "d" not in request["client_metadata"]["jwks"]["keys"][0]
    assert request["purpose"].startswith("To open or confirm your account")
    assert request["dcql_query"]["credentials"][0]["meta"]["vct_values"] == [
        "https://registry.example.bt/types/foundational-id"
    ]

    form = wallet.form(request, wallet.vp_token(request, iat=NOW))
    assert set(form) == {"response"}  # encrypted
    answer = client.post(path_of(request["response_uri"]), data=form)
    assert answer.status_code == 200
    assert answer.json() == {}

    result = client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()
    assert result["status"] == "verified"
    assert result["claims"] == {
        "full_name": "Karma Wangmo",
        "cid": "11512003456",
        "birthdate": "1994-03-12",
    }
    presentation = result["credentials"]["national_id"][0]
    assert presentation["issuer_name"] == "Department of Civil Registration"
    assert presentation["status"] == "valid"
    assert presentation["status_checked_at"] == NOW
    assert "cnf" not in json.dumps(result)
    assert "~" not in json.dumps(result)


def test_plain_direct_post(client, rp, wallet):
    created = create(client, rp, template="age-over-18", response_mode="direct_post")
    request = open_request(client, created)
    assert "jwks" not in request["client_metadata"]
    assert respond(client, wallet, created).status_code == 200
    result = client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()
    assert result["claims"] == {"age_over_18": True}


def test_replayed_response_is_refused(client, rp, wallet):
    created = create(client, rp)
    request = open_request(client, created)
    form = wallet.form(request, wallet.vp_token(request, iat=NOW))
    assert client.post(path_of(request["response_uri"]), data=form).status_code == 200
    again = client.post(path_of(request["response_uri"]), data=form)
    assert again.status_code == 400
    assert again.json()["code"] == "request_already_used"
    # The same presentation replayed into a *new* request fails its nonce.
    other = create(client, rp)
    other_request = open_request(client, other)
    replayed = wallet.form(other_request, json.loads(_plain_vp(request, wallet)))
    refused = client.post(path_of(other_request["response_uri"]), data=replayed)
    assert refused.status_code == 400
    assert refused.json()["code"] == "nonce_mismatch"
    status = client.get(f"/api/v1/requests/{other['id']}", headers=auth(rp)).json()
    assert status["status"] == "rejected"
    assert status["error"]["explanation"].startswith("This answer was made for a different")


def _plain_vp(request, wallet) -> str:
    return json.dumps(wallet.vp_token(request, iat=NOW))


def test_state_mismatch_does_not_consume_the_request(client, rp, wallet):
    created = create(client, rp)
    bad = respond(client, wallet, created, state="not-the-state")
    assert bad.status_code == 400
    assert bad.json()["code"] == "state_mismatch"
    assert respond(client, wallet, created).status_code == 200


def test_encryption_is_required_for_direct_post_jwt(client, rp, wallet):
    created = create(client, rp)
    request = open_request(client, created)
    token = json.dumps(wallet.vp_token(request, iat=NOW))
    answer = client.post(
        path_of(request["response_uri"]), data={"vp_token": token, "state": request["state"]}
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "encryption_required"


def test_a256gcm_response(client, rp, wallet):
    assert respond(client, wallet, create(client, rp), enc="A256GCM").status_code == 200


def test_revoked_credential_is_rejected_in_plain_words(client, rp, issuer):
    wallet = FakeWallet()
    credential, idx = issuer.issue(holder_key=wallet.public_key)
    wallet.add(credential)
    issuer.revoke(idx)
    created = create(client, rp)
    answer = respond(client, wallet, created)
    assert answer.status_code == 400
    assert answer.json()["code"] == "status_revoked"
    assert answer.json()["error_description"] == "This credential has been revoked by its issuer."
    result = client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "status_revoked"
    assert result["error"]["checks"][-1] == {
        "name": "status",
        "outcome": "failed",
        "detail": "status_revoked",
    }
    assert "claims" not in result


def test_dcql_is_rechecked(client, rp, wallet):
    created = create(client, rp)
    request = open_request(client, created)
    credential = wallet.credentials[0]
    partial = wallet.present(
        credential, ["/full_name"], nonce=request["nonce"], aud=request["client_id"], iat=NOW
    )
    answer = client.post(
        path_of(request["response_uri"]), data=wallet.form(request, {"national_id": [partial]})
    )
    assert answer.json()["code"] == "dcql_claim_missing"
    other = create(client, rp)
    other_request = open_request(client, other)
    address = wallet.present(
        wallet.credentials[1],
        ["/full_name"],
        nonce=other_request["nonce"],
        aud=other_request["client_id"],
        iat=NOW,
    )
    wrong = client.post(
        path_of(other_request["response_uri"]),
        data=wallet.form(other_request, {"national_id": [address]}),
    )
    assert wrong.json()["code"] == "vct_mismatch"


def test_unknown_credential_query_id(client, rp, wallet):
    created = create(client, rp)
    request = open_request(client, created)
    token = wallet.vp_token(request, iat=NOW)
    answer = client.post(
        path_of(request["response_uri"]), data=wallet.form(request, {"other": token["national_id"]})
    )
    assert answer.json()["code"] == "dcql_unknown_credential_id"


def test_wallet_refusal(client, rp):
    created = create(client, rp, response_mode="direct_post")
    request = open_request(client, created)
    answer = client.post(
        path_of(request["response_uri"]), data={"error": "access_denied", "state": request["state"]}
    )
    assert answer.status_code == 200
    result = client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "access_denied"
    assert result["error"]["explanation"] == "The holder declined to share the information."


def test_request_expiry_and_result_retention(client, rp, wallet, clock):
    created = create(client, rp)
    clock.now += 301
    expired = client.get(path_of(created["request_uri"]))
    assert expired.status_code == 400
    assert expired.json()["code"] == "request_expired"
    view = client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()
    assert view["status"] == "expired"
    answered = create(client, rp)
    respond(client, wallet, answered, iat=clock.now)
    clock.now += 901
    for request_id in (created["id"], answered["id"]):
        gone = client.get(f"/api/v1/requests/{request_id}", headers=auth(rp))
        assert gone.status_code == 404
        assert gone.json()["code"] == "request_not_found"


def test_response_after_expiry(client, rp, wallet, clock):
    created = create(client, rp)
    request = open_request(client, created)
    form = wallet.form(request, wallet.vp_token(request, iat=NOW))
    clock.now += 301
    answer = client.post(path_of(request["response_uri"]), data=form)
    assert answer.status_code == 400
    assert answer.json()["code"] == "request_expired"


def test_ephemeral_key_deleted_when_session_ends(client, rp, wallet):
    from sqlmodel import Session

    from verifier.storage.models import RequestRecord

    created = create(client, rp)
    respond(client, wallet, created)
    service = client.app.state.service
    with Session(service.engine) as session:
        record = session.get(RequestRecord, created["id"])
        assert record.ephemeral_jwk is None
        assert "~" not in (record.result or "")


def test_same_device_response_code(client, rp, wallet):
    created = create(
        client,
        rp,
        template="kyc-basic",
        same_device=True,
        redirect_uri="https://bank.example.bt/kyc/done",
    )
    answer = respond(client, wallet, created)
    redirect = answer.json()["redirect_uri"]
    assert redirect.startswith("https://bank.example.bt/kyc/done#response_code=")
    code = redirect.split("=", 1)[1]
    url = f"/api/v1/requests/{created['id']}"
    withheld = client.get(url, headers=auth(rp)).json()
    assert withheld["status"] == "verified"
    assert "claims" not in withheld
    assert client.get(url, params={"response_code": "wrong"}, headers=auth(rp)).status_code == 403
    shown = client.get(url, params={"response_code": code}, headers=auth(rp)).json()
    assert shown["claims"]["cid"] == "11512003456"
    reused = client.get(url, params={"response_code": code}, headers=auth(rp))
    assert reused.status_code == 403
    assert reused.json()["code"] == "invalid_response_code"


def test_redirect_uri_client_id_scheme(tmp_path, issuer, clock, wallet):
    settings = make_settings(tmp_path, issuer, client_id_scheme="redirect_uri")
    app = create_app(settings, clock=clock, transport=issuer.transport(), start_workers=False)
    with TestClient(app, base_url=PUBLIC_URL) as client:
        token, _ = app.state.service.create_api_key("desk")
        rp = {"Authorization": f"Bearer {token}"}
        created = create(client, rp)
        request = open_request(client, created)
        assert request["client_id"] == "redirect_uri:" + request["response_uri"]
        assert respond(client, wallet, created).status_code == 200


def test_templates_and_raw_dcql(client, rp, wallet, issuer):
    listed = client.get("/api/v1/templates", headers=auth(rp)).json()
    assert [t["id"] for t in listed] == [
        "account-opening",
        "address",
        "age-over-18",
        "agency-sign-in",  # an agency's sign-in page (issue #12)
        "business-licence",
        "kyc-basic",
    ]
    query = {
        "credentials": [
            {
                "id": "home",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [issuer.vct("permanent-address")]},
                "claims": [{"path": ["address", "dzongkhag"]}],
            }
        ]
    }
    no_purpose = client.post("/api/v1/requests", json={"dcql_query": query}, headers=auth(rp))
    assert no_purpose.status_code == 400
    created = create(client, rp, dcql_query=query, purpose="To check you live in our area.")
    assert respond(client, wallet, created).status_code == 200
    result = client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()
    assert result["claims"] == {"address": {"dzongkhag": "Thimphu"}}


def test_template_without_trusted_issuer(client, rp):
    answer = client.post(
        "/api/v1/requests", json={"template": "business-licence"}, headers=auth(rp)
    )
    assert answer.status_code == 201  # the fake issuer is trusted for business-licence
    client.app.state.runtime.trust.file_trust = lambda now: TrustRegistry()
    refused = client.post("/api/v1/requests", json={"template": "kyc-basic"}, headers=auth(rp))
    assert refused.status_code == 409
    assert refused.json()["code"] == "no_trusted_issuer_for_type"


def test_authentication(client, rp):
    assert client.post("/api/v1/requests", json={"template": "kyc-basic"}).status_code == 401
    bad = {"Authorization": "Bearer drk_000000000000_" + "x" * 43}
    assert client.get("/api/v1/templates", headers=bad).status_code == 401
    created = create(client, rp)
    token, _ = client.app.state.service.create_api_key("another bank")
    other = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/requests/{created['id']}", headers=other).status_code == 404
    assert client.get(f"/api/v1/requests/{created['id']}/qr.png", headers=other).status_code == 404
    assert client.get("/api/v1/trust/issuers", headers=other).status_code == 403


def test_identity_documents(client):
    document = client.get("/.well-known/did.json").json()
    assert document["id"] == "did:web:verifier.example.bt"
    assert client.get("/did.json").json() == document
    jwks = client.get("/oid4vp/jwks.json").json()
    assert jwks["keys"][0]["kid"] == document["verificationMethod"][0]["id"]
    assert "d" not in jwks["keys"][0]


def test_signing_key_file_is_private(client, settings):
    assert settings.signing_key_path.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    "bad",
    [
        {"webhook_url": "http://bank.example.bt/hook"},
        {"same_device": True},
        {"redirect_uri": "javascript:alert(1)", "same_device": True},
        {"template": "kyc-basic", "dcql_query": {"credentials": []}},
        {"template": "nope"},
        {"dcql_query": {"credentials": "x"}, "purpose": "p"},
        {"purpose": "x" * 501},
        {"unknown_field": 1},
    ],
)
def test_bad_create_requests(client, rp, bad):
    body = (
        {"template": "kyc-basic", **bad}
        if "template" not in bad and "dcql_query" not in bad
        else bad
    )
    answer = client.post("/api/v1/requests", json=body, headers=auth(rp))
    assert 400 <= answer.status_code < 500
    assert answer.json()["code"]


def test_wrong_presenter_issuer(client, rp):
    stranger = FakeIssuer("https://fake-registry.example.com")
    wallet = FakeWallet()
    wallet.add(
        stranger.issue(
            holder_key=wallet.public_key, vct="https://registry.example.bt/types/foundational-id"
        )[0]
    )
    answer = respond(client, wallet, create(client, rp))
    assert answer.status_code == 400
    assert answer.json()["code"] == "untrusted_issuer"


def test_expiry_does_not_wait_for_pruning(client, rp, clock):
    created = create(client, rp)
    retention = client.app.state.runtime.retention
    clock.now += 301
    retention._last_prune = clock.now  # as if pruning had just run: expiry must still hold
    refused = client.get(path_of(created["request_uri"]))
    assert refused.status_code == 400
    assert refused.json()["code"] == "request_expired"
    view = client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()
    assert view["status"] == "expired"


def test_data_files_are_private(client, settings):
    database = settings.data_dir / "verifier.db"
    assert database.stat().st_mode & 0o077 == 0
    assert settings.data_dir.stat().st_mode & 0o077 == 0


def test_under_18_is_refused_in_plain_words(client, rp, issuer):
    minor = FakeWallet()
    claims = {**CLAIMS["foundational-id"], "age_over_18": False}
    credential, _ = issuer.issue(holder_key=minor.public_key, claims=claims)
    created = create(client, rp, template="age-over-18")
    request = open_request(client, created)
    presentation = minor.present(
        credential, ["/age_over_18"], nonce=request["nonce"], aud=request["client_id"], iat=NOW
    )
    answer = client.post(
        path_of(request["response_uri"]), data=minor.form(request, {"national_id": [presentation]})
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "dcql_value_mismatch"
    assert "not over 18" in answer.json()["error_description"]
