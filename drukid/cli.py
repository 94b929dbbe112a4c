"""The ``drukid`` command: assembles each package's command group and hosts the demo.

This is the only module where the roles meet; each package owns its own commands.
"""

from __future__ import annotations

import importlib

import typer

__all__ = ["app", "main"]

app = typer.Typer(
    name="drukid",
    help="drukid — digital identity: issue, hold, present and verify credentials.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# (module, attribute, command name); a group appears once its package exists.
_GROUPS = (
    ("did.cli", "app", "did"),
    ("credentials.cli", "app", "sd-jwt"),
    ("credentials.x509.cli", "app", "pki"),
    ("issuer.cli", "app", "issuer"),
    ("wallet.cli", "app", "wallet"),
    ("verifier.cli", "app", "verifier"),
    ("drukid.serve", "app", "serve"),
)


def _mount() -> None:
    for module_name, attribute, name in _GROUPS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and module_name.startswith(exc.name):
                continue  # that package is not built yet
            raise
        app.add_typer(getattr(module, attribute), name=name)
    demo = importlib.import_module("drukid.demo")
    app.command(name="demo")(demo.demo_command)


_mount()


def main() -> None:
    app()
