"""``drukid issuer ...``: the operator command line.

Every command works in one of two ways:

* **local** (default): directly on the issuer's data directory and database, with the settings
  from the ``DRUKID_ISSUER_*`` environment (the same as the server). Whoever can read the data
  directory controls the issuer, so local use acts as an administrator; this is how the first
  admin API key is made.
* **remote**: ``--url https://issuer.example.gov.bt --api-key drk_...`` (or
  ``DRUKID_ISSUER_URL`` / ``DRUKID_ISSUER_API_KEY``) calls the operator API of a running issuer
  with that key's role.

``db upgrade | status | revision`` act on the local database's schema only (migrations).

Errors print a plain sentence and what to do next, and exit with status 1 (2 for bad usage).
"""

from __future__ import annotations

import typer

from issuer.commands import admin, approvals, credentials, database, offers, registry, signin

__all__ = ["app"]

app = typer.Typer(
    name="issuer",
    help="Operate a drukid issuer: registry, offers, credential status, keys, API keys, audit.",
    no_args_is_help=True,
)
app.add_typer(registry.registry_app, name="registry")
app.add_typer(admin.apikey_app, name="apikey")
app.add_typer(admin.keys_app, name="keys")
app.add_typer(database.db_app, name="db")
app.add_typer(approvals.approvals_app, name="approvals")
app.command("offer")(offers.offer)
app.command("offers")(offers.offers)
app.command("signin-code")(signin.signin_code)
for _action in credentials.STATUS_ACTIONS:
    app.command(_action)(credentials.status_command(_action))
app.command("credentials")(credentials.credentials)
app.command("audit")(admin.audit)
