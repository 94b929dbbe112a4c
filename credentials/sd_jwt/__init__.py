"""SD-JWT (RFC 9901): issue, present and verify selectively disclosable JWTs."""

from credentials.claim_path import ClaimPath, format_claim_path, parse_claim_path
from credentials.sd_jwt.disclosure import (
    DEFAULT_HASH_ALG,
    HASH_ALGORITHMS,
    Disclosure,
    create_disclosure,
    digest_of,
    parse_disclosure,
)
from credentials.sd_jwt.issue import ALWAYS_PLAINTEXT, issue_sd_jwt, resolve_sd_paths
from credentials.sd_jwt.model import MAX_DISCLOSURES, MAX_SD_JWT_BYTES, SDJWT, parse_sd_jwt
from credentials.sd_jwt.present import (
    KB_JWT_TYP,
    DecodedSDJWT,
    create_key_binding_jwt,
    decode_sd_jwt,
    present_sd_jwt,
)
from credentials.sd_jwt.process import ProcessedPayload, process_payload
from credentials.sd_jwt.verify import (
    DEFAULT_KB_MAX_AGE,
    IssuerKeyResolver,
    KeyBinding,
    VerifiedSDJWT,
    holder_key_of,
    verify_sd_jwt,
)

__all__ = [
    "ALWAYS_PLAINTEXT",
    "DEFAULT_HASH_ALG",
    "DEFAULT_KB_MAX_AGE",
    "HASH_ALGORITHMS",
    "KB_JWT_TYP",
    "MAX_DISCLOSURES",
    "MAX_SD_JWT_BYTES",
    "SDJWT",
    "ClaimPath",
    "DecodedSDJWT",
    "Disclosure",
    "IssuerKeyResolver",
    "KeyBinding",
    "ProcessedPayload",
    "VerifiedSDJWT",
    "create_disclosure",
    "create_key_binding_jwt",
    "decode_sd_jwt",
    "digest_of",
    "format_claim_path",
    "holder_key_of",
    "issue_sd_jwt",
    "parse_claim_path",
    "parse_disclosure",
    "parse_sd_jwt",
    "present_sd_jwt",
    "process_payload",
    "resolve_sd_paths",
    "verify_sd_jwt",
]
