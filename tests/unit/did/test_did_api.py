"""The public names other packages code against: present, exported and with the agreed shape."""

from __future__ import annotations

import inspect

import did
from did.document import DIDDocument, VerificationMethod
from did.fetch import Fetcher, FetchPolicy, FetchResponse
from did.resolver import Resolver


def test_package_exports_are_sorted_and_importable() -> None:
    assert did.__all__ == sorted(
        did.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n)
    )
    for name in did.__all__:
        assert getattr(did, name) is not None


def _params(func: object) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(func).parameters)  # type: ignore[arg-type]


def test_agreed_signatures() -> None:
    assert list(_params(Fetcher.__init__))[:5] == [
        "self",
        "policy",
        "transport",
        "resolve_host",
        "clock",
    ]
    assert _params(Fetcher.__init__)["transport"].kind is inspect.Parameter.KEYWORD_ONLY
    get = _params(Fetcher.get)
    assert [get[n].kind for n in ("accept", "headers", "follow_redirects")] == [
        inspect.Parameter.KEYWORD_ONLY
    ] * 3
    assert {"data", "json", "headers", "follow_redirects"} <= set(_params(Fetcher.request))
    resolver = _params(Resolver.__init__)
    assert {"fetcher", "cache_ttl", "clock", "documents"} <= set(resolver)
    assert all(resolver[n].kind is inspect.Parameter.KEYWORD_ONLY for n in ("fetcher", "documents"))
    assert list(_params(DIDDocument.from_json)) == ["data", "expected_id"]
    assert FetchPolicy() == FetchPolicy(
        timeout=5.0, max_bytes=512 * 1024, max_redirects=3, allow_http=False, allow_private=False
    )
    assert list(FetchResponse.__dataclass_fields__) == [
        "url",
        "status",
        "headers",
        "content",
    ]
    assert list(VerificationMethod.__dataclass_fields__) == [
        "id",
        "type",
        "controller",
        "public_key",
    ]
    assert list(DIDDocument.__dataclass_fields__) == [
        "id",
        "verification_methods",
        "assertion_method",
        "authentication",
    ]
    for name in (
        "create_did_key",
        "resolve_did_key",
        "create_did_jwk",
        "resolve_did_jwk",
        "did_web_to_url",
        "did_web_from_url",
        "create_did_web_document",
        "parse_did_web_document",
        "resolve",
    ):
        assert callable(getattr(did, name))
