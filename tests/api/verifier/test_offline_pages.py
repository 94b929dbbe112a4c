"""The teller's offline check through the app (issue 13): the request QR, answer photos
uploaded as a multipart form (no JavaScript needed), camera frames posted one by one, CSRF
on both, a replayed answer refused in words, and the re-check marks on the page."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from servicekit.qr import decode_qr_image, qr_png
from tests.api.verifier.test_teller_pages import csrf_of, signed_in
from tests.support.no_network import forbid_network
from tests.support.offline import NOW, World, make_world, no_network
from tests.support.wallet_issuer import asgi_transport
from verifier.api.app import create_app

URL = "https://verifier.example.bt"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return make_world(tmp_path, NOW)


def _answer(world: World, request_text: str) -> list[str]:
    with world.wallet(no_network) as wallet:
        session = wallet.prepare_offline(request_text)
        return list(wallet.approve_offline(session).parts)


def _start(
    client: TestClient, key: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str, list[object]]:
    """Sign in, then (from here on with no network) start an offline KYC check; the request
    text and the page's CSRF token."""
    token = signed_in(client, key)
    assert 'href="/teller/offline"' in client.get("/teller").text
    refused = forbid_network(monkeypatch)
    started = client.post(
        "/teller/offline/start", data={"csrf_token": token, "template": "kyc-basic"}
    )
    assert started.status_code == 303
    page = client.get("/teller/offline")
    assert "Ask the customer to scan this code" in page.text or "scan this code" in page.text
    assert "no code scanned yet" in page.text
    [text] = decode_qr_image(client.get("/teller/offline/qr.png").content)
    return text, csrf_of(page), refused


def test_photos_and_frames_bring_the_answer_in_words(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer = asgi_transport({"issuer.example": world.issuer.build_app()})
    offline: list[object] = []

    def network(request: httpx.Request) -> httpx.Response:
        if offline:  # the start page's labels were fetched online; from there on, none
            offline.append(request.url)
            raise httpx.ConnectError("offline", request=request)
        return issuer.handle_request(request)

    app = create_app(
        world.settings,
        clock=lambda: world.clock[0],
        transport=httpx.MockTransport(network),
        start_workers=False,
    )
    with TestClient(app, base_url=URL, follow_redirects=False) as client:
        key, _ = app.state.service.create_api_key("Counter 1")
        text, token, refused = _start(client, key, monkeypatch)
        offline.append("offline from here")
        parts = _answer(world, text)
        # A frame with no code, then without the CSRF token, then the first part as a frame.
        blank = client.post(
            "/teller/offline/frame", content=qr_png("HELLO"), headers={"X-CSRF-Token": token}
        )
        assert blank.json() == {"complete": False, "progress": "no code scanned yet"}
        no_csrf = client.post("/teller/offline/frame", content=qr_png(parts[0]))
        assert no_csrf.status_code in (400, 403)
        first = client.post(
            "/teller/offline/frame", content=qr_png(parts[0]), headers={"X-CSRF-Token": token}
        )
        assert first.json() == {"complete": False, "progress": "1 of 2 scanned"}
        assert "1 of 2 scanned" in client.get("/teller/offline").text
        # The second part as an uploaded photo.
        done = client.post(
            "/teller/offline/scan",
            data={"csrf_token": token},
            files=[("photo", ("answer-2.png", qr_png(parts[1]), "image/png"))],
        )
        assert done.status_code == 303
        page = client.get("/teller/offline")
        assert "Verified, offline" in page.text
        assert "status valid as of" in page.text
        assert "Karma Wangmo" in page.text
        assert "to re-check when online" in page.text

        # The same answer again, on a new check: refused in words with its code.
        token = csrf_of(page)
        client.post("/teller/offline/end", data={"csrf_token": token})
        client.post("/teller/offline/start", data={"csrf_token": token, "template": "kyc-basic"})
        client.post(
            "/teller/offline/scan",
            data={"csrf_token": token},
            files=[("photo", (f"a{i}.png", qr_png(p), "image/png")) for i, p in enumerate(parts)],
        )
        replay = client.get("/teller/offline").text
        assert "Not accepted" in replay
        assert "offline_nonce_used" in replay
        no_token = client.post(
            "/teller/offline/scan", files=[("photo", ("a.png", qr_png(parts[0]), "image/png"))]
        )
        assert no_token.status_code in (400, 403)
    assert refused == [], refused
    assert offline == ["offline from here"]
