"""The SSRF-guarded fetcher (did/fetch.py): MockTransport tests, then real loopback sockets."""

from __future__ import annotations

import gzip
import logging
import socket
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from did.errors import FetchError
from did.fetch import Fetcher, FetchPolicy, is_blocked_address

Handler = Callable[[httpx.Request], httpx.Response]
PUBLIC = "93.184.215.14"  # a public unicast address (example.com)


class Chunks(httpx.SyncByteStream):
    """A streamed body; ``explode`` makes reading it fail the test."""

    def __init__(
        self, chunks: list[bytes], *, explode: bool = False, each: Callable[[], None] | None = None
    ) -> None:
        self.chunks, self.explode, self.each = chunks, explode, each

    def __iter__(self) -> Iterator[bytes]:
        if self.explode:
            raise AssertionError("the body must not be read")
        for chunk in self.chunks:
            if self.each is not None:
                self.each()
            yield chunk


class Recorder:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def public_dns(host: str, port: int) -> list[str]:
    return [PUBLIC]


def fetcher(handler: Handler, policy: FetchPolicy | None = None, **kwargs: object) -> Fetcher:
    return Fetcher(policy or FetchPolicy(), transport=httpx.MockTransport(handler), **kwargs)  # type: ignore[arg-type]


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"ok": True})


def codes(exc: pytest.ExceptionInfo[FetchError]) -> str:
    return exc.value.code


def test_https_get_works() -> None:
    recorder = Recorder(ok)
    response = fetcher(recorder, resolve_host=public_dns).get(
        "https://issuer.example/x", accept="application/json"
    )
    assert response.status == 200
    assert response.json() == {"ok": True}
    assert response.url == "https://issuer.example/x"
    assert response.headers["Content-Type"] == "application/json"
    sent = recorder.requests[0]
    assert sent.headers["Accept"] == "application/json"
    assert sent.headers["User-Agent"] == "drukid"


def test_http_refused_unless_allowed() -> None:
    recorder = Recorder(ok)
    with pytest.raises(FetchError) as info:
        fetcher(recorder).get("http://issuer.example/")
    assert codes(info) == "fetch_insecure_scheme"
    assert recorder.requests == []
    assert (
        fetcher(recorder, FetchPolicy(allow_http=True)).get("http://issuer.example/").status == 200
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://ftp.example.com:21@x",
        "ftp://issuer.example/",
        "file:///etc/passwd",
        "https://user:secret@issuer.example/",
        "https:///nohost",
        "https://exa mple.com/",
        "https://%31%32%37.0.0.1/",
        "https://0x7f.1/",  # inet_aton reads these as 127.0.0.1
        "https://2130706433/",
        "https://127.1/",
    ],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(FetchError) as info:
        fetcher(ok).get(url)
    assert codes(info) == "fetch_invalid_url"


BLOCKED_HOSTS = [
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata service
    "100.64.0.1",  # CGNAT
    "0.0.0.0",  # noqa: S104 - a URL host here, nothing binds to it
    "224.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "[::1]",
    "[::]",
    "[fe80::1]",
    "[fc00::1]",
    "[fd12:3456::1]",
    "[ff02::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:a9fe:a9fe]",  # IPv4-mapped 169.254.169.254
    "[64:ff9b::a9fe:a9fe]",  # NAT64 of the metadata address
    "[2002:7f00:1::1]",  # 6to4 of 127.0.0.1
    "[2001:db8::1]",
    "localhost",
    "LOCALHOST.",
    "api.localhost",
]


@pytest.mark.parametrize("host", BLOCKED_HOSTS)
def test_blocked_literal_hosts(host: str) -> None:
    recorder = Recorder(ok)
    with pytest.raises(FetchError) as info:
        fetcher(recorder).get(f"https://{host}/did.json")
    assert codes(info) == "fetch_blocked_address"
    assert recorder.requests == []


@pytest.mark.parametrize(
    "address", [h.strip("[]") for h in BLOCKED_HOSTS if h[0].isdigit() or h[0] == "["]
)
def test_blocked_after_dns(address: str) -> None:
    recorder = Recorder(ok)
    resolved: list[tuple[str, int]] = []

    def dns(host: str, port: int) -> list[str]:
        resolved.append((host, port))
        return [PUBLIC, address]  # one bad answer is enough to refuse

    with pytest.raises(FetchError) as info:
        fetcher(recorder, resolve_host=dns).get("https://rebind.example:8443/did.json")
    assert codes(info) == "fetch_blocked_address"
    assert resolved == [("rebind.example", 8443)]
    assert recorder.requests == []


