"""Key attestations at the credential endpoint (OpenID4VCI 1.0 §8.2, Appendix D, F.1, F.3;
HAIP 1.0 §4.5.1): which holder keys a request binds credentials to, and whether their
attestations meet the credential type's policy.

* ``jwt`` proofs (F.1): a proof may carry a ``key_attestation`` header. It is verified when
  present (even where the type does not require one), its ``nonce`` must be the proofs'
  c_nonce, it must have ``exp``, and the proof must be "signed by a key contained in the
  attestation" (D.1). The issuer "SHOULD issue a Credential for each cryptographic public key
  specified in the attested_keys" (F.1): attested keys without a proof of their own are bound
  too (surprise 13 of docs/dev/haip-issuance.md).
* ``attestation`` proof type (F.3): exactly one key attestation and no proof of possession; its
  ``nonce`` "MUST be provided" and is the c_nonce the request spends.
* Policy (``key_attestations_required``, §12.2.4): ``required`` refuses keys without an
  attestation (``key_attestation_required``); listed ``key_storage`` / ``user_authentication``
  levels must be met by one of the attested values (``key_storage_insufficient``,
  ``user_authentication_insufficient``).

Pure: the attestation verifier (anchors, clock) is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from credentials.oauth.key_attestation import VerifiedKeyAttestation
from did.keys import PublicKey
from issuer.errors import InvalidCredentialRequestError, InvalidProofError
from issuer.oid4vci.proof import VerifiedProof
from issuer.types import KeyAttestationPolicy

__all__ = [
    "AttestationVerifier",
    "HolderKey",
    "check_policy",
    "keys_from_attestation",
    "keys_from_proofs",
]

# (token, expected c_nonce or None, exp required) -> verified, or an issuer error.
AttestationVerifier = Callable[[object, str | None, bool], VerifiedKeyAttestation]


@dataclass(frozen=True, slots=True)
class HolderKey:
    """A key a credential will be bound to, and what a key attestation said about it
    (``attested_by`` ``None``: no attestation)."""

    key: PublicKey
    key_storage: tuple[str, ...] = ()
    user_authentication: tuple[str, ...] = ()
    attested_by: str | None = None

    @classmethod
    def attested(cls, key: PublicKey, attestation: VerifiedKeyAttestation) -> HolderKey:
        return cls(
            key, attestation.key_storage, attestation.user_authentication, attestation.issuer
        )

    def to_json(self) -> dict[str, Any]:
        """What a deferred transaction keeps until the credentials are signed."""
        return {
            "jwk": self.key.to_jwk(),
            "key_storage": list(self.key_storage),
            "user_authentication": list(self.user_authentication),
            "attested_by": self.attested_by,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HolderKey:
        return cls(
            PublicKey.from_jwk(data["jwk"]),
            tuple(data.get("key_storage", ())),
            tuple(data.get("user_authentication", ())),
            data.get("attested_by"),
        )


def check_policy(attestation: VerifiedKeyAttestation, policy: KeyAttestationPolicy) -> None:
    """The type's ``key_storage`` / ``user_authentication`` levels (any one listed suffices)."""
    if policy.key_storage and not set(policy.key_storage) & set(attestation.key_storage):
        raise InvalidProofError(
            "the wallet's keys are not kept in storage this credential requires "
            f"({', '.join(policy.key_storage)})",
            code="key_storage_insufficient",
        )
    if policy.user_authentication and not set(policy.user_authentication) & set(
        attestation.user_authentication
    ):
        raise InvalidProofError(
            "the wallet does not authenticate its user as this credential requires "
            f"({', '.join(policy.user_authentication)})",
            code="user_authentication_insufficient",
        )


def _required(policy: KeyAttestationPolicy) -> InvalidProofError:
    return InvalidProofError(
        "this credential needs a key attestation with the key proof (key_attestation header "
        "or the attestation proof type)",
        code="key_attestation_required",
    )


def _cap(keys: Sequence[HolderKey], batch_size: int) -> list[HolderKey]:
    if len(keys) > batch_size:
        raise InvalidCredentialRequestError(
            f"at most {batch_size} keys per request (batch_credential_issuance.batch_size)",
            code="batch_too_large",
        )
    return list(keys)


def keys_from_proofs(
    proofs: Sequence[VerifiedProof],
    *,
    policy: KeyAttestationPolicy,
    verify: AttestationVerifier,
    batch_size: int,
) -> list[HolderKey]:
    """``jwt`` proofs (already verified) and their ``key_attestation`` headers."""
    verified: dict[str, VerifiedKeyAttestation] = {}
    keys: dict[str, HolderKey] = {}
    for proof in proofs:
        token = proof.key_attestation
        if token is None:
            if policy.required:
                raise _required(policy)
            keys[proof.thumbprint] = HolderKey(proof.key)
            continue
        if not isinstance(token, str):
            raise InvalidProofError(
                "the key_attestation header must be a JWT", code="key_attestation_invalid"
            )
        if token not in verified:
            attestation = verify(token, proof.nonce, True)
            check_policy(attestation, policy)
            verified[token] = attestation
        attestation = verified[token]
        if proof.thumbprint not in attestation.thumbprints:
            raise InvalidProofError(
                "the proof is not signed by a key the key attestation attests",
                code="key_attestation_key_not_attested",
            )
        keys[proof.thumbprint] = HolderKey.attested(proof.key, attestation)
    for attestation in verified.values():
        for key in attestation.keys:
            keys.setdefault(key.thumbprint(), HolderKey.attested(key, attestation))
    return _cap(list(keys.values()), batch_size)


def keys_from_attestation(
    token: str,
    *,
    policy: KeyAttestationPolicy,
    verify: AttestationVerifier,
    batch_size: int,
) -> tuple[list[HolderKey], str]:
    """The ``attestation`` proof type: the attested keys and the c_nonce it carries."""
    attestation = verify(token, None, False)
    if attestation.nonce is None:
        raise InvalidProofError(
            "a key attestation used as the proof must carry the c_nonce (Appendix F.3)",
            code="key_attestation_nonce",
        )
    check_policy(attestation, policy)
    keys = [HolderKey.attested(key, attestation) for key in attestation.keys]
    return _cap(keys, batch_size), attestation.nonce
