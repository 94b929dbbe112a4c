"""The command groups of ``drukid issuer``, one module per area (as the operator API's routes
are); :mod:`issuer.cli` assembles them into one typer app."""
