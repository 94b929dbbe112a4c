"""The one SSRF-safe HTTP client of drukid (did:web, issuer metadata, JWKS, vct, status lists,
credential offers, request objects, logos: every URL that comes from outside).

Rules (STANDARDS.md "Fetching rules"; OWASP SSRF Prevention Cheat Sheet):

* HTTPS only, unless ``FetchPolicy.allow_http`` (local development). No user:password in URLs.
* Refused destinations, unless ``allow_private``: loopback, private (RFC 1918, ULA RFC 4193),
  link-local (cloud metadata at 169.254.169.254), CGNAT 100.64/10 (RFC 6598), multicast,
  unspecified, documentation and reserved ranges (IANA special-purpose registries, RFC 6890),
  and IPv6 forms embedding such an IPv4 address (mapped, NAT64, 6to4).
* Checked **after DNS resolution, for every address and on every redirect hop**, and the socket
  is connected to the address that was checked: :class:`_GuardedBackend` is the httpcore network
  backend, so a DNS answer that changes between check and connect (rebinding) cannot redirect
  us. TLS still verifies the certificate against the host name (httpcore passes it as SNI).
* Redirects are followed here, at most ``max_redirects``, re-checking scheme and address each hop
  and dropping ``Authorization``/``Cookie`` when the origin changes.
* Time: per-operation timeouts and a total deadline. Size: the body is streamed and reading
  stops past ``max_bytes``; gzip/deflate are decoded here with the same output cap (no bombs).
* :meth:`Fetcher.get` never returns a 4xx/5xx body (``fetch_http_status``).
* Logs carry the host and an error code, never the full URL (query strings can hold codes).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

import httpcore
import httpx

from did.encoding import InvalidEncodingError, dumps_compact, parse_json
from did.errors import FetchError

__all__ = ["FetchPolicy", "FetchResponse", "Fetcher", "is_blocked_address"]

log = logging.getLogger(__name__)

ResolveHost = Callable[[str, int], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_BLOCKED_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/96", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
        "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)  # fmt: skip
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CROSS_ORIGIN_DROP = ("authorization", "cookie", "proxy-authorization")
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def is_blocked_address(address: str | IPAddress) -> bool:
    """True when ``address`` is not a public unicast address (see the module docstring)."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address that carries an IPv4 one reaches that IPv4 host: judge that host.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_blocked_address(embedded)
    return any(ip in net for net in _BLOCKED_NETWORKS) or not ip.is_global


def _system_resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host {host!r}", code="fetch_failed") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits for one fetcher. The two ``allow_*`` switches are for local development only."""

    timeout: float = 5.0
    max_bytes: int = 512 * 1024
    max_redirects: int = 3
    allow_http: bool = False
    allow_private: bool = False

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.max_bytes <= 0 or self.max_redirects < 0:
            raise ValueError("timeout and max_bytes must be positive, max_redirects >= 0")


@dataclass(frozen=True, slots=True)
class FetchResponse:
    """A complete, size-checked response."""

    url: str
    status: int
    headers: Mapping[str, str]
    content: bytes

    def json(self) -> Any:
        """The body as strict JSON (no duplicate names, no NaN); ``fetch_invalid_json``."""
        try:
            return parse_json(self.content)
        except InvalidEncodingError as exc:
            host = httpx.URL(self.url).host
            raise FetchError(
                f"{host} sent invalid JSON: {exc.message}", code="fetch_invalid_json"
            ) from exc


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks every address, then connects to a checked address (DNS pinning)."""

    def __init__(self, policy: FetchPolicy, resolve_host: ResolveHost) -> None:
        self._inner = httpcore.SyncBackend()
        self._policy = policy
        self._resolve = resolve_host

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _checked_addresses(host, port, self._resolve, self._policy)
        error: Exception = FetchError(f"{host} has no address", code="fetch_failed")
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc  # try the next checked address, as browsers do
        raise error


def _checked_addresses(
    host: str, port: int, resolve: ResolveHost, policy: FetchPolicy
) -> list[str]:
    addresses = resolve(host, port)
    if not addresses:
        raise _fail(f"{host} did not resolve to any address", "fetch_failed", host)
    # One bad answer refuses the host: trying only the "good" addresses would let a rebinding
    # DNS server choose which one we use.
    if not policy.allow_private and any(map(_blocked, addresses)):
        raise _fail(f"{host} resolves to a private or local address", "fetch_blocked_address", host)
    return addresses


def _blocked(address: str) -> bool:
    try:
        return is_blocked_address(address)
    except ValueError:
        return True  # whatever it is, it is not a public IP address


class _Stream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class _GuardedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool that uses :class:`_GuardedBackend`."""

    def __init__(self, policy: FetchPolicy, resolve_host: ResolveHost) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=20,
            max_keepalive_connections=10,
            keepalive_expiry=30.0,
            network_backend=_GuardedBackend(policy, resolve_host),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=cast(Iterable[bytes], request.stream),
            extensions=request.extensions,
        )
        response = self._pool.handle_request(core)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_Stream(cast(Iterable[bytes], response.stream)),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _fail(message: str, code: str, host: str, status: int | None = None) -> FetchError:
    log.info("fetch failed: host=%s code=%s", host, code)
    return FetchError(message, code=code, status=status)


