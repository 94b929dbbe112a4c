"""The wallet's trust store: the certificate authorities whose certificates it accepts, for
issuers (the ``x5c`` chain of an SD-JWT VC, HAIP 1.0 §6.1.1) and for verifiers (the ``x5c``
chain of an ``x509_san_dns:`` / ``x509_hash:`` request, OpenID4VP 1.0 §5.9.3, HAIP 1.0 §5).

Three sources, all of them trusted the same way (as given, for issuers and verifiers):

* **shipped**: every ``*.pem`` in the ``wallet/anchors/`` package folder. The national
  digital-identity agency's root goes there when the wallet is built for distribution, so a
  citizen's wallet trusts it from the first start (see ``wallet/anchors/README.md``);
* **configured**: ``DRUKID_WALLET_X509_ANCHOR_FILES`` (PEM files), for a deployment or a test;
* **added by the citizen**: ``drukid wallet trust add-root FILE``, kept in the encrypted
  catalog (:class:`TrustedRoot`), removed with ``trust remove-root``.

An anchor must be a certificate authority's certificate (basicConstraints CA:TRUE), a root or
an intermediate: a leaf certificate vouches for nobody. CRLs come from
``DRUKID_WALLET_X509_CRL_FILES`` (never fetched).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from credentials.errors import X509Error
from credentials.x509 import (
    CertificateName,
    TrustAnchor,
    parse_certificate_der,
    parse_certificates,
    parse_crl,
    sha256_fingerprint,
)
from wallet.errors import PresentError, ReceiveError, WalletError

__all__ = [
    "SHIPPED_ANCHORS",
    "UNTRUSTED_CODES",
    "RootView",
    "Trust",
    "TrustedRoot",
    "anchor_of",
    "certificate_refusal",
    "load_anchor_files",
    "load_crl_files",
    "root_from_pem",
    "shipped_anchor_files",
    "views",
]

SHIPPED_ANCHORS = Path(__file__).resolve().parent / "anchors"
MAX_ROOTS = 100


def _invalid(message: str) -> WalletError:
    return WalletError(message, code="trust_root_invalid")


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _words(cert: x509.Certificate) -> str:
    return CertificateName.from_x509(cert.subject).words


@dataclass(frozen=True, slots=True)
class TrustedRoot:
    """A root (or intermediate) the citizen added: DER as standard base64, and a label."""

    label: str
    certificate: str
    added_at: int

    @property
    def x509(self) -> x509.Certificate:
        return parse_certificate_der(base64.b64decode(self.certificate))

    @property
    def fingerprint(self) -> str:
        return sha256_fingerprint(self.x509)

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "certificate": self.certificate, "added_at": self.added_at}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TrustedRoot:
        return cls(str(data["label"]), str(data["certificate"]), int(data["added_at"]))


@dataclass(frozen=True, slots=True)
class RootView:
    """A trusted authority as ``trust roots`` lists it."""

    label: str
    subject: str
    fingerprint: str
    valid_until: int
    source: str  # "shipped", "configured" or "added"


@dataclass(frozen=True, slots=True)
class Trust:
    """The certificate authorities and revocation lists one operation checks chains against
    (:mod:`wallet.trust`); ``sources`` says where each anchor came from."""

    anchors: tuple[TrustAnchor, ...]
    sources: tuple[str, ...]
    crls: tuple[x509.CertificateRevocationList, ...]
    development: bool = False


def root_from_pem(data: bytes, *, label: str | None, now: int) -> TrustedRoot:
    """A certificate authority's certificate from a PEM (or DER) file, ready to keep."""
    try:
        certificates = parse_certificates(data)
    except X509Error as exc:
        raise _invalid(f"the file is not a certificate: {exc.message}") from exc
    if len(certificates) != 1:
        raise _invalid(
            f"the file holds {len(certificates)} certificates; add one authority at a time"
        )
    [cert] = certificates
    if not _is_ca(cert):
        raise _invalid(
            f"{_words(cert)} is not a certificate authority's certificate (CA:TRUE); trust the "
            "authority that issued it instead"
        )
    if cert.not_valid_after_utc.timestamp() < now:
        raise _invalid(f"the certificate of {_words(cert)} has expired")
    der = base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii")
    return TrustedRoot((label or _words(cert))[:100], der, now)


def shipped_anchor_files() -> list[Path]:
    """The ``*.pem`` files shipped in ``wallet/anchors/`` (none in a development checkout)."""
    return sorted(SHIPPED_ANCHORS.glob("*.pem")) if SHIPPED_ANCHORS.is_dir() else []


def load_anchor_files(paths: Iterable[Path], *, source: str) -> list[tuple[TrustAnchor, str]]:
    """Anchors from PEM files (each may hold several certificates), with their source."""
    found = []
    for path in paths:
        try:
            certificates = parse_certificates(path.read_bytes())
        except OSError as exc:
            raise _invalid(f"cannot read the trusted authority {path}: {exc.strerror}") from exc
        except X509Error as exc:
            raise _invalid(f"{path} is not a certificate file: {exc.message}") from exc
        for cert in certificates:
            if not _is_ca(cert):
                raise _invalid(f"{path}: {_words(cert)} is not a certificate authority")
            found.append((TrustAnchor(cert, label=_words(cert)), source))
    return found


def load_crl_files(paths: Sequence[Path]) -> tuple[x509.CertificateRevocationList, ...]:
    crls = []
    for path in paths:
        try:
            crls.append(parse_crl(path.read_bytes()))
        except OSError as exc:
            raise _invalid(f"cannot read the revocation list {path}: {exc.strerror}") from exc
        except X509Error as exc:
            raise _invalid(f"{path} is not a revocation list: {exc.message}") from exc
    return tuple(crls)


# A chain that leads to no authority the wallet trusts (or a wallet that trusts none yet):
# something the citizen can fix by adding the authority, unlike an expired or revoked chain.
UNTRUSTED_CODES = frozenset({"x5c_chain_untrusted", "x509_anchor_invalid"})


def certificate_refusal(exc: X509Error, whose: str) -> WalletError:
    """A certificate chain that failed, as the wallet's error: for an issuer,
    ``issuer_certificate_untrusted`` when it leads to no trusted authority, else
    ``issuer_certificate_invalid``; for a verifier always ``verifier_certificate_invalid`` (a
    verifier chain to no trusted authority is a consent warning, not an error, see
    :mod:`wallet.oid4vp.certificates`). The certificate rule's own code is in the message."""
    issuer = whose == "the issuer"
    prefix, kind = ("issuer", ReceiveError) if issuer else ("verifier", PresentError)
    if issuer and exc.code in UNTRUSTED_CODES:
        return kind(
            f"{whose}'s certificate is not vouched for by an authority this wallet trusts "
            f"({exc.code}: {exc.message})",
            code=f"{prefix}_certificate_untrusted",
        )
    return kind(
        f"{whose}'s certificate was refused ({exc.code}: {exc.message})",
        code=f"{prefix}_certificate_invalid",
    )


def anchor_of(root: TrustedRoot) -> TrustAnchor:
    return TrustAnchor(root.x509, label=root.label)


def views(anchors: Sequence[tuple[TrustAnchor, str]]) -> list[RootView]:
    """What ``trust roots`` shows, one line per distinct certificate."""
    seen: set[str] = set()
    out = []
    for anchor, source in anchors:
        fingerprint = sha256_fingerprint(anchor.certificate)
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        out.append(
            RootView(
                anchor.label or _words(anchor.certificate),
                _words(anchor.certificate),
                fingerprint,
                int(anchor.certificate.not_valid_after_utc.timestamp()),
                source,
            )
        )
    return out
