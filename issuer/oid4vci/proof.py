"""Key proofs of type ``jwt`` (OpenID4VCI 1.0 §8.2 and Appendix F.1).

Checks, structure before cryptography:

* header ``typ`` = ``openid4vci-proof+jwt`` (so a KB-JWT or status list token cannot pass as a
  proof), ``alg`` from the allow-list (never ``none`` or a MAC), no ``crit``;
* exactly one key parameter: ``jwk`` (public members only) or ``kid`` (a DID URL resolved by the
  caller's resolver); ``x5c`` and ``trust_chain`` are refused — this issuer has no trust anchors
  for wallet certificates, and two key parameters let an attacker pair an honest ``kid`` with a
  ``jwk`` they control;
* the signature with that key and the key's own algorithm;
* payload ``aud`` = the Credential Issuer Identifier, ``iat`` neither in the future nor older
  than ``max_age`` (bounded leeway), ``exp``/``nbf`` if present, and a ``nonce`` (the c_nonce,
  whose single use the service enforces).

A ``key_attestation`` header (Appendix F.1, D) is passed on unverified in
:attr:`VerifiedProof.key_attestation`: its trust anchors and the type's policy belong to the
issuance flow (:mod:`issuer.oid4vci.key_attestation`).

In a batch every proof must carry the same c_nonce and a different key: each credential is bound
to its own key so the wallet can present each one once and stay unlinkable.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from credentials.clock import numeric_date, verify_time_claims
from credentials.errors import CredentialError
from credentials.jose import parse_jws, verify_jws
from did.errors import DIDError
from did.keys import PublicKey
from issuer.errors import InvalidProofError

__all__ = ["PROOF_TYP", "VerifiedProof", "verify_proof_jwt", "verify_proofs"]

PROOF_TYP = "openid4vci-proof+jwt"
MAX_PROOF_BYTES = 16 * 1024
_KEY_PARAMS = ("jwk", "kid", "x5c", "trust_chain")
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

KidResolver = Callable[[str], PublicKey]


@dataclass(frozen=True, slots=True)
class VerifiedProof:
    key: PublicKey
    nonce: str
    thumbprint: str
    key_attestation: object = None


def _key_of(header: dict[str, object], resolve_kid: KidResolver | None) -> PublicKey:
    present = [name for name in _KEY_PARAMS if name in header]
    if len(present) != 1:
        raise InvalidProofError(
            "the proof header must carry exactly one of jwk or kid", code="proof_key_ambiguous"
        )
    if present[0] in ("x5c", "trust_chain"):
        raise InvalidProofError(
            "this issuer accepts proofs with a jwk or a DID kid, not certificates",
            code="proof_key_unsupported",
        )
    if present[0] == "jwk":
        jwk = header["jwk"]
        if not isinstance(jwk, dict):
            raise InvalidProofError("the proof jwk must be a JSON object", code="proof_key_invalid")
        if _PRIVATE_MEMBERS & set(jwk):
            raise InvalidProofError(
                "the proof jwk contains a private key; send only the public key",
                code="proof_key_invalid",
            )
        try:
            return PublicKey.from_jwk(jwk)
        except DIDError as exc:
            raise InvalidProofError(
                f"the proof jwk is unusable: {exc.message}", code="proof_key_invalid"
            ) from exc
    kid = header["kid"]
    if not isinstance(kid, str) or not kid.startswith("did:") or "#" not in kid:
        raise InvalidProofError(
            "the proof kid must be a DID URL such as did:jwk:...#0", code="proof_key_invalid"
        )
    if resolve_kid is None:
        raise InvalidProofError("this issuer cannot resolve DIDs", code="proof_key_unsupported")
    try:
        return resolve_kid(kid)
    except DIDError as exc:
        raise InvalidProofError(
            f"the proof kid cannot be resolved: {exc.message}", code="proof_key_unresolved"
        ) from exc


def verify_proof_jwt(
    proof: object,
    *,
    audience: str,
    now: int,
    algorithms: Collection[str],
    max_age: int,
    leeway: int,
    resolve_kid: KidResolver | None = None,
) -> VerifiedProof:
    """Verify one ``jwt`` key proof (Appendix F.1, F.4); raise :class:`InvalidProofError`."""
    if not isinstance(proof, str) or not proof:
        raise InvalidProofError("each jwt proof must be a compact JWT string")
    try:
        jws = parse_jws(proof, max_bytes=MAX_PROOF_BYTES)
        key = _key_of(jws.header, resolve_kid)
        verify_jws(jws, key, typ=PROOF_TYP, algorithms=algorithms)
    except CredentialError as exc:
        raise InvalidProofError(f"the key proof is invalid: {exc.message}", code=exc.code) from exc
    claims = jws.payload
    aud = claims.get("aud")
    if isinstance(aud, list) and len(aud) == 1:
        aud = aud[0]
    if aud != audience:
        raise InvalidProofError(
            "the key proof was made for another issuer (aud)", code="proof_wrong_audience"
        )
    try:
        iat = numeric_date(claims, "iat")
        verify_time_claims(claims, now=now, leeway=leeway)
    except CredentialError as exc:
        raise InvalidProofError(f"the key proof: {exc.message}", code="proof_time_invalid") from exc
    if iat is None:
        raise InvalidProofError("the key proof has no iat", code="proof_time_invalid")
    if iat > now + leeway or iat < now - max_age - leeway:
        raise InvalidProofError(
            "the key proof is too old or dated in the future; check the phone's clock",
            code="proof_time_invalid",
        )
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise InvalidProofError(
            "the key proof has no nonce; get one from the nonce endpoint", code="proof_no_nonce"
        )
    return VerifiedProof(key, nonce, key.thumbprint(), jws.header.get("key_attestation"))


def verify_proofs(
    proofs: Sequence[object],
    *,
    audience: str,
    now: int,
    algorithms: Collection[str],
    max_age: int,
    leeway: int,
    resolve_kid: KidResolver | None = None,
) -> list[VerifiedProof]:
    """Verify a batch: every proof valid, one shared c_nonce, no key used twice."""
    verified = [
        verify_proof_jwt(
            proof,
            audience=audience,
            now=now,
            algorithms=algorithms,
            max_age=max_age,
            leeway=leeway,
            resolve_kid=resolve_kid,
        )
        for proof in proofs
    ]
    if len({proof.nonce for proof in verified}) > 1:
        raise InvalidProofError(
            "all proofs in one request must use the same c_nonce", code="proof_nonce_mismatch"
        )
    if len({proof.thumbprint for proof in verified}) != len(verified):
        raise InvalidProofError(
            "each proof in a batch must use a different key", code="proof_key_reused"
        )
    return verified
