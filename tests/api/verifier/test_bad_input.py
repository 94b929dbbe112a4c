"""No documented bad input reaches the 500 handler: every rejection is a 4xx JSON body with a
stable ``code`` and a human ``error_description``."""

from __future__ import annotations

import json
import zlib
from typing import Any

import httpx
import pytest

from core.encoding import b64url_decode, b64url_encode
from credentials.jose import encrypt_jwe, generate_encryption_key, sign_jws
from tests.api.verifier.conftest import NOW, auth, create, open_request, path_of


@pytest.fixture
def pending(client, rp) -> dict[str, Any]:
    created = create(client, rp)
    return {"created": created, "request": open_request(client, created)}


def _jwe(request: dict[str, Any], payload: Any, **headers: Any) -> str:
    jwk = request["client_metadata"]["jwks"]["keys"][0]
    return encrypt_jwe(json.dumps(payload).encode(), jwk, headers=headers or None)


def _zip_jwe(request: dict[str, Any]) -> dict[str, str]:
    token = _jwe(request, {"vp_token": {}, "state": request["state"]})
    header = json.loads(b64url_decode(token.split(".")[0]))
    header["zip"] = "DEF"
    return {"response": b64url_encode(json.dumps(header).encode()) + token[token.index(".") :]}


RESPONSE_FORMS = {
    "garbage_jwe": lambda r: {"response": "not.a.jwe.at.all"},
    "four_part_jwe": lambda r: {"response": "a.b.c.d"},
    "wrong_key_jwe": lambda r: {
        "response": encrypt_jwe(
            b"{}", {k: v for k, v in generate_encryption_key().items() if k != "d"}
        )
    },
    "zip_jwe": _zip_jwe,
    "jwe_not_object": lambda r: {"response": _jwe(r, ["vp_token"])},
    "jwe_without_vp_token": lambda r: {"response": _jwe(r, {"state": r["state"]})},
    "jwe_vp_token_array": lambda r: {"response": _jwe(r, {"vp_token": [], "state": r["state"]})},
    "jwe_vp_token_numbers": lambda r: {
        "response": _jwe(r, {"vp_token": {"national_id": [1, 2]}, "state": r["state"]})
    },
    "jwe_vp_token_empty_list": lambda r: {
        "response": _jwe(r, {"vp_token": {"national_id": []}, "state": r["state"]})
    },
    "jwe_state_number": lambda r: {
        "response": _jwe(r, {"vp_token": {"national_id": ["x~"]}, "state": 7})
    },
    "jwe_garbage_presentation": lambda r: {
        "response": _jwe(r, {"vp_token": {"national_id": ["~~~"]}, "state": r["state"]})
    },
    "jwe_jwt_not_sd_jwt": lambda r: {
        "response": _jwe(r, {"vp_token": {"national_id": ["a.b.c"]}, "state": r["state"]})
    },
    "jwe_too_many": lambda r: {
        "response": _jwe(r, {"vp_token": {f"q{i}": ["x~"] for i in range(20)}, "state": r["state"]})
    },
    "jwe_unknown_error": lambda r: {"response": _jwe(r, {"error": "boom", "state": r["state"]})},
    "plain_when_encrypted_expected": lambda r: {"vp_token": "{}", "state": r["state"]},
    "empty_form": lambda r: {},
    "error_not_registered": lambda r: {"error": "<script>", "state": r["state"]},
}


@pytest.mark.parametrize("name", sorted(RESPONSE_FORMS))
def test_bad_responses_are_4xx(client, pending, name):
    request = pending["request"]
    answer = client.post(path_of(request["response_uri"]), data=RESPONSE_FORMS[name](request))
    assert 400 <= answer.status_code < 500, answer.text
    body = answer.json()
    assert body["code"]
    assert body["error"]
    assert body["error_description"]


@pytest.mark.parametrize(
    "vp_token",
    [
        "not json",
        "[]",
        "{}",
        '{"a": "b"}',
        '{"a": [null]}',
        "1e400",
        '{"a":["x"],"a":["y"]}',
        "[" * 100 + "]" * 100,
    ],
)
def test_bad_plain_vp_tokens(client, rp, vp_token):
    created = create(client, rp, response_mode="direct_post")
    request = open_request(client, created)
    answer = client.post(
        path_of(request["response_uri"]), data={"vp_token": vp_token, "state": request["state"]}
    )
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["code"]


