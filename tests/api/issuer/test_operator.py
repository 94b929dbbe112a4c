"""The operator API: no endpoint answers without an API key, roles are enforced, every action
lands in the append-only audit log, keys rotate without breaking issued credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from credentials.jose import parse_jws
from issuer.operator import local_actor
from tests.api.issuer.conftest import ISSUER, KARMA, Clock, api_key, create_offer
from tests.support.oid4vci_client import WalletClient


def _operator_routes(client: Any) -> list[tuple[str, str]]:
    """Every operator endpoint, from the OpenAPI document (development mode serves it)."""
    paths = client.get("/openapi.json").json()["paths"]
    routes = []
    for path, methods in paths.items():
        if not path.startswith("/api/"):
            continue
        concrete = (
            path.replace("{credential_id}", "cred_x")
            .replace("{action}", "revoke")
            .replace("{key_id}", "abc")
            .replace("{offer_ref}", "off_x")
            .replace("{cid}", KARMA)
            .replace("{kind}", "people")
        )
        routes.extend((method.upper(), concrete) for method in methods)
    return routes


def test_no_operator_endpoint_answers_without_a_valid_key(client: Any) -> None:
    routes = _operator_routes(client)
    assert len(routes) >= 15
    bad_headers = [
        {},
        {"Authorization": "Bearer drk_000000000000_" + "x" * 43},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
        {"Authorization": "Bearer junk"},
    ]
    for method, path in routes:
        for headers in bad_headers:
            response = client.request(method, path, headers=headers, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["error"] == "invalid_token"


def test_roles(client: Any) -> None:
    issue, revoke = api_key(client, "issue"), api_key(client, "revoke")
    offer = create_offer(client, issue)
    assert offer["offer_ref"].startswith("off_")
    assert client.get("/api/v1/registry/people", headers=issue).status_code == 200
    assert client.get("/api/v1/registry/search?q=karma", headers=issue).status_code == 200
    for headers, method, path in [
        (issue, "POST", "/api/v1/credentials/cred_x/revoke"),
        (issue, "POST", "/api/v1/offers/off_x/revoke"),
        (issue, "POST", "/api/v1/keys/rotate"),
        (issue, "GET", "/api/v1/audit"),
        (issue, "POST", "/api/v1/apikeys"),
        (issue, "POST", "/api/v1/registry/people"),
        (revoke, "POST", "/api/v1/offers"),
        (revoke, "GET", "/api/v1/registry/people"),
        (revoke, "GET", "/api/v1/registry/search?q=karma"),
        (revoke, "GET", "/api/v1/keys"),
    ]:
        body = {"role": "admin"} if path.endswith("apikeys") else {}
        response = client.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["code"] == "role_forbidden"
    assert client.get("/api/v1/credentials", headers=revoke).status_code == 200


def test_api_key_lifecycle(client: Any, admin: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/apikeys", json={"role": "issue", "label": "counter 3"}, headers=admin
    )
    assert response.status_code == 201
    created = response.json()
    headers = {"Authorization": f"Bearer {created['api_key']}"}
    assert client.get("/api/v1/credentials", headers=headers).status_code == 200
    listed = client.get("/api/v1/apikeys", headers=admin).json()
    assert all("api_key" not in k and "secret_hash" not in k for k in listed)
    revoked = client.post(f"/api/v1/apikeys/{created['key_id']}/revoke", headers=admin)
    assert revoked.status_code == 204
    refused = client.get("/api/v1/credentials", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["code"] == "api_key_revoked"
    assert client.post("/api/v1/apikeys/nope/revoke", headers=admin).status_code == 404


def test_audit_log_records_actions_and_is_append_only(client: Any, admin: dict[str, str]) -> None:
    offer = create_offer(client, admin)
    entries = client.get("/api/v1/audit", headers=admin).json()["items"]
    latest = entries[0]
    assert latest["action"] == "offer.create"
    assert latest["target"] == offer["offer_ref"]
    assert latest["actor"].startswith("key:")
    assert latest["detail"] == {"subject": KARMA, "tx_code": False, "type": "foundational-id"}
    assert offer["tx_code"] is None
    engine = client.app.state.runtime.context.engine
    for statement in ("UPDATE issuer_audit SET actor = 'x'", "DELETE FROM issuer_audit"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert client.get("/api/v1/audit", headers=admin).json()["items"] == entries


def test_looking_at_personal_data_is_audited(client: Any, admin: dict[str, str]) -> None:
    """Who looked up whom: one person's record, a search, a page of the registry. Credential
    metadata lists and the audit log itself are not look-ups of a person's record."""
    issue = api_key(client, "issue")
    before = client.get("/api/v1/audit", headers=admin).json()["total"]
    assert client.get(f"/api/v1/registry/people/{KARMA}", headers=issue).status_code == 200
    assert client.get("/api/v1/registry/people/11111111111", headers=issue).status_code == 404
    assert client.get("/api/v1/registry/search", params={"q": "Wangmo"}, headers=issue).is_success
    assert client.get("/api/v1/registry/people", params={"limit": 3}, headers=issue).is_success
    assert client.get("/api/v1/registry/businesses", headers=issue).is_success
    assert client.get("/api/v1/credentials", headers=issue).is_success
    log = client.get("/api/v1/audit", headers=admin).json()
    assert log["total"] == before + 5
    newest_first = [(e["action"], e["target"], e["detail"]) for e in log["items"][:5]]
    assert newest_first[0][:2] == ("registry.list", "businesses")
    assert newest_first[1] == ("registry.list", "people", {"offset": 0, "shown": 3})
    assert newest_first[2][:2] == ("registry.search", "Wangmo")
    assert newest_first[2][2]["shown"] >= 1
    assert newest_first[3] == ("registry.read", "11111111111", {"found": False})
    assert newest_first[4] == ("registry.read", KARMA, {"found": True})
    assert {e["actor"] for e in log["items"][:5]} == {log["items"][0]["actor"]}
    assert log["items"][0]["actor"].startswith("key:")


