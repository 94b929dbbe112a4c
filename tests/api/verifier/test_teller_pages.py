"""The teller pages (verifier/web) through Starlette's TestClient: sign-in and sessions, CSRF,
starting a check through the same service operation as the API, the waiting page and its poll,
results in plain words under the type's display labels, clearing, and bad input (4xx pages,
never a 500)."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from servicekit.qr import decode_qr_image
from tests.api.verifier.conftest import (
    NOW,
    PUBLIC_URL,
    Clock,
    TestClient,
    make_settings,
    respond,
)
from tests.support.fake_issuer import FakeIssuer
from tests.support.fake_wallet import FakeWallet, parse_openid4vp_uri
from verifier.api.app import create_app
from verifier.errors import RequestError
from verifier.request_templates import load_templates
from verifier.settings import VerifierSettings
from verifier.web.views import claim_rows, display_zone, format_time

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r'id="request-link">([^<]+)<')
FORM = {"content-type": "application/x-www-form-urlencoded"}


def type_metadata(issuer: FakeIssuer, type_id: str) -> dict[str, Any]:
    """What the project's issuer serves at a vct (SD-JWT VC Type Metadata, §6-§9)."""
    labels = {
        "foundational-id": ("National ID", {"cid": "CID number", "age_over_18": "Over 18"}),
        "permanent-address": (
            "Permanent address",
            {"address": "Address", "address.village": "Village"},
        ),
    }
    name, claims = labels[type_id]
    return {
        "vct": issuer.vct(type_id),
        "name": name,
        "display": [{"locale": "en", "name": name}],
        "claims": [
            {"path": path.split("."), "display": [{"locale": "en", "label": label}]}
            for path, label in claims.items()
        ],
    }


def with_type_metadata(issuer: FakeIssuer, clock: Clock) -> httpx.MockTransport:
    """The fake issuer's transport, plus Type Metadata at ``<issuer>/types/<type id>``."""
    inner = issuer.transport(now=clock)
    served: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        type_id = request.url.path.removeprefix("/types/")
        if request.url.path.startswith("/types/") and type_id in (
            "foundational-id",
            "permanent-address",
        ):
            served.append(type_id)
            return httpx.Response(200, json=type_metadata(issuer, type_id))
        return inner.handle_request(request)

    transport = httpx.MockTransport(handler)
    transport.served = served  # type: ignore[attr-defined]
    return transport


