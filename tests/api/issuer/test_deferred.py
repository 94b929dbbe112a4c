"""Deferred issuance (OpenID4VCI 1.0 §8.3, §9) for a type an operator approves: 202, the
approval queue (API), the deferred endpoint's answers, and every refusal with its code."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from credentials.jose import (
    decrypt_jwe,
    generate_encryption_key,
    parse_json,
    parse_jws,
    public_encryption_jwk,
)
from did.keys import PrivateKey, PublicKey
from issuer.api.app import create_app
from issuer.types import __file__ as types_file
from tests.api.issuer.conftest import ISSUER, Clock, api_key, create_offer, make_settings
from tests.support.oid4vci_client import WalletClient, make_proof

ADDRESS = "permanent-address"


def approval_types(folder: Path) -> Path:
    """A types folder whose permanent-address needs an operator's approval."""
    data = json.loads((Path(types_file).parent / f"{ADDRESS}.json").read_text())
    data["approval"] = "operator"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{ADDRESS}.json").write_text(json.dumps(data))
    return folder


@pytest.fixture
def client(data_dir: Path, clock: Clock, tmp_path: Path) -> Iterator[TestClient]:
    settings = make_settings(
        data_dir, types_dir=approval_types(tmp_path / "types"), deferred_interval=7
    )
    with TestClient(create_app(settings, clock=clock)) as test_client:
        yield test_client


def _request(
    client: TestClient, *, keys: int = 2, encryption: dict[str, Any] | None = None
) -> tuple[WalletClient, str, list[PrivateKey], Any]:
    wallet = WalletClient(client, issuer=ISSUER)
    offer = create_offer(client, api_key(client, "issue"), ADDRESS)
    token = wallet.token(wallet.code_of(wallet.fetch_offer(offer["offer_uri"])))
    nonce = wallet.nonce()
    holder = [PrivateKey.generate() for _ in range(keys)]
    body: dict[str, Any] = {
        "credential_configuration_id": ADDRESS,
        "proofs": {"jwt": [make_proof(k, aud=ISSUER, nonce=nonce) for k in holder]},
    }
    if encryption is not None:
        body["credential_response_encryption"] = encryption
    return wallet, token, holder, wallet.credential_response(token, body)


def _deferred(client: TestClient, token: str, body: dict[str, Any]) -> Any:
    return client.post(
        "/deferred_credential", json=body, headers={"Authorization": f"Bearer {token}"}
    )


def _refused(response: Any, status: int, error: str, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"] == error, response.json()
    assert response.json()["code"] == code, response.json()


def _queue(client: TestClient, status: str = "pending") -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/approvals", params={"status": status}, headers=api_key(client, "issue")
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_deferred_202_shape_and_metadata(client: TestClient) -> None:
    metadata = client.get("/.well-known/openid-credential-issuer").json()
    assert metadata["deferred_credential_endpoint"] == f"{ISSUER}/deferred_credential"
    _, _, _, response = _request(client)
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"transaction_id", "interval"}  # §8.3: no credentials, no notification
    assert body["interval"] == 7
    assert len(body["transaction_id"]) >= 32


