"""Verifying an SD-JWT VC presentation vs. the raw cost of its two ES256 signature checks.

Subject: an ES256 SD-JWT VC with 12 selectively disclosable claims, 3 disclosed, with an ES256
KB-JWT, verified in full by ``verify_sd_jwt_vc`` (parse, signature, every RFC 9901 §7.1 check,
time, SD-JWT VC profile, §7.3 key binding). Baseline: the two ECDSA P-256 verifications alone,
with cryptography, DER signatures prepared in advance. Target ratio: ≤ 1.3.

The realistic floor, also measured: the same two verifications with the holder's key imported
from the credential's ``cnf`` JWK each time (a verifier never has it in advance), with
cryptography directly. The report gives the ratio to both.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from benchmarks._timing import Measurement, compare
from core.encoding import b64url_decode, parse_json
from credentials.jose import parse_jws
from credentials.sd_jwt import digest_of, parse_sd_jwt, present_sd_jwt
from credentials.sd_jwt_vc import issue_sd_jwt_vc, verify_sd_jwt_vc
from did.keys import PrivateKey, PublicKey

NOW = 1_800_000_000
CLAIMS = {
    "cid": "11512003456",
    "given_name": "Karma",
    "family_name": "Wangmo",
    "full_name": "Karma Wangmo",
    "birthdate": "1994-03-12",
    "gender": "female",
    "citizenship": "BT",
    "dzongkhag": "Paro",
    "gewog": "Lungnyi",
    "village": "Bondey",
    "age_over_18": True,
    "age_over_21": True,
}


def der_signature(signature: bytes) -> bytes:
    return encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )


def build() -> tuple[str, PublicKey, PublicKey]:
    issuer, holder = PrivateKey.generate("ES256"), PrivateKey.generate("ES256")
    credential = issue_sd_jwt_vc(
        CLAIMS,
        issuer,
        iss="https://registry.example.bt",
        vct="https://registry.example.bt/foundational-id",
        iat=NOW - 60,
        exp=NOW + 86400,
        sd_paths=[f"/{name}" for name in CLAIMS],
        holder_key=holder.public_key,
    )
    presentation = present_sd_jwt(
        credential,
        disclose=["/full_name", "/cid", "/age_over_18"],
        holder_key=holder,
        nonce="n-0S6_WzA2Mj",
        aud="decentralized_identifier:did:web:bank.example.bt",
        iat=NOW,
    )
    return presentation.serialize(), issuer.public_key, holder.public_key


def run() -> list[Measurement]:
    text, issuer_key, holder_key = build()
    parts = parse_sd_jwt(text)
    jws, kb = parse_jws(parts.jwt), parse_jws(parts.kb_jwt or "")
    raw_inputs = [
        (issuer_key.key, der_signature(jws.signature), jws.signing_input),
        (holder_key.key, der_signature(kb.signature), kb.signing_input),
    ]
    algorithm = ec.ECDSA(hashes.SHA256())

    def baseline() -> None:
        for key, signature, data in raw_inputs:
            key.verify(signature, data, algorithm)  # type: ignore[union-attr,call-arg]

    holder_jwk = jws.payload["cnf"]["jwk"]

    def realistic() -> None:
        issuer_key.key.verify(raw_inputs[0][1], raw_inputs[0][2], algorithm)  # type: ignore[union-attr,call-arg]
        point = b"\x04" + b64url_decode(holder_jwk["x"]) + b64url_decode(holder_jwk["y"])
        holder = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        holder.verify(raw_inputs[1][1], raw_inputs[1][2], algorithm)

    def full() -> None:
        verify_sd_jwt_vc(
            text,
            issuer_key=issuer_key,
            now=NOW,
            require_key_binding=True,
            nonce="n-0S6_WzA2Mj",
            aud="decentralized_identifier:did:web:bank.example.bt",
        )

    parts = text.split("~")

    def floor() -> None:
        """The unavoidable work with every check left out: decode both JWTs and each
        disclosure, hash the disclosures and the presentation, load the holder key, verify
        both signatures. How close pure Python can get to the baseline."""
        head, body, signature = parts[0].split(".")
        parse_json(b64url_decode(head))
        payload = parse_json(b64url_decode(body))
        for encoded in parts[1:-1]:
            parse_json(b64url_decode(encoded))
            digest_of(encoded)
        holder = PublicKey.from_jwk(payload["cnf"]["jwk"])
        issuer_key.key.verify(der_signature(b64url_decode(signature)), jws.signing_input, algorithm)  # type: ignore[union-attr,call-arg]
        kb_head, kb_body, kb_signature = parts[-1].split(".")
        parse_json(b64url_decode(kb_head))
        parse_json(b64url_decode(kb_body))
        digest_of(text[: len(text) - len(parts[-1])])
        holder.key.verify(der_signature(b64url_decode(kb_signature)), kb.signing_input, algorithm)  # type: ignore[union-attr,call-arg]

    full()  # must verify before it is timed
    floor()
    return compare(
        [
            ("baseline: 2 raw ES256 verifications", baseline),
            ("realistic floor: the same, holder key from cnf", realistic),
            ("verify_sd_jwt_vc (12 claims, 3 disclosed, KB)", full),
            ("reference: parse + hash + verify, no checks", floor),
        ]
    )


def report() -> str:
    base, realistic, subject, floor = run()
    ratio = subject.seconds_per_op / base.seconds_per_op
    return "\n".join(
        [
            "SD-JWT VC presentation verification",
            base.line(),
            realistic.line(),
            subject.line(),
            floor.line(),
            f"ratio to baseline: {ratio:.2f}x (target <= 1.30x); to the realistic floor: "
            f"{subject.seconds_per_op / realistic.seconds_per_op:.2f}x (the floor itself "
            f"{realistic.seconds_per_op / base.seconds_per_op:.2f}x the baseline); the "
            f"no-checks reference: {floor.seconds_per_op / base.seconds_per_op:.2f}x",
        ]
    )


if __name__ == "__main__":
    print(report())