def test_transport_level_abuse(client, pending):
    url = path_of(pending["request"]["response_uri"])
    cases = [
        client.post(url, content=b"vp_token=1", headers={"Content-Type": "application/json"}),
        client.post(url, files={"vp_token": ("x.txt", b"{}")}),
        client.post(
            url,
            content=b"state=a&state=b",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        client.post(
            url,
            content=b"a=" + b"x" * (2 * 1024 * 1024),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        client.post(
            url,
            content=b"&".join(b"f%d=1" % i for i in range(100)),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        client.post("/oid4vp/response/" + "x" * 5000, data={"response": "x"}),
        client.post("/oid4vp/response/unknown", data={"response": "x"}),
        client.get("/oid4vp/request/unknown"),
        client.get("/oid4vp/request/" + "%00" * 10),
        client.put(url),
    ]
    for answer in cases:
        assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
        assert answer.json()["code"]
    assert cases[3].status_code == 413


def test_rp_api_abuse(client, rp):
    headers = auth(rp)
    cases = [
        client.post(
            "/api/v1/requests",
            content=b"{",
            headers={**headers, "Content-Type": "application/json"},
        ),
        client.post("/api/v1/requests", json=[], headers=headers),
        client.post("/api/v1/requests", json={"template": 5}, headers=headers),
        client.post(
            "/api/v1/requests",
            json={"dcql_query": {"credentials": [{"id": "a"}]}, "purpose": "x"},
            headers=headers,
        ),
        client.get("/api/v1/requests/nope", headers=headers),
        client.get("/api/v1/requests/nope/qr.png", headers=headers),
        client.get("/api/v1/requests/nope/qr.gif", headers=headers),
        client.get("/api/v1/templates", headers={"Authorization": "Basic abc"}),
        client.get("/api/v1/templates", headers={"Authorization": "Bearer " + "x" * 5000}),
        client.post("/api/v1/trust/issuers", json={"url": "https://x.example"}, headers=headers),
        client.delete("/api/v1/trust/issuers", headers=headers),
    ]
    for answer in cases:
        assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)


def test_status_list_bomb_through_the_service(client, rp, wallet, issuer):
    bomb = {"bits": 1, "lst": b64url_encode(zlib.compress(b"\0" * (32 * 1024 * 1024), 9))}
    token = sign_jws(
        {"sub": issuer.status_uri, "iat": NOW, "exp": NOW + 3600, "status_list": bomb},
        issuer.key,
        typ="statuslist+jwt",
        kid=issuer.kid,
    )
    issuer.status_override = lambda: httpx.Response(200, content=token.encode())
    created = create(client, rp)
    request = open_request(client, created)
    answer = client.post(
        path_of(request["response_uri"]),
        data=wallet.form(request, wallet.vp_token(request, iat=NOW)),
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "status_unavailable"
    view = client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()
    assert view["error"]["cause"] == "status_list_too_large"


def _tamper_disclosure(vp: str) -> str:
    parts = vp.split("~")
    salt, name, _ = json.loads(b64url_decode(parts[1]))
    parts[1] = b64url_encode(json.dumps([salt, name, "forged"]).encode())
    return "~".join(parts)


def _duplicate_disclosure(vp: str) -> str:
    parts = vp.split("~")
    parts.insert(2, parts[1])
    return "~".join(parts)


def _alg_none(vp: str) -> str:
    jwt, rest = vp.split("~", 1)
    _, payload, _ = jwt.split(".")
    header = b64url_encode(json.dumps({"alg": "none", "typ": "dc+sd-jwt"}).encode())
    return f"{header}.{payload}.~{rest}"


CRAFTED = {
    "disclosure_unreferenced": _tamper_disclosure,
    "duplicate_disclosure": _duplicate_disclosure,
    "key_binding_required": lambda vp: vp[: vp.rindex("~") + 1],
    "algorithm_not_allowed": _alg_none,
    "too_large": lambda vp: vp + "A" * 600_000,
    "invalid_sd_jwt": lambda vp: "x" * 50,
}


@pytest.mark.parametrize("code", sorted(CRAFTED))
def test_crafted_presentations_through_the_endpoint(client, rp, wallet, code):
    created = create(client, rp, response_mode="direct_post")
    request = open_request(client, created)
    token = wallet.vp_token(request, iat=NOW)
    token["national_id"] = [CRAFTED[code](token["national_id"][0])]
    answer = client.post(
        path_of(request["response_uri"]),
        data={"vp_token": json.dumps(token), "state": request["state"]},
    )
    assert answer.status_code in (400, 413), answer.text
    if answer.status_code == 400:
        assert answer.json()["code"] == code
        view = client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()
        assert view["status"] == "rejected"
        assert view["error"]["explanation"]
