"""Issuer key resolution (draft-ietf-oauth-sd-jwt-vc-25 §4): JWT VC Issuer Metadata, DID
issuers, pinned keys. Fetching is a fake: the resolvers never touch the network themselves."""

from __future__ import annotations

from typing import Any

import pytest

from credentials.errors import IssuerKeyError, JOSEError
from credentials.issuer_keys import (
    DIDKeyResolver,
    FirstMatchResolver,
    MetadataKeyResolver,
    StaticKeyResolver,
    jwt_vc_issuer_metadata_url,
    select_jwk,
)
from credentials.jose import JWS, parse_jws, sign_jws
from credentials.sd_jwt_vc import issue_sd_jwt_vc, verify_sd_jwt_vc
from did.errors import FetchError, ResolutionError
from did.keys import EDDSA, PrivateKey, PublicKey

ISS = "https://issuer.example.com/tenant/1"
METADATA_URL = "https://issuer.example.com/.well-known/jwt-vc-issuer/tenant/1"
JWKS_URI = "https://issuer.example.com/jwks.json"
NOW = 1_800_000_000


@pytest.mark.parametrize(
    ("iss", "url"),
    [
        (ISS, METADATA_URL),
        ("https://issuer.example.com", "https://issuer.example.com/.well-known/jwt-vc-issuer"),
        ("https://issuer.example.com/", "https://issuer.example.com/.well-known/jwt-vc-issuer"),
        (
            "https://issuer.example.com:8443/a/b/",
            "https://issuer.example.com:8443/.well-known/jwt-vc-issuer/a/b",
        ),
        ("https://[2001:db8::1]/x", "https://[2001:db8::1]/.well-known/jwt-vc-issuer/x"),
    ],
)
def test_metadata_url(iss: str, url: str) -> None:
    assert jwt_vc_issuer_metadata_url(iss) == url


@pytest.mark.parametrize(
    "iss",
    [
        "http://issuer.example.com/tenant/1",
        "ftp://issuer.example.com/",
        "https://",
        "https:///path",
        "https://issuer.example.com/?tenant=1",
        "https://issuer.example.com/#frag",
        "https://user:pass@issuer.example.com/",
        "https://user@issuer.example.com/",
        "did:web:issuer.example.com",
        "issuer.example.com",
        "",
    ],
)
def test_metadata_url_refuses_non_https_identifiers(iss: str) -> None:
    with pytest.raises(IssuerKeyError) as info:
        jwt_vc_issuer_metadata_url(iss)
    assert info.value.code == "invalid_issuer"


# --- JWT VC Issuer Metadata ------------------------------------------------------------------


class FakeFetch:
    """``fetch_json`` stand-in: a URL -> response map; an exception value is raised."""

    def __init__(self, responses: dict[str, Any]) -> None:
        self.responses = responses
        self.calls: list[str] = []

    def __call__(self, url: str) -> Any:
        self.calls.append(url)
        if url not in self.responses:
            raise FetchError(f"no route to {url}", code="fetch_http_status", upstream_status=404)
        response = self.responses[url]
        if isinstance(response, Exception):
            raise response
        return response


def _jws(key: PrivateKey, *, iss: str = ISS, kid: str | None = None, **header: Any) -> JWS:
    payload = {"iss": iss, "vct": "urn:example"}
    return parse_jws(sign_jws(payload, key, typ="dc+sd-jwt", kid=kid, headers=header or None))


def _jwk(key: PrivateKey, kid: str | None = None, **extra: str) -> dict[str, str]:
    jwk = key.public_key.to_jwk()
    if kid is not None:
        jwk["kid"] = kid
    jwk.update(extra)
    return jwk


@pytest.fixture(scope="module")
def keys() -> dict[str, PrivateKey]:
    return {
        "k1": PrivateKey.generate(),
        "k2": PrivateKey.generate(),
        "ed": PrivateKey.generate(EDDSA),
    }


def test_inline_jwks_kid_selection(keys: dict[str, PrivateKey]) -> None:
    fetch = FakeFetch(
        {
            METADATA_URL: {
                "issuer": ISS,
                "jwks": {"keys": [_jwk(keys["k1"], "k1"), _jwk(keys["k2"], "k2")]},
            }
        }
    )
    resolver = MetadataKeyResolver(fetch)
    assert resolver(_jws(keys["k2"], kid="k2")) == keys["k2"].public_key
    assert resolver(_jws(keys["k1"], kid="k1")) == keys["k1"].public_key
    assert fetch.calls == [METADATA_URL, METADATA_URL]