def start_client(
    settings: VerifierSettings, clock: Clock, transport: httpx.BaseTransport, base_url: str
) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock, transport=transport, start_workers=False)
    with TestClient(app, base_url=base_url, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def transport(issuer: FakeIssuer, clock: Clock) -> httpx.MockTransport:
    return with_type_metadata(issuer, clock)


@pytest.fixture
def teller(
    settings: VerifierSettings, clock: Clock, transport: httpx.MockTransport
) -> Iterator[TestClient]:
    yield from start_client(settings, clock, transport, PUBLIC_URL)


@pytest.fixture
def desk_key(teller: TestClient) -> str:
    token, _ = teller.app.state.service.create_api_key("Counter 3, Thimphu branch")  # type: ignore[attr-defined]
    return str(token)


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text
    return found.group(1)


def sign_in(client: TestClient, key: str) -> httpx.Response:
    token = csrf_of(client.get("/teller"))
    return client.post("/teller/sign-in", data={"csrf_token": token, "api_key": key})


def signed_in(client: TestClient, key: str) -> str:
    """Sign in; return the choose page's CSRF token."""
    assert sign_in(client, key).status_code == 303
    page = client.get("/teller")
    assert "What do you need to check?" in page.text, page.text
    return csrf_of(page)


def start(client: TestClient, key: str, template: str, **fields: str) -> str:
    """Sign in (unless signed in), press a template button; return the link the waiting page
    shows."""
    if client.cookies.get("drukid_teller"):
        token = csrf_of(client.get("/teller/check", follow_redirects=True))
    else:
        token = signed_in(client, key)
    response = client.post(
        "/teller/start", data={"csrf_token": token, "template": template, **fields}
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/teller/check"
    page = client.get("/teller/check")
    assert page.status_code == 200
    found = LINK.search(page.text)
    assert found, page.text
    return html.unescape(found.group(1))


def set_cookies(response: httpx.Response) -> str:
    return "\n".join(response.headers.get_list("set-cookie"))


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def poll(client: TestClient) -> str:
    response = client.get("/teller/check/status")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    return str(response.json()["status"])


def session_data(client: TestClient) -> dict[str, Any]:
    pages = client.app.state.teller_pages  # type: ignore[attr-defined]
    session = pages.sessions.get(client.cookies.get("drukid_teller"))
    assert session is not None
    return dict(session.data)


# --- sign in and out ----------------------------------------------------------------------


def test_sign_in_page_is_a_plain_form_with_safe_headers(teller: TestClient) -> None:
    page = teller.get("/teller")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'action="/teller/sign-in"' in page.text
    assert '<label for="f-api_key">' in page.text
    assert not re.search(r"<script>|<style>| style=| on[a-z]+=", page.text)  # CSP-clean
    cookie = page.headers["set-cookie"]
    assert "drukid_teller_sign_in=" in cookie
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/teller"):
        assert attribute.lower() in cookie.lower()
    for asset in ("/static/verifier/teller.js", "/static/drukid/drukid.js"):
        script = teller.get(asset)
        assert script.status_code == 200
        assert "localStorage" not in script.text
        assert "sessionStorage" not in script.text
    assert teller.get("/static/verifier/teller.css").status_code == 200


def test_sign_in_keeps_the_key_on_the_server_and_sign_out_ends_the_session(
    teller: TestClient, desk_key: str
) -> None:
    response = sign_in(teller, desk_key)
    assert response.status_code == 303
    assert response.headers["location"] == "/teller"
    cookie = response.headers["set-cookie"]
    assert "drukid_teller=" in cookie
    for attribute in ("HttpOnly", "Secure", "SameSite=strict", "Path=/teller"):
        assert attribute.lower() in cookie.lower()
    assert desk_key not in cookie
    session_id = teller.cookies.get("drukid_teller")
    assert session_id
    assert desk_key.split("_", 2)[2] not in session_id  # the secret may itself hold "_"
    assert set(session_data(teller)) == {"key_id"}
    assert session_data(teller)["key_id"] == desk_key.split("_")[1]

    page = teller.get("/teller")
    assert "Desk: Counter 3, Thimphu branch" in page.text
    assert desk_key not in page.text
    for template in load_templates().values():
        assert f'value="{template.id}"' in page.text
        assert html.escape(template.title) in page.text
    assert "Only this is shared: Over 18 (yes or no)" in page.text  # the type's own label

    signed_out = teller.post("/teller/sign-out", data={"csrf_token": csrf_of(page)})
    assert signed_out.status_code == 303
    assert signed_out.headers["location"] == "/teller?reason=signed_out"
    assert 'drukid_teller=""' in set_cookies(signed_out)
    teller.cookies.set("drukid_teller", session_id, domain="verifier.example.bt", path="/teller")
    ended = teller.get("/teller/check")
    assert ended.headers["location"] == "/teller?reason=ended"  # the old session id is dead
    assert 'drukid_teller=""' in set_cookies(ended)  # and its cookie is dropped
    assert "Sign in this desk" in teller.get("/teller").text


def test_a_wrong_key_is_refused_in_plain_words_and_repeated_tries_are_throttled(
    teller: TestClient, desk_key: str, clock: Clock
) -> None:
    wrong = "drk_" + desk_key.split("_")[1] + "_" + "x" * 43
    for attempt in (wrong, "not a key", wrong, "", wrong):
        response = sign_in(teller, attempt)
        assert response.status_code == 401
        assert "What to do:" in response.text
        assert "drukid_teller=" not in response.headers.get("set-cookie", "").replace(
            "drukid_teller_sign_in", ""
        )
    assert "This key was not accepted." in response.text
    throttled = sign_in(teller, desk_key)  # even the right key waits now
    assert throttled.status_code == 429
    assert "Too many wrong keys were tried from this computer." in throttled.text
    assert int(throttled.headers["retry-after"]) > 0
    clock.now += 301
    assert sign_in(teller, desk_key).status_code == 303


def test_development_http_cookies_are_not_secure(
    tmp_path: Path, issuer: FakeIssuer, clock: Clock
) -> None:
    settings = make_settings(
        tmp_path, issuer, mode="development", public_url="http://127.0.0.1:8102"
    )
    for client in start_client(settings, clock, issuer.transport(now=clock), settings.public_url):
        key, _ = client.app.state.service.create_api_key("Dev desk")  # type: ignore[attr-defined]
        cookie = sign_in(client, key).headers["set-cookie"]
        assert "httponly" in cookie.lower()
        assert "secure" not in cookie.lower()


def test_every_post_needs_its_csrf_token(teller: TestClient, desk_key: str) -> None:
    teller.get("/teller")
    no_token = teller.post("/teller/sign-in", data={"api_key": desk_key})
    assert no_token.status_code == 403
    assert "This form is out of date" in no_token.text
    forged = teller.post("/teller/sign-in", data={"csrf_token": "x" * 43, "api_key": desk_key})
    assert forged.status_code == 403

    token = signed_in(teller, desk_key)
    service = teller.app.state.service  # type: ignore[attr-defined]
    for path, fields in (
        ("/teller/start", {"template": "age-over-18"}),
        ("/teller/check/end", {}),
        ("/teller/sign-out", {}),
    ):
        for sent in ({"csrf_token": ""}, {"csrf_token": "wrong"}):
            refused = teller.post(path, data={**fields, **sent})
            assert refused.status_code == 403, path
            assert refused.headers["content-type"].startswith("text/html")
    assert session_data(teller).get("check") is None  # nothing was started
    assert "What do you need to check?" in teller.get("/teller").text  # still signed in
    with_token = teller.post("/teller/start", data={"csrf_token": token, "template": "kyc-basic"})
    assert with_token.status_code == 303
    assert service.request_view(desk_key.split("_")[1], session_data(teller)["check"])


def test_an_ended_session_and_a_revoked_key_send_the_desk_back_to_sign_in(
    teller: TestClient, desk_key: str, clock: Clock
) -> None:
    signed_in(teller, desk_key)
    clock.now += 15 * 60 + 1
    response = teller.get("/teller/check")
    assert response.status_code == 303
    assert response.headers["location"] == "/teller?reason=ended"
    note = teller.get("/teller?reason=ended")
    assert "You were signed out because the page was not used for a while." in note.text

    signed_in(teller, desk_key)
    service = teller.app.state.service  # type: ignore[attr-defined]
    service.revoke_api_key(desk_key.split("_")[1])
    page = teller.get("/teller")
    assert "This desk's API key is no longer valid." in text_of(page)
    assert sign_in(teller, desk_key).status_code == 401


# --- a check ------------------------------------------------------------------------------


def test_a_template_button_creates_the_request_and_the_waiting_page_shows_its_code(
    teller: TestClient, desk_key: str
) -> None:
    link = start(teller, desk_key, "age-over-18")
    params = parse_openid4vp_uri(link)
    assert params["client_id"].startswith("decentralized_identifier:did:web:verifier.example.bt")
    assert params["request_uri"].startswith(f"{PUBLIC_URL}/oid4vp/request/")
    request_id = params["request_uri"].rsplit("/", 1)[1]
    assert session_data(teller) == {"key_id": desk_key.split("_")[1], "check": request_id}

    page = teller.get("/teller/check")
    assert page.headers["cache-control"] == "no-store"
    assert '<img class="qr" src="/teller/check/qr.png"' in page.text
    assert 'data-poll-url="/teller/check/status"' in page.text
    assert 'data-status="pending"' in page.text
    assert 'href="/teller/check">Check now</a>' in page.text  # works without JavaScript
    assert 'action="/teller/check/end"' in page.text
    assert 'data-seconds-left="300"' in page.text
    assert html.escape(load_templates()["age-over-18"].purpose) in page.text
    qr = teller.get("/teller/check/qr.png")
    assert qr.headers["content-type"] == "image/png"
    assert decode_qr_image(qr.content) == [link]

    # The same request the relying-party API sees, made by the same service operation.
    api = teller.get(
        f"/api/v1/requests/{request_id}", headers={"Authorization": f"Bearer {desk_key}"}
    )
    assert api.json()["template"] == "age-over-18"
    assert api.json()["status"] == "pending"
    assert poll(teller) == "pending"


def test_the_purpose_can_be_given_in_the_tellers_words(teller: TestClient, desk_key: str) -> None:
    start(teller, desk_key, "kyc-basic", purpose="  To open <your> savings account & card  ")
    page = teller.get("/teller/check")
    assert "“To open &lt;your&gt; savings account &amp; card”" in page.text
    view = teller.app.state.service.request_view(  # type: ignore[attr-defined]
        desk_key.split("_")[1], session_data(teller)["check"]
    )
    assert view["purpose"] == "To open <your> savings account & card"


def test_a_verified_result_appears_with_labels_issuer_and_valid_as_of(
    teller: TestClient, desk_key: str, wallet: FakeWallet, transport: httpx.MockTransport
) -> None:
    link = start(teller, desk_key, "kyc-basic")
    assert poll(teller) == "pending"
    assert respond(teller, wallet, {"uri": link}).status_code == 200
    assert poll(teller) == "verified"
    assert poll(teller) == "verified"

    page = teller.get("/teller/check")
    text = page.text
    assert 'data-status="verified"' in text
    assert "✔ Verified" in text
    assert "<h2>National ID</h2>" in text  # the type's display name
    assert '<th scope="row">CID number</th><td>11512003456</td>' in text  # its claim label
    assert '<th scope="row">Full name</th><td>Karma Wangmo</td>' in text  # humanised
    assert '<th scope="row">Birthdate</th><td>12 March 1994</td>' in text
    assert "<dt>Issued by</dt><dd>Department of Civil Registration</dd>" in text
    assert "<dt>Trust data valid as of</dt>" in text
    # NOW = 1 800 000 000 = 15 January 2027 08:00 UTC = 14:00 in Thimphu
    assert "checked as of 15 January 2027, 14:00" in text
    assert '<meta http-equiv="refresh" content="120">' in text
    assert "Not accepted" not in text
    assert "foundational-id" in transport.served  # type: ignore[attr-defined]
    assert set(session_data(teller)) == {"key_id", "check", "shown_until"}  # no claims


def test_labels_fall_back_to_claim_names_without_type_metadata(
    client: TestClient, wallet: FakeWallet
) -> None:
    # The conftest client's issuer publishes no Type Metadata.
    key, _ = client.app.state.service.create_api_key("Counter 1")  # type: ignore[attr-defined]
    client.follow_redirects = False
    link = start(client, key, "address")
    assert respond(client, wallet, {"uri": link}).status_code == 200
    text = client.get("/teller/check").text
    assert "<h2>Permanent address</h2>" in text
    assert '<th scope="row">Address — House number</th><td>12-B</td>' in text
    assert '<th scope="row">Full name</th><td>Karma Wangmo</td>' in text


def test_a_revoked_credential_is_not_accepted_with_the_reason_in_plain_words(
    teller: TestClient, desk_key: str, issuer: FakeIssuer
) -> None:
    holder = FakeWallet()
    credential, idx = issuer.issue(holder_key=holder.public_key)
    holder.add(credential)
    assert idx is not None
    issuer.revoke(idx)
    link = start(teller, desk_key, "age-over-18")
    assert respond(teller, holder, {"uri": link}).status_code == 400
    assert poll(teller) == "rejected"
    text = teller.get("/teller/check").text
    assert 'data-status="rejected"' in text
    assert "✘ Not accepted" in text
    assert "This credential has been revoked by its issuer." in text
    assert "What to do: Ask the customer to contact the office that issued the credential." in text
    assert "Verified" not in text
    assert "<table" not in text


def test_an_unanswered_check_expires_in_plain_words(
    teller: TestClient, desk_key: str, clock: Clock
) -> None:
    start(teller, desk_key, "kyc-basic")
    clock.now += 301
    assert poll(teller) == "expired"
    text = teller.get("/teller/check").text
    assert "Nobody answered in time" in text
    assert "Start a new check if the customer is still here." in text


def test_the_result_is_cleared_after_the_display_time(
    teller: TestClient, desk_key: str, wallet: FakeWallet, clock: Clock
) -> None:
    link = start(teller, desk_key, "kyc-basic")
    request_id = session_data(teller)["check"]
    respond(teller, wallet, {"uri": link})
    assert "Karma Wangmo" in teller.get("/teller/check").text
    clock.now += 119
    page = teller.get("/teller/check")
    assert "Karma Wangmo" in page.text
    assert '<meta http-equiv="refresh" content="1">' in page.text
    clock.now += 1
    cleared = teller.get("/teller/check")
    assert cleared.status_code == 303
    assert cleared.headers["location"] == "/teller"
    start_page = teller.get("/teller")
    assert "The last result was cleared from the screen." in start_page.text
    assert "Karma Wangmo" not in start_page.text
    assert set(session_data(teller)) == {"key_id"}
    assert poll(teller) == "none"
    gone = teller.get(
        f"/api/v1/requests/{request_id}", headers={"Authorization": f"Bearer {desk_key}"}
    )
    assert gone.status_code == 404  # deleted, not only hidden


def test_new_check_clears_the_result_and_cancel_stops_the_code(
    teller: TestClient, desk_key: str, wallet: FakeWallet
) -> None:
    link = start(teller, desk_key, "kyc-basic")
    respond(teller, wallet, {"uri": link})
    page = teller.get("/teller/check")
    new_check = teller.post("/teller/check/end", data={"csrf_token": csrf_of(page)})
    assert new_check.status_code == 303
    assert new_check.headers["location"] == "/teller"
    assert teller.get("/teller/check").headers["location"] == "/teller"
    assert set(session_data(teller)) == {"key_id"}

    link = start(teller, desk_key, "age-over-18")
    page = teller.get("/teller/check")
    assert teller.post("/teller/check/end", data={"csrf_token": csrf_of(page)}).status_code == 303
    request_uri = parse_openid4vp_uri(link)["request_uri"]
    refused = teller.get(request_uri.removeprefix(PUBLIC_URL))
    assert refused.status_code == 404  # a cancelled code can no longer be answered
    assert poll(teller) == "none"


def test_starting_again_replaces_the_running_check(teller: TestClient, desk_key: str) -> None:
    first = start(teller, desk_key, "kyc-basic")
    assert teller.get("/teller").headers["location"] == "/teller/check"  # back to the check
    second = start(teller, desk_key, "age-over-18")
    assert first != second
    first_uri = parse_openid4vp_uri(first)["request_uri"].removeprefix(PUBLIC_URL)
    assert teller.get(first_uri).status_code == 404


def test_poll_without_a_session_says_signed_out(teller: TestClient) -> None:
    response = teller.get("/teller/check/status")
    assert response.json() == {"status": "signed_out"}


# --- bad input ----------------------------------------------------------------------------


def _post(client: TestClient, path: str, body: bytes | str, **headers: str) -> httpx.Response:
    return client.post(path, content=body, headers={**FORM, **headers})


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"template": "open-sesame"}, 400, "Choose what to check with one of the buttons."),
        ({}, 400, "Choose what to check with one of the buttons."),
        ({"template": "kyc-basic", "purpose": "x" * 501}, 400, "longer than 500 characters"),
        ({"template": "kyc-basic", "purpose": "why?"}, 400, "is too short"),
        ({"template": "kyc-basic", "colour": "red"}, 400, "a field this page does not know"),
    ],
)
def test_bad_start_forms_get_a_plain_4xx_page(
    teller: TestClient, desk_key: str, fields: dict[str, str], status: int, message: str
) -> None:
    token = signed_in(teller, desk_key)
    response = teller.post("/teller/start", data={"csrf_token": token, **fields})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert message in response.text
    assert "What to do:" in response.text
    assert session_data(teller).get("check") is None


