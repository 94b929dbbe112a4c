"""The command groups of ``drukid wallet``, one module per area (as the web wallet's routes
are); :mod:`wallet.cli` assembles them into one typer app and :mod:`.common` holds what they
share."""