def test_approve_then_fetch_once(client: TestClient) -> None:
    _, token, holder, response = _request(client, keys=3)
    transaction_id = response.json()["transaction_id"]
    pending = _deferred(client, token, {"transaction_id": transaction_id})
    _refused(pending, 400, "issuance_pending", "issuance_pending")
    assert pending.headers["retry-after"] == "7"
    [item] = _queue(client)
    assert item["credential_configuration_id"] == ADDRESS
    assert item["keys"] == 3
    assert item["status"] == "pending"
    approved = client.post(
        f"/api/v1/approvals/{item['ref']}/approve", headers=api_key(client, "issue")
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    assert _queue(client) == []
    fetched = _deferred(client, token, {"transaction_id": transaction_id})
    assert fetched.status_code == 200, fetched.text
    cnf = {
        PublicKey.from_jwk(parse_jws(c["credential"].split("~")[0]).payload["cnf"]["jwk"])
        for c in fetched.json()["credentials"]
    }
    assert cnf == {k.public_key for k in holder}  # bound to the keys proven at the request
    assert fetched.json()["notification_id"]
    again = _deferred(client, token, {"transaction_id": transaction_id})
    _refused(again, 400, "invalid_transaction_id", "transaction_used")
    [issued] = _queue(client, "issued")
    assert issued["decided_by"].startswith("key:")
    audit = client.get("/api/v1/audit", headers=api_key(client, "admin")).json()["items"]
    actions = [entry["action"] for entry in audit if entry["target"] == item["ref"]]
    assert sorted(actions) == ["approval.approve", "approval.deliver", "approval.request"]
    credentials = client.get("/api/v1/credentials", headers=api_key(client, "admin")).json()
    assert credentials["total"] == 3


def test_deny(client: TestClient) -> None:
    _, token, _, response = _request(client)
    transaction_id = response.json()["transaction_id"]
    [item] = _queue(client)
    denied = client.post(
        f"/api/v1/approvals/{item['ref']}/deny",
        json={"reason": "address not confirmed"},
        headers=api_key(client, "issue"),
    )
    assert denied.status_code == 200, denied.text
    assert denied.json()["reason"] == "address not confirmed"
    fetched = _deferred(client, token, {"transaction_id": transaction_id})
    _refused(fetched, 400, "invalid_transaction_id", "issuance_denied")
    twice = client.post(
        f"/api/v1/approvals/{item['ref']}/approve", headers=api_key(client, "issue")
    )
    _refused(twice, 409, "conflict", "approval_decided")


def test_deferred_expired(client: TestClient, clock: Clock) -> None:
    _, token, _, response = _request(client)
    transaction_id = response.json()["transaction_id"]
    clock.advance(7 * 86400 + 1)
    _refused(
        _deferred(client, token, {"transaction_id": transaction_id}),
        400,
        "invalid_transaction_id",
        "transaction_expired",
    )
    assert _queue(client) == []
    [expired] = _queue(client, "expired")
    refused = client.post(
        f"/api/v1/approvals/{expired['ref']}/approve", headers=api_key(client, "issue")
    )
    _refused(refused, 409, "conflict", "approval_decided")


def test_deferred_unknown_transaction_and_other_token(client: TestClient) -> None:
    _, token, _, response = _request(client)
    _refused(
        _deferred(client, token, {"transaction_id": "not-a-transaction"}),
        400,
        "invalid_transaction_id",
        "transaction_unknown",
    )
    _, other_token, _, _ = _request(client)
    refused = _deferred(client, other_token, {"transaction_id": response.json()["transaction_id"]})
    _refused(refused, 401, "invalid_token", "token_other_grant")
    _refused(_deferred(client, "", {"transaction_id": "x"}), 401, "invalid_token", "missing_token")
    _refused(
        _deferred(client, token, {}),
        400,
        "invalid_credential_request",
        "invalid_credential_request",
    )


def test_202_is_encrypted_and_deferred_uses_the_new_key(client: TestClient) -> None:
    first, second = generate_encryption_key(), generate_encryption_key()
    encryption = {"jwk": public_encryption_jwk(first), "enc": "A128GCM"}
    _, token, _, response = _request(client, encryption=encryption)
    assert response.status_code == 202
    assert response.headers["content-type"] == "application/jwt"
    answer = parse_json(decrypt_jwe(response.text, first)[1])
    [item] = _queue(client)
    client.post(f"/api/v1/approvals/{item['ref']}/approve", headers=api_key(client, "issue"))
    body = {
        "transaction_id": answer["transaction_id"],
        "credential_response_encryption": {"jwk": public_encryption_jwk(second), "enc": "A256GCM"},
    }
    fetched = _deferred(client, token, body)
    assert fetched.status_code == 200, fetched.text
    assert parse_json(decrypt_jwe(fetched.text, second)[1])["credentials"]


def test_roles(client: TestClient) -> None:
    _request(client)
    refused = client.get("/api/v1/approvals", headers=api_key(client, "revoke"))
    assert refused.status_code == 403
    assert refused.json()["code"] == "role_forbidden"
    bad = client.get(
        "/api/v1/approvals", params={"status": "nonsense"}, headers=api_key(client, "issue")
    )
    assert bad.status_code == 422 or bad.status_code == 400
    unknown = client.post(
        "/api/v1/approvals/dtx_0000000000000000/approve", headers=api_key(client, "issue")
    )
    _refused(unknown, 404, "not_found", "unknown_approval")


def test_immediate_types_are_not_deferred(client: TestClient) -> None:
    wallet = WalletClient(client, issuer=ISSUER)
    offer = create_offer(client, api_key(client, "issue"))
    received = wallet.receive(offer["offer_uri"])
    assert received.credentials
    assert _queue(client) == []


def test_cli_lists_and_approves(client: TestClient, data_dir: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from issuer.cli import app

    env = {
        "DRUKID_ISSUER_MODE": "development",
        "DRUKID_ISSUER_DATA_DIR": str(data_dir),
        "DRUKID_ISSUER_STATUS_LIST_SIZE": "4096",
        "DRUKID_ISSUER_TYPES_DIR": str(tmp_path / "types"),
        "DRUKID_ISSUER_URL": "",
        "DRUKID_ISSUER_API_KEY": "",
    }
    requests = [_request(client), _request(client)]
    runner = CliRunner()
    listed = runner.invoke(app, ["approvals", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    refs = [item["ref"] for item in json.loads(listed.stdout)["items"]]
    assert len(refs) == 2
    words = runner.invoke(app, ["approvals", "list"], env=env)
    assert "credential requests (2 pending)" in words.stdout
    approved = runner.invoke(app, ["approvals", "approve", refs[0]], env=env)
    assert approved.exit_code == 0, approved.output
    assert "Approved" in approved.stdout
    denied = runner.invoke(app, ["approvals", "deny", refs[1], "--reason", "no proof"], env=env)
    assert denied.exit_code == 0, denied.output
    again = runner.invoke(app, ["approvals", "approve", refs[1]], env=env)
    assert again.exit_code == 1
    assert "approval_decided" in again.output
    # Both were made in the same second, so the queue's order between them is the refs'.
    outcomes = sorted(
        _deferred(client, token, {"transaction_id": answer.json()["transaction_id"]}).status_code
        for _, token, _, answer in requests
    )
    assert outcomes == [200, 400]


def test_remote_operator_decides(client: TestClient) -> None:
    import httpx

    from issuer.commands.remote import RemoteOperator

    def handler(request: httpx.Request) -> httpx.Response:
        answer = client.request(
            request.method, str(request.url), headers=dict(request.headers), content=request.read()
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    _request(client)
    key = api_key(client, "issue")["Authorization"].removeprefix("Bearer ")
    remote = RemoteOperator(ISSUER, key, transport=httpx.MockTransport(handler))
    try:
        [item] = remote.approvals().items
        assert item.status == "pending"
        denied = remote.decide_approval(item.ref, "deny", reason="not yet")
        assert denied.status == "denied"
        assert denied.reason == "not yet"
        assert remote.approvals(status=None).items[0].status == "denied"
    finally:
        remote.close()


def test_operator_page_approves_and_declines(client: TestClient) -> None:
    from tests.api.issuer.test_operator_pages import assert_page, csrf_of, signed_in, text_of

    requests = [_request(client), _request(client)]
    web, _csrf = signed_in(client, "issue")
    page = web.get("/operator/approvals")
    text = assert_page(
        page, 200, "Waiting for approval", "2 requests waiting", "Approve", "Decline"
    )
    refs = re.findall(r"dtx_[0-9a-f]{16}", page.text)
    first, second = dict.fromkeys(refs)  # in page order, each once
    csrf = csrf_of(page.text)
    refused = web.post(f"/operator/approvals/{first}/approve", data={"csrf_token": "forged"})
    assert refused.status_code in (400, 403)
    assert "Permanent address" in text or "address" in text.lower()
    approved = web.post(f"/operator/approvals/{first}/approve", data={"csrf_token": csrf})
    assert approved.status_code == 303
    after = web.get("/operator/approvals")
    assert_page(after, 200, "Approved", "1 request waiting")
    no_reason = web.post(
        f"/operator/approvals/{second}/deny", data={"csrf_token": csrf, "reason": ""}
    )
    assert no_reason.status_code == 303
    assert "Nothing was declined" in text_of(web.get("/operator/approvals").text)
    declined = web.post(
        f"/operator/approvals/{second}/deny",
        data={"csrf_token": csrf, "reason": "address not confirmed"},
    )
    assert declined.status_code == 303
    assert_page(web.get("/operator/approvals"), 200, "Declined", "No credential request is waiting")
    outcomes = sorted(
        _deferred(client, token, {"transaction_id": answer.json()["transaction_id"]})
        .json()
        .get("code", "issued")
        for _, token, _, answer in requests
    )
    assert outcomes == ["issuance_denied", "issued"]
    revoker, _ = signed_in(client, "revoke")
    assert revoker.get("/operator/approvals").status_code == 403
    assert "Waiting for approval" not in revoker.get("/operator/credentials").text
