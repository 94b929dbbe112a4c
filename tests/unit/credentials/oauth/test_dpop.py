"""RFC 9449 DPoP proofs: each §4.3 check with a valid and an invalid case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.encoding import b64url_encode, dumps_compact
from credentials.errors import DPoPError
from credentials.jose import sign_jws
from credentials.oauth import (
    access_token_hash,
    check_dpop_proof,
    make_dpop_proof,
    mint_nonce,
    normalise_htu,
)
from did.keys import EDDSA, PrivateKey

VALUES = json.loads(
    (Path(__file__).parents[4] / "docs/dev/haip-wire-examples/values.json").read_text()
)
KEY = PrivateKey.generate()
URL = "https://id.example.bt/token"
NOW = 1_800_000_000
NONCE_KEY = b"n" * 32


def proof(**overrides: Any) -> str:
    args: dict[str, Any] = {"htm": "POST", "htu": URL, "iat": NOW, "jti": "j1"}
    args.update(overrides)
    return make_dpop_proof(KEY, **args)


def check(token: str, **overrides: Any) -> Any:
    args: dict[str, Any] = {"htm": "POST", "htu": URL, "now": NOW}
    args.update(overrides)
    return check_dpop_proof(token, **args)


def refused(token: str, **overrides: Any) -> DPoPError:
    with pytest.raises(DPoPError) as caught:
        check(token, **overrides)
    return caught.value


def test_valid_proof() -> None:
    verified = check(proof())
    assert verified.jkt == KEY.public_key.thumbprint()
    assert verified.jti == "j1"


def test_ath_vector() -> None:
    assert access_token_hash(VALUES["access_token"]) == VALUES["ath"]


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("HTTPS://ID.Example.BT:443/token", "https://id.example.bt/token"),
        ("https://id.example.bt/token?x=1#f", "https://id.example.bt/token"),
        ("http://127.0.0.1:8101/a/./b/../token", "http://127.0.0.1:8101/a/token"),
        ("https://id.example.bt", "https://id.example.bt/"),
        ("https://id.example.bt/%7etoken%2f", "https://id.example.bt/~token%2F"),
    ],
)
def test_normalise_htu(given: str, normal: str) -> None:
    assert normalise_htu(given) == normal


def test_htu_normalised_on_both_sides() -> None:
    token = sign_jws(
        {"jti": "j", "htm": "POST", "htu": "https://ID.example.bt:443/token", "iat": NOW},
        KEY,
        typ="dpop+jwt",
        headers={"jwk": KEY.public_key.to_jwk()},
    )
    check(token)


def test_wrong_htu() -> None:
    assert refused(proof(htu="https://id.example.bt/credential")).code == "dpop_htu_mismatch"


def test_wrong_htm() -> None:
    assert refused(proof(htm="GET")).code == "dpop_htm_mismatch"


def test_stale_and_future_iat() -> None:
    assert refused(proof(iat=NOW - 400)).code == "dpop_iat_stale"
    assert refused(proof(iat=NOW + 120)).code == "dpop_iat_future"
    check(proof(iat=NOW - 300))


def test_ath() -> None:
    check(proof(access_token="at"), access_token="at")
    assert refused(proof(), access_token="at").code == "dpop_ath_missing"
    assert refused(proof(access_token="other"), access_token="at").code == "dpop_ath_mismatch"


def test_nonce_required_and_checked() -> None:
    keys = [NONCE_KEY]
    error = refused(proof(), nonce_keys=keys)
    assert (error.code, error.oauth_error) == ("dpop_nonce_required", "use_dpop_nonce")
    stale = refused(proof(nonce=mint_nonce(NONCE_KEY, NOW - 1000)), nonce_keys=keys)
    assert (stale.code, stale.oauth_error) == ("dpop_nonce_invalid", "use_dpop_nonce")
    # With a valid nonce a phone clock an hour off still passes (the nonce bounds freshness).
    verified = check(proof(nonce=mint_nonce(NONCE_KEY, NOW - 10), iat=NOW - 3600), nonce_keys=keys)
    assert verified.nonce is not None


def _raw(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return ".".join(
        [
            b64url_encode(dumps_compact(header).encode()),
            b64url_encode(dumps_compact(claims).encode()),
            b64url_encode(b"\0" * 64),
        ]
    )


CLAIMS = {"jti": "j", "htm": "POST", "htu": URL, "iat": NOW}


def test_structure_refusals() -> None:
    jwk = KEY.public_key.to_jwk()
    assert refused("not a jwt").code == "dpop_malformed"
    assert refused("a" * 9000).code == "dpop_malformed"
    no_jti = {k: v for k, v in CLAIMS.items() if k != "jti"}
    token = sign_jws(no_jti, KEY, typ="dpop+jwt", headers={"jwk": jwk})
    assert refused(token).code == "dpop_claim_missing"
    long_jti = sign_jws({**CLAIMS, "jti": "j" * 300}, KEY, typ="dpop+jwt", headers={"jwk": jwk})
    assert refused(long_jti).code == "dpop_jti_too_long"
    wrong_typ = sign_jws(CLAIMS, KEY, typ="jwt", headers={"jwk": jwk})
    assert refused(wrong_typ).code == "dpop_typ"
    hs = _raw({"alg": "HS256", "typ": "dpop+jwt", "jwk": jwk}, CLAIMS)
    assert refused(hs).code == "dpop_alg"
    none = _raw({"alg": "none", "typ": "dpop+jwt", "jwk": jwk}, CLAIMS)
    assert refused(none).code == "dpop_alg"
    ed = PrivateKey.generate(EDDSA)
    eddsa = sign_jws(CLAIMS, ed, typ="dpop+jwt", headers={"jwk": ed.public_key.to_jwk()})
    assert refused(eddsa).code == "dpop_alg"  # ES256 only unless configured
    check(eddsa, algorithms=("ES256", "EdDSA"))


def test_signature_and_private_key() -> None:
    other = PrivateKey.generate()
    token = sign_jws(CLAIMS, other, typ="dpop+jwt", headers={"jwk": KEY.public_key.to_jwk()})
    assert refused(token).code == "dpop_signature"
    private = sign_jws(CLAIMS, KEY, typ="dpop+jwt", headers={"jwk": KEY.to_jwk()})
    assert refused(private).code == "dpop_private_key"