def test_allow_private_lets_development_hosts_through() -> None:
    policy = FetchPolicy(allow_private=True, allow_http=True)
    client = fetcher(ok, policy, resolve_host=lambda h, p: ["127.0.0.1"])
    assert client.get("http://localhost:8000/").status == 200
    assert client.get("https://10.0.0.1/").status == 200


@pytest.mark.parametrize(
    "address", ["8.8.8.8", PUBLIC, "2606:4700:4700::1111", "2002:5db8:d70e::1"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_blocked_address(address)


def test_unresolvable_or_empty_dns() -> None:
    with pytest.raises(FetchError) as info:
        fetcher(ok, resolve_host=lambda h, p: []).get("https://nowhere.example/")
    assert codes(info) == "fetch_failed"
    with pytest.raises(FetchError) as info:
        fetcher(ok, resolve_host=lambda h, p: ["not-an-ip"]).get("https://odd.example/")
    assert codes(info) == "fetch_blocked_address"


def redirect_to(location: str, status: int = 302) -> httpx.Response:
    return httpx.Response(status, headers={"Location": location})


@pytest.mark.parametrize(
    ("location", "code"),
    [
        ("https://169.254.169.254/latest/meta-data/", "fetch_blocked_address"),
        ("https://[::1]/admin", "fetch_blocked_address"),
        ("https://internal.example/admin", "fetch_blocked_address"),  # resolves privately
        ("http://issuer.example/did.json", "fetch_insecure_scheme"),  # https -> http downgrade
        ("file:///etc/passwd", "fetch_invalid_url"),
    ],
)
def test_redirect_hops_are_checked(location: str, code: str) -> None:
    recorder = Recorder(
        lambda r: redirect_to(location) if r.url.host == "issuer.example" else ok(r)
    )

    def dns(host: str, port: int) -> list[str]:
        return ["10.1.2.3"] if host == "internal.example" else [PUBLIC]

    with pytest.raises(FetchError) as info:
        fetcher(recorder, resolve_host=dns).get("https://issuer.example/did.json")
    assert codes(info) == code
    assert [str(r.url) for r in recorder.requests] == ["https://issuer.example/did.json"]


def test_redirect_limit() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        hop = int(request.url.path.strip("/") or 0)
        return redirect_to(f"/{hop + 1}") if hop < 3 else ok(request)

    policy = FetchPolicy(max_redirects=3)
    response = fetcher(handler, policy).get("https://issuer.example/")
    assert response.url == "https://issuer.example/3"
    with pytest.raises(FetchError) as info:
        fetcher(handler, FetchPolicy(max_redirects=2)).get("https://issuer.example/")
    assert codes(info) == "fetch_too_many_redirects"
    with pytest.raises(FetchError) as info:
        fetcher(handler).get("https://issuer.example/", follow_redirects=False)
    assert codes(info) == "fetch_redirect_refused"
    assert info.value.upstream_status == 302


def test_authorization_is_not_forwarded_to_another_origin() -> None:
    recorder = Recorder(
        lambda r: (
            redirect_to("https://cdn.example/x")
            if r.url.host == "issuer.example" and r.url.path == "/a"
            else redirect_to("/a")
            if r.url.path == "/start"
            else ok(r)
        )
    )
    headers = {"Authorization": "Bearer secret-token", "Cookie": "s=1", "X-Trace": "t"}
    fetcher(recorder).get("https://issuer.example/start", headers=headers)
    first, same_origin, other_origin = recorder.requests
    assert first.headers["Authorization"] == same_origin.headers["Authorization"]
    assert "authorization" not in other_origin.headers
    assert "cookie" not in other_origin.headers
    assert other_origin.headers["X-Trace"] == "t"


def test_request_returns_error_bodies_and_sends_json_and_forms() -> None:
    recorder = Recorder(lambda r: httpx.Response(400, json={"error": "invalid_grant"}))
    client = fetcher(recorder)
    response = client.request("post", "https://issuer.example/token", data={"grant_type": "x y"})
    assert response.status == 400
    assert response.json() == {"error": "invalid_grant"}
    assert recorder.requests[0].method == "POST"
    assert recorder.requests[0].content == b"grant_type=x+y"
    assert recorder.requests[0].headers["Content-Type"] == "application/x-www-form-urlencoded"
    client.request("POST", "https://issuer.example/credential", json={"a": "ü"})
    assert recorder.requests[1].content == '{"a":"ü"}'.encode()
    assert recorder.requests[1].headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError, match="either"):
        client.request("POST", "https://issuer.example/", data={}, json={})


def test_request_refuses_redirects_when_asked() -> None:
    recorder = Recorder(lambda r: redirect_to("https://elsewhere.example/"))
    with pytest.raises(FetchError) as info:
        fetcher(recorder).request(
            "POST", "https://verifier.example/response", json={}, follow_redirects=False
        )
    assert codes(info) == "fetch_redirect_refused"
    assert len(recorder.requests) == 1


def test_303_turns_post_into_get() -> None:
    recorder = Recorder(lambda r: redirect_to("/done", 303) if r.url.path == "/post" else ok(r))
    fetcher(recorder).request("POST", "https://issuer.example/post", json={"a": 1})
    assert [(r.method, r.content) for r in recorder.requests] == [
        ("POST", b'{"a":1}'),
        ("GET", b""),
    ]


@pytest.mark.parametrize("status", [404, 500, 302, 304, 101])
def test_non_2xx_get_raises_without_reading_the_body(status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, stream=Chunks([b"secret"], explode=True))

    with pytest.raises(FetchError) as info:
        fetcher(handler).get("https://issuer.example/")
    assert codes(info) == "fetch_http_status"
    assert info.value.upstream_status == status


def test_body_size_cap() -> None:
    policy = FetchPolicy(max_bytes=1000)
    streamed = fetcher(
        lambda r: httpx.Response(200, stream=Chunks([b"a" * 600, b"b" * 600])), policy
    )
    with pytest.raises(FetchError) as info:
        streamed.get("https://issuer.example/")
    assert codes(info) == "fetch_too_large"
    declared = fetcher(
        lambda r: httpx.Response(
            200, headers={"Content-Length": "5000"}, stream=Chunks([], explode=True)
        ),
        policy,
    )
    with pytest.raises(FetchError) as info:
        declared.get("https://issuer.example/")
    assert codes(info) == "fetch_too_large"
    buffered = fetcher(lambda r: httpx.Response(200, content=b"x" * 1001), policy)
    with pytest.raises(FetchError) as info:
        buffered.get("https://issuer.example/")
    assert codes(info) == "fetch_too_large"
    exact = fetcher(lambda r: httpx.Response(200, stream=Chunks([b"a" * 1000])), policy)
    assert len(exact.get("https://issuer.example/").content) == 1000


def encoded(wire: bytes, encoding: str = "gzip") -> Handler:
    return lambda r: httpx.Response(
        200, headers={"Content-Encoding": encoding}, stream=Chunks([wire])
    )


def test_compressed_bodies_are_decoded_under_the_cap() -> None:
    policy = FetchPolicy(max_bytes=10_000)
    plain = b'{"id": 1}'
    assert fetcher(encoded(gzip.compress(plain)), policy).get("https://a.example/").json() == {
        "id": 1
    }
    deflated = fetcher(encoded(zlib.compress(plain), "deflate"), policy)
    assert deflated.get("https://a.example/").content == plain
    bomb = gzip.compress(b"\0" * 50_000_000)  # about 50 KB on the wire, 50 MB unpacked
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(FetchError) as info:
            fetcher(encoded(bomb), policy).get("https://a.example/")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert codes(info) == "fetch_too_large"
    assert peak < 5_000_000  # never unpacked beyond the cap


@pytest.mark.parametrize(
    ("wire", "encoding"),
    [(gzip.compress(b"x" * 100)[:-10], "gzip"), (b"not gzip", "gzip"), (b"x", "br")],
    ids=["truncated", "corrupt", "unsupported"],
)
def test_bad_compressed_bodies(wire: bytes, encoding: str) -> None:
    with pytest.raises(FetchError) as info:
        fetcher(encoded(wire, encoding)).get("https://a.example/")
    assert codes(info) == "fetch_failed"


def test_timeouts() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(FetchError) as info:
        fetcher(slow).get("https://issuer.example/")
    assert codes(info) == "fetch_timeout"

    now = [100.0]

    def tick() -> None:
        now[0] += 2.0  # each chunk takes 2 s: a slow drip that never trips a read timeout

    dripping = fetcher(
        lambda r: httpx.Response(200, stream=Chunks([b"a"] * 10, each=tick)),
        FetchPolicy(timeout=5.0),
        clock=lambda: now[0],
    )
    with pytest.raises(FetchError) as info:
        dripping.get("https://issuer.example/")
    assert codes(info) == "fetch_timeout"


def test_transport_errors_become_fetch_failed() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route", request=request)

    with pytest.raises(FetchError) as info:
        fetcher(down).get("https://issuer.example/")
    assert codes(info) == "fetch_failed"
    # Words, never the exception's name; and no connection means nothing was sent.
    assert (
        info.value.message == "issuer.example did not answer: nothing there accepted the connection"
    )
    assert info.value.not_sent


def test_a_connection_that_breaks_off_may_have_carried_the_request() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    with pytest.raises(FetchError) as info:
        fetcher(broken).get("https://issuer.example/")
    assert codes(info) == "fetch_failed"
    assert "ReadError" not in info.value.message
    assert not info.value.not_sent


@pytest.mark.parametrize("body", [b"{", b'{"a": 1, "a": 2}', b"NaN", b"\xff"])
def test_invalid_json(body: bytes) -> None:
    response = fetcher(lambda r: httpx.Response(200, content=body)).get("https://issuer.example/")
    with pytest.raises(FetchError) as info:
        response.json()
    assert codes(info) == "fetch_invalid_json"


def test_logs_name_the_host_never_the_query(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="did.fetch")
    with pytest.raises(FetchError):
        fetcher(ok).get("https://10.0.0.7/callback?code=SECRET-CODE")
    with pytest.raises(FetchError):
        fetcher(lambda r: httpx.Response(404)).get("https://issuer.example/x?code=OTHER-SECRET")
    assert "fetch_blocked_address" in caplog.text
    assert "10.0.0.7" in caplog.text
    assert "fetch_http_status" in caplog.text
    assert "issuer.example" in caplog.text
    assert "SECRET" not in caplog.text


def test_policy_validation() -> None:
    for bad in ({"timeout": 0}, {"max_bytes": 0}, {"max_redirects": -1}):
        with pytest.raises(ValueError, match="positive"):
            FetchPolicy(**bad)  # type: ignore[arg-type]


# --- real sockets on loopback --------------------------------------------------------------


@pytest.fixture
def server(loopback: Any) -> Any:
    loopback.route("/did.json", b'{"host": "{host}"}')
    loopback.route("/big", b"x" * 10_000)
    loopback.route("/slow", delay=1.0)
    return loopback


@pytest.mark.network
def test_real_loopback_refused_by_default(server: Any) -> None:
    url = f"http://{server.origin}/did.json"
    with Fetcher() as client, pytest.raises(FetchError) as info:
        client.get(url)
    assert codes(info) == "fetch_insecure_scheme"
    with Fetcher(FetchPolicy(allow_http=True)) as client, pytest.raises(FetchError) as info:
        client.get(url)
    assert codes(info) == "fetch_blocked_address"
    assert server.seen == []


@pytest.mark.network
def test_real_loopback_allowed_for_development(server: Any) -> None:
    with Fetcher(FetchPolicy(allow_http=True, allow_private=True)) as client:
        response = client.get(f"http://{server.origin}/did.json")
    assert response.json() == {"host": server.origin}


@pytest.mark.network
def test_real_socket_is_pinned_to_the_checked_address(server: Any) -> None:
    # The name is resolved by the injected resolver and the socket connects to that answer:
    # checked address == connected address, while the Host header keeps the name.
    def dns(host: str, port: int) -> list[str]:
        return {"did.example.test": ["127.0.0.1"]}[host]

    url = f"http://did.example.test:{server.port}/did.json"
    policy = FetchPolicy(allow_http=True)
    with Fetcher(policy, resolve_host=dns) as client, pytest.raises(FetchError) as info:
        client.get(url)
    assert codes(info) == "fetch_blocked_address"  # refused at connect time, after "DNS"
    assert server.seen == []
    policy = FetchPolicy(allow_http=True, allow_private=True)
    with Fetcher(policy, resolve_host=dns) as client:
        assert client.get(url).json() == {"host": f"did.example.test:{server.port}"}


@pytest.mark.network
def test_real_socket_limits(server: Any) -> None:
    base = f"http://{server.origin}"
    small = FetchPolicy(allow_http=True, allow_private=True, max_bytes=1000)
    with Fetcher(small) as client, pytest.raises(FetchError) as info:
        client.get(base + "/big")
    assert codes(info) == "fetch_too_large"
    quick = FetchPolicy(allow_http=True, allow_private=True, timeout=0.2)
    with Fetcher(quick) as client, pytest.raises(FetchError) as info:
        client.get(base + "/slow")
    assert codes(info) == "fetch_timeout"
    with Fetcher(quick) as client, pytest.raises(FetchError) as info:
        client.get("http://127.0.0.1:1/")  # nothing listens on port 1
    assert codes(info) == "fetch_failed"


def test_bad_redirect_locations_and_url_types() -> None:
    for location in ("https://[::1", "https://exa mple.com/"):
        with pytest.raises(FetchError) as info:
            fetcher(lambda r, loc=location: redirect_to(loc)).get("https://issuer.example/")
        assert codes(info) == "fetch_invalid_url"
    with pytest.raises(FetchError) as info:
        fetcher(ok).get(None)  # type: ignore[arg-type]
    assert codes(info) == "fetch_invalid_url"


def test_system_resolver_failure_is_fetch_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(-2, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    with Fetcher() as client, pytest.raises(FetchError) as info:
        client.get("https://issuer.example/")
    assert codes(info) == "fetch_failed"
