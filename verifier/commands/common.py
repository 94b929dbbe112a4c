"""What the ``drukid verifier`` commands share: their options, how they fail, and how they
reach the service (its HTTP API, or its database through :func:`verifier.runtime.build_runtime`)
and the network.

An error prints the one error shape of :mod:`core.terminal` (``error:``, ``what to do:``,
``code:``) on standard error and ends the command with exit
status 2 (bad usage or setup) or 1 (the service refused). :func:`http_client` and
:func:`fetcher` are looked up at call time (``common.http_client(...)``), so tests can put a
test client or a mock network in their place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer

from core import terminal
from core.errors import CodedError
from did.fetch import Fetcher, FetchPolicy
from verifier.runtime import Runtime, build_runtime
from verifier.settings import VerifierSettings

__all__ = [
    "DEFAULT_URL",
    "DevOption",
    "FileOption",
    "JsonOption",
    "KeyOption",
    "UrlOption",
    "call",
    "fail",
    "fail_with",
    "fetcher",
    "http_client",
    "runtime",
    "settings",
]

UrlOption = Annotated[
    str, typer.Option("--url", envvar="DRUKID_VERIFIER_URL", help="the verifier service")
]
KeyOption = Annotated[
    str, typer.Option("--api-key", envvar="DRUKID_VERIFIER_API_KEY", help="your API key (drk_...)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]
DevOption = Annotated[
    bool,
    typer.Option(
        "--development",
        help="allow http:// and loopback issuers (local testing only; never in production)",
    ),
]
FileOption = Annotated[
    Path | None, typer.Option("--file", help="a trust file instead of the service database")
]
DEFAULT_URL = "http://127.0.0.1:8102"


def fail(code: str, message: str, status: int = 2, *, hint: str | None = None) -> NoReturn:
    """The one error shape (:func:`core.terminal.fail`) and exit ``status``."""
    raise terminal.fail(message, hint, code, status=status)


def fail_with(exc: CodedError, *, plain: bool = False, status: int = 2) -> NoReturn:
    """Fail with ``exc``'s code and message, and with ``plain`` its plain words too."""
    fail(exc.code, f"{exc.message} ({exc.plain})" if plain else exc.message, status)


def settings() -> VerifierSettings:
    try:
        return VerifierSettings()
    except ValueError as exc:
        fail("invalid_settings", f"the verifier settings are not valid: {exc}")


@contextmanager
def runtime() -> Iterator[Runtime]:
    """The verifier built from the ``DRUKID_VERIFIER_*`` settings, on its own database."""
    built = build_runtime(settings())
    try:
        yield built
    finally:
        built.close()


def fetcher(development: bool) -> Fetcher:
    return Fetcher(FetchPolicy(allow_http=development, allow_private=development))


def http_client(url: str) -> httpx.Client:
    """The client for the service API."""
    return httpx.Client(base_url=url, timeout=15)


def call(client: httpx.Client, method: str, path: str, key: str, **kwargs: Any) -> Any:
    """The JSON answer of the service API; a refusal fails the command with its code."""
    try:
        response = client.request(
            method, path, headers={"Authorization": f"Bearer {key}"}, **kwargs
        )
    except httpx.ConnectError:
        fail(
            "service_unreachable",
            f"the verifier at {client.base_url} did not answer",
            hint="Check that it is running (drukid serve verifier) and that --url is its "
            "address, and check your connection.",
        )
    except httpx.TimeoutException:
        fail(
            "service_unreachable",
            f"the verifier at {client.base_url} did not answer in time",
            hint="Try again; if it keeps happening, check the service and your connection.",
        )
    except httpx.HTTPError as exc:
        fail(
            "service_unreachable",
            f"the connection to the verifier at {client.base_url} failed ({exc})",
            hint="Check --url and your connection, then try again.",
        )
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        fail(
            str(body.get("code", response.status_code)),
            str(body.get("error_description", response.text[:200])),
            1 if response.status_code < 500 else 2,
        )
    return body
