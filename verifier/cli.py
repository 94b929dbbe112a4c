"""``drukid verifier``: request, poll, verify offline, and manage trust and API keys.

* ``request`` / ``result`` talk to a running verifier service over HTTP with an API key
  (``--url``/``DRUKID_VERIFIER_URL``, ``--api-key``/``DRUKID_VERIFIER_API_KEY``).
* ``verify`` checks a presentation file on this machine, offline by default, from a trust file
  and/or a signed trust bundle.
* ``trust ...`` and ``apikey ...`` act on the service's own database (``DRUKID_VERIFIER_*``
  settings), or on a trust file with ``--file``.

Exit codes: 0 success, 1 the presentation or request was rejected, 2 bad usage or setup.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer

from credentials.clock import system_time
from credentials.status_check import StatusChecker
from credentials.status_list import STATUS_LIST_MEDIA_TYPE, StatusReference
from did.errors import DIDError
from did.fetch import Fetcher, FetchPolicy
from did.keys import PrivateKey
from servicekit.qr import qr_terminal
from verifier.bundle import create_trust_bundle, verify_trust_bundle
from verifier.errors import VerificationError, explain
from verifier.keys import IssuerKeys
from verifier.onboarding import discover_issuer
from verifier.policy import Policy
from verifier.runtime import build_runtime
from verifier.settings import VerifierSettings
from verifier.trust import TrustRegistry
from verifier.trust_sources import TrustSources, load_authority_key
from verifier.verify import VerificationResult, verify_presentation

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
app.add_typer(trust_app, name="trust")
app.add_typer(apikey_app, name="apikey")

UrlOption = Annotated[
    str, typer.Option("--url", envvar="DRUKID_VERIFIER_URL", help="the verifier service")
]
KeyOption = Annotated[
    str, typer.Option("--api-key", envvar="DRUKID_VERIFIER_API_KEY", help="your API key (drk_...)")
]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]
DevOption = Annotated[
    bool,
    typer.Option(
        "--development",
        help="allow http:// and loopback issuers (local testing only; never in production)",
    ),
]
FileOption = Annotated[
    Path | None, typer.Option("--file", help="a trust file instead of the service database")
]
DEFAULT_URL = "http://127.0.0.1:8102"


def _fail(code: str, message: str, status: int = 2) -> NoReturn:
    typer.echo(f"error [{code}]: {message}", err=True)
    raise typer.Exit(status)


def _fetcher(development: bool) -> Fetcher:
    return Fetcher(FetchPolicy(allow_http=development, allow_private=development))


def _http(url: str) -> httpx.Client:
    """The client for the service API (replaced in tests)."""
    return httpx.Client(base_url=url, timeout=15)


def _call(client: httpx.Client, method: str, path: str, key: str, **kwargs: Any) -> Any:
    try:
        response = client.request(
            method, path, headers={"Authorization": f"Bearer {key}"}, **kwargs
        )
    except httpx.HTTPError as exc:
        _fail("service_unreachable", f"cannot reach the verifier service: {exc}")
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        _fail(
            str(body.get("code", response.status_code)),
            str(body.get("error_description", response.text[:200])),
            1 if response.status_code < 500 else 2,
        )
    return body


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


@app.command()
def request(
    template: Annotated[
        str | None, typer.Option(help="kyc-basic, age-over-18, address, business-licence")
    ] = None,
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
    with _http(url) as client:
        created = _call(client, "POST", "/api/v1/requests", api_key, json=body)
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
            view = _call(client, "GET", f"/api/v1/requests/{created['id']}", api_key)
            if view["status"] != "pending" or time.monotonic() > deadline:
                break
            time.sleep(1)
    typer.echo(json.dumps(view, ensure_ascii=False)) if as_json else _print_result(view)
    if view["status"] != "verified":
        raise typer.Exit(1)


@app.command()
def result(
    request_id: str,
    as_json: JsonOption = False,
    response_code: Annotated[str | None, typer.Option(help="same-device flows")] = None,
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = "",
) -> None:
    """Show the result of a request (pending, verified, rejected or expired)."""
    params = {"response_code": response_code} if response_code else None
    with _http(url) as client:
        view = _call(client, "GET", f"/api/v1/requests/{request_id}", api_key, params=params)
    typer.echo(json.dumps(view, ensure_ascii=False)) if as_json else _print_result(view)


def _file_trust(trust: Path | None, bundle: Path | None, authority: str | None) -> TrustRegistry:
    if trust is None and bundle is None:
        _fail("no_trust", "give --trust FILE and/or --bundle FILE --authority-key JWK")
    key = load_authority_key(authority) if authority else None
    return TrustSources(trust_file=trust, bundle_file=bundle, authority_key=key).registry(
        system_time()
    )


@app.command()
def verify(
    file: Annotated[Path, typer.Argument(help="the presentation (SD-JWT+KB) in a file")],
    nonce: Annotated[str, typer.Option(help="the nonce the presentation must carry")],
    aud: Annotated[str, typer.Option(help="the audience (the verifier's client_id)")],
    trust: Annotated[Path | None, typer.Option(help="trust file")] = None,
    bundle: Annotated[Path | None, typer.Option(help="signed trust bundle")] = None,
    authority_key: Annotated[
        str | None, typer.Option(help="pinned trust authority public JWK (JSON or file)")
    ] = None,
    online: Annotated[
        bool, typer.Option("--online/--offline", help="fetch keys and status lists from issuers")
    ] = False,
    development: DevOption = False,
    accept_unknown_status: Annotated[
        bool, typer.Option(help="accept when no status list is available")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Verify a presentation on this machine (offline by default)."""
    try:
        presentation = file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        _fail("file_unreadable", f"cannot read {file}: {exc.strerror}")
    try:
        registry = _file_trust(trust, bundle, authority_key)
    except VerificationError as exc:  # a setup problem (no or bad trust data), not a verdict
        _fail(exc.code, exc.message)
    try:
        policy = Policy(status_policy="accept_unknown" if accept_unknown_status else "reject")
        fetcher = _fetcher(development) if online else None
        try:
            outcome = verify_presentation(
                presentation,
                policy=policy,
                trust=registry,
                nonce=nonce,
                aud=aud,
                keys=IssuerKeys(fetcher=fetcher, allow_http=development),
                status=StatusChecker(
                    fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE) if fetcher else None
                ),
            )
        finally:
            if fetcher is not None:
                fetcher.close()
    except VerificationError as exc:
        if as_json:
            typer.echo(
                json.dumps(
                    {
                        "verified": False,
                        "code": exc.code,
                        "cause": exc.cause,
                        "message": exc.message,
                        "explanation": exc.explanation,
                        "checks": [list(c) for c in exc.checks],
                    }
                )
            )
        else:
            for name, outcome_name, detail in exc.checks:
                typer.echo(f"  {'✔' if outcome_name == 'passed' else '✘'} {name}: {detail}")
            typer.echo(f"REJECTED: {exc.explanation} [{exc.code}]")
        raise typer.Exit(1) from exc
    _print_verified(outcome, as_json)


