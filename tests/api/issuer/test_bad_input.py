"""No bad input reaches the 500 handler: every endpoint is fed malformed bodies, wrong media
types, junk tokens and oversized requests, and must answer < 500 with the error JSON shape."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.api.issuer.conftest import ISSUER, create_offer

JUNK_BODIES: list[tuple[bytes, str]] = [
    (b"", "application/json"),
    (b"{", "application/json"),
    (b"null", "application/json"),
    (b"[]", "application/json"),
    (b'"text"', "application/json"),
    (b"1e400", "application/json"),
    (b"NaN", "application/json"),
    (b'{"a":1,"a":2}', "application/json"),
    (b'{"credential_configuration_id": {"x": []}, "proofs": {"jwt": [null]}}', "application/json"),
    (
        b'{"credential_configuration_id": "foundational-id", "proofs": {"jwt": ["a.b.c"]}}',
        "application/json",
    ),
    (b'{"notification_id": 5, "event": []}', "application/json"),
    (b'{"role": "root"}', "application/json"),
    (b'{"offers": "all"}', "application/json"),
    (b'{"cid": "\\ud800"}', "application/json"),
    (b"\xff\xfe\xfa", "application/json"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
    (b"grant_type=x&pre-authorized_code=%ZZ", "application/x-www-form-urlencoded"),
    (b"\xff=\xfe", "application/x-www-form-urlencoded"),
    (b"a=1&" * 100, "application/x-www-form-urlencoded"),
    (b"cid,given_name\n\x00,\n", "text/csv"),
    (b"<xml/>", "application/xml"),
]

PUBLIC_POSTS = ["/token", "/nonce", "/credential", "/notification"]
OPERATOR_POSTS = [
    "/api/v1/offers",
    "/api/v1/offers/bulk",
    "/api/v1/credentials/cred_x/revoke",
    "/api/v1/offers/off_0123456789abcdef/suspend",
    "/api/v1/offers/off_x/reinstate",
    "/api/v1/keys/rotate",
    "/api/v1/apikeys",
    "/api/v1/registry/people",
    "/api/v1/registry/businesses",
    "/api/v1/registry/people/import",
    "/api/v1/registry/businesses/import",
]


def _check(response: Any) -> None:
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) >= {"error", "error_description", "code"}


@pytest.fixture
def no_server_errors(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.ERROR, logger="servicekit.http")
    yield
    assert not [r for r in caplog.records if "unhandled" in r.getMessage()]


@pytest.mark.usefixtures("no_server_errors")
def test_junk_bodies_never_reach_the_500_handler(client: Any, admin: dict[str, str]) -> None:
    access_token = "x" * 43
    for path in PUBLIC_POSTS + OPERATOR_POSTS:
        headers = (
            dict(admin) if path.startswith("/api/") else {"Authorization": f"Bearer {access_token}"}
        )
        for body, media_type in JUNK_BODIES:
            response = client.post(
                path, content=body, headers={**headers, "Content-Type": media_type}
            )
            _check(response)


@pytest.mark.usefixtures("no_server_errors")
def test_junk_with_a_real_access_token(client: Any, admin: dict[str, str], wallet: Any) -> None:
    offer = wallet.fetch_offer(create_offer(client, admin)["offer_uri"])
    access_token = wallet.token(wallet.code_of(offer))
    headers = {"Authorization": f"Bearer {access_token}"}
    for path in ("/credential", "/notification"):
        for body, media_type in JUNK_BODIES:
            _check(client.post(path, content=body, headers={**headers, "Content-Type": media_type}))


@pytest.mark.usefixtures("no_server_errors")
def test_junk_paths_and_queries(client: Any, admin: dict[str, str]) -> None:
    for path in [
        "/offers/%00",
        "/offers/" + "a" * 5000,
        "/offers/../../etc/passwd",
        "/status/%FF",
        "/status/" + "a" * 200,
        "/types/%2e%2e",
        "/api/v1/credentials?limit=abc",
        "/api/v1/credentials?offset=99999999999999999999",
        "/api/v1/audit?limit=-5",
        "/api/v1/registry/people/%00",
        "/api/v1/registry/search",
        "/api/v1/registry/search?q=",
        "/api/v1/registry/search?q=%00%00",
        "/api/v1/registry/search?q=%FF%FE",
        "/api/v1/registry/search?q=" + "a" * 5000,
        "/api/v1/registry/search?q=karma&limit=9999",
        "/api/v1/registry/search?q=karma&offset=99999999999999999999",
        "/.well-known/openid-credential-issuer/extra",
        "/nope",
    ]:
        _check(client.get(path, headers=admin))
    _check(client.delete("/token"))
    _check(client.put("/api/v1/offers", headers=admin))
    for path in [
        "/api/v1/offers/%00/revoke",
        "/api/v1/offers/off_x/destroy",
        "/api/v1/offers/a/b/c",
    ]:
        _check(client.post(path, headers=admin))


def test_request_bodies_are_size_capped(client: Any, admin: dict[str, str]) -> None:
    big = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    response = client.post("/credential", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"] == "request_too_large"
    # A page answers a page, whether the size is declared or only found while reading.
    declared = client.post(
        "/operator/sign-in", content=big, headers={"Content-Type": "application/json"}
    )

    def chunks() -> Any:
        yield from (b"a" * 65536 for _ in range(20))

    streamed = client.post(
        "/operator/sign-in",
        content=chunks(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    for page in (declared, streamed):
        assert page.status_code == 413
        assert page.headers["content-type"].startswith("text/html")
        assert page.headers["cache-control"] == "no-store"
        assert "longer than the 1024 KB this page accepts" in page.text


def test_error_descriptions_are_oauth_ascii(client: Any, admin: dict[str, str]) -> None:
    """OpenID4VCI §8.3.1.2: error_description excludes '"' and '\\' and non-ASCII."""
    response = client.post(
        "/api/v1/offers", json={"credential_configuration_id": 'ཨ"\\'}, headers=admin
    )
    description = response.json()["error_description"]
    assert all(0x20 <= ord(c) <= 0x7E and c not in '"\\' for c in description)


def test_security_headers(client: Any) -> None:
    response = client.get("/.well-known/openid-credential-issuer")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, max-age=300"
    assert client.post("/nonce").headers["cache-control"] == "no-store"
    assert ISSUER in response.text
