"""``drukid wallet``: the citizen's wallet on the command line (``drukid.cli`` mounts
:data:`app`). The commands live in :mod:`wallet.commands`, one module per area.

Every failure prints ``error: <what went wrong>`` and ``what to do: <next step>`` and exits with
status 1; nothing prints a traceback. The passphrase comes from a hidden prompt or from
``DRUKID_WALLET_PASSPHRASE`` (for scripts); the wallet file from ``--wallet`` or
``DRUKID_WALLET_PATH`` (default ``~/.drukid/wallet/wallet.db``).
"""

from __future__ import annotations

import logging

import typer

from wallet.commands import access, backup, credentials, history, present, receive, trust

__all__ = ["app"]

app = typer.Typer(
    name="wallet",
    help="Your digital wallet: receive credentials, see them, and share only what you choose.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(trust.trust_app, name="trust")


@app.callback()
def _quiet_logs() -> None:
    """Library warnings go to the log, not over the consent screen; the CLI prints errors."""
    logging.getLogger().addHandler(logging.NullHandler())


# In this order in --help.
app.command()(access.init)
app.command()(receive.receive)
app.command()(receive.pending)
app.command()(receive.refresh)
app.command(name="list")(credentials.list_)
app.command()(credentials.status)
app.command()(credentials.show)
app.command()(present.present)
app.command()(history.history)
app.command(name="export")(backup.export_)
app.command(name="import")(backup.import_)
app.command()(credentials.delete)
app.command()(access.passwd)
