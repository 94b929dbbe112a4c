"""A shop checks that a customer is over 18, and learns nothing else about them.

It asks the verifier for an 'age-over-18' presentation request (the only claim asked for is
age_over_18, derived by the issuer, so not even the birth date is shared), shows the QR code,
polls for the answer and prints one line: "Customer is over 18: yes" or "no", or the plain
reason the check failed. It also refuses any answer that carries more than was asked for.

Exit codes: 0 over 18, 1 not shown to be over 18 (under 18, declined, expired, no answer in
time), 2 bad usage, a refused API key or an unreachable verifier.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import httpx

from servicekit.qr import qr_terminal

HTTP_TIMEOUT = 10.0  # seconds for each call to the verifier
ASKED_FOR = {"age_over_18"}  # data minimisation: the only claim this shop may ever receive


class Fatal(Exception):
    """A problem that stops the check (bad API key, verifier unreachable)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--url",
        default=os.environ.get("DRUKID_VERIFIER_URL", "http://127.0.0.1:8102"),
        help="the verifier service (env DRUKID_VERIFIER_URL; default http://127.0.0.1:8102)",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("DRUKID_VERIFIER_API_KEY"),
        help="the shop's API key, drk_... (env DRUKID_VERIFIER_API_KEY)",
    )
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait (300)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls (1)")
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
    if response.status_code == 401:
        raise Fatal("the verifier refused the API key (check --api-key)")
    try:
        body = response.json()
    except ValueError as exc:
        raise Fatal(
            f"the verifier sent an unreadable answer (HTTP {response.status_code})"
        ) from exc
    if response.status_code >= 400:
        raise Fatal(f"the verifier said: {body.get('error_description')} ({body.get('code')})")
    return dict(body)


def check_age(args: argparse.Namespace) -> dict[str, Any]:
    """Create the request, show it, and poll until it is answered or the time is up."""
    auth = {"Authorization": f"Bearer {args.api_key}"}
    with httpx.Client(base_url=args.url, headers=auth, timeout=HTTP_TIMEOUT) as client:
        request = call(client, "POST", "/api/v1/requests", json={"template": "age-over-18"})
        print("Ask the customer to scan this code with their wallet:")
        if not args.no_qr:
            print(qr_terminal(request["uri"]))
        print(f"Link: {request['uri']}", flush=True)
        deadline = time.monotonic() + args.timeout
        while True:
            view = call(client, "GET", f"/api/v1/requests/{request['id']}")
            if view["status"] != "pending" or time.monotonic() >= deadline:
                return view
            time.sleep(args.interval)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        view = check_age(args)
    except Fatal as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if view["status"] == "verified":
        claims = view["claims"]
        if set(claims) != ASKED_FOR:  # never keep data that was not asked for
            print(f"error: the answer carries more than was asked for: {sorted(claims)}")
            return 2
        over_18 = claims["age_over_18"] is True
        print(f"Customer is over 18: {'yes' if over_18 else 'no'}")
        return 0 if over_18 else 1
    error = view.get("error") or {}
    if error.get("code") == "dcql_value_mismatch":  # a credential that says "not over 18"
        print("Customer is over 18: no")
    elif view["status"] == "rejected":
        print(f"Age not checked: {error.get('explanation')}")
    elif view["status"] == "expired":
        print("Age not checked: the request expired before the customer answered.")
    else:
        print("Age not checked: the customer did not answer in time.")
    return 1


if __name__ == "__main__":
    sys.exit(main())