def test_jwks_uri(keys: dict[str, PrivateKey]) -> None:
    fetch = FakeFetch(
        {
            METADATA_URL: {"issuer": ISS, "jwks_uri": JWKS_URI},
            JWKS_URI: {"keys": [_jwk(keys["ed"], "ed-1")]},
        }
    )
    assert MetadataKeyResolver(fetch)(_jws(keys["ed"], kid="ed-1")) == keys["ed"].public_key
    assert fetch.calls == [METADATA_URL, JWKS_URI]


def test_single_key_without_kid(keys: dict[str, PrivateKey]) -> None:
    fetch = FakeFetch({METADATA_URL: {"issuer": ISS, "jwks": {"keys": [_jwk(keys["k1"])]}}})
    assert MetadataKeyResolver(fetch)(_jws(keys["k1"])) == keys["k1"].public_key


def test_jku_and_x5u_headers_are_never_fetched(keys: dict[str, PrivateKey]) -> None:
    fetch = FakeFetch({METADATA_URL: {"issuer": ISS, "jwks": {"keys": [_jwk(keys["k1"])]}}})
    jws = _jws(keys["k1"], x5c=["MIIB"])
    header = dict(jws.header, jku="https://attacker.example/jwks", x5u="https://attacker.example/x")
    forged = JWS(header, jws.payload, jws.signing_input, jws.signature, jws.compact)
    MetadataKeyResolver(fetch)(forged)
    assert fetch.calls == [METADATA_URL]


@pytest.mark.parametrize(
    ("metadata", "kid", "code"),
    [
        pytest.param({"issuer": ISS + "/", "jwks": {"keys": []}}, None, "issuer_metadata_mismatch",
                     id="issuer_trailing_slash"),
        pytest.param({"issuer": "https://evil.example/tenant/1", "jwks": {"keys": []}}, None,
                     "issuer_metadata_mismatch", id="issuer_other_host"),
        pytest.param({"jwks": {"keys": []}}, None, "issuer_metadata_mismatch", id="no_issuer"),
        pytest.param(["not", "an", "object"], None, "issuer_metadata_mismatch", id="not_object"),
        pytest.param({"issuer": ISS}, None, "issuer_metadata_invalid", id="neither_jwks_nor_uri"),
        pytest.param({"issuer": ISS, "jwks": {"keys": []}, "jwks_uri": JWKS_URI}, None,
                     "issuer_metadata_invalid", id="both_jwks_and_uri"),
        pytest.param({"issuer": ISS, "jwks": ["k"]}, None, "issuer_metadata_invalid",
                     id="jwks_not_object"),
        pytest.param({"issuer": ISS, "jwks_uri": "http://issuer.example.com/jwks"}, None,
                     "issuer_metadata_invalid", id="jwks_uri_http"),
        pytest.param({"issuer": ISS, "jwks_uri": 5}, None, "issuer_metadata_invalid",
                     id="jwks_uri_not_string"),
        pytest.param({"issuer": ISS, "jwks": {}}, None, "issuer_key_unresolved", id="no_keys"),
        pytest.param({"issuer": ISS, "jwks": {"keys": {"kid": "k1"}}}, "k1",
                     "issuer_key_unresolved", id="keys_not_array"),
        pytest.param({"issuer": ISS, "jwks": {"keys": "k1"}}, "k1", "issuer_key_unresolved",
                     id="keys_string"),
    ],
)  # fmt: skip
def test_metadata_refusals(metadata: Any, kid: str | None, code: str, keys: Any) -> None:
    resolver = MetadataKeyResolver(FakeFetch({METADATA_URL: metadata}))
    with pytest.raises(IssuerKeyError) as info:
        resolver(_jws(keys["k1"], kid=kid))
    assert info.value.code == code


def test_kid_selection_and_ambiguity(keys: dict[str, PrivateKey]) -> None:
    k1, k2 = _jwk(keys["k1"], "k1"), _jwk(keys["k2"], "k2")
    assert select_jwk([k1, k2], "k2", issuer=ISS) == keys["k2"].public_key
    for candidates, kid in [
        ([k1, k2], None),  # several keys, no kid: ambiguous
        ([k1, _jwk(keys["k2"], "k1")], "k1"),  # the same kid twice: ambiguous
        ([k1, k2], "k3"),  # unknown kid
        ([_jwk(keys["k1"])], "k1"),  # a kid is asked for, the key has none
        ([], None),
        (["not-a-jwk", 5], None),
    ]:
        with pytest.raises(IssuerKeyError) as info:
            select_jwk(candidates, kid, issuer=ISS)
        assert info.value.code == "issuer_key_unresolved", (candidates, kid)


@pytest.mark.parametrize(
    "jwk",
    [
        {"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"},
        {"kty": "EC", "crv": "P-384", "kid": "k1", "x": "AA", "y": "AA"},
        {"kty": "oct", "kid": "k1", "k": "c2VjcmV0"},
    ],
    ids=["rsa", "p384", "symmetric"],
)
def test_unusable_key_in_jwks(jwk: dict[str, str]) -> None:
    with pytest.raises(IssuerKeyError) as info:
        select_jwk([jwk], "k1", issuer=ISS)
    assert info.value.code == "invalid_key"


