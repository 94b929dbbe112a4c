"""``drukid pki``: run a small national PKI from the command line, and read certificates in words.

``create-root`` → ``create-intermediate`` → ``issue`` (issuer, verifier or wallet-provider
signing certificates) → ``verify``; ``revoke`` keeps a CRL; ``inspect`` explains a certificate;
``key-attestation`` signs a development key attestation (OpenID4VCI 1.0 Appendix D).
Certificates and CRLs are PEM. Private keys are JWK files written with mode 0600 and never
printed. No file is overwritten without ``--force`` (``revoke`` updates its own CRL in place).
Every failure prints ``error:``, ``what to do:`` and ``code:`` lines and exits with status 1.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding

from core import terminal
from core.encoding import EncodingError, parse_json
from credentials.clock import system_time
from credentials.errors import X509Error
from credentials.oauth.key_attestation import SOFTWARE_KEY_STORAGE, make_key_attestation
from credentials.x509.build import (
    LeafPurpose,
    Revocation,
    add_revocation,
    create_intermediate_ca,
    create_leaf,
    create_root_ca,
)
from credentials.x509.certificates import (
    CertificateName,
    encode_x5c,
    parse_certificates,
    san_dns_names,
    san_uris,
    sha256_fingerprint,
)
from credentials.x509.chain import TrustAnchor, validate_x5c
from credentials.x509.names import (
    verify_client_id,
    verify_issuer_name,
    x509_hash_client_id,
    x509_san_dns_client_ids,
)
from credentials.x509.revocation import parse_crl
from did.errors import DIDError
from did.files import atomic_write
from did.keys import EDDSA, ES256, PrivateKey, PublicKey

__all__ = ["app"]

app = typer.Typer(
    name="pki",
    help="Run a certificate authority for drukid (X.509, HAIP 1.0) and read certificates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Certificates start a little in the past so that a verifier whose clock is a few minutes
# behind does not see a brand-new certificate as "not valid yet".
BACKDATE = dt.timedelta(minutes=5)

HINTS = {
    "file_exists": "Choose another file name, or add --force to replace the old file.",
    "file_unreadable": "Check the file name and that you may read it.",
    "cannot_write": "Check that the folder exists and that you may write to it.",
    "invalid_option": "Check the value given on the command line (see --help).",
    "crl_not_this_ca": "Use another --crl file, or add --force to start a new list in its place.",
    "invalid_key": "Use a key file made by drukid (a JWK), for example the one create-root wrote.",
    "x509_certificate_malformed": "The file is not a PEM certificate. Ask its sender for the "
    "certificate again.",
    "x509_crl_malformed": "The file is not a revocation list (CRL). Ask the CA for it again.",
    "x509_build_invalid": "Fix the value named above and run the command again.",
    "x5c_malformed": "The chain file is damaged. Ask its sender for it again.",
    "x5c_too_large": "The chain has too many or too large certificates; it is not a drukid chain.",
    "x5c_chain_untrusted": "The chain does not lead to the --anchor you gave. Check that you have "
    "the right root (or intermediate) and that the chain includes its intermediates.",
    "x5c_expired": "Ask the certificate's owner for a new certificate (pki issue).",
    "x5c_not_yet_valid": "Check this computer's date and time, or wait until the start date.",
    "x5c_leaf_is_ca": "A CA certificate cannot sign credentials. Issue a signing certificate "
    "with pki issue.",
    "x5c_leaf_is_anchor": "Give the CA that issued this certificate as --anchor, not the "
    "certificate itself.",
    "x5c_self_signed_leaf": "A self-signed certificate is trusted by nobody. Have a CA issue one "
    "with pki issue.",
    "x5c_key_usage": "This certificate may not make signatures. Issue a signing certificate "
    "with pki issue.",
    "x5c_key_unsupported": "drukid signs with ES256 (P-256) or EdDSA (Ed25519) keys only.",
    "x5c_revoked": "This certificate was withdrawn by its CA. Do not trust what it signed.",
    "x5c_crl_stale": "Get the CA's latest revocation list, or add --accept-stale-crl to go on "
    "with a warning.",
    "x5c_crl_invalid": "The revocation list is not from the CA it names. Get it again from the "
    "CA itself.",
    "x5c_crl_missing": "Give the revocation list of every CA in the chain with --crl.",
    "x5c_san_mismatch": "The certificate is for another name. Check the issuer id or client id, "
    "or issue a certificate with the right --san-uri/--san-dns.",
    "x509_hash_mismatch": "The client id was made from another certificate. Compute it again "
    "with pki inspect.",
    "x509_client_id_unsupported": "Give a client id that starts with x509_san_dns: or x509_hash:.",
    "x509_anchor_invalid": "Give at least one trusted root or intermediate with --anchor.",
}


class Purpose(StrEnum):
    issuer = LeafPurpose.ISSUER.value
    verifier = LeafPurpose.VERIFIER.value
    wallet_provider = LeafPurpose.WALLET_PROVIDER.value


class Alg(StrEnum):
    ES256 = ES256
    EdDSA = EDDSA


class Reason(StrEnum):
    key_compromise = "key-compromise"
    ca_compromise = "ca-compromise"
    affiliation_changed = "affiliation-changed"
    superseded = "superseded"
    cessation_of_operation = "cessation-of-operation"


_PURPOSE_WORDS = {
    Purpose.issuer: "credential issuer",
    Purpose.verifier: "verifier",
    Purpose.wallet_provider: "wallet provider",
}

_REASONS = {
    Reason.key_compromise: x509.ReasonFlags.key_compromise,
    Reason.ca_compromise: x509.ReasonFlags.ca_compromise,
    Reason.affiliation_changed: x509.ReasonFlags.affiliation_changed,
    Reason.superseded: x509.ReasonFlags.superseded,
    Reason.cessation_of_operation: x509.ReasonFlags.cessation_of_operation,
}


def _fail(code: str, message: str) -> NoReturn:
    raise terminal.fail(message, HINTS.get(code, "See drukid pki --help."), code)


def _now() -> dt.datetime:
    return dt.datetime.fromtimestamp(system_time(), dt.UTC)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        _fail("file_unreadable", f"cannot read {path}: {exc.strerror}")


def _certificates(path: Path) -> tuple[x509.Certificate, ...]:
    try:
        return parse_certificates(_read(path))
    except X509Error as exc:
        _fail(exc.code, f"{path}: {exc.message}")


def _private_key(path: Path) -> PrivateKey:
    try:
        return PrivateKey.load(path)
    except DIDError as exc:
        _fail("invalid_key", f"{path} is not a usable private key: {exc.message}")


def _free(paths: Sequence[Path], force: bool) -> None:
    for path in paths:
        if path.exists() and not force:
            _fail("file_exists", f"{path} already exists; it was not changed")


def _write(path: Path, data: bytes, *, mode: int) -> None:
    try:
        atomic_write(path, data, mode=mode)
    except OSError as exc:
        _fail("cannot_write", f"cannot write {path}: {exc.strerror}")


def _pem(certificates: Sequence[x509.Certificate]) -> bytes:
    return b"".join(cert.public_bytes(Encoding.PEM) for cert in certificates)


def _save_key(key: PrivateKey, path: Path) -> None:
    try:
        key.save(path)
    except OSError as exc:
        _fail("cannot_write", f"cannot write {path}: {exc.strerror}")


def _window(days: int, issuer: x509.Certificate | None) -> tuple[dt.datetime, dt.datetime]:
    if days < 1:
        _fail("invalid_option", "--days must be at least 1")
    now = _now()
    start, end = now - BACKDATE, now + dt.timedelta(days=days)
    if issuer is not None:
        start = max(start, issuer.not_valid_before_utc)
        if end > issuer.not_valid_after_utc:
            left = (issuer.not_valid_after_utc - now).days
            _fail(
                "x509_build_invalid",
                f"the CA's own certificate ends on {_date(issuer.not_valid_after_utc)}, before "
                f"{days} days from now; use --days {left} or less (or renew the CA first)",
            )
    return start, end


def _name(name: str, organization: str | None, country: str | None) -> CertificateName:
    return CertificateName(name, organization, country.upper() if country else None)


def _ca(cert_path: Path, key_path: Path) -> tuple[tuple[x509.Certificate, ...], PrivateKey]:
    chain = _certificates(cert_path)
    return chain, _private_key(key_path)


def _written(what: str, cert: x509.Certificate, cert_path: Path, key_path: Path | None) -> None:
    typer.echo(f"{what} for {CertificateName.from_x509(cert.subject).words}")
    typer.echo(f"  certificate: {cert_path}  (valid until {_date(cert.not_valid_after_utc)})")
    if key_path is not None:
        typer.echo(f"  private key: {key_path}  (readable only by you; never share it)")


NameOpt = Annotated[str, typer.Option("--name", help="Common name, e.g. 'Druk Trust Root 2026'.")]
OrgOpt = Annotated[str | None, typer.Option(help="Organisation, e.g. 'Ministry of Health'.")]
CountryOpt = Annotated[str | None, typer.Option(help="Two-letter country code, e.g. BT.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace files that already exist.")]
CaCertOpt = Annotated[Path, typer.Option(help="The issuing CA's certificate (PEM).")]
CaKeyOpt = Annotated[Path, typer.Option(help="The issuing CA's private key file.")]


@app.command("create-root")
def create_root(
    name: NameOpt,
    organization: OrgOpt = None,
    country: CountryOpt = None,
    days: Annotated[int, typer.Option(help="How many days the root is valid.")] = 3650,
    path_length: Annotated[
        int, typer.Option(help="How many levels of intermediate CAs may sit below the root.")
    ] = 1,
    cert: Annotated[Path, typer.Option(help="Where to write the certificate.")] = Path("root.pem"),
    key: Annotated[Path, typer.Option(help="Where to write the private key.")] = Path(
        "root.key.json"
    ),
    force: ForceOpt = False,
) -> None:
    """Create the root CA: the national agency's own key and self-signed certificate."""
    _free([cert, key], force)
    private = PrivateKey.generate(ES256)
    start, end = _window(days, None)
    try:
        root = create_root_ca(
            private,
            _name(name, organization, country),
            not_before=start,
            not_after=end,
            path_length=path_length,
        )
    except X509Error as exc:
        _fail(exc.code, exc.message)
    _save_key(private, key)
    _write(cert, _pem([root]), mode=0o644)
    _written("Root CA created", root, cert, key)
    typer.echo("  Keep the root key offline; use it only to create intermediate CAs.")