def test_malformed_bodies_get_a_plain_4xx_page(teller: TestClient, desk_key: str) -> None:
    token = signed_in(teller, desk_key)
    cases = [
        (json.dumps({"template": "kyc-basic"}), {"content-type": "application/json"}, 415),
        (f"csrf_token={token}&template=kyc-basic&template=address", {}, 400),  # repeated
        (b"csrf_token=\xff\xfe&template=kyc-basic", {}, 400),  # not UTF-8
        (f"csrf_token={token}&template=kyc-basic&purpose=" + "a" * 9000, {}, 413),
        ("csrf_token", {}, 400),  # not name=value
        ("&".join(f"f{i}=1" for i in range(20)), {}, 400),  # too many fields
    ]
    for body, headers, status in cases:
        response = _post(teller, "/teller/start", body, **headers)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith("text/html")
    sign_in_json = teller.post("/teller/sign-in", json={"api_key": desk_key})
    assert sign_in_json.status_code == 415
    # Over the service's whole body cap (1 MB) a page still answers a page, not JSON.
    huge = _post(teller, "/teller/start", "a=" + "b" * (1024 * 1024 + 1))
    assert huge.status_code == 413
    assert huge.headers["content-type"].startswith("text/html")
    assert "longer than the 1024 KB this page accepts" in huge.text
    assert "What to do:" in huge.text
    api = teller.post("/api/v1/requests", content=b"{" + b" " * (1024 * 1024) + b"}")
    assert api.status_code == 413
    assert api.json()["code"] == "request_too_large"


