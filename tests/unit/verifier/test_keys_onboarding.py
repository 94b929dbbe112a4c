"""Issuer key resolution by JWT VC Issuer Metadata (SD-JWT VC draft-25 §4) and adding issuers
from their OpenID4VCI metadata: every refusal has its code."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from credentials.errors import IssuerKeyError
from credentials.jose import parse_jws
from did.fetch import Fetcher, FetchPolicy
from tests.support.fake_issuer import NOW, FakeIssuer
from verifier.errors import TrustError
from verifier.keys import IssuerKeys, metadata_url
from verifier.onboarding import discover_issuer
from verifier.policy import Policy
from verifier.trust import TrustedIssuer

ISS = "https://registry.example.bt"


def _keys(documents: dict[str, Any], *, allow_http: bool = False) -> tuple[IssuerKeys, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        body = documents.get(str(request.url))
        return httpx.Response(404) if body is None else httpx.Response(200, json=body)

    policy = FetchPolicy(allow_http=allow_http, allow_private=allow_http)
    fetcher = Fetcher(policy, transport=httpx.MockTransport(handler))
    return IssuerKeys(fetcher=fetcher, allow_http=allow_http), seen


def _entry(iss: str = ISS) -> TrustedIssuer:
    return TrustedIssuer(iss, "Registry", (("foundational-id", f"{iss}/types/foundational-id"),))


def _jws(issuer: FakeIssuer) -> Any:
    credential, _ = issuer.issue(holder_key=None)
    return parse_jws(credential.split("~")[0])


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        ({"issuer": "https://other.example.bt", "jwks": {"keys": []}}, "issuer_metadata_mismatch"),
        ({"issuer": ISS}, "issuer_metadata_invalid"),
        ({"issuer": ISS, "jwks": {"keys": []}, "jwks_uri": "https://x"}, "issuer_metadata_invalid"),
        ({"issuer": ISS, "jwks_uri": "http://registry.example.bt/jwks"}, "issuer_metadata_invalid"),
        ({"issuer": ISS, "jwks": ["not", "a", "jwks"]}, "issuer_metadata_invalid"),
        ({"issuer": ISS, "jwks": {"keys": []}}, "issuer_key_unresolved"),
        ([], "issuer_metadata_mismatch"),
    ],
)
def test_bad_issuer_metadata(metadata, code):
    issuer = FakeIssuer(ISS)
    keys, _ = _keys({f"{ISS}/.well-known/jwt-vc-issuer": metadata})
    with pytest.raises(IssuerKeyError) as caught:
        keys.resolve(_jws(issuer), _entry(), Policy(), now=NOW)
    assert caught.value.code == code


def test_jwks_uri_and_cache():
    issuer = FakeIssuer(ISS)
    keys, seen = _keys(
        {
            f"{ISS}/.well-known/jwt-vc-issuer": {"issuer": ISS, "jwks_uri": f"{ISS}/jwks"},
            f"{ISS}/jwks": {"keys": [issuer.jwk()]},
        }
    )
    key, mechanism = keys.resolve(_jws(issuer), _entry(), Policy(), now=NOW)
    assert key == issuer.public_key
    assert mechanism == "metadata"
    keys.resolve(_jws(issuer), _entry(), Policy(), now=NOW + 100)
    assert len(seen) == 2  # cached
    keys.resolve(_jws(issuer), _entry(), Policy(), now=NOW + 301)
    assert len(seen) == 4  # refreshed after cache_ttl


def test_http_issuers_only_in_development():
    assert metadata_url("http://127.0.0.1:8101", allow_http=True) == (
        "http://127.0.0.1:8101/.well-known/jwt-vc-issuer"
    )
    assert metadata_url("https://gov.example.bt/registry") == (
        "https://gov.example.bt/.well-known/jwt-vc-issuer/registry"
    )
    with pytest.raises(IssuerKeyError):
        metadata_url("http://127.0.0.1:8101")
    issuer = FakeIssuer("http://127.0.0.1:8101")
    keys, _ = _keys(
        {
            "http://127.0.0.1:8101/.well-known/jwt-vc-issuer": {
                "issuer": issuer.url,
                "jwks_uri": "http://127.0.0.1:8101/jwks",
            },
            "http://127.0.0.1:8101/jwks": {"keys": [issuer.jwk()]},
        },
        allow_http=True,
    )
    key, _ = keys.resolve(_jws(issuer), _entry(issuer.url), Policy(), now=NOW)
    assert key == issuer.public_key


def test_did_mechanism_can_be_forbidden():
    issuer = FakeIssuer(use_did=True)
    keys, seen = _keys({})
    with pytest.raises(IssuerKeyError) as caught:
        keys.resolve(
            _jws(issuer), _entry(issuer.iss), Policy(key_mechanisms=frozenset({"pinned"})), now=NOW
        )
    assert caught.value.code == "key_mechanism_not_permitted"
    assert seen == []


def _credential_metadata(**changes: Any) -> dict[str, Any]:
    metadata = FakeIssuer(ISS).credential_issuer_metadata()
    metadata.update(changes)
    return metadata


@pytest.mark.parametrize(
    ("metadata", "code"),
    [
        (
            _credential_metadata(credential_issuer="https://elsewhere.example.bt"),
            "issuer_discovery",
        ),
        (
            _credential_metadata(
                credential_configurations_supported={
                    "x": {"format": "jwt_vc_json"},
                    "y": "nonsense",
                }
            ),
            "issuer_discovery",
        ),
        (None, "issuer_metadata_unavailable"),
    ],
)
def test_discovery_refusals(metadata, code):
    documents = (
        {} if metadata is None else {f"{ISS}/.well-known/openid-credential-issuer": metadata}
    )
    keys, _ = _keys(documents)
    with pytest.raises(TrustError) as caught:
        discover_issuer(ISS, keys=keys, now=NOW)
    assert caught.value.code == code


def test_discovery_names_and_legacy_location():
    url = "https://gov.example.bt/registry"
    metadata = {
        "credential_issuer": url,
        "display": [
            {"name": "རྒྱལ་ཡོངས།", "locale": "dz"},
            {"name": "Civil Registry", "locale": "en-US"},
        ],
        "credential_configurations_supported": {
            "foundational-id": {"format": "dc+sd-jwt", "vct": f"{url}/types/foundational-id"}
        },
    }
    # An issuer built on an earlier draft: the well-known segment after its path.
    keys, seen = _keys({f"{url}/.well-known/openid-credential-issuer": metadata})
    entry = discover_issuer(url, keys=keys, now=NOW)
    assert entry.name == "Civil Registry"
    assert entry.types == (("foundational-id", f"{url}/types/foundational-id"),)
    assert seen[0] == "https://gov.example.bt/.well-known/openid-credential-issuer/registry"
    only_dzongkha = {**metadata, "display": [{"name": "རྒྱལ་ཡོངས།", "locale": "dz"}]}
    keys, _ = _keys({f"{url}/.well-known/openid-credential-issuer": only_dzongkha})
    assert discover_issuer(url, keys=keys, now=NOW).name == "རྒྱལ་ཡོངས།"
    keys, _ = _keys({f"{url}/.well-known/openid-credential-issuer": {**metadata, "display": 5}})
    assert discover_issuer(url, keys=keys, now=NOW, name=None).name == url
