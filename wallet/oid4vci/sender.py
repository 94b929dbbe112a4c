"""How the wallet proves who sends a request: DPoP proofs (RFC 9449) with the key of one grant,
the server's ``DPoP-Nonce`` remembered and one retry when the server asks for it
(``use_dpop_nonce``: 400 at the authorization server, 401 with ``WWW-Authenticate: DPoP`` at the
credential endpoints), and the wallet attestation with a fresh PoP per request (HAIP 1.0
§4.4.1, the -07 and -10 claims together)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from credentials.errors import CredentialError
from credentials.jose import parse_jws
from credentials.oauth import make_client_attestation_pop, make_dpop_proof
from did.errors import DIDError
from did.keys import PrivateKey
from wallet.errors import ReceiveError

__all__ = ["DPoPSession", "WalletAttestation", "asks_for_nonce"]


def asks_for_nonce(status: int, body: object, headers: Mapping[str, str]) -> bool:
    """Whether a refusal is RFC 9449 §8/§9's request to retry with the server's nonce."""
    if status == 400 and isinstance(body, Mapping):
        return body.get("error") == "use_dpop_nonce"
    if status == 401:
        return 'error="use_dpop_nonce"' in headers.get("www-authenticate", "")
    return False


@dataclass
class DPoPSession:
    """One grant's DPoP key and the last nonce the issuer gave."""

    key: PrivateKey
    clock: Callable[[], int]
    nonce: str | None = None
    random: Callable[[int], str] = field(default=secrets.token_urlsafe)

    def header(self, method: str, url: str, *, access_token: str | None = None) -> str:
        return make_dpop_proof(
            self.key,
            htm=method,
            htu=url,
            iat=self.clock(),
            jti=self.random(24),
            nonce=self.nonce,
            access_token=access_token,
        )

    def remember(self, headers: Mapping[str, str]) -> None:
        nonce = headers.get("dpop-nonce")
        if nonce:
            self.nonce = nonce


@dataclass(frozen=True)
class WalletAttestation:
    """A wallet attestation from the wallet provider and its instance key (for development,
    made by ``drukid pki wallet-attestation``). The ``client_id`` is the attestation's ``sub``."""

    jwt: str = field(repr=False)
    key: PrivateKey = field(repr=False)
    client_id: str

    @classmethod
    def load(cls, attestation: Path, key: Path) -> WalletAttestation:
        try:
            jwt = attestation.read_text().strip()
            sub = parse_jws(jwt).payload.get("sub")
            instance = PrivateKey.load(key)
        except (OSError, ValueError, CredentialError, DIDError) as exc:
            raise ReceiveError(
                f"the wallet attestation files cannot be read ({type(exc).__name__})",
                code="wallet_attestation_missing",
            ) from exc
        if not isinstance(sub, str) or not sub:
            raise ReceiveError(
                "the wallet attestation names no client (sub)", code="wallet_attestation_missing"
            )
        return cls(jwt, instance, sub)

    def headers(self, audience: str, *, now: int) -> dict[str, str]:
        pop = make_client_attestation_pop(
            self.key, sub=self.client_id, aud=audience, iat=now, jti=secrets.token_urlsafe(24)
        )
        return {"OAuth-Client-Attestation": self.jwt, "OAuth-Client-Attestation-PoP": pop}
