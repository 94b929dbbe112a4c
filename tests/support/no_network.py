"""A guard against network use: every socket ``connect`` (and DNS lookup) raises, except to the
loopback ports a test names as its own services, and is recorded. The error is a
``ConnectionRefusedError``, what code meets when the network is really down (so it takes its
offline path), and the test fails on the record: ``assert refused == []``."""

from __future__ import annotations

import socket
from collections.abc import Collection
from typing import Any

import pytest

__all__ = ["NetworkUsed", "forbid_network"]


class NetworkUsed(ConnectionRefusedError):
    """Something tried to reach the network in a test that forbids it."""


def forbid_network(
    monkeypatch: pytest.MonkeyPatch, *, loopback_ports: Collection[int] = ()
) -> list[Any]:
    """Patch sockets so that connecting anywhere but ``127.0.0.1:<loopback_ports>`` raises
    :class:`NetworkUsed`; returns the list of refused addresses (for assertions)."""
    refused: list[Any] = []
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def allowed(address: Any) -> bool:
        return (
            isinstance(address, tuple)
            and address[0] in ("127.0.0.1", "::1")
            and address[1] in loopback_ports
        )

    def connect(self: socket.socket, address: Any) -> None:
        if self.family == socket.AF_UNIX:
            original_connect(self, address)
            return
        if not allowed(address):
            refused.append(address)
            raise NetworkUsed(f"network access to {address!r} in a test that forbids it")
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if self.family != socket.AF_UNIX and not allowed(address):
            refused.append(address)
            raise NetworkUsed(f"network access to {address!r} in a test that forbids it")
        return original_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if loopback_ports and host in ("127.0.0.1", "::1", "localhost"):
            return original_getaddrinfo(host, *args, **kwargs)
        refused.append(host)
        raise NetworkUsed(f"DNS lookup of {host!r} in a test that forbids the network")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return refused