def test_encryption_key_is_not_a_signing_key(keys: dict[str, PrivateKey]) -> None:
    with pytest.raises(IssuerKeyError) as info:
        select_jwk([_jwk(keys["k1"], "k1", use="enc")], "k1", issuer=ISS)
    assert info.value.code == "invalid_key"


@pytest.mark.parametrize(
    "error",
    [
        FetchError("refused", code="fetch_blocked_address"),
        FetchError("timeout", code="fetch_timeout"),
        FetchError("404", code="fetch_http_status", upstream_status=404),
        FetchError("too big", code="fetch_too_large"),
    ],
    ids=lambda e: e.code,
)
def test_fetch_failures_map_to_issuer_metadata_unavailable(
    error: FetchError, keys: dict[str, PrivateKey]
) -> None:
    with pytest.raises(IssuerKeyError) as info:
        MetadataKeyResolver(FakeFetch({METADATA_URL: error}))(_jws(keys["k1"]))
    assert info.value.code == "issuer_metadata_unavailable"
    assert info.value.__cause__ is error
    fetch = FakeFetch({METADATA_URL: {"issuer": ISS, "jwks_uri": JWKS_URI}, JWKS_URI: error})
    with pytest.raises(IssuerKeyError) as info:
        MetadataKeyResolver(fetch)(_jws(keys["k1"]))
    assert info.value.code == "issuer_metadata_unavailable"


@pytest.mark.parametrize("iss", [None, 42, ""])
def test_missing_iss(iss: Any, keys: dict[str, PrivateKey]) -> None:
    token = sign_jws({"vct": "x"} if iss is None else {"iss": iss}, keys["k1"], typ="dc+sd-jwt")
    with pytest.raises(IssuerKeyError) as info:
        MetadataKeyResolver(FakeFetch({}))(parse_jws(token))
    assert info.value.code == "missing_iss"


def test_http_issuer_is_never_fetched(keys: dict[str, PrivateKey]) -> None:
    fetch = FakeFetch({})
    with pytest.raises(IssuerKeyError) as info:
        MetadataKeyResolver(fetch)(_jws(keys["k1"], iss="http://issuer.example.com/tenant/1"))
    assert info.value.code == "invalid_issuer"
    assert fetch.calls == []


def test_end_to_end_verification_with_metadata(keys: dict[str, PrivateKey]) -> None:
    issued = issue_sd_jwt_vc(
        {"given_name": "Dorji"}, keys["k2"], iss=ISS, vct="urn:example:id", iat=NOW, kid="k2",
        sd_paths=["/given_name"],
    )  # fmt: skip
    fetch = FakeFetch(
        {
            METADATA_URL: {
                "issuer": ISS,
                "jwks": {"keys": [_jwk(keys["k1"], "k1"), _jwk(keys["k2"], "k2")]},
            }
        }
    )
    result = verify_sd_jwt_vc(
        issued, issuer_key=MetadataKeyResolver(fetch), now=NOW, require_key_binding=False
    )
    assert result.claims == {"iss": ISS, "vct": "urn:example:id", "iat": NOW, "given_name": "Dorji"}
    # The same credential signed by k1 but claiming kid k2 fails on the signature.
    forged = issue_sd_jwt_vc({}, keys["k1"], iss=ISS, vct="urn:example:id", iat=NOW, kid="k2")
    with pytest.raises(JOSEError) as info:
        verify_sd_jwt_vc(
            forged, issuer_key=MetadataKeyResolver(fetch), now=NOW, require_key_binding=False
        )
    assert info.value.code == "invalid_signature"


# --- DID issuers -----------------------------------------------------------------------------

DID = "did:web:issuer.example.com"


class FakeDIDs:
    def __init__(self, keys: dict[str, PublicKey]) -> None:
        self.keys = keys
        self.calls: list[str] = []
        self.relationships: list[str | None] = []

    def resolve_key(self, did_url: str, *, relationship: str | None = None) -> PublicKey:
        self.calls.append(did_url)
        self.relationships.append(relationship)
        if did_url not in self.keys:
            raise ResolutionError(f"{did_url} not found")
        return self.keys[did_url]


@pytest.mark.parametrize("kid", [f"{DID}#key-1", "#key-1"])
def test_did_issuer_key(kid: str, keys: dict[str, PrivateKey]) -> None:
    dids = FakeDIDs({f"{DID}#key-1": keys["k1"].public_key})
    assert DIDKeyResolver(dids)(_jws(keys["k1"], iss=DID, kid=kid)) == keys["k1"].public_key
    assert dids.calls == [f"{DID}#key-1"]
    assert dids.relationships == ["assertionMethod"]  # an authentication-only key cannot issue


