"""The one SSRF-safe HTTP client of drukid (did:web, issuer metadata, JWKS, vct, status lists,
credential offers, request objects, logos: every URL that comes from outside).

Rules (STANDARDS.md "Fetching rules"; OWASP SSRF Prevention Cheat Sheet):

* HTTPS only, unless ``FetchPolicy.allow_http`` (local development). No user:password in URLs.
* Refused destinations, unless ``allow_private``: loopback, private (RFC 1918, ULA RFC 4193),
  link-local (cloud metadata at 169.254.169.254), CGNAT 100.64/10 (RFC 6598), multicast,
  unspecified, documentation and reserved ranges (IANA special-purpose registries, RFC 6890),
  and IPv6 forms embedding such an IPv4 address (mapped, NAT64, 6to4).
* Checked **after DNS resolution, for every address and on every redirect hop**, and the socket
  is connected to the address that was checked: :mod:`did._netguard` supplies the httpcore
  network backend, so a DNS answer that changes between check and connect (rebinding) cannot
  redirect us. TLS still verifies the certificate against the host name (httpcore passes it as
  SNI).
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
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpcore
import httpx

from core.encoding import EncodingError, dumps_compact, parse_json
from did._netguard import (
    GuardedTransport,
    IPAddress,
    ResolveHost,
    checked_addresses,
    fail,
    is_blocked_address,
    system_resolve,
)
from did.errors import FetchError

__all__ = ["FetchPolicy", "FetchResponse", "Fetcher", "is_blocked_address"]

log = logging.getLogger(__name__)

_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CROSS_ORIGIN_DROP = ("authorization", "cookie", "proxy-authorization")
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


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
        except EncodingError as exc:
            host = httpx.URL(self.url).host
            raise FetchError(
                f"{host} sent invalid JSON: {exc.message}", code="fetch_invalid_json"
            ) from exc


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


@contextmanager
def _errors(host: str) -> Iterator[None]:
    """Turn transport exceptions (httpx's and httpcore's) into :class:`FetchError`."""
    try:
        yield
    except (httpx.ConnectTimeout, httpcore.ConnectTimeout) as exc:
        message = f"{host} did not answer in time (no connection was made)"
        raise fail(message, "fetch_timeout", host, not_sent=True) from exc
    except (httpx.TimeoutException, httpcore.TimeoutException, TimeoutError) as exc:
        raise fail(f"{host} did not answer in time", "fetch_timeout", host) from exc
    except (httpx.ConnectError, httpcore.ConnectError, ConnectionRefusedError) as exc:
        # No connection was made, so nothing was sent: say what that means in words, never
        # the exception's name.
        message = f"{host} did not answer: nothing there accepted the connection"
        raise fail(message, "fetch_failed", host, not_sent=True) from exc
    except (
        httpx.TransportError,
        httpcore.NetworkError,
        httpcore.ProtocolError,
        OSError,
        zlib.error,
    ) as exc:
        raise fail(f"the connection to {host} failed or broke off", "fetch_failed", host) from exc


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
        self._transport = transport or GuardedTransport(
            resolve_host or system_resolve, allow_private=policy.allow_private
        )

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

    def content_getter(self, *, accept: str) -> Callable[[str], bytes]:
        """``url -> body bytes`` through this fetcher with ``Accept: accept``: the injected
        fetch that pure modules take (``credentials.status_check``, issuer key resolution)."""

        def get_content(url: str) -> bytes:
            return self.get(url, accept=accept).content

        return get_content

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
            raise fail("not a valid URL", "fetch_invalid_url", "-") from exc
        host = url.host
        if url.scheme == "http" and not self.policy.allow_http:
            raise fail(f"{host} must be fetched over https://", "fetch_insecure_scheme", host)
        if url.scheme not in ("https", "http") or not host or url.userinfo:
            raise fail(
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
            raise fail(f"{host!r} is not a valid host name", "fetch_invalid_url", host)
        if self.policy.allow_private:
            return url
        # RFC 6761 §6.3: localhost names always mean the loopback interface.
        if literal is None and (name == "localhost" or name.endswith(".localhost")):
            raise fail(f"{host} is a local address", "fetch_blocked_address", host)
        if literal is not None and is_blocked_address(literal):
            raise fail(f"{host} is a private or local address", "fetch_blocked_address", host)
        if literal is None and self._simulated_dns is not None:
            port = url.port or (443 if url.scheme == "https" else 80)
            checked_addresses(
                host, port, self._simulated_dns, allow_private=self.policy.allow_private
            )
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
                    raise fail(message, "fetch_redirect_refused", current.host, status)
                if hop == self.policy.max_redirects:
                    break
                try:
                    target = self._check_url(current.join(location))
                except httpx.InvalidURL as exc:
                    raise fail("bad redirect URL", "fetch_invalid_url", current.host) from exc
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
        raise fail(f"more than {limit} redirects", "fetch_too_many_redirects", current.host)

    def _remaining(self, deadline: float, host: str) -> float:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise fail(f"{host} took longer than {self.policy.timeout} s", "fetch_timeout", host)
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
            raise fail(f"{url.host} answered HTTP {status}", "fetch_http_status", url.host, status)
        with _errors(url.host):
            content = self._read(url.host, response, deadline)
        return FetchResponse(str(url), status, response.headers, content)

    def _read(self, host: str, response: httpx.Response, deadline: float) -> bytes:
        limit = self.policy.max_bytes

        def too_large() -> FetchError:
            return fail(f"{host} sent more than {limit} bytes", "fetch_too_large", host)

        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large()
        if response.is_stream_consumed:  # a transport that buffered (and decoded) the body
            if len(response.content) > limit:
                raise too_large()
            return response.content
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding != "identity" and encoding not in _DECODERS:
            raise fail(f"{host} used content-encoding {encoding!r}", "fetch_failed", host)
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
            raise fail(f"{host} sent a truncated compressed body", "fetch_failed", host)
        return bytes(body)
