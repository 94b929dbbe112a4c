"""Issue 15, finding 4: every JSON body of the verifier's APIs (relying party and trust) goes
through the one strict parser: NaN, Infinity, lone surrogates, duplicate names and deep nesting
are refused with ``invalid_json``, never a 500; a body that is not JSON is ``415``."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.api.verifier.conftest import auth

DCQL = '{"credentials": [{"id": "n", "format": "dc+sd-jwt", "meta": {"vct_values": [%s]}}]}'
HOSTILE = {
    "nan in a dcql query": b'{"dcql_query": ' + (DCQL % "NaN").encode() + b"}",
    "infinity": b'{"dcql_query": ' + (DCQL % "Infinity").encode() + b"}",
    "lone surrogate": b'{"dcql_query": ' + (DCQL % '"\\ud800"').encode() + b"}",
    "duplicate names": b'{"template": "kyc-basic", "template": "age-over-18"}',
    "huge number": b'{"purpose": 1e400}',
    "deep nesting": b'{"dcql_query": ' + b'{"a":' * 100 + b"1" + b"}" * 100 + b"}",
    "not utf-8": b'{"purpose": "\xff"}',
}
TRUST_HOSTILE = {
    "lone surrogate in an entry name": b'{"entry": {"id": "https://x.example", "name": "\\udc00"}}',
    "nan in an entry": b'{"entry": {"id": "https://x.example", "n": NaN}}',
    "duplicate names": b'{"url": "https://a.example", "url": "https://b.example"}',
}


@pytest.fixture
def admin(client) -> dict[str, str]:
    token, _ = client.app.state.service.create_api_key("operator", admin=True)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(autouse=True)
def no_server_errors(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.ERROR, logger="servicekit.http")
    yield
    assert not [r for r in caplog.records if "unhandled" in r.getMessage()]


def _post(client: Any, path: str, body: bytes, headers: dict[str, str], media: str) -> Any:
    return client.post(path, content=body, headers={**headers, "Content-Type": media})


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_relying_party_api_refuses_non_strict_json(client, rp, name) -> None:
    answer = _post(client, "/api/v1/requests", HOSTILE[name], auth(rp), "application/json")
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "invalid_json"


@pytest.mark.parametrize("name", sorted(TRUST_HOSTILE))
def test_trust_api_refuses_non_strict_json(client, admin, name) -> None:
    answer = _post(client, "/api/v1/trust/issuers", TRUST_HOSTILE[name], admin, "application/json")
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == "invalid_json"


@pytest.mark.parametrize("path", ["/api/v1/requests", "/api/v1/trust/issuers"])
def test_other_media_types_are_415(client, rp, admin, path) -> None:
    headers = admin if "trust" in path else auth(rp)
    answer = _post(client, path, b'{"template": "kyc-basic"}', headers, "text/plain")
    assert answer.status_code == 415
    assert answer.json()["code"] == "unsupported_media_type"


def test_strict_json_still_takes_good_bodies(client, rp) -> None:
    answer = _post(
        client, "/api/v1/requests", b'{"template": "kyc-basic"}', auth(rp), "application/json"
    )
    assert answer.status_code == 201, answer.text
    bad_shape = _post(client, "/api/v1/requests", b'{"templat": 1}', auth(rp), "application/json")
    assert bad_shape.status_code == 400
    assert bad_shape.json()["code"] == "invalid_request"
