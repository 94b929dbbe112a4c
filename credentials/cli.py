"""``drukid sd-jwt``: the SD-JWT toolbox (decode, issue, present, verify).

What developers reach for when a credential misbehaves. Claim paths are JSON-pointer-like
(``/address/locality``, ``/nationalities/0``). Verified claims go to stdout as one JSON object;
rejections go to stderr as ``rejected: <code>: <message>`` with exit status 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from core import terminal
from credentials.clock import system_time
from credentials.errors import CredentialError, IssuerKeyError
from credentials.issuer_keys import select_jwk
from credentials.jose import JWS, parse_json, parse_jws
from credentials.sd_jwt import (
    IssuerKeyResolver,
    decode_sd_jwt,
    digest_of,
    issue_sd_jwt,
    parse_sd_jwt,
    present_sd_jwt,
    verify_sd_jwt,
)
from credentials.sd_jwt.process import sd_hash_alg
from credentials.sd_jwt_vc import RESERVED_CLAIMS, issue_sd_jwt_vc, verify_sd_jwt_vc
from did.errors import DIDError
from did.fetch import Fetcher
from did.keys import PrivateKey, PublicKey
from did.resolver import Resolver

__all__ = ["app"]

app = typer.Typer(
    name="sd-jwt",
    help="Decode, issue, present and verify SD-JWTs (RFC 9901) and SD-JWT VCs.",
    no_args_is_help=True,
    add_completion=False,
)

EXIT_REJECTED = 1
EXIT_USAGE = 2


def _fail(
    message: str, *, status: int = EXIT_USAGE, hint: str | None = None, code: str | None = None
) -> NoReturn:
    raise terminal.fail(message, hint, code, status=status)


def _read_text(source: str) -> str:
    if source == "-":
        return sys.stdin.read().strip()
    try:
        return Path(source).read_text(encoding="utf-8").strip()
    except OSError as exc:
        _fail(f"cannot read {source}: {exc.strerror}", hint="check the file path")


def _read_json(source: str) -> Any:
    try:
        return parse_json(_read_text(source))
    except CredentialError as exc:
        _fail(f"{source} is not valid JSON: {exc.message}")


def _public_key(path: str) -> PublicKey:
    try:
        return PublicKey.from_jwk(_read_json(path))
    except DIDError as exc:
        _fail(f"{path} is not a usable JWK: {exc.message}")


def _private_key(path: str) -> PrivateKey:
    try:
        return PrivateKey.from_jwk(_read_json(path))
    except DIDError as exc:
        _fail(
            f"{path} is not a usable private JWK: {exc.message}",
            hint="create one with: drukid did create --method jwk --alg ES256 --out key.jwk.json",
        )


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


@app.command()
def decode(
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="SD-JWT file, or - for stdin")],
) -> None:
    """Show header, payload and disclosures. UNVERIFIED: nothing is checked."""
    try:
        sd_jwt = parse_sd_jwt(_read_text(source))
        jws = parse_jws(sd_jwt.jwt)
        alg = sd_hash_alg(jws.payload)
    except CredentialError as exc:
        _fail(f"cannot decode: {exc.message}", code=exc.code)
    out: dict[str, Any] = {
        "warning": "UNVERIFIED: decoded only; no signature, disclosure or time check was made",
        "header": jws.header,
        "payload": jws.payload,
        "disclosures": [
            {
                "digest": digest_of(d.encoded, alg),
                "salt": d.salt,
                **({"name": d.name} if d.name is not None else {"array_element": True}),
                "value": d.value,
            }
            for d in sd_jwt.disclosures
        ],
    }
    if sd_jwt.kb_jwt:
        try:
            kb = parse_jws(sd_jwt.kb_jwt)
            out["key_binding_jwt"] = {"header": kb.header, "payload": kb.payload}
        except CredentialError as exc:
            out["key_binding_jwt"] = {"error": f"{exc.code}: {exc.message}"}
    try:
        out["claims_if_valid"] = decode_sd_jwt(sd_jwt).claims
    except CredentialError as exc:
        out["structure_error"] = f"{exc.code}: {exc.message}"
    _print_json(out)


@app.command()
def issue(
    issuer_key: Annotated[str, typer.Option(help="issuer private JWK file")],
    claims: Annotated[str, typer.Option(help="claims JSON file (or - for stdin)")],
    sd: Annotated[
        list[str] | None, typer.Option(help="selectively disclosable claim path (repeatable)")
    ] = None,
    holder_key: Annotated[
        str | None, typer.Option(help="holder JWK file (its public part goes into cnf)")
    ] = None,
    vct: Annotated[str | None, typer.Option(help="credential type: makes an SD-JWT VC")] = None,
    iss: Annotated[str | None, typer.Option(help="issuer identifier (iss)")] = None,
    kid: Annotated[str | None, typer.Option(help="key id for the JWS header")] = None,
    expires_in: Annotated[
        int | None, typer.Option(help="validity in seconds from now (sets exp)")
    ] = None,
    decoys: Annotated[int, typer.Option(help="up to this many decoy digests per object")] = 0,
) -> None:
    """Print a new SD-JWT (an SD-JWT VC with --vct)."""
    key = _private_key(issuer_key)
    data = _read_json(claims)
    if not isinstance(data, dict):
        _fail("the claims file must hold a JSON object")
    holder = _public_key(holder_key) if holder_key else None
    now = system_time()
    try:
        if vct is None:
            if iss is not None:
                data["iss"] = iss
            if expires_in is not None:
                data["exp"] = now + expires_in
            data.setdefault("iat", now)
            result = issue_sd_jwt(
                data, key, sd_paths=sd or (), kid=kid, holder_key=holder, decoys=decoys
            )
        else:
            registered = {name: data.pop(name) for name in RESERVED_CLAIMS & set(data)}
            issuer_id = iss or registered.get("iss")
            if not isinstance(issuer_id, str):
                _fail("an SD-JWT VC needs an issuer", hint="add --iss https://issuer.example")
            exp = now + expires_in if expires_in is not None else registered.get("exp")
            result = issue_sd_jwt_vc(
                data,
                key,
                iss=issuer_id,
                vct=vct,
                iat=int(registered.get("iat", now)),
                exp=exp,
                nbf=registered.get("nbf"),
                status=registered.get("status"),
                sd_paths=sd or (),
                holder_key=holder,
                kid=kid,
                decoys=decoys,
            )
    except CredentialError as exc:
        _fail(exc.message, code=exc.code)
    typer.echo(result.serialize())


@app.command()
def present(
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="the issued SD-JWT")],
    disclose: Annotated[
        list[str] | None, typer.Option(help="claim path to disclose (repeatable)")
    ] = None,
    holder_key: Annotated[
        str | None, typer.Option(help="holder private JWK: adds a KB-JWT")
    ] = None,
    nonce: Annotated[str | None, typer.Option(help="verifier's nonce (with --holder-key)")] = None,
    aud: Annotated[
        str | None, typer.Option(help="verifier's identifier (with --holder-key)")
    ] = None,
    now: Annotated[int | None, typer.Option(help="UNIX time for the KB-JWT iat")] = None,
) -> None:
    """Print a presentation disclosing only the given claims (and the parents they need)."""
    if holder_key and (not nonce or not aud):
        _fail("key binding needs --nonce and --aud", hint="ask the verifier for both")
    try:
        result = present_sd_jwt(
            _read_text(source),
            disclose=disclose or (),
            holder_key=_private_key(holder_key) if holder_key else None,
            nonce=nonce,
            aud=aud,
            iat=now if now is not None else system_time(),
        )
    except CredentialError as exc:
        _fail(exc.message, code=exc.code)
    typer.echo(result.serialize())


def _did_key(did: str) -> IssuerKeyResolver:
    """Key lookup for --issuer-did: the header ``kid`` picks an assertion key of that DID."""
    with Fetcher() as fetcher:
        document = Resolver(fetcher=fetcher).resolve(did)

    def resolve(jws: JWS) -> PublicKey:
        kid = jws.kid
        if kid is None:
            keys = [
                vm.public_key.to_jwk()
                for vm in document.verification_methods
                if vm.id in document.assertion_method
            ]
            return select_jwk(keys, None, issuer=did)
        reference = kid if kid.startswith(("#", "did:")) else f"#{kid}"
        try:
            return document.find_key(reference, relationship="assertionMethod")
        except DIDError as exc:
            raise IssuerKeyError(exc.message, code=exc.code) from exc

    return resolve


@app.command()
def verify(
    source: Annotated[str, typer.Argument(metavar="FILE|-", help="SD-JWT or SD-JWT+KB")],
    issuer_key: Annotated[str | None, typer.Option(help="issuer public JWK file")] = None,
    issuer_did: Annotated[
        str | None, typer.Option(help="issuer DID (resolved for its key)")
    ] = None,
    vc: Annotated[bool, typer.Option("--vc", help="apply the SD-JWT VC profile")] = False,
    require_kb: Annotated[
        bool, typer.Option("--require-kb", help="require key binding (needs --nonce, --aud)")
    ] = False,
    nonce: Annotated[str | None, typer.Option(help="expected KB-JWT nonce")] = None,
    aud: Annotated[str | None, typer.Option(help="expected KB-JWT audience")] = None,
    now: Annotated[int | None, typer.Option(help="UNIX time used for every time check")] = None,
    allow_legacy_typ: Annotated[
        bool, typer.Option("--allow-legacy-typ", help="accept the old vc+sd-jwt typ (with --vc)")
    ] = False,
) -> None:
    """Verify and print the verified claims as JSON; exit 1 with the reason when rejected."""
    if (issuer_key is None) == (issuer_did is None):
        _fail("give exactly one of --issuer-key and --issuer-did")
    if require_kb and (not nonce or not aud):
        _fail("--require-kb needs --nonce and --aud")
    text = _read_text(source)
    at = now if now is not None else system_time()
    try:
        key: PublicKey | IssuerKeyResolver = (
            _public_key(issuer_key) if issuer_key else _did_key(str(issuer_did))
        )
        if vc:
            claims = verify_sd_jwt_vc(
                text,
                issuer_key=key,
                now=at,
                require_key_binding=require_kb,
                nonce=nonce,
                aud=aud,
                allow_legacy_typ=allow_legacy_typ,
            ).claims
        else:
            claims = verify_sd_jwt(
                text, issuer_key=key, now=at, require_key_binding=require_kb, nonce=nonce, aud=aud
            ).claims
    except (CredentialError, DIDError) as exc:
        _fail(f"rejected: {exc.message}", code=exc.code, status=EXIT_REJECTED)
    _print_json(claims)
