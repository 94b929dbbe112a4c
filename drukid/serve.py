"""``drukid serve issuer|verifier|wallet``: run one service with uvicorn.

Settings come from the environment (``DRUKID_<ROLE>_*``, see README); ``--host`` and ``--port``
override the listen address only; a port another program holds stops the start at once
(``port_unavailable``), before anything is built. ``--workers N`` (issuer and verifier) runs N
worker processes on the one port, sharing their state through the database (PostgreSQL).
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer

from core.terminal import fail
from servicekit.runner import port_problem

__all__ = ["app"]

app = typer.Typer(
    name="serve",
    help="Run a drukid service (issuer, verifier or web wallet).",
    no_args_is_help=True,
)

HostOption = Annotated[str | None, typer.Option(help="listen address (default from settings)")]
PortOption = Annotated[int | None, typer.Option(help="listen port (default from settings)")]
WorkersOption = Annotated[
    int,
    typer.Option(
        min=1,
        max=64,
        help="worker processes on this port (more than 1 needs PostgreSQL; see README, "
        "Running at national scale)",
    ),
]


def _run(
    role: str, settings_class: str, host: str | None, port: int | None, **options: Any
) -> None:
    settings_module = importlib.import_module(f"{role}.settings")
    server = importlib.import_module(f"{role}.server")
    try:
        settings: Any = getattr(settings_module, settings_class)()
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise fail(
            f"the {role} settings are not valid:\n{exc}",
            f"Set the DRUKID_{role.upper()}_* variables (see README).",
            "invalid_settings",
            status=2,
        ) from exc
    problem = port_problem(host or settings.host, port or settings.port)
    if problem is not None:
        raise fail(*problem, "port_unavailable", status=2)
    server.run(settings, host=host, port=port, **options)


@app.command()
def issuer(host: HostOption = None, port: PortOption = None, workers: WorkersOption = 1) -> None:
    """The agency's issuer: OpenID4VCI, status lists, operator API and page."""
    _run("issuer", "IssuerSettings", host, port, workers=workers)


@app.command()
def verifier(host: HostOption = None, port: PortOption = None, workers: WorkersOption = 1) -> None:
    """The relying party's verifier: OpenID4VP requests, results, teller page."""
    _run("verifier", "VerifierSettings", host, port, workers=workers)


@app.command()
def wallet(host: HostOption = None, port: PortOption = None) -> None:
    """The citizen's web wallet on this machine (loopback only by default)."""
    _run("wallet", "WalletSettings", host, port)
