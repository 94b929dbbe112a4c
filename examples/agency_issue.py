"""An agency system creates credential offers through the drukid issuer's operator API.

For one citizen (--cid) or for every row of a CSV file (--csv, a 'cid' column and optionally a
'type' column), it asks the issuer for an offer and prints the offer link, and the PIN when
--tx-code is given. With --out it saves each offer's QR code as a PNG (mode 0600: the link is a
one-time secret that lets whoever holds it collect the credential). Only HTTP is used, as any
agency system in any language would.

Exit codes: 0 every offer was made, 1 the issuer refused some of them, 2 bad usage, a refused API
key or an unreachable issuer.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from pathlib import Path
from typing import Any

import httpx

HTTP_TIMEOUT = 15.0  # seconds for each call; never wait forever on a network


class Fatal(Exception):
    """A problem that stops the whole run (bad API key, issuer unreachable)."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Example: agency_issue.py --cid 11512003456 --tx-code --out offers/",
    )
    parser.add_argument(
        "--url",
        default=os.environ.get("DRUKID_ISSUER_URL", "http://127.0.0.1:8101"),
        help="the issuer's base URL (env DRUKID_ISSUER_URL; default http://127.0.0.1:8101)",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("DRUKID_ISSUER_API_KEY"),
        help="an operator API key with the 'issue' role, drk_... (env DRUKID_ISSUER_API_KEY)",
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--cid", help="the citizen's 11-digit CID, as in the agency's registry")
    who.add_argument("--csv", type=Path, help="a CSV file with a 'cid' column (and 'type')")
    parser.add_argument(
        "--type",
        default="foundational-id",
        help="credential type when the CSV row names none (default foundational-id; "
        "also permanent-address)",
    )
    parser.add_argument(
        "--tx-code",
        action="store_true",
        help="protect each offer with a PIN; print it to hand over separately from the QR code",
    )
    parser.add_argument("--out", type=Path, help="save each QR code as OUT/<offer ref>.png")
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("an API key is needed: --api-key or DRUKID_ISSUER_API_KEY")
    return args


def read_rows(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(cid, credential type) pairs from --cid or the CSV file."""
    if args.cid:
        return [(args.cid.strip(), args.type)]
    try:
        with args.csv.open(encoding="utf-8-sig", newline="") as file:
            rows = list(csv.DictReader(file))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise Fatal(f"cannot read {args.csv}: {exc}") from exc
    if not rows or "cid" not in rows[0]:
        raise Fatal(f"{args.csv} needs a header line with a 'cid' column")
    return [
        ((row["cid"] or "").strip(), (row.get("type") or args.type).strip())
        for row in rows
        if (row["cid"] or "").strip()
    ]


def request(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    try:
        response = client.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise Fatal(f"the issuer did not answer within {HTTP_TIMEOUT:.0f} s") from exc
    except httpx.HTTPError as exc:
        raise Fatal(f"cannot reach the issuer at {client.base_url} ({exc})") from exc
    if response.status_code in (401, 403):
        raise Fatal(f"the issuer refused the API key: {reason(response)}")
    if response.status_code >= 500:
        raise Fatal(f"the issuer failed ({response.status_code}); try again later")
    return response


def reason(response: httpx.Response) -> str:
    """The issuer's own words for a refusal: {"error", "error_description", "code"}."""
    try:
        body = response.json()
        return f"{body['error_description']} ({body['code']})"
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"


def save_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by this user only (0600), also when the file existed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(data)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    made = refused = 0
    auth = {"Authorization": f"Bearer {args.api_key}"}
    try:
        rows = read_rows(args)
        if args.out:
            args.out.mkdir(mode=0o700, parents=True, exist_ok=True)
        with httpx.Client(base_url=args.url, timeout=HTTP_TIMEOUT) as client:
            for cid, type_id in rows:
                body = {"credential_configuration_id": type_id, "cid": cid, "tx_code": args.tx_code}
                response = request(client, "POST", "/api/v1/offers", json=body, headers=auth)
                if response.status_code != 201:
                    refused += 1
                    print(f"refused  {cid} ({type_id}): {reason(response)}")
                    continue
                offer = response.json()
                made += 1
                print(f"offer    {cid} ({type_id})")
                print(f"  link:  {offer['offer_uri']}")
                if offer.get("tx_code"):
                    print(f"  PIN:   {offer['tx_code']}  (tell the citizen separately)")
                if args.out:
                    # The issuer draws the QR code of the link itself (a public endpoint).
                    png = request(client, "GET", offer["credential_offer_uri"] + "/qr.png")
                    if png.status_code != 200:
                        raise Fatal(f"the issuer sent no QR code: {reason(png)}")
                    path = args.out / f"{offer['offer_ref']}.png"
                    save_private(path, png.content)
                    print(f"  QR:    {path}")
    except (Fatal, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"Summary: {made} offer(s) created before the error, {refused} refused.")
        return 2
    print(f"Summary: {made} offer(s) created, {refused} refused.")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
