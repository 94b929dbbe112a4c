"""OAuth pieces HAIP 1.0 issuance needs, as pure functions shared by the issuer (checks), the
wallet (makers) and ``drukid pki`` (development attestations): PKCE (RFC 7636), DPoP proofs
(RFC 9449) with stateless server nonces, and Attestation-Based Client Authentication.
Nothing here reads the clock, the network or the environment."""

from credentials.oauth.client_attestation import (
    ATTESTATION_TYP,
    POP_TYP,
    VerifiedClientAttestation,
    make_client_attestation,
    make_client_attestation_pop,
    verify_client_attestation,
)
from credentials.oauth.dpop import (
    DPOP_TYP,
    VerifiedDPoP,
    access_token_hash,
    check_dpop_proof,
    make_dpop_proof,
    normalise_htu,
)
from credentials.oauth.nonce import check_nonce, mint_nonce
from credentials.oauth.pkce import (
    S256,
    check_challenge,
    check_verifier_syntax,
    new_verifier,
    s256,
    verify_pkce,
)

__all__ = [
    "ATTESTATION_TYP",
    "DPOP_TYP",
    "POP_TYP",
    "S256",
    "VerifiedClientAttestation",
    "VerifiedDPoP",
    "access_token_hash",
    "check_challenge",
    "check_dpop_proof",
    "check_nonce",
    "check_verifier_syntax",
    "make_client_attestation",
    "make_client_attestation_pop",
    "make_dpop_proof",
    "mint_nonce",
    "new_verifier",
    "normalise_htu",
    "s256",
    "verify_client_attestation",
    "verify_pkce",
]
