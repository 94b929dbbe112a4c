"""The SD-JWT compact serialization (RFC 9901 §4, §5.1).

``<issuer-signed JWT>~<Disclosure 1>~...~<Disclosure N>~[<KB-JWT>]`` — the tilde after the last
disclosure is always present; an SD-JWT+KB carries the KB-JWT after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from credentials.errors import MalformedError, SDJWTError
from credentials.sd_jwt.disclosure import Disclosure, parse_disclosure

__all__ = ["MAX_DISCLOSURES", "MAX_SD_JWT_BYTES", "SDJWT", "parse_sd_jwt"]

# Caps against resource exhaustion: a national ID with a photo is ~100 KB; 512 KiB leaves room.
MAX_SD_JWT_BYTES = 512 * 1024
MAX_DISCLOSURES = 256


@dataclass(frozen=True, slots=True)
class SDJWT:
    """An SD-JWT (issued or presented), optionally with a KB-JWT. Nothing here is verified."""

    jwt: str
    disclosures: tuple[Disclosure, ...] = ()
    kb_jwt: str | None = None

    @property
    def without_key_binding(self) -> str:
        """``<JWT>~<D1>~...~<Dn>~`` — exactly the string ``sd_hash`` covers (RFC 9901 §4.3.1)."""
        return "".join([self.jwt, "~", *(d.encoded + "~" for d in self.disclosures)])

    def serialize(self) -> str:
        return self.without_key_binding + (self.kb_jwt or "")

    def __str__(self) -> str:
        return self.serialize()


def parse_sd_jwt(
    text: str,
    *,
    max_bytes: int = MAX_SD_JWT_BYTES,
    max_disclosures: int = MAX_DISCLOSURES,
) -> SDJWT:
    """Split an SD-JWT or SD-JWT+KB into its parts and decode every disclosure."""
    if not isinstance(text, str):
        raise MalformedError("an SD-JWT must be text", code="invalid_sd_jwt")
    text = text.strip()
    if len(text) > max_bytes:
        raise MalformedError(f"SD-JWT larger than {max_bytes} bytes", code="too_large")
    if "~" not in text:
        raise MalformedError(
            "not an SD-JWT: it has no '~' separator (a plain JWT?)", code="invalid_sd_jwt"
        )
    # Count before splitting: 512 KiB of "a~a~..." would otherwise become 256K strings first.
    if text.count("~") - 1 > max_disclosures:
        raise SDJWTError(f"more than {max_disclosures} disclosures", code="too_many_disclosures")
    parts = text.split("~")
    jwt, encoded, last = parts[0], parts[1:-1], parts[-1]
    if jwt.count(".") != 2:
        raise MalformedError("the issuer-signed part is not a compact JWS", code="invalid_sd_jwt")
    if any(not item for item in encoded):
        raise MalformedError("empty disclosure between '~' separators", code="invalid_sd_jwt")
    if last and last.count(".") != 2:
        raise MalformedError(
            "the part after the last '~' is not a KB-JWT (an SD-JWT must end with '~')",
            code="invalid_sd_jwt",
        )
    return SDJWT(jwt, tuple(parse_disclosure(item) for item in encoded), last or None)