def _print_verified(outcome: VerificationResult, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"verified": True, **outcome.to_json()}, ensure_ascii=False))
        return
    for check in outcome.checks:
        mark = {"passed": "✔", "skipped": "–", "unknown": "?"}.get(check.outcome, "✘")
        typer.echo(f"  {mark} {check.name}: {check.detail}")
    typer.echo(f"VERIFIED: {outcome.issuer_name} ({outcome.issuer}), {outcome.vct}")
    typer.echo(
        f"  trust data valid as of {outcome.trust_valid_as_of}; status {outcome.status}"
        f" as of {outcome.status_checked_at}"
    )
    for name, value in outcome.to_json()["claims"].items():
        typer.echo(f"  {name}: {json.dumps(value, ensure_ascii=False)}")


# trust ---------------------------------------------------------------------------------------
def _settings() -> VerifierSettings:
    try:
        return VerifierSettings()
    except ValueError as exc:
        _fail("invalid_settings", f"the verifier settings are not valid: {exc}")


@trust_app.command("add")
def trust_add(
    issuer: Annotated[str, typer.Option("--issuer", help="the issuer's URL")],
    pin_keys: Annotated[bool, typer.Option("--pin-keys", help="record its current keys")] = False,
    name: Annotated[str | None, typer.Option(help="display name (default: its metadata)")] = None,
    file: FileOption = None,
    development: DevOption = False,
) -> None:
    """Trust an issuer for the credential types its metadata lists."""
    try:
        if file is not None:
            with _fetcher(development) as fetcher:
                entry = discover_issuer(
                    issuer,
                    keys=IssuerKeys(fetcher=fetcher, allow_http=development),
                    now=system_time(),
                    pin_keys=pin_keys,
                    name=name,
                )
            registry = TrustRegistry.load(file) if file.exists() else TrustRegistry()
            registry.with_issuer(entry).save(file)
        else:
            runtime = build_runtime(_settings())
            try:
                entry = runtime.trust.add_from_url(issuer, pin_keys=pin_keys, name=name)
            finally:
                runtime.close()
    except VerificationError as exc:
        _fail(exc.code, f"{exc.message} ({explain(exc.code)})")
    typer.echo(
        f"trusted {entry.name} ({entry.id}) for: "
        + ", ".join(type_id for type_id, _ in entry.types)
        + (f"; {len(entry.keys)} key(s) pinned" if entry.keys else "")
    )


