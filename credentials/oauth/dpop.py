"""DPoP proofs (RFC 9449): make them (wallet) and check them (issuer), as pure functions.

A proof is a JWT with header ``typ`` ``dpop+jwt``, an asymmetric ``alg`` and the public
``jwk``; claims ``jti``, ``htm``, ``htu``, ``iat``, plus ``ath`` (the access token's hash) at a
resource endpoint and ``nonce`` when the server gave one (§4.2). :func:`check_dpop_proof` runs
the checks of §4.3 in order and returns what the caller still has to do with the result: store
the ``jti`` (replay, §11.1) and compare the thumbprint with the token's or code's binding
(§6.1). ``htu`` is compared after RFC 3986 §6.2.2/§6.2.3 normalisation on both sides, without
query and fragment (§4.3 step 9), against the server's configured public URL, never the
``Host`` a request claims.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from core.encoding import b64url_encode
from credentials.errors import CredentialError, DPoPError
from credentials.jose import parse_jws, sign_jws, verify_jws
from credentials.oauth.nonce import check_nonce
from did.errors import DIDError
from did.keys import ES256, PrivateKey, PublicKey

__all__ = [
    "DPOP_TYP",
    "MAX_PROOF_BYTES",
    "VerifiedDPoP",
    "access_token_hash",
    "check_dpop_proof",
    "make_dpop_proof",
    "normalise_htu",
]

DPOP_TYP = "dpop+jwt"
MAX_PROOF_BYTES = 8 * 1024
MAX_JTI = 256
# With a valid server nonce the nonce's own mint time bounds freshness; iat is then only held to
# a wide sanity window, so a phone whose clock is minutes (or hours) off still works.
NONCE_IAT_SANITY = 86400
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = "-._~"


@dataclass(frozen=True, slots=True)
class VerifiedDPoP:
    """A proof that passed every check of §4.3 except replay (the caller stores ``jti``)."""

    jkt: str
    jti: str
    iat: int
    htu: str
    nonce: str | None
    key: PublicKey


def _fail(code: str, message: str, *, error: str | None = None) -> DPoPError:
    exc = DPoPError(message, code=code)
    if error is not None:
        exc.error = error
    return exc


def normalise_htu(url: str) -> str:
    """RFC 3986 §6.2.2 (case, percent-encoding, dot segments) and §6.2.3 (default port, empty
    path) normalisation, without query and fragment (RFC 9449 §4.3)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    segments: list[str] = []
    for segment in parts.path.split("/")[1:] if parts.path else [""]:
        if segment == ".":
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(quote(unquote(segment), safe="!$&'()*+,;=:@" + _UNRESERVED))
    path = "/" + "/".join(segments)
    return urlunsplit((scheme, netloc, path, "", ""))


def access_token_hash(access_token: str) -> str:
    """§4.2 ``ath``: base64url(SHA-256(ASCII(access token)))."""
    return b64url_encode(hashlib.sha256(access_token.encode("ascii")).digest())


def make_dpop_proof(
    key: PrivateKey,
    *,
    htm: str,
    htu: str,
    iat: int,
    jti: str,
    nonce: str | None = None,
    access_token: str | None = None,
) -> str:
    """A DPoP proof for one request; ``htu`` is sent normalised (some servers compare it
    literally)."""
    claims: dict[str, object] = {"jti": jti, "htm": htm, "htu": normalise_htu(htu), "iat": iat}
    if nonce is not None:
        claims["nonce"] = nonce
    if access_token is not None:
        claims["ath"] = access_token_hash(access_token)
    return sign_jws(claims, key, typ=DPOP_TYP, headers={"jwk": key.public_key.to_jwk()})