@app.command("create-intermediate")
def create_intermediate(
    name: NameOpt,
    ca_cert: CaCertOpt,
    ca_key: CaKeyOpt,
    organization: OrgOpt = None,
    country: CountryOpt = None,
    days: Annotated[int, typer.Option(help="How many days the CA is valid.")] = 1825,
    path_length: Annotated[
        int, typer.Option(help="How many levels of CAs may sit below this one.")
    ] = 0,
    cert: Annotated[Path, typer.Option(help="Where to write the certificate.")] = Path(
        "intermediate.pem"
    ),
    key: Annotated[Path, typer.Option(help="Where to write the private key.")] = Path(
        "intermediate.key.json"
    ),
    force: ForceOpt = False,
) -> None:
    """Create an intermediate CA signed by --ca-cert (a root or another intermediate)."""
    _free([cert, key], force)
    chain, signer = _ca(ca_cert, ca_key)
    private = PrivateKey.generate(ES256)
    start, end = _window(days, chain[0])
    try:
        made = create_intermediate_ca(
            private.public_key,
            _name(name, organization, country),
            issuer_cert=chain[0],
            issuer_key=signer,
            not_before=start,
            not_after=end,
            path_length=path_length,
        )
    except X509Error as exc:
        _fail(exc.code, exc.message)
    _save_key(private, key)
    _write(cert, _pem([made]), mode=0o644)
    _written("Intermediate CA created", made, cert, key)


