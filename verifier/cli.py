"""``drukid verifier``: request, poll, verify offline, and manage trust and API keys.

* ``request`` / ``result`` talk to a running verifier service over HTTP with an API key
  (``--url``/``DRUKID_VERIFIER_URL``, ``--api-key``/``DRUKID_VERIFIER_API_KEY``).
* ``verify`` checks a presentation file on this machine, offline by default, from a trust file
  and/or a signed trust bundle.
* ``trust ...`` and ``apikey ...`` act on the service's own database (``DRUKID_VERIFIER_*``
  settings), or on a trust file with ``--file``.
* ``offline-request``, ``offline-verify``, ``recheck``, ``trust refresh``: verifying with no
  internet (docs/offline-qr.md).
* ``db upgrade | status | revision``: that database's schema (migrations).

Exit codes: 0 success, 1 the presentation or request was rejected, 2 bad usage or setup.
The commands live in :mod:`verifier.commands`, one module per area; this module assembles them.
"""

from __future__ import annotations

import typer

from verifier.commands import apikeys, bundles, database, offline, requests, trust, verify

__all__ = ["app"]

app = typer.Typer(
    name="verifier",
    help="Verify credential presentations: requests, results, offline checks, trust.",
    no_args_is_help=True,
)
trust_app = typer.Typer(
    help="The trust registry: which issuers are accepted.", no_args_is_help=True
)
apikey_app = typer.Typer(
    help="Relying-party API keys of the verifier service.", no_args_is_help=True
)
db_app = typer.Typer(help="The verifier database's schema (migrations).", no_args_is_help=True)
app.add_typer(trust_app, name="trust")
app.add_typer(apikey_app, name="apikey")
app.add_typer(db_app, name="db")

app.command("request")(requests.request)
app.command("result")(requests.result)
app.command("verify")(verify.verify)
app.command("offline-request")(offline.offline_request)
app.command("offline-verify")(offline.offline_verify)
app.command("recheck")(offline.recheck)

trust_app.command("add")(trust.trust_add)
trust_app.command("list")(trust.trust_list)
trust_app.command("remove")(trust.trust_remove)
trust_app.command("add-anchor")(trust.trust_add_anchor)
trust_app.command("keygen")(bundles.trust_keygen)
trust_app.command("export-bundle")(bundles.trust_export_bundle)
trust_app.command("import-bundle")(bundles.trust_import_bundle)
trust_app.command("refresh")(offline.trust_refresh)

apikey_app.command("create")(apikeys.apikey_create)
apikey_app.command("list")(apikeys.apikey_list)
apikey_app.command("revoke")(apikeys.apikey_revoke)

db_app.command("upgrade")(database.db_upgrade)
db_app.command("status")(database.db_status)
db_app.command("revision")(database.db_revision)
