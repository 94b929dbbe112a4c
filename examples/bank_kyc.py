"""A bank backend checks a customer's identity (name, CID, date of birth) with drukid.

It starts a small webhook receiver, asks the verifier for a 'kyc-basic' presentation request,
shows its QR code, and waits for the verifier's signed webhook. A webhook call is accepted only
when its Drukid-Signature header is valid for the bank's webhook secret, and it is only the
signal: the verified claims are then read from the verifier's API. Without a webhook secret,
or when the verifier cannot use the receiver, it polls the API instead.

Exit codes: 0 identity verified, 1 not verified (refused, expired, no answer in time), 2 bad
usage, a refused API key or an unreachable verifier.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from servicekit.qr import qr_terminal
from verifier import SIGNATURE_HEADER, VerificationError, verify_webhook_signature

HTTP_TIMEOUT = 10.0  # seconds for each call to the verifier
LABELS = {"full_name": "Full name", "cid": "Citizenship ID (CID)", "birthdate": "Date of birth"}


class Fatal(Exception):
    """A problem that stops the check (bad API key, verifier unreachable, bad request)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        default=env("DRUKID_VERIFIER_URL", "http://127.0.0.1:8102"),
        help="the verifier service (env DRUKID_VERIFIER_URL; default http://127.0.0.1:8102)",
    )
    parser.add_argument(
        "--api-key",
        default=env("DRUKID_VERIFIER_API_KEY"),
        help="the bank's API key, drk_... (env DRUKID_VERIFIER_API_KEY)",
    )
    parser.add_argument(
        "--webhook-secret",
        default=env("DRUKID_VERIFIER_WEBHOOK_SECRET"),
        help="the webhook secret shown with the API key, whsec_... "
        "(env DRUKID_VERIFIER_WEBHOOK_SECRET); without it the script polls",
    )
    parser.add_argument(
        "--listen-port", type=int, default=0, help="the webhook receiver's port (default: any)"
    )
    parser.add_argument(
        "--webhook-url",
        help="the URL the verifier calls, when a proxy forwards it to the receiver "
        "(default http://127.0.0.1:<port>/drukid-webhook, enough in development mode)",
    )
    parser.add_argument(
        "--timeout", type=float, default=300, help="seconds to wait for the answer (300)"
    )
    parser.add_argument("--no-qr", action="store_true", help="print the link only")
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("an API key is needed: --api-key or DRUKID_VERIFIER_API_KEY")
    return args


def call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    try:
        response = client.request(method, path, **kwargs)
    except httpx.TimeoutException as exc:
        raise Fatal(f"the verifier did not answer within {HTTP_TIMEOUT:.0f} s") from exc
    except httpx.HTTPError as exc:
        raise Fatal(f"cannot reach the verifier at {client.base_url} ({exc})") from exc
    body = response.json() if "json" in response.headers.get("content-type", "") else {}
    if response.status_code == 401:
        raise Fatal("the verifier refused the API key (check --api-key)")
    if response.status_code >= 400:
        raise Fatal(f"the verifier said: {body.get('error_description')} ({body.get('code')})")
    return dict(body)


def start_receiver(secret: str, port: int, inbox: queue.Queue[dict[str, Any]]) -> Any:
    """A webhook receiver on loopback, in a background thread."""

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = self.headers.get("Content-Length", "")
            small = length.isdigit() and int(length) <= 65536  # a larger body is not even read
            body = self.rfile.read(int(length)) if small else b""
            try:  # over the raw bytes, in constant time, refusing old timestamps (replays)
                header = self.headers.get(SIGNATURE_HEADER, "")
                verify_webhook_signature(body, header, secret, now=int(time.time()))
            except VerificationError as exc:
                print(f"Refused a webhook call: invalid signature ({exc.code}).", flush=True)
                self.send_response(401)
            else:
                inbox.put(json.loads(body))
                self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass  # request lines carry request ids; keep them out of the output

    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def create_request(client: httpx.Client, args: argparse.Namespace, inbox: Any) -> Any:
    """The presentation request, with a webhook when possible: (request, receiver or None)."""
    kyc = {"template": "kyc-basic"}
    if not args.webhook_secret:
        print("No webhook secret given: polling for the result instead of a webhook.")
        return call(client, "POST", "/api/v1/requests", json=kyc), None
    try:
        server = start_receiver(args.webhook_secret, args.listen_port, inbox)
    except OSError as exc:
        print(f"Cannot listen for webhooks ({exc}); polling instead.")
        return call(client, "POST", "/api/v1/requests", json=kyc), None
    local = f"http://127.0.0.1:{server.server_address[1]}/drukid-webhook"
    print(f"Webhook receiver listening on {local}")
    try:
        hook = {**kyc, "webhook_url": args.webhook_url or local}
        return call(client, "POST", "/api/v1/requests", json=hook), server
    except Fatal as exc:
        server.shutdown()
        if "webhook_url" not in str(exc):
            raise
        print(f"The verifier cannot use the webhook ({exc}); polling instead.")
        return call(client, "POST", "/api/v1/requests", json=kyc), None


def wait(client: httpx.Client, request_id: str, deadline: float, inbox: Any) -> dict[str, Any]:
    """The result, read from the API (never from a webhook body): after the webhook for this
    request when there is a receiver, else by polling every second."""
    while inbox is not None:
        try:
            event = inbox.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            print("No webhook arrived in time; asking the verifier directly.")
            break
        if event.get("id") == request_id:
            print("Webhook received; its signature is valid.")
            break
    while True:
        view = call(client, "GET", f"/api/v1/requests/{request_id}")
        if view["status"] != "pending" or time.monotonic() >= deadline:
            return view
        time.sleep(1)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    inbox: queue.Queue[dict[str, Any]] = queue.Queue()
    server = None
    auth = {"Authorization": f"Bearer {args.api_key}"}
    try:
        with httpx.Client(base_url=args.url, headers=auth, timeout=HTTP_TIMEOUT) as client:
            request, server = create_request(client, args, inbox)
            print(f"Ask the customer to scan this code with their wallet ({request['purpose']})")
            if not args.no_qr:
                print(qr_terminal(request["uri"]))
            print(f"Link: {request['uri']}", flush=True)
            deadline = time.monotonic() + args.timeout
            view = wait(client, request["id"], deadline, inbox if server else None)
    except Fatal as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if server is not None:
            server.shutdown()
    if view["status"] == "verified":
        for item in (item for found in view["credentials"].values() for item in found):
            print(f"Identity verified (issued by {item['issuer_name']}, {item['status']}):")
            for name, label in LABELS.items():  # kyc-basic asks for exactly these three
                print(f"  {label}: {item['claims'].get(name, '(not shared)')}")
        return 0
    if view["status"] == "rejected":
        print(f"Not verified: {view['error']['explanation']} ({view['error']['code']})")
    elif view["status"] == "expired":
        print("Not verified: the request expired before the customer answered.")
    else:
        print(f"Not verified: the customer did not answer within {args.timeout:.0f} s.")
    return 1


if __name__ == "__main__":
    sys.exit(main())