def test_a_template_without_a_trusted_issuer_is_unavailable(
    tmp_path: Path, issuer: FakeIssuer, clock: Clock
) -> None:
    settings = make_settings(tmp_path, issuer)
    assert settings.trust_file is not None
    entry = issuer.trusted_entry(types=("foundational-id",))
    settings.trust_file.write_text(json.dumps({"issuers": [entry]}))
    for client in start_client(settings, clock, issuer.transport(now=clock), PUBLIC_URL):
        key, _ = client.app.state.service.create_api_key("Counter 2")  # type: ignore[attr-defined]
        token = signed_in(client, key)
        page = client.get("/teller").text
        button = page[page.index('value="business-licence"') :].split(">", 1)[0]
        assert button.endswith(" disabled")
        assert "Not available yet: no trusted issuer gives this credential." in page
        forced = client.post("/teller/start", data={"csrf_token": token, "template": "address"})
        assert forced.status_code == 409
        assert "no trusted issuer gives this kind of credential" in forced.text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/teller/nothing-here", 404),
        ("GET", "/teller/teller.js", 404),  # the old static page is gone
        ("GET", "/teller/sign-in", 405),
        ("GET", "/teller/start", 405),
        ("PUT", "/teller", 405),
    ],
)
def test_unknown_addresses_get_an_html_page(
    teller: TestClient, method: str, path: str, status: int
) -> None:
    response = teller.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "Go to the teller start page" in response.text


