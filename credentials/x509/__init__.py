"""X.509 trust for drukid (HAIP 1.0): validate ``x5c`` chains to trust anchors, bind the leaf to
an issuer or verifier name, check CRLs, and build the certificates of a national PKI.

Pure logic: values in, values out. Time is an argument; nothing here reads the clock, the
environment or the network (CRLs are passed in; there is no OCSP and no CRL fetching).

A verifier checking an SD-JWT VC issuer-signed JWT::

    chain = validate_x5c(jws.header.get("x5c"), anchors, time=now, crls=crls)
    verify_issuer_name(chain, jws.payload.get("iss"))
    verify_vct_allowed(chain, jws.payload.get("vct"))
    verify_jws(jws, chain.public_key, typ="dc+sd-jwt")

A wallet checking a signed OpenID4VP request: ``validate_x5c``, then
``verify_client_id(chain, client_id)``, then ``verify_jws`` with ``chain.public_key``.

An issuer or verifier checking its own chain before it signs with it:
``check_signing_chain(certificates, key.public_key, time=now)``.
"""

from credentials.x509.build import (
    LeafPurpose,
    Revocation,
    add_revocation,
    create_crl,
    create_intermediate_ca,
    create_leaf,
    create_root_ca,
)
from credentials.x509.certificates import (
    MAX_CERTIFICATE_BYTES,
    MAX_X5C_CERTIFICATES,
    CertificateName,
    encode_x5c,
    parse_certificate_der,
    parse_certificates,
    parse_x5c,
    san_dns_names,
    san_uris,
    sha256_fingerprint,
    x509_hash,
)
from credentials.x509.chain import (
    TrustAnchor,
    ValidatedChain,
    leaf_public_key,
    validate_x5c,
    verify_vct_allowed,
)
from credentials.x509.names import (
    X509_HASH_PREFIX,
    X509_SAN_DNS_PREFIX,
    verify_client_id,
    verify_issuer_name,
    verify_leaf_client_id,
    verify_leaf_issuer_name,
    x509_hash_client_id,
    x509_san_dns_client_ids,
)
from credentials.x509.revocation import MAX_CRL_BYTES, parse_crl
from credentials.x509.signing import SigningChain, check_signing_chain

__all__ = [
    "MAX_CERTIFICATE_BYTES",
    "MAX_CRL_BYTES",
    "MAX_X5C_CERTIFICATES",
    "X509_HASH_PREFIX",
    "X509_SAN_DNS_PREFIX",
    "CertificateName",
    "LeafPurpose",
    "Revocation",
    "SigningChain",
    "TrustAnchor",
    "ValidatedChain",
    "add_revocation",
    "check_signing_chain",
    "create_crl",
    "create_intermediate_ca",
    "create_leaf",
    "create_root_ca",
    "encode_x5c",
    "leaf_public_key",
    "parse_certificate_der",
    "parse_certificates",
    "parse_crl",
    "parse_x5c",
    "san_dns_names",
    "san_uris",
    "sha256_fingerprint",
    "validate_x5c",
    "verify_client_id",
    "verify_issuer_name",
    "verify_leaf_client_id",
    "verify_leaf_issuer_name",
    "verify_vct_allowed",
    "x509_hash",
    "x509_hash_client_id",
    "x509_san_dns_client_ids",
]