def check_dpop_proof(
    proof: str,
    *,
    htm: str,
    htu: str,
    now: int,
    algorithms: Collection[str] = (ES256,),
    max_age: int = 300,
    leeway: int = 60,
    access_token: str | None = None,
    nonce_keys: Sequence[bytes] | None = None,
    nonce_lifetime: int = 300,
) -> VerifiedDPoP:
    """RFC 9449 §4.3 checks 2-12a. ``nonce_keys`` given = server nonces required (§8, §9):
    missing or stale → ``use_dpop_nonce``. ``access_token`` given = a resource request, so
    ``ath`` is required (§7.1)."""
    if not isinstance(proof, str) or len(proof) > MAX_PROOF_BYTES:
        raise _fail("dpop_malformed", "the DPoP header is not a JWT of at most 8 KiB")
    try:
        jws = parse_jws(proof, max_bytes=MAX_PROOF_BYTES)
    except CredentialError as exc:
        raise _fail("dpop_malformed", f"the DPoP proof is not a JWT: {exc.message}") from exc
    header, claims = jws.header, jws.payload
    for name in ("jti", "htm", "htu", "iat"):
        if name not in claims:
            raise _fail("dpop_claim_missing", f"the DPoP proof has no {name!r} claim")
    jti, iat = claims["jti"], claims["iat"]
    if not isinstance(jti, str) or not jti:
        raise _fail("dpop_claim_missing", "the DPoP proof's jti must be a non-empty string")
    if len(jti) > MAX_JTI:
        raise _fail("dpop_jti_too_long", f"the DPoP proof's jti is longer than {MAX_JTI}")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise _fail("dpop_claim_missing", "the DPoP proof's iat must be an integer")
    if header.get("typ") != DPOP_TYP:
        raise _fail("dpop_typ", f"the DPoP proof's typ must be {DPOP_TYP}")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise _fail("dpop_alg", f"the DPoP proof's alg {alg!r} is not accepted here")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise _fail("dpop_claim_missing", "the DPoP proof has no jwk header")
    if "d" in jwk:
        raise _fail("dpop_private_key", "the DPoP proof's jwk holds a private key")
    try:
        key = PublicKey.from_jwk(jwk)
        verify_jws(jws, key, typ=DPOP_TYP, algorithms=algorithms)
    except CredentialError as exc:
        raise _fail("dpop_signature", "the DPoP proof's signature does not verify") from exc
    except DIDError as exc:  # the jwk is not a usable key
        raise _fail("dpop_signature", f"the DPoP proof's jwk is not usable: {exc}") from exc
    if claims["htm"] != htm:
        raise _fail("dpop_htm_mismatch", f"the DPoP proof is for {claims['htm']!r}, not {htm}")
    claimed_htu = claims["htu"]
    if not isinstance(claimed_htu, str) or normalise_htu(claimed_htu) != normalise_htu(htu):
        raise _fail("dpop_htu_mismatch", "the DPoP proof's htu is not this endpoint's URL")
    nonce = claims.get("nonce")
    if nonce_keys is not None:
        if nonce is None:
            raise _fail(
                "dpop_nonce_required",
                "this server requires a DPoP nonce; use the one in the DPoP-Nonce header",
                error="use_dpop_nonce",
            )
        check_nonce(nonce, nonce_keys, now=now, lifetime=nonce_lifetime)
        window_past, window_future = NONCE_IAT_SANITY, NONCE_IAT_SANITY
    else:
        window_past, window_future = max_age + leeway, leeway
    if iat < now - window_past:
        raise _fail("dpop_iat_stale", "the DPoP proof is too old (iat); make a new one")
    if iat > now + window_future:
        raise _fail("dpop_iat_future", "the DPoP proof's iat is in the future; check the clock")
    if access_token is not None:
        ath = claims.get("ath")
        if ath is None:
            raise _fail("dpop_ath_missing", "the DPoP proof has no ath (access token hash)")
        if ath != access_token_hash(access_token):
            raise _fail("dpop_ath_mismatch", "the DPoP proof's ath is not this access token's")
    return VerifiedDPoP(
        jkt=key.thumbprint(),
        jti=jti,
        iat=iat,
        htu=normalise_htu(htu),
        nonce=nonce if isinstance(nonce, str) else None,
        key=key,
    )
