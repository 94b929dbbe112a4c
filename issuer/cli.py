"""``drukid issuer ...``: the operator command line.

Every command works in one of two ways:

* **local** (default): directly on the issuer's data directory and database, with the settings
  from the ``DRUKID_ISSUER_*`` environment (the same as the server). Whoever can read the data
  directory controls the issuer, so local use acts as an administrator; this is how the first
  admin API key is made.
* **remote**: ``--url https://issuer.example.gov.bt --api-key drk_...`` (or
  ``DRUKID_ISSUER_URL`` / ``DRUKID_ISSUER_API_KEY``) calls the operator API of a running issuer
  with that key's role.

Errors print a plain sentence and what to do next, and exit with status 1 (2 for bad usage).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Protocol

import httpx
import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from drukid.common.database import create_db_engine
from drukid.common.qr import qr_png, qr_terminal
from issuer.errors import IssuerError, RegistryError
from issuer.operator import ROLES, OfferItem, Operator, local_actor
from issuer.registry import validate_business, validate_person
from issuer.service import IssuerService
from issuer.settings import IssuerSettings
from issuer.signing import KeyStore
from issuer.types import load_types

__all__ = ["app"]

app = typer.Typer(
    name="issuer",
    help="Operate a drukid issuer: registry, offers, credential status, keys, API keys, audit.",
    no_args_is_help=True,
)
registry_app = typer.Typer(help="The people and businesses the agency may issue to.")
apikey_app = typer.Typer(help="Operator API keys (stored hashed; shown once).")
keys_app = typer.Typer(help="Signing keys.")
app.add_typer(registry_app, name="registry")
app.add_typer(apikey_app, name="apikey")
app.add_typer(keys_app, name="keys")

out = Console()
err = Console(stderr=True)

UrlOption = Annotated[
    str | None,
    typer.Option("--url", envvar="DRUKID_ISSUER_URL", help="a running issuer (else: local data)"),
]
KeyOption = Annotated[
    str | None,
    typer.Option("--api-key", envvar="DRUKID_ISSUER_API_KEY", help="operator API key (remote)"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
BULK_CHUNK = 200


class Backend(Protocol):
    def call(self, name: str, **kwargs: Any) -> Any: ...


class LocalBackend:
    """Runs operator use cases in-process on the local data directory, as an administrator."""

    def __init__(self, settings: IssuerSettings) -> None:
        engine = create_db_engine(settings.resolved_database_url)
        self.service = IssuerService(
            settings=settings,
            engine=engine,
            keys=KeyStore(settings.keys_dir),
            types=load_types(settings.types_dir, validity_days=settings.validity_days),
        )
        self.service.prepare()
        self.operator = Operator(self.service)
        self.actor = local_actor()

    def close(self) -> None:
        self.service.engine.dispose()

    def call(self, name: str, **kwargs: Any) -> Any:
        op, actor = self.operator, self.actor
        match name:
            case "create_offer":
                return op.create_offer(actor, kwargs["item"]).to_json()
            case "create_offers":
                return [o.to_json() for o in op.create_offers(actor, kwargs["items"])]
            case "change_status":
                return op.change_status(actor, kwargs["credential_id"], kwargs["action"])
            case "list_credentials":
                return op.list_credentials(actor, **kwargs)
            case "people":
                return op.people(actor, **kwargs)
            case "businesses":
                return op.businesses(actor, **kwargs)
            case "add_person":
                return op.add_person(actor, kwargs["data"])
            case "add_business":
                return op.add_business(actor, kwargs["data"])
            case "import_csv":
                return op.import_csv(
                    actor, kwargs["text"], kind=kwargs["kind"], source=kwargs["source"]
                )
            case "create_api_key":
                new = op.create_api_key(actor, role=kwargs["role"], label=kwargs["label"])
                return {"key_id": new.key_id, "role": kwargs["role"], "api_key": new.token}
            case "list_api_keys":
                return op.list_api_keys(actor)
            case "revoke_api_key":
                op.revoke_api_key(actor, kwargs["key_id"])
                return {"revoked": kwargs["key_id"]}
            case "rotate_key":
                return op.rotate_key(actor, alg=kwargs.get("alg"))
            case "list_keys":
                return op.list_keys(actor)
            case "audit":
                return op.audit(actor, **kwargs)
        raise ValueError(name)


class RemoteError(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message, self.code = message, code


class RemoteBackend:
    """Calls the operator API of a running issuer."""

    def __init__(self, url: str, api_key: str, *, transport: httpx.BaseTransport | None = None):
        self.client = httpx.Client(
            base_url=url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30.0,
            transport=transport,
        )

    def close(self) -> None:
        self.client.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(
                f"cannot reach the issuer ({type(exc).__name__}); check --url and the network",
                "issuer_unreachable",
            ) from exc
        if response.status_code == 204:
            return None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400:
            if not isinstance(body, dict):
                body = {}
            raise RemoteError(
                str(body.get("error_description") or f"HTTP {response.status_code}"),
                str(body.get("code") or body.get("error") or response.status_code),
            )
        return body

    def call(self, name: str, **kwargs: Any) -> Any:
        r = self._request
        match name:
            case "create_offer":
                return r("POST", "/api/v1/offers", json=_offer_body(kwargs["item"]))
            case "create_offers":
                body = {"offers": [_offer_body(item) for item in kwargs["items"]]}
                return r("POST", "/api/v1/offers/bulk", json=body)["offers"]
            case "change_status":
                return r(
                    "POST", f"/api/v1/credentials/{kwargs['credential_id']}/{kwargs['action']}"
                )
            case "list_credentials":
                params = {k: v for k, v in kwargs.items() if v is not None}
                if "type_id" in params:
                    params["credential_configuration_id"] = params.pop("type_id")
                return r("GET", "/api/v1/credentials", params=params)
            case "people" | "businesses":
                return r("GET", f"/api/v1/registry/{name}", params=kwargs)
            case "add_person":
                return r("POST", "/api/v1/registry/people", json=kwargs["data"])
            case "add_business":
                return r("POST", "/api/v1/registry/businesses", json=kwargs["data"])
            case "import_csv":
                return r(
                    "POST",
                    f"/api/v1/registry/{kwargs['kind']}/import",
                    content=kwargs["text"].encode(),
                    headers={"Content-Type": "text/csv"},
                )
            case "create_api_key":
                return r(
                    "POST",
                    "/api/v1/apikeys",
                    json={"role": kwargs["role"], "label": kwargs["label"]},
                )
            case "list_api_keys":
                return r("GET", "/api/v1/apikeys")
            case "revoke_api_key":
                r("POST", f"/api/v1/apikeys/{kwargs['key_id']}/revoke")
                return {"revoked": kwargs["key_id"]}
            case "rotate_key":
                return r("POST", "/api/v1/keys/rotate", json={"alg": kwargs.get("alg")})
            case "list_keys":
                return r("GET", "/api/v1/keys")
            case "audit":
                return r("GET", "/api/v1/audit", params=kwargs)
        raise ValueError(name)


def _offer_body(item: OfferItem) -> dict[str, Any]:
    return {
        "credential_configuration_id": item.type_id,
        "cid": item.cid,
        "licence_number": item.licence_number,
        "tx_code": item.tx_code,
    }


def _fail(message: str, code: str, *, status: int = 1) -> typer.Exit:
    err.print(f"[bold red]error[/]: {message} [dim]({code})[/]", highlight=False)
    return typer.Exit(status)


@contextmanager
def backend(url: str | None, api_key: str | None) -> Iterator[Backend]:
    """The backend for a command; every error becomes a plain message and exit status 1."""
    chosen: LocalBackend | RemoteBackend
    try:
        if url:
            if not api_key:
                raise _fail(
                    "--url needs --api-key (or DRUKID_ISSUER_API_KEY)", "missing_api_key", status=2
                )
            chosen = RemoteBackend(url, api_key)
        else:
            try:
                settings = IssuerSettings()
            except ValueError as exc:
                raise _fail(
                    f"the issuer settings are not valid: {exc}; set the DRUKID_ISSUER_* "
                    "variables as for the server (see the README), or use --url",
                    "invalid_settings",
                    status=2,
                ) from exc
            chosen = LocalBackend(settings)
    except IssuerError as exc:
        raise _fail(exc.message, exc.code) from exc
    try:
        yield chosen
    except IssuerError as exc:
        raise _fail(exc.message, exc.code) from exc
    except RemoteError as exc:
        raise _fail(exc.message, exc.code) from exc
    finally:
        chosen.close()


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def _table(rows: list[dict[str, Any]], columns: list[str], title: str) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    out.print(table)


# --- registry --------------------------------------------------------------------------------


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
        page = b.call(kind, offset=offset, limit=limit)
    if as_json:
        _print_json(page)
        return
    columns = (
        ["licence_number", "business_name", "owner_cid", "activity", "valid_until"]
        if businesses
        else ["cid", "full_name", "gender", "birthdate", "dzongkhag"]
    )
    _table(page["items"], columns, f"{kind} ({page['total']} in the registry)")


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
        raise _fail(exc.message, exc.code, status=2) from exc
    with backend(url, api_key) as b:
        result = b.call("add_person", data=data)
    out.print(f"{'added' if result.get('created') else 'updated'} {cid}")


def _photo_uri(path: Path) -> str:
    import base64

    kind = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp"}.get(
        path.suffix.lower()
    )
    if kind is None:
        raise _fail("the photo must be a .jpg, .png or .webp file", "invalid_photo", status=2)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {path}: {exc.strerror}", "invalid_photo", status=2) from exc
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
        raise _fail(exc.message, exc.code, status=2) from exc
    with backend(url, api_key) as b:
        result = b.call("add_business", data=data)
    out.print(f"{'added' if result.get('created') else 'updated'} {licence_number.upper()}")


@registry_app.command("import")
def registry_import(
    file: Annotated[Path, typer.Argument(help="CSV with a header row of field names")],
    businesses: Annotated[bool, typer.Option(help="the file lists businesses")] = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Import people (or businesses) from a CSV file; nothing is imported if a row is bad."""
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {file} as UTF-8 text: {exc}", "invalid_csv", status=2) from exc
    kind = "businesses" if businesses else "people"
    with backend(url, api_key) as b:
        result = b.call("import_csv", text=text, kind=kind, source=file.name)
    out.print(f"{kind}: {result['created']} added, {result['updated']} updated")


