"""``drukid issuer offer`` and ``offers``: credential offers for registry records, one with its
link, QR code and PIN, or many from a CSV file into a folder of links and QR images. Offer links
and PINs are bearer secrets, so every file written is readable by its owner only.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress

from issuer.commands.backend import KeyOption, UrlOption, backend
from issuer.commands.output import JsonOption, err, fail, out, print_json, read_text
from issuer.operator import OfferItem
from servicekit.qr import qr_png, qr_terminal

__all__ = ["BULK_CHUNK", "offer", "offers"]

BULK_CHUNK = 200


def offer(
    person: Annotated[str | None, typer.Option("--person", help="the citizen's CID")] = None,
    type_id: Annotated[str, typer.Option("--type", help="credential type id")] = "foundational-id",
    business: Annotated[str | None, typer.Option("--business", help="licence number")] = None,
    tx_code: Annotated[bool, typer.Option("--tx-code", help="also require a PIN")] = False,
    qr: Annotated[Path | None, typer.Option(help="write the QR code to this PNG file")] = None,
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Create an offer for a registry record and print its link (and PIN)."""
    if not person and not business:
        raise fail(
            "name the record: --person CID (or --business LICENCE)", "missing_subject", status=2
        )
    item = OfferItem(type_id, person, business, tx_code)
    with backend(url, api_key) as b:
        created = b.create_offer(item)
    if qr is not None:
        _write_private(qr, qr_png(created.offer_uri))
    if as_json:
        print_json(created)
        return
    out.print(f"Offer {created.ref} for {created.subject_id} ({type_id}):")
    out.print(qr_terminal(created.offer_uri), highlight=False)
    sys.stdout.write(created.offer_uri + "\n")
    if created.tx_code:
        out.print(f"PIN to give the citizen separately (SMS or in person): {created.tx_code}")


def _write_private(path: Path, data: bytes | str) -> None:
    """Offer links and PINs are bearer secrets: files readable by the owner only."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data.encode("utf-8") if isinstance(data, str) else data)


def _bulk_items(text: str, default_type: str | None, tx_code: bool) -> list[OfferItem]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = set(reader.fieldnames or ())
    if not fields & {"cid", "licence_number"}:
        raise fail("the CSV needs a 'cid' (or 'licence_number') column", "invalid_csv", status=2)
    items = []
    for number, row in enumerate(reader, start=2):
        type_id = (row.get("credential_configuration_id") or row.get("type") or "").strip()
        type_id = type_id or default_type or ""
        if not type_id:
            raise fail(
                f"line {number}: no credential type; add a 'type' column or --type",
                "invalid_csv",
                status=2,
            )
        wants_pin = (row.get("tx_code") or "").strip().lower() in ("1", "true", "yes") or tx_code
        items.append(
            OfferItem(
                type_id,
                (row.get("cid") or "").strip() or None,
                (row.get("licence_number") or "").strip() or None,
                wants_pin,
            )
        )
    return items


def offers(
    from_csv: Annotated[Path, typer.Option("--from-csv", help="CSV: cid[,type,licence_number]")],
    out_dir: Annotated[Path, typer.Option("--out", help="folder for links and QR images")] = Path(
        "offers"
    ),
    type_id: Annotated[str | None, typer.Option("--type", help="type for rows without one")] = None,
    tx_code: Annotated[
        bool, typer.Option("--tx-code", help="require a PIN for every offer")
    ] = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Create offers for many registry records: offers.csv plus one QR PNG per offer."""
    text = read_text(from_csv, code="invalid_csv")
    items = _bulk_items(text, type_id, tx_code)
    qr_dir = out_dir / "qr"
    qr_dir.mkdir(parents=True, exist_ok=True)
    out_dir.chmod(0o700)
    rows: list[dict[str, Any]] = []
    with backend(url, api_key) as b, Progress(console=err) as progress:
        task = progress.add_task("creating offers", total=len(items))
        for start in range(0, len(items), BULK_CHUNK):
            for created in b.create_offers(items[start : start + BULK_CHUNK]):
                _write_private(qr_dir / f"{created.ref}.png", qr_png(created.offer_uri))
                rows.append(created.to_json())
                progress.advance(task)
    buffer = io.StringIO()
    columns = [
        "offer_ref",
        "credential_configuration_id",
        "subject",
        "offer_uri",
        "tx_code",
        "expires_at",
    ]
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    _write_private(out_dir / "offers.csv", buffer.getvalue())
    out.print(
        f"{len(rows)} offers written to {out_dir}/offers.csv and {qr_dir}/. They are secrets: "
        "hand each to its citizen and delete the folder afterwards."
    )
