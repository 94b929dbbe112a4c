"""Where a ``drukid issuer`` command runs: **local** (default), in-process on the issuer's data
directory and database with the settings from the ``DRUKID_ISSUER_*`` environment, acting as an
administrator; or **remote** (``--url`` and ``--api-key``), through the operator API of a running
issuer with that key's role. Either way the command gets one
:class:`~issuer.operator.api.OperatorAPI`, and :func:`backend` turns its errors into a plain
message and an exit status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from issuer.commands.output import fail
from issuer.commands.remote import RemoteError, RemoteOperator
from issuer.errors import IssuerError
from issuer.operator import local_actor
from issuer.operator.api import LocalOperator, OperatorAPI
from issuer.runtime import build_runtime
from issuer.settings import IssuerSettings

__all__ = ["KeyOption", "UrlOption", "backend"]

UrlOption = Annotated[
    str | None,
    typer.Option("--url", envvar="DRUKID_ISSUER_URL", help="a running issuer (else: local data)"),
]
KeyOption = Annotated[
    str | None,
    typer.Option("--api-key", envvar="DRUKID_ISSUER_API_KEY", help="operator API key (remote)"),
]


def _open(url: str | None, api_key: str | None) -> tuple[OperatorAPI, Callable[[], None]]:
    """The operator interface for a command, and what closes it."""
    if url:
        if not api_key:
            raise fail(
                "--url needs --api-key (or DRUKID_ISSUER_API_KEY)", "missing_api_key", status=2
            )
        remote = RemoteOperator(url, api_key)
        return remote, remote.close
    try:
        settings = IssuerSettings()
    except ValueError as exc:
        raise fail(
            f"the issuer settings are not valid: {exc}; set the DRUKID_ISSUER_* variables as "
            "for the server (see the README), or use --url",
            "invalid_settings",
            status=2,
        ) from exc
    runtime = build_runtime(settings)
    return LocalOperator(runtime.operator, local_actor()), runtime.close


@contextmanager
def backend(url: str | None, api_key: str | None) -> Iterator[OperatorAPI]:
    """The operator interface for a command; every error becomes a plain message and exit
    status 1."""
    try:
        api, close = _open(url, api_key)
    except IssuerError as exc:
        raise fail(exc.message, exc.code) from exc
    try:
        yield api
    except (IssuerError, RemoteError) as exc:
        raise fail(exc.message, exc.code) from exc
    finally:
        close()
