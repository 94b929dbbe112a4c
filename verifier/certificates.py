"""The verifier's X.509 files: its request-signing certificate (for the ``x509_san_dns:`` and
``x509_hash:`` client identifiers, OpenID4VP 1.0 §5.9.3, HAIP 1.0 §5) and the certificate
revocation lists it checks issuer chains against.

The certificate is checked once, at start-up, with
:func:`credentials.x509.check_signing_chain` (leaf first, intermediates, never the root; the
key file's key; valid now), and for ``x509_san_dns`` the certificate must name the verifier's
own host as a dNSName: wallets check that the host of ``response_uri`` is the client id
(§5.9.3 "the FQDN of the redirect_uri value MUST match the Client Identifier").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

from credentials.errors import X509Error
from credentials.x509 import (
    X509_SAN_DNS_PREFIX,
    SigningChain,
    check_signing_chain,
    parse_certificates,
    parse_crl,
    san_dns_names,
    x509_hash_client_id,
)
from did.errors import DIDError
from did.keys import PrivateKey
from verifier.errors import TrustError

__all__ = ["RequestCertificate", "load_crls", "load_request_certificate"]


@dataclass(frozen=True, slots=True)
class RequestCertificate:
    """The key that signs ``x509_*`` request objects and its checked chain."""

    key: PrivateKey
    chain: SigningChain

    @property
    def x5c(self) -> list[str]:
        return self.chain.x5c

    def client_id(self, scheme: str, public_url: str) -> str:
        """``x509_hash:<hash of the leaf>`` or ``x509_san_dns:<the public URL's host>``."""
        if scheme == "x509_hash":
            return x509_hash_client_id(self.chain.leaf)
        host = urlsplit(public_url).hostname or ""
        return X509_SAN_DNS_PREFIX + host


def _invalid(message: str, cause: str | None = None) -> TrustError:
    return TrustError(message, code="request_certificate_invalid", cause=cause)


def load_request_certificate(
    chain_file: Path, key_file: Path, *, scheme: str, public_url: str, now: int
) -> RequestCertificate:
    """Read and check the request-signing certificate (``request_certificate_invalid``)."""
    try:
        key = PrivateKey.load(key_file)
    except (DIDError, OSError) as exc:
        raise _invalid(f"cannot load the request-signing key {key_file}: {exc}") from exc
    try:
        certificates = parse_certificates(chain_file.read_bytes())
        chain = check_signing_chain(certificates, key.public_key, time=now)
    except OSError as exc:
        raise _invalid(f"cannot read {chain_file}: {exc.strerror}") from exc
    except X509Error as exc:
        raise _invalid(f"{chain_file}: {exc.message}", exc.code) from exc
    if scheme == "x509_san_dns":
        host = (urlsplit(public_url).hostname or "").lower()
        names = [name.lower() for name in san_dns_names(chain.leaf)]
        if host not in names:
            raise _invalid(
                f"the certificate in {chain_file} names {', '.join(names) or 'no host'}, not "
                f"this verifier's host {host!r}; wallets refuse an x509_san_dns verifier whose "
                "answer address is on another host (issue it with --san-dns "
                f"{host or 'HOST'})",
                "x5c_san_mismatch",
            )
    return RequestCertificate(key, chain)


def load_crls(files: Sequence[Path]) -> tuple[x509.CertificateRevocationList, ...]:
    """Every CRL file (PEM or DER); a missing or damaged one stops the start (fail closed)."""
    crls = []
    for path in files:
        try:
            crls.append(parse_crl(path.read_bytes()))
        except OSError as exc:
            raise TrustError(
                f"cannot read the revocation list {path}: {exc.strerror}",
                code="trust_file_unreadable",
            ) from exc
        except X509Error as exc:
            raise TrustError(f"{path}: {exc.message}", code="trust_invalid") from exc
    return tuple(crls)
