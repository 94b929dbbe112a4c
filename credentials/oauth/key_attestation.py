"""Key attestations (OpenID4VCI 1.0 Appendix D; HAIP 1.0 §4.5.1): a wallet provider's signed
statement that some public keys live in key storage of a stated strength.

A key attestation is a JWT with header ``typ`` ``key-attestation+jwt`` (App. D.1), an ``alg``
from the caller's allow-list and (HAIP §4.5.1) an ``x5c`` chain, leaf first, without the trust
anchor, not self-signed, which is validated to the caller's anchors at ``now``. Payload:

* ``iat`` (REQUIRED), ``exp`` (REQUIRED when used with the ``jwt`` proof type, App. D.1);
* ``attested_keys`` (REQUIRED): a non-empty array of public JWKs;
* ``key_storage``, ``user_authentication`` (OPTIONAL): arrays of strings, ISO 18045 attack
  potential levels (``iso_18045_high`` ... ``iso_18045_basic``, App. D.2) or ecosystem URLs;
* ``certification`` (OPTIONAL URL), ``nonce`` (the c_nonce, App. F.1/F.3), ``status``.

Pure: time, keys and anchors are arguments. :func:`verify_key_attestation` raises
:class:`~credentials.errors.KeyAttestationError` with a stable code and returns only what was
checked. The older ``keyattestation+jwt`` ``typ`` (drafts before 1.0, still sent by some
libraries) is accepted only when the caller asks for it by name (``accept_legacy_typ``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from credentials.clock import numeric_date
from credentials.errors import CredentialError, KeyAttestationError
from credentials.jose import check_header, parse_jws, sign_jws, verify_jws
from credentials.x509.chain import TrustAnchor, validate_x5c
from did.errors import DIDError
from did.keys import PrivateKey, PublicKey

__all__ = [
    "ISO_18045_LEVELS",
    "KEY_ATTESTATION_TYP",
    "LEGACY_KEY_ATTESTATION_TYP",
    "MAX_ATTESTED_KEYS",
    "SOFTWARE_KEY_STORAGE",
    "VerifiedKeyAttestation",
    "make_key_attestation",
    "verify_key_attestation",
]

KEY_ATTESTATION_TYP = "key-attestation+jwt"
LEGACY_KEY_ATTESTATION_TYP = "keyattestation+jwt"
# App. D.2, strongest first.
ISO_18045_LEVELS = (
    "iso_18045_high",
    "iso_18045_moderate",
    "iso_18045_enhanced-basic",
    "iso_18045_basic",
)
# What the drukid wallet honestly says about its keys (open question Q10): software keys in an
# encrypted file, certified by nobody. App. D.2 recommends a URL for such ecosystem values.
SOFTWARE_KEY_STORAGE = "https://drukid.bt/key-storage/software"
MAX_ATTESTED_KEYS = 100
MAX_KEY_ATTESTATION_BYTES = 64 * 1024
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


@dataclass(frozen=True, slots=True)
class VerifiedKeyAttestation:
    """What :func:`verify_key_attestation` established; everything in it was checked."""

    keys: tuple[PublicKey, ...]
    key_storage: tuple[str, ...]
    user_authentication: tuple[str, ...]
    issuer: str
    """The attesting wallet provider, in words (its certificate's subject)."""
    nonce: str | None
    exp: int | None
    certification: str | None = None

    @property
    def thumbprints(self) -> frozenset[str]:
        return frozenset(key.thumbprint() for key in self.keys)


def make_key_attestation(
    signer: PrivateKey,
    x5c: Sequence[str],
    attested_keys: Sequence[PublicKey],
    *,
    iat: int,
    exp: int | None,
    key_storage: Sequence[str] = (),
    user_authentication: Sequence[str] = (),
    nonce: str | None = None,
    certification: str | None = None,
    typ: str = KEY_ATTESTATION_TYP,
) -> str:
    """Sign a key attestation for ``attested_keys`` (App. D.1). ``x5c``: the signer's
    certificate and its intermediates (base64 DER, leaf first, never the root)."""
    if not attested_keys:
        raise KeyAttestationError("a key attestation attests at least one key")
    payload: dict[str, Any] = {
        "iat": iat,
        "attested_keys": [key.to_jwk() for key in attested_keys],
    }
    if exp is not None:
        payload["exp"] = exp
    if key_storage:
        payload["key_storage"] = list(key_storage)
    if user_authentication:
        payload["user_authentication"] = list(user_authentication)
    if nonce is not None:
        payload["nonce"] = nonce
    if certification is not None:
        payload["certification"] = certification
    return sign_jws(payload, signer, typ=typ, headers={"x5c": list(x5c)})


def _strings(claims: dict[str, Any], name: str) -> tuple[str, ...]:
    value = claims.get(name)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise KeyAttestationError(f"the key attestation's {name} must be a list of strings")
    return tuple(value)


def _attested_keys(claims: dict[str, Any]) -> tuple[PublicKey, ...]:
    items = claims.get("attested_keys")
    if not isinstance(items, list) or not items:
        raise KeyAttestationError("the key attestation attests no keys (attested_keys)")
    if len(items) > MAX_ATTESTED_KEYS:
        raise KeyAttestationError(f"a key attestation may attest at most {MAX_ATTESTED_KEYS} keys")
    keys: list[PublicKey] = []
    for item in items:
        if not isinstance(item, dict) or _PRIVATE_MEMBERS & set(item):
            raise KeyAttestationError("each attested key must be a public JWK")
        try:
            keys.append(PublicKey.from_jwk(item))
        except DIDError as exc:
            raise KeyAttestationError(f"an attested key is unusable: {exc.message}") from exc
    if len({key.thumbprint() for key in keys}) != len(keys):
        raise KeyAttestationError("the key attestation lists one key twice")
    return tuple(keys)


def _times(
    claims: dict[str, Any], *, now: int, leeway: int, exp_required: bool
) -> tuple[int, int | None]:
    try:
        iat = numeric_date(claims, "iat")
        exp = numeric_date(claims, "exp")
    except CredentialError as exc:
        raise KeyAttestationError(
            f"the key attestation: {exc.message}", code="key_attestation_time"
        ) from exc
    if iat is None or iat > now + leeway:
        raise KeyAttestationError(
            "the key attestation has no iat or is dated in the future",
            code="key_attestation_time",
        )
    if exp is None and exp_required:
        raise KeyAttestationError(
            "a key attestation used with a jwt proof must have exp (Appendix D.1)",
            code="key_attestation_time",
        )
    if exp is not None and exp <= now - leeway:
        raise KeyAttestationError(
            "the key attestation has expired; ask the wallet for a fresh one",
            code="key_attestation_expired",
        )
    return iat, exp


def verify_key_attestation(
    token: object,
    *,
    anchors: Sequence[TrustAnchor],
    now: int,
    leeway: int,
    algorithms: Collection[str],
    expected_nonce: str | None,
    exp_required: bool,
    accept_legacy_typ: bool = False,
) -> VerifiedKeyAttestation:
    """Verify a key attestation: form, ``typ``, ``alg``, the ``x5c`` chain to ``anchors`` at
    ``now``, the signature, times, ``nonce`` and the attested keys.

    ``expected_nonce``: the server's c_nonce; when given, the attestation must carry exactly
    it (App. F.1: "MUST be set to a server-provided c_nonce"; F.3: "MUST be provided").
    """
    if not isinstance(token, str) or not token:
        raise KeyAttestationError("the key attestation must be a compact JWT string")
    try:
        jws = parse_jws(token, max_bytes=MAX_KEY_ATTESTATION_BYTES)
    except CredentialError as exc:
        raise KeyAttestationError(f"the key attestation is malformed: {exc.message}") from exc
    typs = (KEY_ATTESTATION_TYP, LEGACY_KEY_ATTESTATION_TYP) if accept_legacy_typ else None
    try:
        check_header(jws.header, algorithms=algorithms, typ=typs or KEY_ATTESTATION_TYP)
    except CredentialError as exc:
        code = "key_attestation_typ" if exc.code == "invalid_typ" else "key_attestation_alg"
        if exc.code == "unsupported_crit":
            code = "key_attestation_invalid"
        raise KeyAttestationError(f"the key attestation: {exc.message}", code=code) from exc
    if "x5c" not in jws.header:
        raise KeyAttestationError(
            "the key attestation carries no x5c certificate chain (HAIP 4.5.1)",
            code="key_attestation_untrusted",
        )
    try:
        chain = validate_x5c(jws.header["x5c"], anchors, time=now)
    except CredentialError as exc:
        raise KeyAttestationError(
            f"the key attestation's signer is not trusted: {exc.message}",
            code="key_attestation_untrusted",
        ) from exc
    try:
        verify_jws(jws, chain.public_key, typ=typs or KEY_ATTESTATION_TYP, algorithms=algorithms)
    except CredentialError as exc:
        raise KeyAttestationError(f"the key attestation: {exc.message}") from exc
    claims = jws.payload
    _iat, exp = _times(claims, now=now, leeway=leeway, exp_required=exp_required)
    nonce = claims.get("nonce")
    if nonce is not None and not isinstance(nonce, str):
        raise KeyAttestationError("the key attestation's nonce must be a string")
    if expected_nonce is not None and nonce != expected_nonce:
        raise KeyAttestationError(
            "the key attestation was not made with this server's c_nonce; get a fresh nonce "
            "and a new attestation",
            code="key_attestation_nonce",
        )
    certification = claims.get("certification")
    return VerifiedKeyAttestation(
        keys=_attested_keys(claims),
        key_storage=_strings(claims, "key_storage"),
        user_authentication=_strings(claims, "user_authentication"),
        issuer=chain.subject.words,
        nonce=nonce,
        exp=exp,
        certification=certification if isinstance(certification, str) else None,
    )
