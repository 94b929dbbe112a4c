"""Every copy from one offer at once: ``POST /api/v1/offers/{offer_ref}/{action}`` changes the
batch copies a wallet collected in one transaction, one audit entry per copy, and the signed
status list says so; the optional ``{"reason"}`` body of a status change; the paginated registry
search for agency systems."""

from __future__ import annotations

from typing import Any

from credentials.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID
from tests.api.issuer.conftest import DECHEN, KARMA, Clock, api_key, create_offer
from tests.api.issuer.test_flow import _status
from tests.support.oid4vci_client import WalletClient


def collect(client: Any, wallet: WalletClient, copies: int, cid: str = KARMA) -> tuple[str, list]:
    """An offer collected by a wallet as ``copies`` batch copies: (offer_ref, credentials)."""
    offer = create_offer(client, api_key(client, "issue"), cid=cid)
    received = wallet.receive(offer["offer_uri"], keys=copies)
    return offer["offer_ref"], received.credentials


def audit(client: Any, admin: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get(
        "/api/v1/audit", params={"limit": 500}, headers=admin
    ).json()["items"]
    return items


def test_revoke_every_copy_from_an_offer(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock
) -> None:
    offer_ref, copies = collect(client, wallet, 5)
    _other_ref, [other] = collect(client, wallet, 1)  # the same person's other offer: untouched
    listed = client.get("/api/v1/credentials", params={"subject": KARMA}, headers=admin).json()
    mine = [c for c in listed["items"] if c["offer_ref"] == offer_ref]
    assert sorted(c["copy"] for c in mine) == [1, 2, 3, 4, 5]
    assert {c["copies"] for c in mine} == {5}
    revoke = api_key(client, "revoke")
    before = len(audit(client, admin))
    reason = "Citizen reported the phone stolen"
    response = client.post(
        f"/api/v1/offers/{offer_ref}/revoke", json={"reason": reason}, headers=revoke
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["offer_ref"] == offer_ref
    assert result["action"] == "revoke"
    assert result["changed"] == 5
    assert [c["copy"] for c in result["credentials"]] == [1, 2, 3, 4, 5]
    assert {c["status"] for c in result["credentials"]} == {"revoked"}

    # The signed status list says every copy is revoked, and nothing else changed.
    for credential in copies:
        assert _status(client, credential, clock()) == STATUS_INVALID
    assert _status(client, other, clock()) == STATUS_VALID

    # One audit entry per copy, shaped like a single change, with the reason.
    entries = audit(client, admin)  # newest first
    entries = entries[: len(entries) - before]
    assert len(entries) == 5
    assert {e["target"] for e in entries} == {c["id"] for c in result["credentials"]}
    for entry in entries:
        assert entry["action"] == "credential.revoke"
        assert entry["actor"].startswith("key:")
        assert entry["detail"] == {"subject": KARMA, "type": "foundational-id", "reason": reason}

    # Nothing left to revoke: refused, and nothing more is written.
    again = client.post(f"/api/v1/offers/{offer_ref}/revoke", headers=revoke)
    assert again.status_code == 409
    assert again.json()["code"] == "status_transition_refused"
    assert "5 revoked" in again.json()["error_description"]
    assert len(audit(client, admin)) == before + 5


def test_only_the_copies_the_action_applies_to_change(
    client: Any, admin: dict[str, str], wallet: WalletClient, clock: Clock
) -> None:
    offer_ref, copies = collect(client, wallet, 3)
    items = client.get("/api/v1/credentials", headers=admin).json()["items"]
    first = next(c for c in items if c["offer_ref"] == offer_ref and c["copy"] == 1)
    assert client.post(f"/api/v1/credentials/{first['id']}/revoke", headers=admin).is_success

    base = f"/api/v1/offers/{offer_ref}"
    suspended = client.post(f"{base}/suspend", headers=admin).json()
    assert suspended["changed"] == 2
    assert [c["status"] for c in suspended["credentials"]] == ["revoked", "suspended", "suspended"]
    assert sorted(_status(client, c, clock()) for c in copies) == [
        STATUS_INVALID,
        STATUS_SUSPENDED,
        STATUS_SUSPENDED,
    ]
    refused = client.post(f"{base}/suspend", headers=admin)
    assert refused.status_code == 409
    assert refused.json()["code"] == "status_transition_refused"
    assert client.post(f"{base}/reinstate", headers=admin).json()["changed"] == 2
    assert sorted(_status(client, c, clock()) for c in copies) == [
        STATUS_VALID,
        STATUS_VALID,
        STATUS_INVALID,
    ]


def test_unknown_and_uncollected_offers_are_refused(
    client: Any, admin: dict[str, str], wallet: WalletClient
) -> None:
    for offer_ref in ("off_0123456789abcdef", "off_x", "x" * 300, "cred_1234"):
        response = client.post(f"/api/v1/offers/{offer_ref}/revoke", headers=admin)
        assert response.status_code == 404, (offer_ref, response.text)
        assert response.json()["code"] == "unknown_offer"
    uncollected = create_offer(client, admin)["offer_ref"]
    response = client.post(f"/api/v1/offers/{uncollected}/revoke", headers=admin)
    assert response.status_code == 409
    assert response.json()["code"] == "offer_not_collected"
    assert client.post(f"/api/v1/offers/{uncollected}/destroy", headers=admin).status_code == 400
    assert not [e for e in audit(client, admin) if e["action"].startswith("credential.")]


def test_roles_for_the_offer_status_change(client: Any, wallet: WalletClient) -> None:
    offer_ref, _ = collect(client, wallet, 2)
    path = f"/api/v1/offers/{offer_ref}/suspend"
    assert client.post(path).status_code == 401
    refused = client.post(path, headers=api_key(client, "issue"), json={"reason": "x"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "role_forbidden"
    admin = api_key(client, "admin")
    listed = client.get("/api/v1/credentials", headers=admin).json()["items"]
    assert {c["status"] for c in listed} == {"valid"}
    assert client.post(path, headers=api_key(client, "revoke")).json()["changed"] == 2


def test_a_status_change_takes_an_optional_reason(
    client: Any, admin: dict[str, str], wallet: WalletClient
) -> None:
    collect(client, wallet, 1)
    credential_id = client.get("/api/v1/credentials", headers=admin).json()["items"][0]["id"]
    base = f"/api/v1/credentials/{credential_id}"
    # Without a body, as before: the reason is simply not there.
    assert client.post(f"{base}/suspend", headers=admin).json()["status"] == "suspended"
    empty_json = {**admin, "Content-Type": "application/json"}
    assert client.post(f"{base}/reinstate", content=b"", headers=empty_json).status_code == 200
    assert client.post(f"{base}/suspend", json={}, headers=admin).status_code == 200
    assert client.post(f"{base}/reinstate", json={"reason": None}, headers=admin).is_success
    # The limit applies to the reason as kept: pasted line breaks and indentation collapse.
    padded = "Phone\n" + " " * 1500 + "lost"
    assert client.post(f"{base}/suspend", json={"reason": padded}, headers=admin).is_success
    assert client.post(f"{base}/reinstate", headers=admin).is_success
    for body in ({"reason": "x" * 501}, {"reason": "x" * 2001}, {"reason": 5}, {"why": "lost"}):
        refused = client.post(f"{base}/suspend", json=body, headers=admin)
        assert refused.status_code == 400, body
        assert refused.json()["error"] == "invalid_request"
    longest = "Lost\tphone, " + "y" * 488
    assert len(longest) == 500
    response = client.post(f"{base}/revoke", json={"reason": longest}, headers=admin)
    assert response.status_code == 200
    assert response.json()["copy"] == 1
    assert response.json()["copies"] == 1
    entries = [e for e in audit(client, admin) if e["target"] == credential_id]
    assert [e["detail"].get("reason") for e in entries] == [
        longest.replace("\t", " "),  # control characters become spaces
        None,
        "Phone lost",
        None,
        None,
        None,
        None,
    ]


def test_registry_search_for_agency_systems(client: Any) -> None:
    issue = api_key(client, "issue")

    def search(q: str, **params: Any) -> Any:
        return client.get("/api/v1/registry/search", params={"q": q, **params}, headers=issue)

    by_cid = search(KARMA).json()
    assert by_cid["total"] == 2  # Karma, and the business she owns
    assert [i["kind"] for i in by_cid["items"]] == ["person", "business"]
    assert by_cid["items"][0]["cid"] == KARMA
    assert by_cid["items"][1]["owner_name"] == "Karma Wangmo"
    assert [i["cid"] for i in search("1141").json()["items"]] == [DECHEN]
    assert any(i["cid"] == KARMA for i in search("  wANGmo ").json()["items"])
    licence = search("bl-2024").json()["items"]
    assert {i["kind"] for i in licence} == {"business"}
    assert "BL-2024-00117" in {i["licence_number"] for i in licence}
    for wildcard in ("%%", "__", "a%"):
        assert search(wildcard).json() == {"items": [], "offset": 0, "limit": 50, "total": 0}

    # Page by page, people first and then businesses, nothing lost or repeated.
    everything = search("an").json()
    assert everything["total"] == len(everything["items"]) >= 4
    pages = [search("an", offset=o, limit=3).json() for o in range(0, everything["total"], 3)]
    assert [i for p in pages for i in p["items"]] == everything["items"]
    assert {p["total"] for p in pages} == {everything["total"]}

    for params, status in [
        ({"q": "k"}, 400),
        ({"q": "x" * 101}, 400),
        ({}, 400),
        ({"q": KARMA, "limit": 0}, 400),
        ({"q": KARMA, "offset": -1}, 400),
    ]:
        response = client.get("/api/v1/registry/search", params=params, headers=issue)
        assert response.status_code == status, (params, response.text)
        assert set(response.json()) >= {"error", "error_description", "code"}
    assert search("k").json()["code"] == "bad_search"
    revoke_only = client.get(
        "/api/v1/registry/search", params={"q": KARMA}, headers=api_key(client, "revoke")
    )
    assert revoke_only.status_code == 403
    assert client.get("/api/v1/registry/search", params={"q": KARMA}).status_code == 401
