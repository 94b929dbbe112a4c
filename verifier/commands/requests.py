"""``drukid verifier request`` and ``result``: a presentation request over the service API,
with the relying party's API key (``--url``/``DRUKID_VERIFIER_URL``,
``--api-key``/``DRUKID_VERIFIER_API_KEY``). ``request`` draws the QR code in the terminal and
waits for the answer; exit status 1 when the result is not ``verified``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from servicekit.qr import qr_terminal
from verifier.commands import common
from verifier.commands.common import DEFAULT_URL, JsonOption, KeyOption, UrlOption
from verifier.request_templates import load_templates

__all__ = ["TEMPLATE_HELP", "request", "result"]


def _print_result(view: dict[str, Any]) -> None:
    status = view.get("status")
    typer.echo(f"request {view.get('id')}: {str(status).upper()}")
    if status == "verified":
        for query_id, presentations in view.get("credentials", {}).items():
            for item in presentations:
                typer.echo(f"  {query_id}: {item['issuer_name']} — status {item['status']}")
                for name, value in item["claims"].items():
                    typer.echo(f"    {name}: {json.dumps(value, ensure_ascii=False)}")
    elif "error" in view:
        typer.echo(f"  why: {view['error']['explanation']} ({view['error']['code']})")


TEMPLATE_HELP = "a template: " + ", ".join(sorted(load_templates())) + " (default kyc-basic)"


def request(
    template: Annotated[str | None, typer.Option(help=TEMPLATE_HELP)] = None,
    dcql: Annotated[Path | None, typer.Option(help="a raw DCQL query file instead")] = None,
    purpose: Annotated[str | None, typer.Option(help="shown to the citizen")] = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="wait for the result")] = True,
    timeout: Annotated[int, typer.Option(help="seconds to wait")] = 300,
    as_json: JsonOption = False,
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = "",
) -> None:
    """Create a presentation request, show its QR code and wait for the result."""
    body: dict[str, Any] = {"template": template, "purpose": purpose}
    if dcql is not None:
        body = {"dcql_query": json.loads(dcql.read_text(encoding="utf-8")), "purpose": purpose}
    elif template is None:
        body["template"] = "kyc-basic"
    with common.http_client(url) as client:
        created = common.call(client, "POST", "/api/v1/requests", api_key, json=body)
        if not wait:
            typer.echo(
                json.dumps({"id": created["id"], "uri": created["uri"]})
                if as_json
                else f"{created['id']}\n{created['uri']}"
            )
            return
        if not as_json:
            typer.echo(qr_terminal(created["uri"]))
            typer.echo(
                f"\nScan with the citizen's wallet. Request {created['id']}: "
                f"{created['purpose']}\nWaiting for the answer..."
            )
        deadline = time.monotonic() + timeout
        while True:
            view = common.call(client, "GET", f"/api/v1/requests/{created['id']}", api_key)
            if view["status"] != "pending" or time.monotonic() > deadline:
                break
            time.sleep(1)
    typer.echo(json.dumps(view, ensure_ascii=False)) if as_json else _print_result(view)
    if view["status"] != "verified":
        raise typer.Exit(1)


def result(
    request_id: str,
    as_json: JsonOption = False,
    response_code: Annotated[str | None, typer.Option(help="same-device flows")] = None,
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = "",
) -> None:
    """Show the result of a request (pending, verified, rejected or expired)."""
    params = {"response_code": response_code} if response_code else None
    with common.http_client(url) as client:
        view = common.call(client, "GET", f"/api/v1/requests/{request_id}", api_key, params=params)
    typer.echo(json.dumps(view, ensure_ascii=False)) if as_json else _print_result(view)