@pytest.mark.parametrize(
    ("iss", "kid", "code"),
    [
        (DID, "did:web:attacker.example#key-1", "issuer_kid_mismatch"),
        (DID, "did:web:issuer.example.com.attacker.example#key-1", "issuer_kid_mismatch"),
        (DID, f"{DID}:sub#key-1", "issuer_kid_mismatch"),
        (DID, DID, "issuer_kid_mismatch"),
        (DID, "key-1", "issuer_kid_mismatch"),
        (DID, None, "missing_kid"),
        (DID, "#missing", "issuer_key_unresolved"),
        ("https://issuer.example.com", "#key-1", "invalid_issuer"),
    ],
)
def test_did_issuer_refusals(
    iss: str, kid: str | None, code: str, keys: dict[str, PrivateKey]
) -> None:
    dids = FakeDIDs({f"{DID}#key-1": keys["k1"].public_key})
    with pytest.raises(IssuerKeyError) as info:
        DIDKeyResolver(dids)(_jws(keys["k1"], iss=iss, kid=kid))
    assert info.value.code == code
    if code != "issuer_key_unresolved":
        assert dids.calls == []  # refused before any resolution


# --- Pinned keys and dispatch ----------------------------------------------------------------


def test_static_resolver(keys: dict[str, PrivateKey]) -> None:
    resolver = StaticKeyResolver(
        {
            ISS: {None: keys["k1"].public_key},
            DID: {f"{DID}#a": keys["k1"].public_key, f"{DID}#b": keys["k2"].public_key},
        }
    )
    assert resolver(_jws(keys["k1"])) == keys["k1"].public_key
    assert resolver(_jws(keys["k2"], iss=DID, kid="#b")) == keys["k2"].public_key
    assert resolver(_jws(keys["k2"], iss=DID, kid=f"{DID}#a")) == keys["k1"].public_key
    for jws, code in [
        (_jws(keys["k1"], iss="https://other.example"), "unknown_issuer"),
        (_jws(keys["k1"], iss=DID), "issuer_key_unresolved"),  # two keys, no kid
        (_jws(keys["k1"], iss=DID, kid="#c"), "issuer_key_unresolved"),
        (_jws(keys["k1"], kid="k9"), "issuer_key_unresolved"),
    ]:
        with pytest.raises(IssuerKeyError) as info:
            resolver(jws)
        assert info.value.code == code


def test_static_resolver_single_named_key_serves_a_token_without_kid(
    keys: dict[str, PrivateKey],
) -> None:
    resolver = StaticKeyResolver({ISS: {"k1": keys["k1"].public_key}})
    assert resolver(_jws(keys["k1"])) == keys["k1"].public_key
    assert resolver(_jws(keys["k1"], kid="k1")) == keys["k1"].public_key


def test_first_match_resolver_dispatches_on_the_form_of_iss(keys: dict[str, PrivateKey]) -> None:
    seen: list[str] = []

    def did_resolver(jws: JWS) -> PublicKey:
        seen.append("did")
        return keys["k1"].public_key

    def metadata_resolver(jws: JWS) -> PublicKey:
        seen.append("metadata")
        return keys["k2"].public_key

    both = FirstMatchResolver(did=did_resolver, metadata=metadata_resolver)
    assert both(_jws(keys["k1"], iss=DID, kid="#a")) == keys["k1"].public_key
    assert both(_jws(keys["k1"])) == keys["k2"].public_key
    assert seen == ["did", "metadata"]
    with pytest.raises(IssuerKeyError) as info:
        FirstMatchResolver(metadata=metadata_resolver)(_jws(keys["k1"], iss=DID, kid="#a"))
    assert info.value.code == "issuer_key_unresolved"
    with pytest.raises(IssuerKeyError) as info:
        FirstMatchResolver(did=did_resolver)(_jws(keys["k1"]))
    assert info.value.code == "issuer_key_unresolved"


def test_http_issuers_only_with_the_explicit_development_switch() -> None:
    with pytest.raises(IssuerKeyError) as caught:
        jwt_vc_issuer_metadata_url("http://127.0.0.1:8101")
    assert caught.value.code == "invalid_issuer"
    url = jwt_vc_issuer_metadata_url("http://127.0.0.1:8101/x", allow_insecure_http=True)
    assert url == "http://127.0.0.1:8101/.well-known/jwt-vc-issuer/x"
    assert (
        jwt_vc_issuer_metadata_url("https://a.example", allow_insecure_http=True)
        == "https://a.example/.well-known/jwt-vc-issuer"
    )
