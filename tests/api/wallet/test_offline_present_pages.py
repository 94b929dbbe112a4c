"""The web wallet's "Show my answer as a QR code" (issue 13): a photo of an offline request QR,
the usual consent screen, then one page per answer code with next/previous, all with no
network; the verifier reads the codes back with zxing-cpp and accepts the answer."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from did.fetch import Fetcher
from servicekit.qr import decode_qr_image, qr_png
from tests.api.wallet.conftest import FAST_KDF, create_wallet, csrf_of, receive, text_of, token
from tests.support.no_network import forbid_network
from tests.support.offline import NOW, make_world
from tests.support.wallet_issuer import asgi_transport
from wallet.web import create_app


def test_an_offline_request_is_answered_with_qr_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(tmp_path / "world", NOW)
    issuer = asgi_transport({"issuer.example": world.issuer.build_app()})
    offline: list[object] = []

    def network(request: httpx.Request) -> httpx.Response:
        if offline:
            offline.append(request.url)
            raise httpx.ConnectError("offline", request=request)
        return issuer.handle_request(request)

    settings = world.wallet_settings.model_copy(update={"data_dir": tmp_path / "web"})
    app = create_app(
        settings,
        kdf=FAST_KDF,
        network=lambda: Fetcher(settings.fetch_policy(), transport=httpx.MockTransport(network)),
        clock=lambda: NOW,
    )
    runtime = world.verifier()
    try:
        with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
            assert create_wallet(client).status_code == 303
            receive(client, world.issuer.offer("foundational-id"))
            offline.append("offline from here")
            refused = forbid_network(monkeypatch)
            request = runtime.offline.create_request(template="kyc-basic")
            posted = client.post(
                "/present",
                data={"csrf_token": token(client)},
                files=[("photo", ("request.png", qr_png(request.text), "image/png"))],
            )
            assert posted.status_code == 303, text_of(posted)
            where = posted.headers["location"]
            consent = client.get(where)
            assert "Bank of Bhutan" in text_of(consent)
            assert "shown as QR codes" in text_of(consent)
            shared = client.post(where, data={"csrf_token": csrf_of(consent), "decision": "share"})
            assert shared.status_code == 303
            first = client.get(where)
            words = text_of(first)
            assert "Show my answer as a QR code" in words
            assert "Code 1 of 2" in words
            assert 'id="code-next"' in first.text
            second = client.get(f"{where}?code=2")
            assert "Code 2 of 2" in text_of(second)
            assert 'id="code-previous"' in second.text
            codes = [client.get(f"{where}/qr/{n}.png") for n in (2, 1)]
            assert all(c.headers["content-type"] == "image/png" for c in codes)
            assert client.get(f"{where}/qr/3.png").status_code == 404
            texts = [t for c in codes for t in decode_qr_image(c.content)]
        verdict = runtime.offline.verify(texts)
        [[result]] = verdict.results.values()
        assert result.claims["full_name"] == "Karma Wangmo"
    finally:
        runtime.close()
    assert refused == []
    assert offline == ["offline from here"]
