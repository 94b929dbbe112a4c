"""Parser fuzzing: whatever text or JSON comes in, only DIDError subclasses come out."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from did.document import DIDDocument, parse_did, split_did_url
from did.errors import DIDError
from did.fetch import Fetcher, FetchPolicy
from did.methods.jwk import resolve_did_jwk
from did.methods.key import resolve_did_key
from did.methods.web import did_web_from_url, did_web_to_url, parse_did_web_document
from did.multiformats import b58decode, decode_multikey
from did.resolver import Resolver

DID_LIKE = st.one_of(
    st.text(max_size=120),
    st.from_regex(
        r"did:(key|jwk|web|[a-z]{1,4}):[A-Za-z0-9._%:@?/-]{0,80}(#[A-Za-z0-9#-]{0,6})?",
        fullmatch=True,
    ),
    st.from_regex(r"did:key:z[1-9A-HJ-NP-Za-km-z]{0,60}", fullmatch=True),
    st.from_regex(r"did:jwk:[A-Za-z0-9_-]{0,120}", fullmatch=True),
)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
W = "did:web:example.com"
MEMBER_VALUES = st.one_of(
    JSON,
    st.sampled_from(
        [
            "#k1",
            W + "#k1",
            W,
            "Multikey",
            "JsonWebKey2020",
            "Ed25519VerificationKey2020",
            "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
            "zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv",
            {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"},
            {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"},
        ]
    ),
)
METHOD = st.dictionaries(
    st.sampled_from(["id", "type", "controller", "publicKeyJwk", "publicKeyMultibase"]),
    MEMBER_VALUES,
)
DOCUMENT = st.fixed_dictionaries(
    {"id": st.just(W)},
    optional={
        "@context": JSON,
        "verificationMethod": st.lists(METHOD, max_size=3) | JSON,
        "assertionMethod": st.lists(MEMBER_VALUES | METHOD, max_size=3) | JSON,
        "authentication": st.lists(MEMBER_VALUES | METHOD, max_size=3) | JSON,
    },
)


def _offline_web_resolver() -> Resolver:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b'{"id": "did:web:somewhere.else"}')

    transport = httpx.MockTransport(handler)
    return Resolver(fetcher=Fetcher(FetchPolicy(), transport=transport))


RESOLVER = _offline_web_resolver()


@settings(max_examples=300)
@given(DID_LIKE)
def test_did_parsers_raise_only_did_errors(text: str) -> None:
    for parse in (
        parse_did,
        split_did_url,
        did_web_to_url,
        did_web_from_url,
        resolve_did_key,
        resolve_did_jwk,
        decode_multikey,
        b58decode,
        RESOLVER.resolve,
        RESOLVER.resolve_key,
    ):
        with contextlib.suppress(DIDError):
            parse(text)


@given(DOCUMENT | JSON)
def test_document_parser_raises_only_did_errors(data: Any) -> None:
    with contextlib.suppress(DIDError):
        DIDDocument.from_json(data, expected_id=W)


@given(st.binary(max_size=200))
def test_did_web_document_bytes_raise_only_did_errors(body: bytes) -> None:
    with contextlib.suppress(DIDError):
        parse_did_web_document(W, body)