def _registry(file: Path | None) -> TrustRegistry:
    if file is not None:
        return TrustRegistry.load(file)
    runtime = build_runtime(_settings())
    try:
        return runtime.trust.registry()
    finally:
        runtime.close()


@trust_app.command("list")
def trust_list(file: FileOption = None, as_json: JsonOption = False) -> None:
    """Show the trusted issuers."""
    try:
        registry = _registry(file)
    except VerificationError as exc:
        _fail(exc.code, exc.message)
    if as_json:
        typer.echo(json.dumps(registry.to_json(), ensure_ascii=False))
        return
    if not registry.issuers:
        typer.echo("no trusted issuers yet: drukid verifier trust add --issuer URL")
    for entry in registry.issuers:
        keys = f"{len(entry.keys)} pinned key(s)" if entry.keys else "keys looked up online"
        typer.echo(f"{entry.name} — {entry.id} [{entry.source}; {keys}]")
        for type_id, vct in entry.types:
            typer.echo(f"    {type_id}: {vct}")


@trust_app.command("remove")
def trust_remove(issuer: Annotated[str, typer.Option("--issuer")], file: FileOption = None) -> None:
    """Stop trusting an issuer."""
    try:
        if file is not None:
            TrustRegistry.load(file).without_issuer(issuer).save(file)
        else:
            runtime = build_runtime(_settings())
            try:
                runtime.trust.remove(issuer)
            finally:
                runtime.close()
    except VerificationError as exc:
        _fail(exc.code, exc.message)
    typer.echo(f"no longer trusted: {issuer}")


@trust_app.command("keygen")
def trust_keygen(out: Annotated[Path, typer.Option(help="where to write the private key")]) -> None:
    """Create a trust authority key (private JWK, mode 0600); prints the public JWK to pin."""
    if out.exists():
        _fail("file_exists", f"{out} exists; refusing to overwrite a key")
    key = PrivateKey.generate("ES256")
    key.save(out)
    typer.echo(json.dumps(key.public_key.to_jwk()))


@trust_app.command("export-bundle")
def trust_export_bundle(
    authority_key: Annotated[Path, typer.Option(help="the trust authority's private JWK")],
    out: Annotated[Path, typer.Option(help="where to write the bundle")],
    days: Annotated[int, typer.Option(min=1, max=90, help="lifetime")] = 7,
    iss: Annotated[str, typer.Option(help="the authority's name")] = "drukid trust authority",
    file: FileOption = None,
    status_lists: Annotated[
        bool,
        typer.Option(
            "--status-lists/--no-status-lists", help="fetch and include current status lists"
        ),
    ] = True,
    development: DevOption = False,
) -> None:
    """Sign the registry (with each issuer's current keys and status lists) as a bundle for
    verifiers that work offline."""
    try:
        key = PrivateKey.load(authority_key)
    except DIDError as exc:
        _fail("invalid_key", f"cannot load {authority_key}: {exc}")
    now = system_time()
    try:
        registry = _registry(file)
        with _fetcher(development) as fetcher:
            keys = IssuerKeys(fetcher=fetcher, allow_http=development)
            status = StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE))
            tokens, pinned = _collect(registry, keys, status, now, status_lists)
        bundle = create_trust_bundle(
            TrustRegistry(pinned),
            key=key,
            iss=iss,
            iat=now,
            exp=now + days * 86400,
            status_tokens=tokens,
        )
    except VerificationError as exc:
        _fail(exc.code, exc.message)
    out.write_text(bundle + "\n", encoding="utf-8")
    typer.echo(
        f"wrote {out}: {len(pinned)} issuer(s), {len(tokens)} status list(s), valid {days} day(s)"
    )


