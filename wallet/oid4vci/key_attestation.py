"""Key attestations the wallet sends with its key proofs (OpenID4VCI 1.0 Appendix D, F.1).

Configured for development with a wallet-provider certificate and key from ``drukid pki``
(``key_attestation_chain_file``, ``key_attestation_key_file``): the wallet then signs, for each
credential request, one attestation of all the fresh holder keys of that batch with the request's
c_nonce, and puts it in every proof's ``key_attestation`` header. It says honestly what this
wallet's keys are (open question Q10): software keys in an encrypted file,
:data:`~credentials.oauth.key_attestation.SOFTWARE_KEY_STORAGE`, unless the settings say
otherwise; a type that requires ``iso_18045_high`` refuses it, as it should.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from credentials.oauth.key_attestation import make_key_attestation
from did.keys import PrivateKey, PublicKey

__all__ = ["KeyAttester"]


@dataclass(frozen=True, slots=True)
class KeyAttester:
    """Signs key attestations: ``x5c`` is the signer's chain (leaf first, no root)."""

    signer: PrivateKey = field(repr=False)
    x5c: tuple[str, ...]
    key_storage: tuple[str, ...]
    user_authentication: tuple[str, ...] = ()
    lifetime: int = 300

    def attest(self, keys: Sequence[PublicKey], *, nonce: str | None, now: int) -> str:
        return make_key_attestation(
            self.signer,
            self.x5c,
            keys,
            iat=now,
            exp=now + self.lifetime,
            key_storage=self.key_storage,
            user_authentication=self.user_authentication,
            nonce=nonce,
        )
