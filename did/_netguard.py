"""The guarded network layer under :class:`did.fetch.Fetcher`: which addresses are refused, and
an httpcore network backend that resolves a host, checks every address and then connects the
socket to an address it checked (DNS pinning).

The blocklist follows the IANA special-purpose address registries (RFC 6890): loopback,
private (RFC 1918, ULA RFC 4193), link-local (cloud metadata at 169.254.169.254), CGNAT
100.64/10 (RFC 6598), multicast, unspecified, documentation and reserved ranges, and IPv6 forms
embedding such an IPv4 address (mapped, NAT64, 6to4). Because the check runs inside
:meth:`GuardedBackend.connect_tcp`, a DNS answer that changes between check and connect
(rebinding) cannot redirect a fetch; TLS still verifies the certificate against the host name
(httpcore passes it as SNI).
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Iterable, Iterator
from typing import cast

import httpcore
import httpx

from did.errors import FetchError

__all__ = [
    "GuardedTransport",
    "IPAddress",
    "ResolveHost",
    "checked_addresses",
    "fail",
    "is_blocked_address",
    "system_resolve",
]

# The fetcher's one logger: log configuration names "did.fetch", whichever module refused.
log = logging.getLogger("did.fetch")

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


def fail(
    message: str, code: str, host: str, status: int | None = None, *, not_sent: bool = False
) -> FetchError:
    """A :class:`FetchError`, logged by host and code only (query strings can hold codes)."""
    log.info("fetch failed: host=%s code=%s", host, code)
    return FetchError(message, code=code, upstream_status=status, not_sent=not_sent)


def system_resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(
            f"cannot find the server {host!r} (no such name, or this device is offline)",
            code="fetch_failed",
            not_sent=True,
        ) from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def checked_addresses(
    host: str, port: int, resolve: ResolveHost, *, allow_private: bool
) -> list[str]:
    """Every address ``host`` resolves to, or ``fetch_blocked_address`` if any one is refused."""
    addresses = resolve(host, port)
    if not addresses:
        raise fail(f"{host} did not resolve to any address", "fetch_failed", host, not_sent=True)
    # One bad answer refuses the host: trying only the "good" addresses would let a rebinding
    # DNS server choose which one we use.
    if not allow_private and any(map(_blocked, addresses)):
        raise fail(f"{host} resolves to a private or local address", "fetch_blocked_address", host)
    return addresses


def _blocked(address: str) -> bool:
    try:
        return is_blocked_address(address)
    except ValueError:
        return True  # whatever it is, it is not a public IP address


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolves, checks every address, then connects to a checked address (DNS pinning)."""

    def __init__(self, resolve_host: ResolveHost, *, allow_private: bool) -> None:
        self._inner = httpcore.SyncBackend()
        self._resolve = resolve_host
        self._allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = checked_addresses(host, port, self._resolve, allow_private=self._allow_private)
        error: Exception = FetchError(f"{host} has no address", code="fetch_failed", not_sent=True)
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc  # try the next checked address, as browsers do
        raise error


class _Stream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class GuardedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool whose network backend checks every address."""

    def __init__(self, resolve_host: ResolveHost, *, allow_private: bool) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=20,
            max_keepalive_connections=10,
            keepalive_expiry=30.0,
            network_backend=_GuardedBackend(resolve_host, allow_private=allow_private),
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
