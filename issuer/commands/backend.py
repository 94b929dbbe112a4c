"""Where a ``drukid issuer`` command runs: **local** (default), in-process on the issuer's data
directory and database with the settings from the ``DRUKID_ISSUER_*`` environment, acting as an
administrator; or **remote** (``--url`` and ``--api-key``), through the operator API of a running
issuer with that key's role. Both answer the same named calls with the same JSON shapes, and
:func:`backend` turns their errors into a plain message and an exit status.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Protocol
from urllib.parse import quote

import httpx
import typer

from issuer.commands.output import fail
from issuer.errors import IssuerError
from issuer.operator import OfferItem, Operator, local_actor
from issuer.service import IssuerService
from issuer.settings import IssuerSettings
from issuer.signing import KeyStore
from issuer.types import load_types
from servicekit.database import create_db_engine

__all__ = [
    "Backend",
    "KeyOption",
    "LocalBackend",
    "RemoteBackend",
    "RemoteError",
    "UrlOption",
    "backend",
]

UrlOption = Annotated[
    str | None,
    typer.Option("--url", envvar="DRUKID_ISSUER_URL", help="a running issuer (else: local data)"),
]
KeyOption = Annotated[
    str | None,
    typer.Option("--api-key", envvar="DRUKID_ISSUER_API_KEY", help="operator API key (remote)"),
]


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
                return op.change_status(
                    actor, kwargs["credential_id"], kwargs["action"], reason=kwargs.get("reason")
                )
            case "change_offer_status":
                return op.change_offer_status(
                    actor, kwargs["offer_ref"], kwargs["action"], reason=kwargs.get("reason")
                )
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
                    "POST",
                    f"/api/v1/credentials/{quote(kwargs['credential_id'], safe='')}/"
                    f"{kwargs['action']}",
                    **_reason_body(kwargs.get("reason")),
                )
            case "change_offer_status":
                return r(
                    "POST",
                    f"/api/v1/offers/{quote(kwargs['offer_ref'], safe='')}/{kwargs['action']}",
                    **_reason_body(kwargs.get("reason")),
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


def _reason_body(reason: str | None) -> dict[str, Any]:
    """No body without a reason: the request an issuer without reasons already accepts."""
    return {"json": {"reason": reason}} if reason else {}


def _offer_body(item: OfferItem) -> dict[str, Any]:
    return {
        "credential_configuration_id": item.type_id,
        "cid": item.cid,
        "licence_number": item.licence_number,
        "tx_code": item.tx_code,
    }


@contextmanager
def backend(url: str | None, api_key: str | None) -> Iterator[Backend]:
    """The backend for a command; every error becomes a plain message and exit status 1."""
    chosen: LocalBackend | RemoteBackend
    try:
        if url:
            if not api_key:
                raise fail(
                    "--url needs --api-key (or DRUKID_ISSUER_API_KEY)", "missing_api_key", status=2
                )
            chosen = RemoteBackend(url, api_key)
        else:
            try:
                settings = IssuerSettings()
            except ValueError as exc:
                raise fail(
                    f"the issuer settings are not valid: {exc}; set the DRUKID_ISSUER_* "
                    "variables as for the server (see the README), or use --url",
                    "invalid_settings",
                    status=2,
                ) from exc
            chosen = LocalBackend(settings)
    except IssuerError as exc:
        raise fail(exc.message, exc.code) from exc
    try:
        yield chosen
    except IssuerError as exc:
        raise fail(exc.message, exc.code) from exc
    except RemoteError as exc:
        raise fail(exc.message, exc.code) from exc
    finally:
        chosen.close()