def test_no_check_running_and_signed_out_requests(teller: TestClient, desk_key: str) -> None:
    assert teller.get("/teller/check/qr.png").headers["location"] == "/teller"  # signed out
    assert teller.post("/teller/start", data={"template": "kyc-basic"}).status_code == 303
    signed_in(teller, desk_key)
    missing = teller.get("/teller/check/qr.png")
    assert missing.status_code == 404
    assert "There is no check running." in missing.text
    assert teller.get("/teller/check").headers["location"] == "/teller"


def test_the_api_keeps_its_json_errors(teller: TestClient) -> None:
    response = teller.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    unauthorised = teller.post("/api/v1/requests", json={"template": "kyc-basic"})
    assert unauthorised.status_code == 401
    assert unauthorised.json()["code"] == "unauthorized"


def test_a_result_gone_before_it_was_read_is_explained(
    teller: TestClient, desk_key: str, wallet: FakeWallet
) -> None:
    link = start(teller, desk_key, "kyc-basic")
    respond(teller, wallet, {"uri": link})
    service = teller.app.state.service  # type: ignore[attr-defined]
    assert service.discard_request(desk_key.split("_")[1], session_data(teller)["check"])
    response = teller.get("/teller/check")
    assert response.headers["location"] == "/teller"
    assert "The last check is no longer available." in teller.get("/teller").text