@contextmanager
def _errors(host: str) -> Iterator[None]:
    """Turn transport exceptions (httpx's and httpcore's) into :class:`FetchError`."""
    try:
        yield
    except (httpx.TimeoutException, httpcore.TimeoutException, TimeoutError) as exc:
        raise _fail(f"{host} did not answer in time", "fetch_timeout", host) from exc
    except (
        httpx.TransportError,
        httpcore.NetworkError,
        httpcore.ProtocolError,
        OSError,
        zlib.error,
    ) as exc:
        message = f"could not fetch from {host}: {type(exc).__name__}"
        raise _fail(message, "fetch_failed", host) from exc


class Fetcher:
    """SSRF-guarded HTTP client. Use as a context manager or call :meth:`close`.

    ``transport`` (e.g. ``httpx.MockTransport``) replaces the network in tests: the socket-level
    address check is then skipped, but URL checks still run, and when ``resolve_host`` is also
    given, host names are resolved with it and checked as if by DNS. With the real network,
    ``resolve_host`` replaces the system resolver (the socket still connects to its answer).
    ``clock`` is the monotonic clock of the total deadline.
    """

    def __init__(
        self,
        policy: FetchPolicy = FetchPolicy(),
        *,
        transport: httpx.BaseTransport | None = None,
        resolve_host: ResolveHost | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.policy = policy
        self._clock = clock
        self._simulated_dns = resolve_host if transport is not None else None
        self._transport = transport or _GuardedTransport(policy, resolve_host or _system_resolve)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._transport.close()

    def get(
        self,
        url: str,
        *,
        accept: str | None = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
    ) -> FetchResponse:
        """GET ``url``; a non-2xx answer raises ``fetch_http_status`` and its body is not read."""
        merged = httpx.Headers(headers)
        if accept is not None:
            merged["Accept"] = accept
        return self._send("GET", url, merged, None, follow_redirects, require_2xx=True)

    def request(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
    ) -> FetchResponse:
        """Send a form (``data``) or JSON body. 4xx/5xx responses are returned, not raised: an
        OAuth client needs the error body. Size, time and SSRF limits still apply."""
        if data is not None and json is not None:
            raise ValueError("pass either data or json, not both")
        merged = httpx.Headers(headers)
        body: bytes | None = None
        if data is not None:
            body = urlencode(dict(data)).encode("ascii")
            merged.setdefault("Content-Type", "application/x-www-form-urlencoded")
        elif json is not None:
            body = dumps_compact(json).encode("utf-8")
            merged.setdefault("Content-Type", "application/json")
        return self._send(method.upper(), url, merged, body, follow_redirects, require_2xx=False)

    def _check_url(self, raw: str | httpx.URL) -> httpx.URL:
        try:
            url = httpx.URL(raw)
        except (httpx.InvalidURL, TypeError) as exc:
            raise _fail("not a valid URL", "fetch_invalid_url", "-") from exc
        host = url.host
        if url.scheme == "http" and not self.policy.allow_http:
            raise _fail(f"{host} must be fetched over https://", "fetch_insecure_scheme", host)
        if url.scheme not in ("https", "http") or not host or url.userinfo:
            raise _fail(
                "only http(s) URLs with a host and no user:password", "fetch_invalid_url", host
            )
        name = url.raw_host.decode("ascii").rstrip(".").lower()
        literal: IPAddress | None = None
        with suppress(ValueError):
            literal = ipaddress.ip_address(host)
        # A numeric last label ("2130706433", "0x7f.1") is an IPv4 address to inet_aton.
        last = name.rsplit(".", 1)[-1]
        if literal is None and (
            not _HOST_NAME.fullmatch(name) or last.isdigit() or last.startswith("0x")
        ):
            raise _fail(f"{host!r} is not a valid host name", "fetch_invalid_url", host)
        if self.policy.allow_private:
            return url
        # RFC 6761 §6.3: localhost names always mean the loopback interface.
        if literal is None and (name == "localhost" or name.endswith(".localhost")):
            raise _fail(f"{host} is a local address", "fetch_blocked_address", host)
        if literal is not None and is_blocked_address(literal):
            raise _fail(f"{host} is a private or local address", "fetch_blocked_address", host)
        if literal is None and self._simulated_dns is not None:
            port = url.port or (443 if url.scheme == "https" else 80)
            _checked_addresses(host, port, self._simulated_dns, self.policy)
        return url

    def _send(
        self,
        method: str,
        url: str,
        headers: httpx.Headers,
        body: bytes | None,
        follow_redirects: bool,
        *,
        require_2xx: bool,
    ) -> FetchResponse:
        deadline = self._clock() + self.policy.timeout
        current = self._check_url(url)
        headers.setdefault("User-Agent", "drukid")
        # Decoded here under the size cap; compression saves bandwidth on slow links.
        headers["Accept-Encoding"] = "gzip, deflate"
        for hop in range(self.policy.max_redirects + 1):
            response = self._open(method, current, headers, body, deadline)
            try:
                status, location = response.status_code, response.headers.get("location")
                if status not in _REDIRECTS or location is None:
                    return self._finish(current, response, deadline, require_2xx)
                if not follow_redirects:
                    message = f"{current.host} redirects, and redirects are not followed here"
                    raise _fail(message, "fetch_redirect_refused", current.host, status)
                if hop == self.policy.max_redirects:
                    break
                try:
                    target = self._check_url(current.join(location))
                except httpx.InvalidURL as exc:
                    raise _fail("bad redirect URL", "fetch_invalid_url", current.host) from exc
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, body = "GET", None  # RFC 9110 §15.4.3-4, as browsers do
                    headers.pop("Content-Type", None)
                if _origin(target) != _origin(current):
                    # Credentials were meant for the first origin only (RFC 9110 §15.4).
                    for name in _CROSS_ORIGIN_DROP:
                        headers.pop(name, None)
                current = target
            finally:
                response.close()
        limit = self.policy.max_redirects
        raise _fail(f"more than {limit} redirects", "fetch_too_many_redirects", current.host)

    def _remaining(self, deadline: float, host: str) -> float:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise _fail(f"{host} took longer than {self.policy.timeout} s", "fetch_timeout", host)
        return min(remaining, self.policy.timeout)

    def _open(
        self,
        method: str,
        url: httpx.URL,
        headers: Mapping[str, str],
        body: bytes | None,
        deadline: float,
    ) -> httpx.Response:
        request = httpx.Request(method, url, headers=headers, content=body)
        timeout = self._remaining(deadline, url.host)
        request.extensions["timeout"] = httpx.Timeout(timeout).as_dict()
        log.debug("fetch: %s host=%s", method, url.host)
        with _errors(url.host):
            return self._transport.handle_request(request)

    def _finish(
        self, url: httpx.URL, response: httpx.Response, deadline: float, require_2xx: bool
    ) -> FetchResponse:
        status = response.status_code
        if require_2xx and not 200 <= status < 300:
            raise _fail(f"{url.host} answered HTTP {status}", "fetch_http_status", url.host, status)
        with _errors(url.host):
            content = self._read(url.host, response, deadline)
        return FetchResponse(str(url), status, response.headers, content)

    def _read(self, host: str, response: httpx.Response, deadline: float) -> bytes:
        limit = self.policy.max_bytes

        def too_large() -> FetchError:
            return _fail(f"{host} sent more than {limit} bytes", "fetch_too_large", host)

        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large()
        if response.is_stream_consumed:  # a transport that buffered (and decoded) the body
            if len(response.content) > limit:
                raise too_large()
            return response.content
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding != "identity" and encoding not in _DECODERS:
            raise _fail(f"{host} used content-encoding {encoding!r}", "fetch_failed", host)
        decoder = zlib.decompressobj(_DECODERS[encoding]) if encoding in _DECODERS else None
        body = bytearray()
        for chunk in response.iter_raw():
            self._remaining(deadline, host)
            if decoder is not None:
                # max_length bounds this call's output: a small bomb cannot expand in memory.
                chunk = decoder.decompress(chunk, limit + 1 - len(body))
                if decoder.unconsumed_tail:
                    raise too_large()
            body += chunk
            if len(body) > limit:
                raise too_large()
        if decoder is not None and not decoder.eof:
            raise _fail(f"{host} sent a truncated compressed body", "fetch_failed", host)
        return bytes(body)
