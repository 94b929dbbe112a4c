"""``drukid issuer registry ...``: list, add and import the people and businesses the agency may
issue to. Records are validated here first (:mod:`issuer.registry`), so a typing mistake gets a
clear message before anything is sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from issuer.commands.backend import KeyOption, UrlOption, backend
from issuer.commands.output import JsonOption, fail, out, print_json, read_text, table
from issuer.errors import RegistryError
from issuer.registry import validate_business, validate_person

__all__ = ["registry_app"]

registry_app = typer.Typer(help="The people and businesses the agency may issue to.")


@registry_app.command("list")
def registry_list(
    businesses: Annotated[bool, typer.Option(help="list businesses instead of people")] = False,
    offset: int = 0,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """List registry records."""
    kind = "businesses" if businesses else "people"
    with backend(url, api_key) as b:
        page = (
            b.businesses(offset=offset, limit=limit)
            if businesses
            else b.people(offset=offset, limit=limit)
        )
    if as_json:
        print_json(page)
        return
    columns = (
        ["licence_number", "business_name", "owner_cid", "activity", "valid_until"]
        if businesses
        else ["cid", "full_name", "gender", "birthdate", "dzongkhag"]
    )
    table(page.items, columns, f"{kind} ({page.total} in the registry)")


@registry_app.command("add")
def registry_add(
    cid: Annotated[str, typer.Option(help="11-digit CID number")],
    given_name: Annotated[str, typer.Option()],
    gender: Annotated[str, typer.Option(help="female, male or other")],
    birthdate: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    birth_dzongkhag: Annotated[str, typer.Option()],
    birth_gewog: Annotated[str, typer.Option()],
    birth_village: Annotated[str, typer.Option()],
    dzongkhag: Annotated[str, typer.Option(help="permanent address")],
    gewog: Annotated[str, typer.Option(help="permanent address")],
    village: Annotated[str, typer.Option(help="permanent address")],
    house_number: Annotated[str, typer.Option(help="permanent address")],
    family_name: Annotated[str | None, typer.Option()] = None,
    citizenship: Annotated[str, typer.Option()] = "BT",
    photo: Annotated[Path | None, typer.Option(help="a JPEG or PNG photo file")] = None,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Add (or update) a person in the registry."""
    data: dict[str, Any] = {
        "cid": cid,
        "given_name": given_name,
        "family_name": family_name,
        "gender": gender,
        "birthdate": birthdate,
        "birth_dzongkhag": birth_dzongkhag,
        "birth_gewog": birth_gewog,
        "birth_village": birth_village,
        "citizenship": citizenship,
        "dzongkhag": dzongkhag,
        "gewog": gewog,
        "village": village,
        "house_number": house_number,
    }
    if photo is not None:
        data["photo"] = _photo_uri(photo)
    try:
        validate_person(data)  # a clear message before anything is sent
    except RegistryError as exc:
        raise fail(exc.message, exc.code, status=2) from exc
    with backend(url, api_key) as b:
        result = b.add_person(data)
    out.print(f"{'added' if result.created else 'updated'} {cid}")


def _photo_uri(path: Path) -> str:
    import base64

    kind = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp"}.get(
        path.suffix.lower()
    )
    if kind is None:
        raise fail("the photo must be a .jpg, .png or .webp file", "invalid_photo", status=2)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise fail(f"there is no file {path}", "file_not_found", status=2) from exc
    except OSError as exc:
        raise fail(f"cannot read {path}: {exc.strerror}", "invalid_photo", status=2) from exc
    return f"data:image/{kind};base64," + base64.b64encode(raw).decode("ascii")


@registry_app.command("add-business")
def registry_add_business(
    licence_number: Annotated[str, typer.Option("--licence")],
    business_name: Annotated[str, typer.Option("--name")],
    owner_cid: Annotated[str, typer.Option("--owner-cid")],
    activity: Annotated[str, typer.Option()],
    valid_until: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Add (or update) a licensed business; its owner must be in the registry."""
    data = {
        "licence_number": licence_number,
        "business_name": business_name,
        "owner_cid": owner_cid,
        "activity": activity,
        "valid_until": valid_until,
    }
    try:
        validate_business(data)
    except RegistryError as exc:
        raise fail(exc.message, exc.code, status=2) from exc
    with backend(url, api_key) as b:
        result = b.add_business(data)
    out.print(f"{'added' if result.created else 'updated'} {licence_number.upper()}")


@registry_app.command("import")
def registry_import(
    file: Annotated[Path, typer.Argument(help="CSV with a header row of field names")],
    businesses: Annotated[bool, typer.Option(help="the file lists businesses")] = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Import people (or businesses) from a CSV file; nothing is imported if a row is bad."""
    text = read_text(file, code="invalid_csv")
    kind = "businesses" if businesses else "people"
    with backend(url, api_key) as b:
        result = b.import_csv(text, kind=kind, source=file.name)
    out.print(f"{kind}: {result.created} added, {result.updated} updated")