def _self_signed(cert: x509.Certificate) -> bool:
    return cert.subject == cert.issuer


@app.command()
def issue(
    purpose: Annotated[Purpose, typer.Option(help="What the certificate will sign.")],
    name: NameOpt,
    ca_cert: CaCertOpt,
    ca_key: CaKeyOpt,
    organization: OrgOpt = None,
    country: CountryOpt = None,
    san_uri: Annotated[
        list[str] | None,
        typer.Option(help="An https URI the holder speaks for (an issuer's iss). Repeatable."),
    ] = None,
    san_dns: Annotated[
        list[str] | None,
        typer.Option(help="A host name the holder speaks for (x509_san_dns). Repeatable."),
    ] = None,
    days: Annotated[int, typer.Option(help="How many days the certificate is valid.")] = 365,
    alg: Annotated[Alg, typer.Option(help="Algorithm of a new key.")] = Alg.ES256,
    use_key: Annotated[
        Path | None,
        typer.Option(help="Certify this existing key (JWK file) instead of making a new one."),
    ] = None,
    cert: Annotated[
        Path | None, typer.Option(help="Where to write the certificate [default: PURPOSE.pem].")
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(help="Where to write a new private key [default: PURPOSE.key.json]."),
    ] = None,
    chain: Annotated[
        Path | None,
        typer.Option(help="Also write the certificate with its intermediates (the x5c order)."),
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Issue a signing certificate for an issuer, a verifier or a wallet provider."""
    cert = cert or Path(f"{purpose.value}.pem")
    new_key = use_key is None
    key_path = (key or Path(f"{purpose.value}.key.json")) if new_key else None
    _free([p for p in (cert, key_path, chain) if p is not None], force)
    ca_chain, signer = _ca(ca_cert, ca_key)
    private = PrivateKey.generate(alg.value) if use_key is None else None
    if private is not None:
        public = private.public_key
    else:
        assert use_key is not None
        try:
            public = PublicKey.from_jwk(_json(use_key))  # type: ignore[arg-type]
        except DIDError as exc:
            _fail("invalid_key", f"{use_key} is not a usable key: {exc.message}")
    start, end = _window(days, ca_chain[0])
    try:
        made = create_leaf(
            LeafPurpose(purpose.value),
            public,
            _name(name, organization, country),
            issuer_cert=ca_chain[0],
            issuer_key=signer,
            not_before=start,
            not_after=end,
            san_uris=san_uri or (),
            san_dns=san_dns or (),
        )
    except X509Error as exc:
        _fail(exc.code, exc.message)
    if private is not None and key_path is not None:
        _save_key(private, key_path)
    _write(cert, _pem([made]), mode=0o644)
    if chain is not None:
        intermediates = [c for c in ca_chain if not _self_signed(c)]
        _write(chain, _pem([made, *intermediates]), mode=0o644)
    _written(f"Signing certificate ({_PURPOSE_WORDS[purpose]}) issued", made, cert, key_path)
    if chain is not None:
        typer.echo(f"  chain (for x5c): {chain}")
    if purpose is Purpose.verifier:
        typer.echo(f"  client id: {x509_hash_client_id(made)}")


def _json(path: Path) -> object:
    try:
        return parse_json(_read(path))
    except EncodingError:
        _fail("invalid_key", f"{path} is not a JSON key file")


def _serial(value: str) -> int:
    text = value.strip().lower().replace(":", "").removeprefix("0x")
    try:
        serial = int(text, 16)
    except ValueError:
        _fail("invalid_option", f"serial {value!r} is not a hexadecimal number")
    if serial <= 0:
        _fail("invalid_option", "a serial number is positive")
    return serial


@app.command()
def revoke(
    ca_cert: CaCertOpt,
    ca_key: CaKeyOpt,
    crl: Annotated[Path, typer.Option(help="The CA's revocation list (created if missing).")],
    serial: Annotated[
        str | None, typer.Option(help="Serial number (hex) of the certificate to revoke.")
    ] = None,
    cert: Annotated[Path | None, typer.Option(help="Or: the certificate to revoke.")] = None,
    reason: Annotated[Reason | None, typer.Option(help="Why it is revoked.")] = None,
    days: Annotated[
        int, typer.Option(help="Days until the next update (verifiers refuse the list after).")
    ] = 7,
    force: Annotated[
        bool, typer.Option("--force", help="Start a new list if --crl is not this CA's list.")
    ] = False,
) -> None:
    """Revoke a certificate: add it to the CA's CRL. Without --serial/--cert, re-sign the CRL
    with new dates (do that before its next update so verifiers keep accepting it)."""
    if serial is not None and cert is not None:
        _fail("invalid_option", "give --serial or --cert, not both")
    ca_chain, signer = _ca(ca_cert, ca_key)
    issuer = ca_chain[0]
    target: int | None = None
    if cert is not None:
        revoked = _certificates(cert)[0]
        if revoked.issuer != issuer.subject:
            _fail(
                "invalid_option",
                f"{cert} was issued by {CertificateName.from_x509(revoked.issuer).words}, "
                "not by this CA",
            )
        target = revoked.serial_number
    elif serial is not None:
        target = _serial(serial)
    if days < 1:
        _fail("invalid_option", "--days must be at least 1")
    old: bytes | None = _read(crl) if crl.exists() else None
    now = _now()
    entry = Revocation(target, now, _REASONS[reason] if reason else None) if target else None

    def next_list(previous: bytes | None) -> x509.CertificateRevocationList:
        next_update = now + dt.timedelta(days=days)
        try:
            return add_revocation(
                previous, issuer, signer, entry, this_update=now, next_update=next_update
            )
        except X509Error as exc:
            if previous is not None and exc.code in ("x5c_crl_invalid", "x509_crl_malformed"):
                if force:
                    return next_list(None)
                _fail(
                    "crl_not_this_ca",
                    f"{crl} is not a revocation list of this CA ({exc.message}); it was not "
                    "changed",
                )
            _fail(exc.code, exc.message)

    updated = next_list(old)
    _write(crl, updated.public_bytes(Encoding.PEM), mode=0o644)
    count = len(list(updated))
    if target is not None:
        typer.echo(f"Revoked serial {target:X}.")
    typer.echo(
        f"Revocation list {crl}: {count} revoked certificate{'s' if count != 1 else ''}, "
        f"next update due {_date(now + dt.timedelta(days=days))}."
    )


def _date(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%d %B %Y at %H:%M UTC").lstrip("0")


def _ago(value: dt.datetime, now: dt.datetime) -> str:
    seconds = (value - now).total_seconds()
    days = int(abs(seconds) // 86400)
    if days == 0:
        return "today"
    span = f"{days} day{'s' if days != 1 else ''}"
    return f"in {span}" if seconds > 0 else f"{span} ago"


def _key_words(cert: x509.Certificate) -> str:
    key = cert.public_key()
    if isinstance(key, ed25519.Ed25519PublicKey):
        return f"Ed25519 (EdDSA), thumbprint {PublicKey.from_crypto(key).thumbprint()}"
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return f"P-256 (ES256), thumbprint {PublicKey.from_crypto(key).thumbprint()}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"elliptic curve {key.curve.name} (not used by drukid)"
    return f"{type(key).__name__.removesuffix('PublicKey').lstrip('_')} (not used by drukid)"


def _uses(cert: x509.Certificate) -> list[str]:
    try:
        usage: x509.KeyUsage | None = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    try:
        ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        ca = None
    uses = []
    if ca is not None and ca.ca:
        below = {
            None: "any number of CA levels may sit below it",
            0: "it issues signing certificates only, no further CAs",
            1: "one level of intermediate CAs may sit below it",
        }.get(ca.path_length, f"{ca.path_length} levels of CAs may sit below it")
        uses.append(f"vouch for other certificates (a certificate authority; {below})")
    if usage is None:
        uses.append("not limited by key usage (drukid refuses such signing certificates)")
        return uses
    if usage.digital_signature:
        uses.append("sign credentials, requests and attestations (digital signature)")
    if usage.key_cert_sign and not (ca is not None and ca.ca):
        uses.append("sign certificates (but it is not a CA, so nobody trusts those)")
    if usage.crl_sign:
        uses.append("sign revocation lists")
    if usage.key_encipherment or usage.key_agreement or usage.data_encipherment:
        uses.append("encryption or key agreement (not used by drukid)")
    if usage.content_commitment:
        uses.append("non-repudiation (content commitment)")
    return uses


def _describe(cert: x509.Certificate, now: dt.datetime) -> list[tuple[str, str]]:
    subject = CertificateName.from_x509(cert.subject).words
    issuer = CertificateName.from_x509(cert.issuer).words
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now < start:
        state = "NOT VALID YET"
    elif now > end:
        state = "EXPIRED"
    else:
        state = "valid now"
    rows = [
        ("For", subject),
        (
            "Vouched for by",
            "itself (a root: trust it only if it came to you from its owner directly)"
            if _self_signed(cert)
            else issuer,
        ),
        ("Valid from", f"{_date(start)} ({_ago(start, now)})"),
        ("Valid until", f"{_date(end)} ({_ago(end, now)}) — {state}"),
    ]
    rows += [("May be used to", use) for use in _uses(cert)]
    rows += [("Speaks for (URI)", uri) for uri in san_uris(cert)]
    rows += [("Speaks for (DNS)", dns) for dns in san_dns_names(cert)]
    rows += [
        ("Key", _key_words(cert)),
        ("Serial number", f"{cert.serial_number:X}"),
        ("SHA-256 fingerprint", sha256_fingerprint(cert)),
    ]
    if not _is_ca(cert):
        rows.append(("x509_hash client id", x509_hash_client_id(cert)))
        rows += [("x509_san_dns client id", cid) for cid in x509_san_dns_client_ids(cert)]
    return rows


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _print_rows(rows: Sequence[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows) + 1
    for label, value in rows:
        typer.echo(f"{label + ':':<{width}} {value}")


@app.command()
def inspect(
    cert: Annotated[Path, typer.Argument(metavar="CERT", help="A certificate file (PEM or DER).")],
) -> None:
    """Explain a certificate in words: who it is for, who vouches for it, dates, uses, names."""
    certificates = _certificates(cert)
    now = _now()
    for index, certificate in enumerate(certificates):
        if len(certificates) > 1:
            if index:
                typer.echo("")
            typer.echo(f"Certificate {index + 1} of {len(certificates)}")
        _print_rows(_describe(certificate, now))


def _at(value: str | None) -> dt.datetime:
    if value is None:
        return _now()
    try:
        if value.isdigit():
            return dt.datetime.fromtimestamp(int(value), dt.UTC)
        parsed = dt.datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError):
        _fail("invalid_option", f"--at {value!r} is not a date (2026-06-01) or UNIX seconds")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@app.command()
def verify(
    chain: Annotated[
        Path, typer.Argument(metavar="CHAIN", help="Signing certificate then intermediates (PEM).")
    ],
    anchor: Annotated[
        list[Path], typer.Option(help="A trusted root or intermediate (PEM). Repeatable.")
    ],
    crl: Annotated[
        list[Path] | None, typer.Option(help="A revocation list to check (PEM or DER). Repeatable.")
    ] = None,
    at: Annotated[
        str | None,
        typer.Option(help="Check at this time (2026-06-01, ISO or UNIX) [default: now]."),
    ] = None,
    iss: Annotated[
        str | None, typer.Option(help="Also check the certificate speaks for this issuer (iss).")
    ] = None,
    client_id: Annotated[
        str | None, typer.Option(help="Also check an x509_san_dns: or x509_hash: client id.")
    ] = None,
    accept_stale_crl: Annotated[
        bool, typer.Option("--accept-stale-crl", help="Warn instead of refusing an old CRL.")
    ] = False,
    crl_required: Annotated[
        bool, typer.Option("--crl-required", help="Refuse when a CA in the chain has no --crl.")
    ] = False,
) -> None:
    """Check a chain against trusted anchors (and CRLs) the way drukid's verifier and wallet do."""
    certificates = _certificates(chain)
    anchors = [TrustAnchor(c) for path in anchor for c in _certificates(path)]
    crls = []
    for path in crl or ():
        try:
            crls.append(parse_crl(_read(path)))
        except X509Error as exc:
            _fail(exc.code, f"{path}: {exc.message}")
    when = _at(at)
    try:
        result = validate_x5c(
            list(certificates),
            anchors,
            time=when,
            crls=crls,
            accept_stale_crl=accept_stale_crl,
            crl_required=crl_required,
        )
        if iss is not None:
            verify_issuer_name(result, iss)
        if client_id is not None:
            verify_client_id(result, client_id)
    except X509Error as exc:
        _fail(exc.code, exc.message)
    typer.echo(f"trusted: {result.subject.words}")
    rows = [
        (
            "Vouched for by",
            " → ".join(CertificateName.from_x509(c.subject).words for c in result.path[1:]),
        ),
        ("Checked at", _date(when)),
        (
            "Revocation",
            f"checked against {len(crls)} list(s)" if crls else "not checked (no --crl)",
        ),
    ]
    rows += [("Speaks for (URI)", uri) for uri in result.san_uris]
    rows += [("Speaks for (DNS)", dns) for dns in result.san_dns_names]
    if iss is not None:
        rows.append(("Issuer id", f"{iss} matches"))
    if client_id is not None:
        rows.append(("Client id", f"{client_id} matches"))
    rows.append(("x509_hash client id", x509_hash_client_id(result.leaf)))
    rows += [("Warning", warning) for warning in result.warnings]
    _print_rows(rows)


@app.command("key-attestation")
def key_attestation(
    cert: Annotated[
        Path,
        typer.Option(
            help="The wallet provider's signing certificate with its intermediates (PEM, leaf "
            "first, as pki issue --purpose wallet-provider --chain wrote it)."
        ),
    ],
    key: Annotated[Path, typer.Option(help="That certificate's private key file.")],
    attest: Annotated[
        list[Path],
        typer.Option(help="A public key (JWK file) to attest. Repeatable: one per key."),
    ],
    key_storage: Annotated[
        list[str] | None,
        typer.Option(
            help="What the keys are kept in: iso_18045_high, iso_18045_moderate, "
            "iso_18045_enhanced-basic, iso_18045_basic or a URL. Repeatable. "
            f"[default: {SOFTWARE_KEY_STORAGE}]"
        ),
    ] = None,
    user_authentication: Annotated[
        list[str] | None,
        typer.Option(help="How the wallet checks its user (same values). Repeatable."),
    ] = None,
    nonce: Annotated[
        str | None, typer.Option(help="The issuer's c_nonce to bind the attestation to.")
    ] = None,
    minutes: Annotated[int, typer.Option(help="How many minutes it is valid.")] = 60,
    out: Annotated[
        Path | None, typer.Option(help="Write it to this file instead of printing it.")
    ] = None,
    force: ForceOpt = False,
) -> None:
    """Make a key attestation (OpenID4VCI 1.0 Appendix D) for development and tests: a wallet
    provider's signed statement of how the given keys are kept. Real wallets get theirs from
    their provider's backend, made on the device's secure hardware; this one only says what
    you type, so issuers must trust the signing CA for development only."""
    if not 1 <= minutes <= 7 * 24 * 60:
        _fail("invalid_option", "--minutes must be between 1 and 10080 (one week)")
    chain = _certificates(cert)
    signer = _private_key(key)
    if _self_signed(chain[0]):
        _fail("invalid_option", f"{cert} starts with a self-signed certificate; give the leaf")
    keys: list[PublicKey] = []
    for path in attest:
        try:
            keys.append(PublicKey.from_jwk(_json(path)))  # type: ignore[arg-type]
        except DIDError as exc:
            _fail("invalid_key", f"{path} is not a usable public key: {exc.message}")
    now = int(_now().timestamp())
    token = make_key_attestation(
        signer,
        encode_x5c([c for c in chain if not _self_signed(c)]),
        keys,
        iat=now,
        exp=now + minutes * 60,
        key_storage=key_storage or [SOFTWARE_KEY_STORAGE],
        user_authentication=user_authentication or [],
        nonce=nonce,
    )
    if out is None:
        typer.echo(token)
        return
    _free([out], force)
    _write(out, token.encode(), mode=0o644)
    typer.echo(f"Key attestation for {len(keys)} key(s) written to {out}.")


# `drukid pki wallet-attestation` lives with the attestation code (credentials.oauth).
from credentials.oauth.cli import wallet_attestation  # noqa: E402

app.command("wallet-attestation")(wallet_attestation)
