"""The ``drukid`` command: assembles each package's command group and hosts the demo.

This is the only module where the roles meet; each package owns its own commands.

Each group is imported only when a command of it runs (or its own ``--help`` is asked for):
``drukid --help`` and ``drukid did create`` load neither FastAPI nor SQLAlchemy nor the roles'
services (``benchmarks/cli.py`` times them). The one-line summaries below are what
``drukid --help`` shows without importing the groups; a test checks they match each group's
own help.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
import typer.core

import core.terminal  # noqa: F401  (flags show no <bool> in every --help)

__all__ = ["GROUPS", "Group", "app", "main"]


@dataclass(frozen=True)
class Group:
    name: str
    module: str
    attribute: str
    summary: str


# In this order in --help.
GROUPS = (
    Group(
        "demo",
        "drukid.demo",
        "demo_command",
        "Start issuer, verifier and web wallet on this machine and walk the whole journey.",
    ),
    Group("did", "did.cli", "app", "Create and resolve DIDs (did:key, did:jwk, did:web)."),
    Group(
        "sd-jwt",
        "credentials.cli",
        "app",
        "Decode, issue, present and verify SD-JWTs (RFC 9901) and SD-JWT VCs.",
    ),
    Group(
        "pki",
        "credentials.x509.cli",
        "app",
        "Run a certificate authority for drukid (X.509, HAIP 1.0) and read certificates.",
    ),
    Group(
        "issuer",
        "issuer.cli",
        "app",
        "Operate a drukid issuer: registry, offers, credential status, keys, API keys, audit.",
    ),
    Group(
        "wallet",
        "wallet.cli",
        "app",
        "Your digital wallet: receive credentials, see them, and share only what you choose.",
    ),
    Group(
        "verifier",
        "verifier.cli",
        "app",
        "Verify credential presentations: requests, results, offline checks, trust.",
    ),
    Group("serve", "drukid.serve", "app", "Run a drukid service (issuer, verifier or web wallet)."),
)
_BY_NAME = {group.name: group for group in GROUPS}


def load(group: Group) -> Any:
    """The click command of ``group`` (imports its package)."""
    target = getattr(importlib.import_module(group.module), group.attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_command(target)
    else:  # a single command function
        single = typer.Typer(add_completion=False)
        single.command(name=group.name)(target)
        command = typer.main.get_command(single)
    command.name = group.name
    return command


class _LazyGroup(typer.core.TyperGroup):
    """Lists every group by its summary; imports one only when it is used."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [group.name for group in GROUPS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        group = _BY_NAME.get(cmd_name)
        if group is None:
            return None
        if cmd_name not in self.commands:
            if self._listing:
                return typer.core.TyperCommand(name=group.name, help=group.summary)
            self.commands[cmd_name] = load(group)
        return self.commands[cmd_name]

    _listing = False

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="drukid",
    cls=_LazyGroup,
    help="drukid — digital identity: issue, hold, present and verify credentials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    pass  # a group needs a callback; its help is the Typer's


def main() -> None:
    app()
