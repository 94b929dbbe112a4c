"""Errors raised by the ``credentials`` package.

Every error carries a stable machine-readable ``code`` and a human ``message``; the codes are a
public contract (CLIs print them, services return them, tests assert them)::

    CredentialError               root: ``except CredentialError`` catches everything below
    ├── MalformedError            not parseable: bad base64url/JSON, duplicate keys, caps exceeded
    ├── JOSEError                 JWS/JWE checks: algorithm, typ, crit, signature, key mismatch
    ├── SDJWTError                RFC 9901 issuance/presentation/verification rules
    │   └── KeyBindingError       RFC 9901 §7.3 key binding (KB-JWT) checks
    ├── ValidityError             exp / nbf / iat outside the allowed window
    ├── StatusListError           Token Status List encoding, token and lookup
    ├── DCQLError                 malformed DCQL query or response
    ├── TypeMetadataError         SD-JWT VC Type Metadata and its integrity
    ├── IssuerKeyError            the issuer's key could not be resolved (metadata / DID)
    ├── OAuthError                OAuth sender and client checks (credentials.oauth)
    │   ├── PKCEError             RFC 7636 code challenge / verifier
    │   ├── DPoPError             RFC 9449 DPoP proofs and server nonces
    │   └── ClientAttestationError  OAuth 2.0 Attestation-Based Client Authentication
    ├── KeyAttestationError       OpenID4VCI 1.0 Appendix D key attestations
    ├── OfflineCodeError          the offline QR codes (docs/offline-qr.md): prefix, base45,
    │                             deflate, CBOR, parts of a multi-part presentation
    └── X509Error                 X.509 certificates: x5c parsing, path validation to trust
                                  anchors, SAN / client id rules, CRLs, certificate building
"""

from __future__ import annotations

from core.errors import CodedError

__all__ = [
    "ClientAttestationError",
    "CredentialError",
    "DCQLError",
    "DPoPError",
    "IssuerKeyError",
    "JOSEError",
    "KeyAttestationError",
    "KeyBindingError",
    "MalformedError",
    "OAuthError",
    "OfflineCodeError",
    "PKCEError",
    "SDJWTError",
    "StatusListError",
    "TypeMetadataError",
    "ValidityError",
    "X509Error",
]


class CredentialError(CodedError):
    """Root of every error in :mod:`credentials` (see core.errors.CodedError)."""

    code = "credential_error"


class MalformedError(CredentialError):
    code = "malformed"


class JOSEError(CredentialError):
    code = "invalid_jws"


class SDJWTError(CredentialError):
    code = "invalid_sd_jwt"


class KeyBindingError(SDJWTError):
    code = "invalid_key_binding"


class ValidityError(CredentialError):
    code = "invalid_validity"


class StatusListError(CredentialError):
    code = "invalid_status_list"


class DCQLError(CredentialError):
    code = "invalid_dcql"


class TypeMetadataError(CredentialError):
    code = "invalid_type_metadata"


class IssuerKeyError(CredentialError):
    code = "issuer_key_unresolved"


class OAuthError(CredentialError):
    """A refusal of :mod:`credentials.oauth`; ``error`` is the registered OAuth value the
    service answers with (the service may map it to its own error class)."""

    code = "oauth_invalid"
    error = "invalid_request"


class PKCEError(OAuthError):
    code = "pkce_invalid"


class DPoPError(OAuthError):
    """RFC 9449 §4.3 refusals: ``error`` ``invalid_dpop_proof``, or ``use_dpop_nonce`` (§8)
    when the server nonce is missing or stale."""

    code = "dpop_invalid"
    error = "invalid_dpop_proof"


class ClientAttestationError(OAuthError):
    """Attestation-Based Client Authentication refusals: ``error`` ``invalid_client``, or
    ``use_fresh_attestation`` when the attestation is older than the server accepts."""

    code = "client_attestation_invalid"
    error = "invalid_client"


class KeyAttestationError(CredentialError):
    """A key attestation (OpenID4VCI 1.0 Appendix D) was refused. Codes:
    ``key_attestation_invalid``, ``key_attestation_typ``, ``key_attestation_alg``,
    ``key_attestation_untrusted``, ``key_attestation_expired``, ``key_attestation_time``,
    ``key_attestation_nonce``."""

    code = "key_attestation_invalid"


class X509Error(CredentialError):
    """Certificate refusals (credentials.x509). Codes: ``x5c_malformed``, ``x5c_too_large``,
    ``x5c_chain_untrusted``, ``x5c_expired``, ``x5c_not_yet_valid``, ``x5c_leaf_is_ca``,
    ``x5c_leaf_is_anchor``, ``x5c_self_signed_leaf``, ``x5c_key_usage``, ``x5c_key_unsupported``,
    ``x5c_revoked``, ``x5c_crl_stale``, ``x5c_crl_invalid``, ``x5c_crl_missing``,
    ``x5c_san_mismatch``, ``x5c_vct_not_allowed``, ``x509_hash_mismatch``,
    ``x509_client_id_unsupported``, ``x509_anchor_invalid``, ``x509_certificate_malformed``,
    ``x509_crl_malformed`` and ``x509_build_invalid``."""

    code = "x509_invalid"


class OfflineCodeError(CredentialError):
    """An offline QR code (docs/offline-qr.md) that cannot be read. ``code``:
    ``offline_qr_invalid`` (not one of ours, or damaged), ``offline_qr_too_large``,
    ``offline_part_missing`` (a multi-part set is incomplete: ``progress`` says how far),
    ``offline_part_mismatch`` (parts of different sets, or a set whose parts do not add up)."""

    code = "offline_qr_invalid"
