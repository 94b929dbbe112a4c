"""OAuth 2.0 and OpenID4VCI building blocks HAIP 1.0 issuance needs, shared by the issuer
(verify), the wallet (build) and ``drukid pki`` (development attestations). Pure: no I/O, time
and keys are arguments.

* :mod:`credentials.oauth.pkce`: RFC 7636 PKCE, S256 only.
* :mod:`credentials.oauth.dpop`: RFC 9449 DPoP proofs; :mod:`credentials.oauth.nonce`: the
  stateless server nonces every worker can check.
* :mod:`credentials.oauth.client_attestation`: Attestation-Based Client Authentication
  (wallet attestations and their PoPs).
* :mod:`credentials.oauth.key_attestation`: OpenID4VCI 1.0 Appendix D key attestations.
"""

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
from credentials.oauth.key_attestation import (
    KEY_ATTESTATION_TYP,
    SOFTWARE_KEY_STORAGE,
    VerifiedKeyAttestation,
    make_key_attestation,
    verify_key_attestation,
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
    "KEY_ATTESTATION_TYP",
    "POP_TYP",
    "S256",
    "SOFTWARE_KEY_STORAGE",
    "VerifiedClientAttestation",
    "VerifiedDPoP",
    "VerifiedKeyAttestation",
    "access_token_hash",
    "check_challenge",
    "check_dpop_proof",
    "check_nonce",
    "check_verifier_syntax",
    "make_client_attestation",
    "make_client_attestation_pop",
    "make_dpop_proof",
    "make_key_attestation",
    "mint_nonce",
    "new_verifier",
    "normalise_htu",
    "s256",
    "verify_client_attestation",
    "verify_key_attestation",
    "verify_pkce",
]