def test_a_check_ends_with_its_session(teller: TestClient, desk_key: str, clock: Clock) -> None:
    link = start(teller, desk_key, "kyc-basic")
    page = teller.get("/teller/check")
    assert teller.post("/teller/sign-out", data={"csrf_token": csrf_of(page)}).status_code == 303
    request_uri = parse_openid4vp_uri(link)["request_uri"].removeprefix(PUBLIC_URL)
    assert teller.get(request_uri).status_code == 404  # the code on the screen is dead

    link = start(teller, desk_key, "age-over-18")
    clock.now += 15 * 60 + 1  # the desk walked away
    assert teller.get("/teller").status_code == 200  # the sign-in form
    request_uri = parse_openid4vp_uri(link)["request_uri"].removeprefix(PUBLIC_URL)
    assert teller.get(request_uri).status_code == 404


def test_an_unexpected_failure_is_a_plain_page_without_details(
    settings: VerifierSettings, clock: Clock, transport: httpx.MockTransport
) -> None:
    app = create_app(settings, clock=clock, transport=transport, start_workers=False)
    with TestClient(
        app, base_url=PUBLIC_URL, follow_redirects=False, raise_server_exceptions=False
    ) as client:
        key, _ = app.state.service.create_api_key("Counter 4")

        def broken() -> None:
            raise RuntimeError("database password is hunter2")

        signed_in(client, key)
        app.state.service.trust_registry = broken
        response = client.get("/teller")
        assert response.status_code == 500
        assert response.headers["content-type"].startswith("text/html")
        assert "Something went wrong on our side. Nothing was shared." in response.text
        assert "hunter2" not in response.text
        assert "RuntimeError" not in response.text
        api = client.get("/api/v1/templates", headers={"Authorization": "Bearer x"})
        assert api.status_code == 401  # the API's own handlers are untouched