def _collect(
    registry: TrustRegistry, keys: IssuerKeys, status: StatusChecker, now: int, lists: bool
) -> tuple[dict[str, str], tuple[Any, ...]]:
    entries = []
    for entry in registry.issuers:
        if not entry.keys and not entry.id.startswith("did:"):
            entry = replace(entry, keys=tuple(keys.issuer_jwks(entry.id, now=now)))
        entries.append(entry)
        if lists:
            for uri in entry.status_lists:
                outcome = status.check(
                    StatusReference(0, uri),
                    iss=entry.id,
                    key_for=keys.for_issuer(entry, Policy(), now=now),
                    now=now,
                    leeway=60,
                )
                if outcome.status == "unknown":
                    typer.echo(
                        f"warning: status list {uri} unavailable ({outcome.cause})", err=True
                    )
    return (status.latest_tokens() if lists else {}), tuple(entries)


@trust_app.command("import-bundle")
def trust_import_bundle(
    bundle: Annotated[Path, typer.Argument(help="the bundle file")],
    authority_key: Annotated[
        str, typer.Option(help="the pinned authority public JWK (JSON or file)")
    ],
    to: Annotated[
        Path | None,
        typer.Option(help="where the service reads it (default: DRUKID_VERIFIER_TRUST_BUNDLE)"),
    ] = None,
) -> None:
    """Check a bundle's signature and dates, then install it where the service reads it."""
    try:
        token = bundle.read_text(encoding="utf-8").strip()
        registry = verify_trust_bundle(token, load_authority_key(authority_key), now=system_time())
    except OSError as exc:
        _fail("file_unreadable", f"cannot read {bundle}: {exc.strerror}")
    except VerificationError as exc:
        _fail(exc.code, f"{exc.message} ({explain(exc.code)})")
    target = to or _settings().trust_bundle
    if target is None:
        _fail("no_target", "give --to PATH or set DRUKID_VERIFIER_TRUST_BUNDLE")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(token + "\n", encoding="utf-8")
    typer.echo(
        f"installed {target}: {len(registry.issuers)} issuer(s), "
        f"{len(registry.status_tokens)} status list(s), valid as of {registry.valid_as_of}"
        f" until {registry.expires_at}"
    )


# API keys ------------------------------------------------------------------------------------
@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Option(help="who the key is for, e.g. 'KYC desk, Thimphu'")],
    admin: Annotated[bool, typer.Option(help="may also administer trust")] = False,
) -> None:
    """Create an API key; the key and webhook secret are shown once, store them safely."""
    runtime = build_runtime(_settings())
    try:
        token, secret = runtime.api_keys.create(name, admin=admin)
    finally:
        runtime.close()
    typer.echo(f"api key:        {token}\nwebhook secret: {secret}\n(shown once)")


@apikey_app.command("list")
def apikey_list() -> None:
    runtime = build_runtime(_settings())
    try:
        for item in runtime.api_keys.all():
            flags = " admin" if item.admin else ""
            flags += " REVOKED" if item.revoked else ""
            typer.echo(f"{item.key_id}  {item.name}{flags}")
    finally:
        runtime.close()


@apikey_app.command("revoke")
def apikey_revoke(key_id: str) -> None:
    runtime = build_runtime(_settings())
    try:
        runtime.api_keys.revoke(key_id)
    except VerificationError as exc:
        _fail(exc.code, exc.message)
    finally:
        runtime.close()
    typer.echo(f"revoked {key_id}")