# --- API keys ------------------------------------------------------------------------------


@apikey_app.command("create")
def apikey_create(
    role: Annotated[str, typer.Option(help="issue, revoke or admin")],
    label: Annotated[str, typer.Option(help="who or what uses it")] = "",
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Create an API key and print it once; only its hash is kept."""
    if role not in ROLES:
        raise _fail(f"--role must be one of {', '.join(ROLES)}", "bad_role", status=2)
    with backend(url, api_key) as b:
        created = b.call("create_api_key", role=role, label=label)
    if as_json:
        _print_json(created)
        return
    out.print(f"API key {created['key_id']} (role {role}). It is shown only now; store it safely:")
    sys.stdout.write(created["api_key"] + "\n")


@apikey_app.command("list")
def apikey_list(
    as_json: JsonOption = False, url: UrlOption = None, api_key: KeyOption = None
) -> None:
    """List API keys (ids, roles, labels; never the keys)."""
    with backend(url, api_key) as b:
        keys = b.call("list_api_keys")
    if as_json:
        _print_json(keys)
    else:
        _table(keys, ["key_id", "role", "label", "created_at", "revoked_at"], "API keys")


@apikey_app.command("revoke")
def apikey_revoke(key_id: str, url: UrlOption = None, api_key: KeyOption = None) -> None:
    """Revoke an API key at once."""
    with backend(url, api_key) as b:
        b.call("revoke_api_key", key_id=key_id)
    out.print(f"API key {key_id} revoked")


# --- offers --------------------------------------------------------------------------------


@app.command("offer")
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
        raise _fail(
            "name the record: --person CID (or --business LICENCE)", "missing_subject", status=2
        )
    item = OfferItem(type_id, person, business, tx_code)
    with backend(url, api_key) as b:
        created = b.call("create_offer", item=item)
    if qr is not None:
        _write_private(qr, qr_png(created["offer_uri"]))
    if as_json:
        _print_json(created)
        return
    out.print(f"Offer {created['offer_ref']} for {created['subject']} ({type_id}):")
    out.print(qr_terminal(created["offer_uri"]), highlight=False)
    sys.stdout.write(created["offer_uri"] + "\n")
    if created.get("tx_code"):
        out.print(f"PIN to give the citizen separately (SMS or in person): {created['tx_code']}")


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
        raise _fail("the CSV needs a 'cid' (or 'licence_number') column", "invalid_csv", status=2)
    items = []
    for number, row in enumerate(reader, start=2):
        type_id = (row.get("credential_configuration_id") or row.get("type") or "").strip()
        type_id = type_id or default_type or ""
        if not type_id:
            raise _fail(
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


@app.command("offers")
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
    try:
        text = from_csv.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {from_csv}: {exc}", "invalid_csv", status=2) from exc
    items = _bulk_items(text, type_id, tx_code)
    qr_dir = out_dir / "qr"
    qr_dir.mkdir(parents=True, exist_ok=True)
    out_dir.chmod(0o700)
    rows: list[dict[str, Any]] = []
    with backend(url, api_key) as b, Progress(console=err) as progress:
        task = progress.add_task("creating offers", total=len(items))
        for start in range(0, len(items), BULK_CHUNK):
            for created in b.call("create_offers", items=items[start : start + BULK_CHUNK]):
                _write_private(qr_dir / f"{created['offer_ref']}.png", qr_png(created["offer_uri"]))
                rows.append(created)
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


# --- credentials ---------------------------------------------------------------------------


def _status_command(action: str) -> Any:
    def command(
        credential_id: Annotated[str, typer.Argument(help="e.g. cred_1a2b...")],
        as_json: JsonOption = False,
        url: UrlOption = None,
        api_key: KeyOption = None,
    ) -> None:
        with backend(url, api_key) as b:
            result = b.call("change_status", credential_id=credential_id, action=action)
        if as_json:
            _print_json(result)
        else:
            out.print(
                f"{credential_id} is now {result['status']}; verifiers see it on their next "
                "status list fetch"
            )

    command.__doc__ = {
        "revoke": "Revoke a credential (permanent).",
        "suspend": "Suspend a credential (reversible with reinstate).",
        "reinstate": "Reinstate a suspended credential.",
    }[action]
    return command


for _action in ("revoke", "suspend", "reinstate"):
    app.command(_action)(_status_command(_action))


@app.command("credentials")
def credentials(
    person: Annotated[str | None, typer.Option("--person", help="CID or licence")] = None,
    offset: int = 0,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """List issued credentials (metadata only; the credentials themselves are never stored)."""
    with backend(url, api_key) as b:
        page = b.call("list_credentials", offset=offset, limit=limit, subject=person, type_id=None)
    if as_json:
        _print_json(page)
        return
    columns = ["id", "credential_configuration_id", "subject", "status", "issued_at", "expires_at"]
    _table(page["items"], columns, f"credentials ({page['total']} issued)")


# --- keys and audit ------------------------------------------------------------------------


@keys_app.command("rotate")
def keys_rotate(
    alg: Annotated[str | None, typer.Option(help="ES256 or EdDSA (default: settings)")] = None,
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """Start signing with a new key; old public keys stay published while still needed."""
    with backend(url, api_key) as b:
        result = b.call("rotate_key", alg=alg)
    if as_json:
        _print_json(result)
    else:
        out.print(
            f"now signing with {result['kid']} ({result['alg']}); retired "
            f"{', '.join(result['retired']) or 'none'}"
        )


@keys_app.command("list")
def keys_list(
    as_json: JsonOption = False, url: UrlOption = None, api_key: KeyOption = None
) -> None:
    """Signing keys, which one is active and which are still published."""
    with backend(url, api_key) as b:
        keys = b.call("list_keys")
    if as_json:
        _print_json(keys)
    else:
        _table(keys, ["kid", "alg", "active", "published", "created_at", "retired_at"], "keys")


@app.command("audit")
def audit(
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    offset: int = 0,
    as_json: JsonOption = False,
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """The append-only log of operator actions, newest first."""
    with backend(url, api_key) as b:
        page = b.call("audit", offset=offset, limit=limit)
    if as_json:
        _print_json(page)
    else:
        _table(page["items"], ["id", "at", "actor", "action", "target"], "audit log")
