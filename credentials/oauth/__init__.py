"""OAuth 2.0 and OpenID4VCI building blocks shared by the issuer (verify), the wallet (build)
and ``drukid pki`` (development attestations). Pure: no I/O, time and keys are arguments.

* :mod:`credentials.oauth.key_attestation`: OpenID4VCI 1.0 Appendix D key attestations.
"""

from credentials.oauth.key_attestation import (
    KEY_ATTESTATION_TYP,
    SOFTWARE_KEY_STORAGE,
    VerifiedKeyAttestation,
    make_key_attestation,
    verify_key_attestation,
)

__all__ = [
    "KEY_ATTESTATION_TYP",
    "SOFTWARE_KEY_STORAGE",
    "VerifiedKeyAttestation",
    "make_key_attestation",
    "verify_key_attestation",
]
