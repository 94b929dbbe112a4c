"""Issue 15, finding 10: ``X-Forwarded-For`` names the client only when the connection comes
from a configured proxy (``DRUKID_VERIFIER_FORWARDED_ALLOW_IPS``, the same setting and the same
uvicorn options as the issuer's). Over a real socket: wrong teller keys sent from loopback with
a new forged address each time are throttled when loopback is not the proxy, and counted per
forwarded address when it is."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from servicekit.runner import ServerThread, free_port
from tests.api.verifier.conftest import make_settings
from tests.support.fake_issuer import FakeIssuer
from verifier.api.app import create_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

pytestmark = pytest.mark.network


def _wrong_keys(url: str, count: int) -> list[int]:
    statuses = []
    with httpx.Client(base_url=url, timeout=30) as http:
        for i in range(count):
            forged = {"X-Forwarded-For": f"203.0.113.{i + 1}"}
            token = CSRF.search(http.get("/teller", headers=forged).text)
            assert token
            answer = http.post(
                "/teller/sign-in",
                data={"csrf_token": token.group(1), "api_key": "drk_nope_" + "x" * 43},
                headers=forged,
            )
            statuses.append(answer.status_code)
    return statuses


@pytest.mark.parametrize(
    ("proxy", "sixth"),
    [("10.0.0.5", 429), ("127.0.0.1", 401)],
    ids=["loopback is not the proxy", "loopback is the proxy"],
)
def test_forged_forwarded_for_does_not_dodge_the_throttle(
    tmp_path: Path, issuer: FakeIssuer, proxy: str, sixth: int
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(
        tmp_path, issuer, mode="development", public_url=url, forwarded_allow_ips=proxy
    )
    app = create_app(settings, transport=issuer.transport(), start_workers=False)
    server = ServerThread(app, port=port, forwarded_allow_ips=settings.forwarded_allow_ips)
    server.start()
    try:
        statuses = _wrong_keys(url, 6)
    finally:
        server.stop()
    assert statuses[:5] == [401] * 5
    assert statuses[5] == sixth