# --- what the teller reads ----------------------------------------------------------------


def test_values_and_times_read_plainly() -> None:
    rows = claim_rows(
        {
            "age_over_18": True,
            "age_over_21": False,
            "birthdate": "1994-03-12",
            "photo": "data:image/jpeg;base64,/9j/4AAQ",
            "nationalities": ["BT", "IN"],
            "place_of_birth": {"dzongkhag": "Paro", "gewog": "Lungnyi"},
            "note": "x" * 400,
            "code": "2024-13-40",
        },
        None,
    )
    assert rows[:6] == (
        ("Age over 18", "Yes"),
        ("Age over 21", "No"),
        ("Birthdate", "12 March 1994"),
        ("Photo", "A photo (not shown here)"),
        ("Nationalities", "BT, IN"),
        ("Place of birth — Dzongkhag", "Paro"),
    )
    assert rows[7] == ("Note", "x" * 300 + "…")
    assert rows[8] == ("Code", "2024-13-40")  # not a date
    assert format_time(NOW, display_zone("UTC")) == "15 January 2027, 08:00"
    assert format_time(NOW, display_zone("Asia/Thimphu")) == "15 January 2027, 14:00"
    assert format_time(None, display_zone("UTC")) == "no date given"


def test_settings_refuse_an_unknown_time_zone(tmp_path: Path, issuer: FakeIssuer) -> None:
    assert make_settings(tmp_path, issuer, timezone="UTC").timezone == "UTC"
    with pytest.raises(ValidationError, match="not a known time zone"):
        make_settings(tmp_path, issuer, timezone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError):
        make_settings(tmp_path, issuer, teller_result_seconds=0)


