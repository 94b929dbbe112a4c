"""Holder side: decoding one's own SD-JWT and presenting part of it (RFC 9901 §4.3, §5.2).

To disclose a claim the holder sends its disclosure and every disclosure of the containers
above it (§4.2.6: "the Holder sends every parent a child needs"). Disclosing a container sends
everything inside it, since asking for ``address`` means the whole address.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from credentials.claim_path import ClaimPath, concrete_paths, parse_claim_path
from credentials.errors import SDJWTError
from credentials.jose import parse_jws, sign_jws
from credentials.sd_jwt.disclosure import Disclosure, digest_of
from credentials.sd_jwt.model import SDJWT, parse_sd_jwt
from credentials.sd_jwt.process import ProcessedPayload, process_payload
from did.keys import PrivateKey

__all__ = [
    "KB_JWT_TYP",
    "DecodedSDJWT",
    "create_key_binding_jwt",
    "decode_sd_jwt",
    "present_sd_jwt",
]

KB_JWT_TYP = "kb+jwt"


@dataclass(frozen=True, slots=True)
class DecodedSDJWT:
    """An SD-JWT with all its disclosures applied. **Unverified**: the holder calls
    ``verify_sd_jwt`` on receipt; this is for display and for choosing what to disclose."""

    sd_jwt: SDJWT
    header: dict[str, Any]
    payload: dict[str, Any]
    processed: ProcessedPayload

    @property
    def claims(self) -> dict[str, Any]:
        return self.processed.claims

    @property
    def selectively_disclosable(self) -> tuple[ClaimPath, ...]:
        """The claim paths (in :attr:`claims`) that the holder may keep hidden."""
        return tuple(self.processed.disclosure_paths)

    def disclosures_for(self, paths: Iterable[str | ClaimPath]) -> tuple[Disclosure, ...]:
        """The disclosures needed to reveal ``paths``: their parents and their whole subtree."""
        wanted: dict[str, Disclosure] = {}
        by_path = self.processed.disclosure_paths
        for raw in paths:
            # A None element ("every element", as in DCQL) expands like it does at issuance.
            for path in concrete_paths(parse_claim_path(raw), self.claims):
                for end in range(1, len(path) + 1):
                    disclosure = by_path.get(path[:end])
                    if disclosure is not None:
                        wanted[disclosure.encoded] = disclosure
                for other, disclosure in by_path.items():
                    if other[: len(path)] == path:
                        wanted[disclosure.encoded] = disclosure
        # Keep the issuance order: it reveals nothing the verifier could not see anyway.
        return tuple(d for d in self.sd_jwt.disclosures if d.encoded in wanted)


def decode_sd_jwt(sd_jwt: SDJWT | str) -> DecodedSDJWT:
    """Parse and apply every disclosure, with all of §7.1's structural checks."""
    parsed = sd_jwt if isinstance(sd_jwt, SDJWT) else parse_sd_jwt(sd_jwt)
    jws = parse_jws(parsed.jwt)
    return DecodedSDJWT(
        parsed, jws.header, jws.payload, process_payload(jws.payload, parsed.disclosures)
    )


def create_key_binding_jwt(
    presentation: SDJWT, key: PrivateKey, *, nonce: str, aud: str, iat: int, hash_alg: str
) -> str:
    """KB-JWT over the presentation (RFC 9901 §4.3): ``typ`` kb+jwt, iat, aud, nonce, sd_hash."""
    if not nonce or not aud:
        raise SDJWTError("key binding needs a nonce and an audience", code="invalid_key_binding")
    payload = {
        "iat": iat,
        "aud": aud,
        "nonce": nonce,
        "sd_hash": digest_of(presentation.without_key_binding, hash_alg),
    }
    return sign_jws(payload, key, typ=KB_JWT_TYP)


def present_sd_jwt(
    sd_jwt: SDJWT | str | DecodedSDJWT,
    *,
    disclose: Iterable[str | ClaimPath],
    holder_key: PrivateKey | None = None,
    nonce: str | None = None,
    aud: str | None = None,
    iat: int | None = None,
) -> SDJWT:
    """Build a presentation revealing exactly ``disclose`` (and the parents they need).

    With ``holder_key`` the result carries a KB-JWT; ``nonce``, ``aud`` and ``iat`` are then
    required (time is an argument, never read here).
    """
    decoded = sd_jwt if isinstance(sd_jwt, DecodedSDJWT) else decode_sd_jwt(sd_jwt)
    chosen = decoded.disclosures_for(disclose)
    presentation = SDJWT(decoded.sd_jwt.jwt, chosen)
    if holder_key is None:
        return presentation
    if nonce is None or aud is None or iat is None:
        raise SDJWTError("key binding needs nonce, aud and iat", code="invalid_key_binding")
    kb = create_key_binding_jwt(
        presentation, holder_key, nonce=nonce, aud=aud, iat=iat, hash_alg=decoded.processed.hash_alg
    )
    return SDJWT(presentation.jwt, chosen, kb)