def test_pagination(client: Any, admin: dict[str, str]) -> None:
    first = client.get("/api/v1/registry/people?limit=5", headers=admin).json()
    second = client.get("/api/v1/registry/people?limit=5&offset=5", headers=admin).json()
    assert first["total"] == 12
    assert len(first["items"]) == 5
    assert {p["cid"] for p in first["items"]}.isdisjoint({p["cid"] for p in second["items"]})
    bad = client.get("/api/v1/registry/people?limit=0", headers=admin)
    assert bad.status_code == 400
    assert client.get("/api/v1/credentials?offset=-1", headers=admin).status_code == 400


def test_registry_add_and_csv_import(client: Any, admin: dict[str, str]) -> None:
    person = {
        "cid": "12345678901",
        "given_name": "Phuntsho",
        "family_name": "Wangmo",
        "gender": "female",
        "birthdate": "1990-05-01",
        "birth_dzongkhag": "punakha",
        "birth_gewog": "Talo",
        "birth_village": "Nobgang",
        "dzongkhag": "Thimphu",
        "gewog": "Chang",
        "village": "Motithang",
        "house_number": "MT-1",
    }
    response = client.post("/api/v1/registry/people", json=person, headers=admin)
    assert response.status_code == 201
    assert response.json() == {"created": 1, "updated": 0}
    stored = client.get("/api/v1/registry/people/12345678901", headers=admin).json()
    assert stored["birth_dzongkhag"] == "Punakha"
    bad = client.post("/api/v1/registry/people", json={**person, "cid": "123"}, headers=admin)
    assert bad.status_code == 400
    assert "11 digits" in bad.json()["error_description"]
    csv_text = (
        "licence_number,business_name,owner_cid,activity,valid_until\n"
        "BL-2026-00001,Motithang Bakery,12345678901,Bakery,2030-01-31\n"
    )
    imported = client.post(
        "/api/v1/registry/businesses/import",
        content=csv_text.encode(),
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"created": 1, "updated": 0}
    broken = "cid,given_name\n123,Bad\n"
    refused = client.post(
        "/api/v1/registry/people/import",
        content=broken.encode(),
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert refused.status_code == 400
    assert "line 2" in refused.json()["error_description"]


def test_bulk_offers_are_all_or_nothing(client: Any, admin: dict[str, str]) -> None:
    good = {"credential_configuration_id": "foundational-id", "cid": KARMA}
    response = client.post("/api/v1/offers/bulk", json={"offers": [good, good]}, headers=admin)
    assert response.status_code == 201
    assert len({o["offer_ref"] for o in response.json()["offers"]}) == 2
    bad = {"credential_configuration_id": "foundational-id", "cid": "99999999999"}
    refused = client.post("/api/v1/offers/bulk", json={"offers": [good, bad]}, headers=admin)
    assert refused.status_code == 404
    assert refused.json()["error_description"].startswith("offer 2:")
    audit = client.get("/api/v1/audit?action=offer.create", headers=admin).json()
    assert len(audit["items"]) == 2
    assert audit["total"] == 2
    one = client.get("/api/v1/audit", params={"limit": 1}, headers=admin).json()
    assert len(one["items"]) == 1
    assert one["total"] > 2  # the API keys made above are in the log too


def test_key_rotation(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock, settings: Any
) -> None:
    old_credential = wallet.receive(create_offer(client, admin)["offer_uri"]).credentials[0]
    old_kid = parse_jws(old_credential.split("~")[0]).kid
    assert old_kid is not None
    assert (Path(settings.keys_dir) / f"{old_kid}.jwk").exists()
    rotated = client.post("/api/v1/keys/rotate", json={"alg": "EdDSA"}, headers=admin).json()
    assert rotated["retired"] == [old_kid]
    assert rotated["alg"] == "EdDSA"
    new_credential = wallet.receive(create_offer(client, admin)["offer_uri"]).credentials[0]
    header = parse_jws(new_credential.split("~")[0]).header
    assert header["kid"] == rotated["kid"]
    assert header["alg"] == "EdDSA"
    # The retired private key is gone; its public key stays published for its credentials.
    assert not (Path(settings.keys_dir) / f"{old_kid}.jwk").exists()
    kids = [k["kid"] for k in client.get("/.well-known/jwt-vc-issuer").json()["jwks"]["keys"]]
    assert kids == [rotated["kid"], old_kid]
    # Status lists are re-signed with the active key.
    uri = parse_jws(old_credential.split("~")[0]).payload["status"]["status_list"]["uri"]
    assert parse_jws(client.get(uri.removeprefix(ISSUER)).text).kid == rotated["kid"]
    # Once every credential the old key signed has expired, it is no longer published.
    clock.advance(3651 * 86400)
    kids = [k["kid"] for k in client.get("/.well-known/jwt-vc-issuer").json()["jwks"]["keys"]]
    assert kids == [rotated["kid"]]
    keys = client.get("/api/v1/keys", headers=admin).json()
    assert [k["active"] for k in keys] == [False, True]
    assert (
        client.post("/api/v1/keys/rotate", json={"alg": "RS256"}, headers=admin).status_code == 400
    )


def test_local_actor_is_admin(client: Any) -> None:
    actor = local_actor()
    assert actor.role == "admin"
    assert actor.id.startswith("local:")


def test_jwks_follows_a_rotation_made_by_another_process(
    client: Any, admin: dict[str, str], settings: Any
) -> None:
    """Two workers share one database: a rotation through the local CLI (another process)
    shows in this worker's JWKS at once, not after the cache expires."""
    from issuer.runtime import build_runtime

    before = client.get("/.well-known/jwt-vc-issuer").json()["jwks"]["keys"]
    other = build_runtime(settings)
    rotated = other.operator.admin.rotate_key(local_actor()).to_json()
    other.close()
    after = client.get("/.well-known/jwt-vc-issuer").json()["jwks"]["keys"]
    assert after[0]["kid"] == rotated["kid"]
    assert after[0]["kid"] != before[0]["kid"]


def test_keys_rotate_and_prepare_take_no_body(client: Any, admin: dict[str, str]) -> None:
    """README shows `curl -X POST .../api/v1/keys/rotate` with no body (issue 15, finding 10)."""
    before = {k["kid"] for k in client.get("/api/v1/keys", headers=admin).json()}
    rotated = client.post("/api/v1/keys/rotate", headers=admin)
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["kid"] not in before
    assert client.post("/api/v1/keys/prepare", headers=admin).status_code == 201
    wrong = client.post(
        "/api/v1/keys/rotate", content=b"alg=ES256", headers={**admin, "Content-Type": "text/plain"}
    )
    assert wrong.json()["code"] == "unsupported_media_type"