def test_idle_sessions_end_without_traffic_and_at_shutdown(
    settings: VerifierSettings, clock: Clock, transport: httpx.MockTransport
) -> None:
    """In memory (one process), a desk's session and its check end with the process."""
    settings = settings.model_copy(
        update={"prune_interval_seconds": 0.02, "teller_sessions": "memory"}
    )
    app = create_app(settings, clock=clock, transport=transport)  # with the pruner running
    with TestClient(app, base_url=PUBLIC_URL, follow_redirects=False) as client:
        key, _ = app.state.service.create_api_key("Counter 5")
        key_id = key.split("_")[1]
        start(client, key, "kyc-basic")
        idle = session_data(client)["check"]
        clock.now += 15 * 60 + 1  # nobody touches the page again
        for _ in range(200):
            if not app.state.teller_pages.sessions.snapshot():
                break
            time.sleep(0.01)
        with pytest.raises(RequestError):
            app.state.service.request_view(key_id, idle)
        client.cookies.clear()
        start(client, key, "age-over-18")
        running = session_data(client)["check"]
    again = create_app(settings, clock=clock, transport=transport, start_workers=False)
    with TestClient(again, base_url=PUBLIC_URL), pytest.raises(RequestError):
        again.state.service.request_view(key_id, running)  # gone with the stopped service


def test_shared_sessions_end_when_idle_and_outlive_a_restart(
    settings: VerifierSettings, clock: Clock, transport: httpx.MockTransport
) -> None:
    """In the database (the default, shared by every worker), an idle session still ends with
    its check by the pruner, while a running one outlives its process: a rolling restart signs
    no desk out and loses no check."""
    assert settings.teller_sessions == "database"
    settings = settings.model_copy(update={"prune_interval_seconds": 0.02})
    app = create_app(settings, clock=clock, transport=transport)
    with TestClient(app, base_url=PUBLIC_URL, follow_redirects=False) as client:
        key, _ = app.state.service.create_api_key("Counter 5")
        key_id = key.split("_")[1]
        start(client, key, "kyc-basic")
        idle = session_data(client)["check"]
        clock.now += 15 * 60 + 1
        deadline = time.monotonic() + 20  # the pruner deletes the row, then the check
        while app.state.teller_pages.sessions.snapshot() and time.monotonic() < deadline:
            time.sleep(0.01)
        while time.monotonic() < deadline:
            try:
                app.state.service.request_view(key_id, idle)
            except RequestError:
                break
            time.sleep(0.01)
        assert not app.state.teller_pages.sessions.snapshot()
        with pytest.raises(RequestError):
            app.state.service.request_view(key_id, idle)
        client.cookies.clear()
        start(client, key, "age-over-18")
        running = session_data(client)["check"]
        cookie = client.cookies.get("drukid_teller")
    again = create_app(settings, clock=clock, transport=transport, start_workers=False)
    with TestClient(again, base_url=PUBLIC_URL, follow_redirects=False) as client:
        assert again.state.service.request_view(key_id, running) is not None
        client.cookies.set("drukid_teller", cookie or "", path="/teller")
        page = client.get("/teller/check")
        assert page.status_code == 200, page.text
        assert session_data(client)["check"] == running
