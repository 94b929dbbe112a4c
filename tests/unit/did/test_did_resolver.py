"""DID resolution with cache, pinned documents and did:web over a mock network (did/resolver.py)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

import did.resolver as resolver_module
from did.document import DIDDocument
from did.errors import DIDError, FetchError, InvalidDIDError, ResolutionError
from did.fetch import Fetcher, FetchPolicy
from did.keys import PrivateKey, PublicKey
from did.methods.jwk import create_did_jwk
from did.methods.key import create_did_key
from did.methods.web import create_did_web_document
from did.resolver import Resolver, resolve

ISSUER = "did:web:issuer.example"
SIGNING = PrivateKey.generate("ES256").public_key
AUTH = PrivateKey.generate("EdDSA").public_key


class Site:
    """A mock web server: DID documents by URL, and a log of what was asked for."""

    def __init__(self) -> None:
        self.documents: dict[str, Any] = {}
        self.status = 200
        self.requests: list[httpx.Request] = []

    def publish(self, did: str, keys: list[tuple[str, PublicKey]], url: str) -> None:
        self.documents[url] = create_did_web_document(did, keys)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        document = self.documents.get(str(request.url))
        if self.status != 200 or document is None:
            return httpx.Response(self.status if self.status != 200 else 404)
        return httpx.Response(200, content=json.dumps(document).encode())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def site() -> Site:
    site = Site()
    site.publish(ISSUER, [("key-1", SIGNING)], "https://issuer.example/.well-known/did.json")
    return site


def web_resolver(site: Site, clock: Clock | None = None, **kwargs: Any) -> Resolver:
    policy = kwargs.pop("policy", FetchPolicy())
    fetcher = Fetcher(policy, transport=httpx.MockTransport(site))
    return Resolver(fetcher=fetcher, clock=clock or Clock(), **kwargs)


def test_did_key_and_did_jwk_resolve_without_network() -> None:
    resolver = Resolver()  # no fetcher at all
    did_key, did_jwk = create_did_key(SIGNING), create_did_jwk(AUTH)
    assert resolver.resolve(did_key).find_key(f"{did_key}#{did_key[8:]}") == SIGNING
    assert resolver.resolve_key(f"{did_jwk}#0") == AUTH
    assert resolve(did_key).id == did_key  # module-level convenience, offline for did:key


def test_did_web_over_mock_transport(site: Site) -> None:
    document = web_resolver(site).resolve(ISSUER)
    assert document.find_key("#key-1", relationship="assertionMethod") == SIGNING
    request = site.requests[0]
    assert str(request.url) == "https://issuer.example/.well-known/did.json"
    assert "application/did+json" in request.headers["Accept"]


def test_did_web_with_path_and_port(site: Site) -> None:
    did = "did:web:issuer.example%3A8443:tenants:health"
    site.publish(did, [("k", AUTH)], "https://issuer.example:8443/tenants/health/did.json")
    assert web_resolver(site).resolve_key(f"{did}#k") == AUTH


def test_cache_ttl_with_fake_clock(site: Site) -> None:
    clock = Clock()
    resolver = web_resolver(site, clock, cache_ttl=60)
    first = resolver.resolve(ISSUER)
    clock.now += 59
    assert resolver.resolve(ISSUER) is first
    assert len(site.requests) == 1
    clock.now += 2  # past the TTL
    assert resolver.resolve(ISSUER) == first
    assert len(site.requests) == 2
    resolver.clear_cache()
    resolver.resolve(ISSUER)
    assert len(site.requests) == 3


def test_zero_ttl_disables_the_cache(site: Site) -> None:
    resolver = web_resolver(site, cache_ttl=0)
    resolver.resolve(ISSUER)
    resolver.resolve(ISSUER)
    assert len(site.requests) == 2


def test_failures_are_not_cached(site: Site) -> None:
    resolver = web_resolver(site)
    site.status = 503
    with pytest.raises(FetchError) as info:
        resolver.resolve(ISSUER)
    assert info.value.code == "fetch_http_status"
    assert info.value.upstream_status == 503
    site.status = 200
    assert resolver.resolve_key(f"{ISSUER}#key-1") == SIGNING
    assert len(site.requests) == 2


def test_cache_is_bounded(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resolver_module, "MAX_CACHE_ENTRIES", 2)
    for name in ("a", "b", "c"):
        site.publish(
            f"did:web:{name}.example",
            [("k", SIGNING)],
            f"https://{name}.example/.well-known/did.json",
        )
    resolver = web_resolver(site)
    for name in ("a", "b", "c", "c", "a"):
        resolver.resolve(f"did:web:{name}.example")
    # c was cached; a was evicted when c came in, so it is fetched again
    assert [r.url.host for r in site.requests] == [
        "a.example",
        "b.example",
        "c.example",
        "a.example",
    ]


def test_id_mismatch_is_refused_and_not_cached(site: Site) -> None:
    # The server at issuer.example publishes a document claiming to be someone else.
    site.publish(
        "did:web:other.example", [("key-1", AUTH)], "https://issuer.example/.well-known/did.json"
    )
    resolver = web_resolver(site)
    for _ in range(2):
        with pytest.raises(ResolutionError) as info:
            resolver.resolve(ISSUER)
        assert info.value.code == "did_id_mismatch"
    assert len(site.requests) == 2


def test_key_lookup_by_kid(site: Site) -> None:
    site.publish(
        ISSUER, [("key-1", SIGNING), ("key-2", AUTH)], "https://issuer.example/.well-known/did.json"
    )
    resolver = web_resolver(site)
    assert resolver.resolve_key(f"{ISSUER}#key-2") == AUTH
    assert resolver.resolve_key(f"{ISSUER}#key-1", relationship="assertionMethod") == SIGNING
    for kid, code in [
        (f"{ISSUER}#key-9", "key_not_found"),
        (ISSUER, "key_not_found"),  # no fragment
        (f"{ISSUER}#", "invalid_did"),
        ("#key-1", "invalid_did"),  # a relative reference needs its DID
    ]:
        with pytest.raises(DIDError) as info:
            resolver.resolve_key(kid)
        assert info.value.code == code


def test_did_web_offline_without_fetcher() -> None:
    with pytest.raises(ResolutionError) as info:
        Resolver().resolve(ISSUER)
    assert info.value.code == "did_web_offline"


def test_pinned_documents_win_over_the_network(site: Site) -> None:
    did = "did:web:pinned.example"
    document = DIDDocument(did, (), (), ())
    resolver = web_resolver(site, documents={did: document})
    assert resolver.resolve(did) is document
    assert Resolver(documents={did: document}).resolve(did) is document  # offline too
    assert site.requests == []
    with pytest.raises(ResolutionError) as info:
        Resolver(documents={"did:web:other.example": document})
    assert info.value.code == "did_id_mismatch"


@pytest.mark.parametrize(
    ("did", "code"),
    [
        ("did:ion:EiClkZMDxPKqC9c-umQfTkR8vvZ9JPhl_xLDI9Nfk38w5w", "unsupported_did_method"),
        ("did:web:issuer.example:..", "invalid_did"),
        ("not a did", "invalid_did"),
        ("did:web:169.254.169.254", "fetch_blocked_address"),
        ("did:web:localhost%3A8000", "fetch_blocked_address"),
    ],
)
def test_resolution_errors(site: Site, did: str, code: str) -> None:
    with pytest.raises(DIDError) as info:
        web_resolver(site).resolve(did)
    assert info.value.code == code
    assert site.requests == []


def test_development_mode_falls_back_to_http() -> None:
    did = "did:web:dev.example%3A8000"
    site = Site()
    site.publish(did, [("k", SIGNING)], "http://dev.example:8000/.well-known/did.json")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":  # a plain HTTP dev server cannot speak TLS
            raise httpx.ConnectError("tls handshake failed", request=request)
        return site(request)

    dev = Resolver(
        fetcher=Fetcher(FetchPolicy(allow_http=True), transport=httpx.MockTransport(handler))
    )
    assert dev.resolve_key(f"{did}#k") == SIGNING
    strict = Resolver(fetcher=Fetcher(FetchPolicy(), transport=httpx.MockTransport(handler)))
    with pytest.raises(FetchError) as info:
        strict.resolve(did)
    assert info.value.code == "fetch_failed"


def test_no_http_fallback_on_http_errors(site: Site) -> None:
    site.status = 404
    resolver = web_resolver(site, policy=FetchPolicy(allow_http=True))
    with pytest.raises(FetchError) as info:
        resolver.resolve(ISSUER)
    assert info.value.code == "fetch_http_status"
    assert [r.url.scheme for r in site.requests] == ["https"]


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="cache_ttl"):
        Resolver(cache_ttl=-1)
    with pytest.raises(InvalidDIDError):
        resolve("did:nope")


@pytest.mark.network
def test_did_web_on_a_real_loopback_server(loopback: Any) -> None:
    did = f"did:web:127.0.0.1%3A{loopback.port}"
    document = create_did_web_document(did, [("key-1", SIGNING)])
    loopback.route("/.well-known/did.json", json.dumps(document).encode())
    with Fetcher(FetchPolicy()) as fetcher, pytest.raises(FetchError) as info:
        Resolver(fetcher=fetcher).resolve(did)
    assert info.value.code == "fetch_blocked_address"
    # Development: HTTPS fails against the plain server, HTTP is allowed, loopback is allowed.
    policy = FetchPolicy(allow_http=True, allow_private=True)
    with Fetcher(policy) as fetcher:
        assert Resolver(fetcher=fetcher).resolve_key(f"{did}#key-1") == SIGNING


def test_module_level_resolve_uses_a_fresh_https_fetcher(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Fetcher] = []

    def factory() -> Fetcher:
        made.append(Fetcher(FetchPolicy(), transport=httpx.MockTransport(site)))
        return made[-1]

    monkeypatch.setattr(resolver_module, "Fetcher", factory)
    assert resolve(ISSUER).find_key("#key-1") == SIGNING
    assert len(made) == 1
    assert made[0].policy == FetchPolicy()


def test_failures_are_remembered_for_failure_ttl(site: Site) -> None:
    """Issue 15, finding 7: a server resolving strangers' DIDs remembers a failure briefly."""
    clock = Clock()
    site.status = 503
    resolver = web_resolver(site, clock, failure_ttl=30.0)
    for _ in range(3):
        with pytest.raises(DIDError) as caught:
            resolver.resolve(ISSUER)
    assert len(site.requests) == 1
    assert caught.value.code.startswith("fetch")
    site.status = 200
    clock.now += 31
    assert resolver.resolve(ISSUER).id == ISSUER
    assert len(site.requests) == 2


def test_failures_are_not_remembered_by_default(site: Site) -> None:
    site.status = 503
    resolver = web_resolver(site)
    for _ in range(2):
        with pytest.raises(DIDError):
            resolver.resolve(ISSUER)
    assert len(site.requests) == 2


def test_max_concurrent_fetches(site: Site) -> None:
    import threading

    inside, release = threading.Event(), threading.Event()

    def slow(request: httpx.Request) -> httpx.Response:
        inside.set()
        release.wait(10)
        return site(request)

    fetcher = Fetcher(FetchPolicy(), transport=httpx.MockTransport(slow))
    resolver = Resolver(fetcher=fetcher, max_concurrent=1, failure_ttl=30.0)
    first = threading.Thread(target=resolver.resolve, args=(ISSUER,))
    first.start()
    assert inside.wait(10)
    with pytest.raises(ResolutionError) as caught:
        resolver.resolve("did:web:other.example")
    assert caught.value.code == "did_web_busy"
    release.set()
    first.join(10)
    assert resolver.resolve(ISSUER).id == ISSUER  # the busy refusal was not remembered
    with pytest.raises(ValueError, match="max_concurrent"):
        Resolver(max_concurrent=0)
