"""Issue 15, finding 10: in production the verifier publishes no API description (the issuer
does not either); development keeps /docs and /openapi.json for integrators on a laptop."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from tests.api.verifier.conftest import make_settings
from tests.support.fake_issuer import FakeIssuer
from verifier.api.app import create_app
from verifier.settings import VerifierSettings


def test_no_openapi_or_docs_in_production(client: TestClient, settings: VerifierSettings) -> None:
    assert settings.mode == "production"
    for path in ("/openapi.json", "/docs", "/redoc"):
        assert client.get(path).status_code == 404, path


def test_development_keeps_them(tmp_path: Path, issuer: FakeIssuer) -> None:
    settings = make_settings(
        tmp_path, issuer, mode="development", public_url="http://127.0.0.1:8102"
    )
    app = create_app(settings, transport=issuer.transport(), start_workers=False)
    with TestClient(app, base_url="http://127.0.0.1:8102") as client:
        assert client.get("/openapi.json").status_code == 200
