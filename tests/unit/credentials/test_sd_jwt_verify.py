"""RFC 9901 §7.1 / §7.3 verification: every structural rule, the serialization, caps, time
and key binding, each rejection with its code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.encoding import b64url_decode, b64url_encode
from credentials.errors import (
    CredentialError,
    JOSEError,
    KeyBindingError,
    MalformedError,
    SDJWTError,
    ValidityError,
)
from credentials.jose import JWS, sign_jws
from credentials.sd_jwt import (
    KB_JWT_TYP,
    MAX_DISCLOSURES,
    SDJWT,
    digest_of,
    issue_sd_jwt,
    parse_sd_jwt,
    present_sd_jwt,
    verify_sd_jwt,
)
from did.keys import EDDSA, PrivateKey, PublicKey

CASES = json.loads(
    (Path(__file__).parents[2] / "vectors" / "sd_jwt" / "verification_cases.json").read_text(
        encoding="utf-8"
    )
)
ERRORS: dict[str, type[CredentialError]] = {
    "SDJWTError": SDJWTError,
    "MalformedError": MalformedError,
}
NOW = 1_800_000_000
NONCE = "n-0S6_WzA2Mj"
AUD = "https://verifier.example.org"


def _build(case: dict[str, Any], raw_sd_jwt: Any, key: PrivateKey) -> str:
    result: str = raw_sd_jwt(
        case["payload"],
        case["disclosures"],
        key,
        present=case.get("present"),
        hash_alg=case.get("hash_alg", "sha-256"),
    )
    return result


@pytest.mark.parametrize("case", CASES["invalid"], ids=[c["id"] for c in CASES["invalid"]])
def test_invalid_sd_jwt_is_rejected_with_its_code(
    case: dict[str, Any], raw_sd_jwt: Any, issuer_key: PrivateKey
) -> None:
    text = _build(case, raw_sd_jwt, issuer_key)
    with pytest.raises(ERRORS[case["error"]]) as info:
        verify_sd_jwt(text, issuer_key=issuer_key.public_key, now=NOW, require_key_binding=False)
    assert info.value.code == case["code"]


@pytest.mark.parametrize("case", CASES["valid"], ids=[c["id"] for c in CASES["valid"]])
def test_valid_sd_jwt_gives_exactly_the_expected_claims(
    case: dict[str, Any], raw_sd_jwt: Any, issuer_key: PrivateKey
) -> None:
    text = _build(case, raw_sd_jwt, issuer_key)
    verified = verify_sd_jwt(
        text, issuer_key=issuer_key.public_key, now=NOW, require_key_binding=False
    )
    assert verified.claims == case["expected"]


def test_valid_cases_fail_under_another_issuer_key(
    raw_sd_jwt: Any, issuer_key: PrivateKey, other_key: PrivateKey
) -> None:
    text = _build(CASES["valid"][0], raw_sd_jwt, issuer_key)
    with pytest.raises(JOSEError) as info:
        verify_sd_jwt(text, issuer_key=other_key.public_key, now=NOW, require_key_binding=False)
    assert info.value.code == "invalid_signature"


# --- Serialization (§4, §5) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def issued(issuer_key: PrivateKey, holder_key: PrivateKey) -> SDJWT:
    return issue_sd_jwt(
        {"iss": "https://issuer.example", "iat": NOW - 10, "exp": NOW + 3600, "a": 1, "b": 2},
        issuer_key,
        sd_paths=["/a", "/b"],
        holder_key=holder_key.public_key,
    )


def _verify(text: str | SDJWT, key: PrivateKey, **extra: Any) -> Any:
    arguments: dict[str, Any] = {"now": NOW, "require_key_binding": False}
    arguments.update(extra)
    return verify_sd_jwt(text, issuer_key=key.public_key, **arguments)


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        pytest.param(lambda s: s.rstrip("~"), "invalid_sd_jwt", id="missing_trailing_tilde"),
        pytest.param(lambda s: s.split("~")[0], "invalid_sd_jwt", id="plain_jwt"),
        pytest.param(lambda s: s.replace("~", "~~", 1), "invalid_sd_jwt", id="empty_disclosure"),
        pytest.param(lambda s: "~" + s, "invalid_sd_jwt", id="leading_tilde"),
        pytest.param(lambda s: s.split(".", 1)[1], "invalid_sd_jwt", id="jwt_two_parts"),
        pytest.param(lambda s: s + "abc", "invalid_sd_jwt", id="garbage_after_last_tilde"),
    ],
)
def test_serialization_errors(
    mutate: Any, code: str, issued: SDJWT, issuer_key: PrivateKey
) -> None:
    with pytest.raises(CredentialError) as info:
        _verify(mutate(issued.serialize()), issuer_key)
    assert info.value.code == code


def test_disclosure_that_is_not_base64url(issued: SDJWT, issuer_key: PrivateKey) -> None:
    text = issued.serialize().replace("~", "~*~", 1)
    with pytest.raises(MalformedError) as info:
        _verify(text, issuer_key)
    assert info.value.code == "invalid_disclosure"


def test_non_text_input_is_malformed(issuer_key: PrivateKey) -> None:
    with pytest.raises(MalformedError):
        verify_sd_jwt(
            b"x~",  # type: ignore[arg-type]
            issuer_key=issuer_key.public_key,
            now=NOW,
            require_key_binding=False,
        )


def test_too_many_disclosures(issuer_key: PrivateKey) -> None:
    jwt = sign_jws({"a": 1}, issuer_key, typ="t")
    text = jwt + "~" + "WyJzIiwxXQ~" * (MAX_DISCLOSURES + 1)
    with pytest.raises(SDJWTError) as info:
        _verify(text, issuer_key)
    assert info.value.code == "too_many_disclosures"
    with pytest.raises(SDJWTError) as info:
        parse_sd_jwt(jwt + "~" + "WyJzIiwxXQ~" * 3, max_disclosures=2)
    assert info.value.code == "too_many_disclosures"


def test_max_disclosures_is_not_off_by_one(issuer_key: PrivateKey) -> None:
    jwt = sign_jws({"a": 1}, issuer_key, typ="t")
    assert len(parse_sd_jwt(jwt + "~" + "WyJzIiwxXQ~" * 3, max_disclosures=3).disclosures) == 3


def test_oversize_sd_jwt(issued: SDJWT) -> None:
    with pytest.raises(MalformedError) as info:
        parse_sd_jwt(issued.serialize(), max_bytes=100)
    assert info.value.code == "too_large"


def test_kb_jwt_that_is_not_a_jws(issued: SDJWT, issuer_key: PrivateKey) -> None:
    with pytest.raises(MalformedError):
        _verify(issued.serialize() + "a.b.c", issuer_key)


# --- Time (§7.1 step 5) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claims", "now", "leeway", "code"),
    [
        ({"exp": NOW}, NOW + 60, 60, "expired"),
        ({"exp": NOW}, NOW, 0, "expired"),
        ({"nbf": NOW}, NOW - 61, 60, "not_yet_valid"),
        ({"iat": NOW}, NOW - 301, 300, "issued_in_future"),
        ({"exp": "tomorrow"}, NOW, 60, "invalid_claim"),
    ],
)
def test_time_claims(
    claims: dict[str, Any], now: int, leeway: int, code: str, issuer_key: PrivateKey
) -> None:
    issued = issue_sd_jwt({"sub": "x", **claims}, issuer_key)
    with pytest.raises(CredentialError) as info:
        _verify(issued.serialize(), issuer_key, now=now, leeway=leeway)
    assert info.value.code == code
    assert isinstance(info.value, ValidityError | MalformedError)


@pytest.mark.parametrize(
    ("claims", "now", "leeway"),
    [({"exp": NOW}, NOW + 59, 60), ({"nbf": NOW}, NOW - 60, 60), ({"iat": NOW}, NOW - 300, 300)],
)
def test_time_claims_within_leeway(
    claims: dict[str, Any], now: int, leeway: int, issuer_key: PrivateKey
) -> None:
    issued = issue_sd_jwt({"sub": "x", **claims}, issuer_key)
    assert _verify(issued.serialize(), issuer_key, now=now, leeway=leeway).claims["sub"] == "x"


@pytest.mark.parametrize("leeway", [-1, 301, True])
def test_leeway_outside_bounds_is_refused(
    leeway: Any, issued: SDJWT, issuer_key: PrivateKey
) -> None:
    with pytest.raises(ValueError, match="leeway"):
        _verify(issued.serialize(), issuer_key, leeway=leeway)


def test_selectively_disclosed_exp_is_enforced(raw_sd_jwt: Any, issuer_key: PrivateKey) -> None:
    """RFC 9901 §7.1 step 5 checks the *processed* payload."""
    text = raw_sd_jwt('{"_sd":["{D0}"]}', [f'["s1","exp",{NOW - 3600}]'], issuer_key)
    with pytest.raises(ValidityError) as info:
        _verify(text, issuer_key)
    assert info.value.code == "expired"


def test_required_claims(issued: SDJWT, issuer_key: PrivateKey) -> None:
    presentation = present_sd_jwt(issued, disclose=["/a"])
    assert _verify(presentation, issuer_key, required_claims=["a", "iss"]).claims["a"] == 1
    with pytest.raises(SDJWTError) as info:
        _verify(presentation, issuer_key, required_claims=["b"])
    assert info.value.code == "missing_claim"


# --- Issuer key: resolver and algorithms -----------------------------------------------------


def test_issuer_key_resolver_sees_the_unverified_jws(issued: SDJWT, issuer_key: PrivateKey) -> None:
    seen: list[JWS] = []

    def resolve(jws: JWS) -> PublicKey:
        seen.append(jws)
        return issuer_key.public_key

    verified = verify_sd_jwt(issued, issuer_key=resolve, now=NOW, require_key_binding=False)
    assert seen[0].payload["iss"] == "https://issuer.example"
    assert verified.issuer_key == issuer_key.public_key


def test_typ_is_checked_when_asked(issued: SDJWT, issuer_key: PrivateKey) -> None:
    _verify(issued, issuer_key, typ="sd+jwt")
    with pytest.raises(JOSEError) as info:
        _verify(issued, issuer_key, typ="dc+sd-jwt")
    assert info.value.code == "invalid_typ"


def test_algorithm_allow_list(issued: SDJWT, issuer_key: PrivateKey) -> None:
    with pytest.raises(JOSEError) as info:
        _verify(issued, issuer_key, algorithms={EDDSA})
    assert info.value.code == "algorithm_not_allowed"


# --- Key binding (§7.3) ----------------------------------------------------------------------


def _kb(
    presentation: SDJWT,
    key: PrivateKey,
    *,
    typ: str = KB_JWT_TYP,
    drop: str | None = None,
    **claims: Any,
) -> str:
    payload: dict[str, Any] = {
        "iat": NOW,
        "aud": AUD,
        "nonce": NONCE,
        "sd_hash": digest_of(presentation.without_key_binding),
    }
    payload.update(claims)
    if drop:
        del payload[drop]
    return presentation.without_key_binding + sign_jws(payload, key, typ=typ)


def _verify_kb(text: str, key: PrivateKey, **extra: Any) -> Any:
    arguments: dict[str, Any] = {"require_key_binding": True, "nonce": NONCE, "aud": AUD}
    arguments.update(extra)
    return _verify(text, key, **arguments)


@pytest.fixture(scope="module")
def presented(issued: SDJWT) -> SDJWT:
    return present_sd_jwt(issued, disclose=["/a"])


def test_key_binding_accepted(
    presented: SDJWT, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    verified = _verify_kb(_kb(presented, holder_key), issuer_key)
    assert verified.claims["a"] == 1
    assert "b" not in verified.claims
    assert verified.key_binding is not None
    assert verified.key_binding.nonce == NONCE
    assert verified.holder_key == holder_key.public_key


def test_present_sd_jwt_builds_the_same_key_binding(
    issued: SDJWT, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    presentation = present_sd_jwt(
        issued, disclose=["/a"], holder_key=holder_key, nonce=NONCE, aud=AUD, iat=NOW
    )
    assert presentation.kb_jwt is not None
    assert _verify_kb(presentation.serialize(), issuer_key).key_binding.iat == NOW


@pytest.mark.parametrize(
    ("kb", "code"),
    [
        pytest.param({"nonce": "replayed"}, "nonce_mismatch", id="wrong_nonce"),
        pytest.param({"aud": "https://other.example"}, "aud_mismatch", id="wrong_aud"),
        pytest.param({"aud": [AUD]}, "kb_missing_claim", id="aud_array"),
        pytest.param({"sd_hash": "x" * 43}, "sd_hash_mismatch", id="wrong_sd_hash"),
        pytest.param({"iat": NOW - 301 - 60}, "kb_iat_invalid", id="iat_too_old"),
        pytest.param({"iat": NOW + 61}, "kb_iat_invalid", id="iat_in_future"),
        pytest.param({"iat": str(NOW)}, "kb_missing_claim", id="iat_string"),
        pytest.param({"iat": True}, "kb_missing_claim", id="iat_bool"),
        pytest.param({"nonce": 1234}, "kb_missing_claim", id="nonce_number"),
        pytest.param({"drop": "nonce"}, "kb_missing_claim", id="no_nonce"),
        pytest.param({"drop": "aud"}, "kb_missing_claim", id="no_aud"),
        pytest.param({"drop": "iat"}, "kb_missing_claim", id="no_iat"),
        pytest.param({"drop": "sd_hash"}, "kb_missing_claim", id="no_sd_hash"),
        pytest.param({"exp": NOW - 100}, "kb_expired", id="kb_exp_passed"),
        pytest.param({"typ": "JWT"}, "kb_invalid_typ", id="wrong_typ"),
        pytest.param({"typ": "dc+sd-jwt"}, "kb_invalid_typ", id="issuer_typ"),
    ],
)
def test_key_binding_rejections(
    kb: dict[str, Any],
    code: str,
    presented: SDJWT,
    issuer_key: PrivateKey,
    holder_key: PrivateKey,
) -> None:
    with pytest.raises(KeyBindingError) as info:
        _verify_kb(_kb(presented, holder_key, **kb), issuer_key)
    assert info.value.code == code


def test_key_binding_signed_by_another_key(
    presented: SDJWT, issuer_key: PrivateKey, other_key: PrivateKey
) -> None:
    with pytest.raises(KeyBindingError) as info:
        _verify_kb(_kb(presented, other_key), issuer_key)
    assert info.value.code == "kb_invalid_signature"


def test_key_binding_signed_with_another_algorithm(
    presented: SDJWT, issuer_key: PrivateKey, ed_key: PrivateKey
) -> None:
    with pytest.raises(KeyBindingError) as info:
        _verify_kb(_kb(presented, ed_key), issuer_key)
    assert info.value.code == "kb_invalid_signature"


def test_key_binding_from_another_presentation(
    issued: SDJWT, presented: SDJWT, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    other = present_sd_jwt(issued, disclose=["/a", "/b"])
    kb_for_other = _kb(other, holder_key).removeprefix(other.without_key_binding)
    with pytest.raises(KeyBindingError) as info:
        _verify_kb(presented.without_key_binding + kb_for_other, issuer_key)
    assert info.value.code == "sd_hash_mismatch"


def test_disclosure_removed_after_key_binding(
    issued: SDJWT, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    both = present_sd_jwt(issued, disclose=["/a", "/b"])
    kb = _kb(both, holder_key).removeprefix(both.without_key_binding)
    fewer = SDJWT(both.jwt, both.disclosures[:1])
    with pytest.raises(KeyBindingError) as info:
        _verify_kb(fewer.without_key_binding + kb, issuer_key)
    assert info.value.code == "sd_hash_mismatch"


def test_missing_key_binding_when_required(presented: SDJWT, issuer_key: PrivateKey) -> None:
    with pytest.raises(KeyBindingError) as info:
        _verify_kb(presented.serialize(), issuer_key)
    assert info.value.code == "key_binding_required"


def test_key_binding_present_but_not_required_is_still_checked(
    presented: SDJWT, issuer_key: PrivateKey, holder_key: PrivateKey, other_key: PrivateKey
) -> None:
    with pytest.raises(KeyBindingError) as info:
        _verify(_kb(presented, other_key), issuer_key)
    assert info.value.code == "kb_invalid_signature"
    with pytest.raises(KeyBindingError) as info:
        _verify(_kb(presented, holder_key, sd_hash="y" * 43), issuer_key)
    assert info.value.code == "sd_hash_mismatch"
    with pytest.raises(KeyBindingError) as info:
        _verify(_kb(presented, holder_key, iat=NOW + 3600), issuer_key)
    assert info.value.code == "kb_iat_invalid"
    with pytest.raises(KeyBindingError) as info:
        _verify(_kb(presented, holder_key), issuer_key, nonce="other")
    assert info.value.code == "nonce_mismatch"
    assert _verify(_kb(presented, holder_key), issuer_key).key_binding is not None


def test_require_key_binding_needs_nonce_and_aud(presented: SDJWT, issuer_key: PrivateKey) -> None:
    with pytest.raises(ValueError, match="nonce and aud"):
        _verify(presented, issuer_key, require_key_binding=True, nonce=NONCE)
    with pytest.raises(ValueError, match="nonce and aud"):
        _verify(presented, issuer_key, require_key_binding=True, aud=AUD)


def _cnf_sd_jwt(issuer_key: PrivateKey, cnf: Any) -> SDJWT:
    """Signed directly: issue_sd_jwt itself refuses a cnf that is not an object."""
    claims: dict[str, Any] = {"a": 1} if cnf is None else {"a": 1, "cnf": cnf}
    return SDJWT(sign_jws(claims, issuer_key, typ="example+sd-jwt"))


@pytest.mark.parametrize(
    ("cnf", "code"),
    [
        pytest.param(None, "missing_cnf", id="no_cnf"),
        pytest.param("jwk", "invalid_cnf", id="cnf_not_object"),
        pytest.param({"kid": "k1"}, "invalid_cnf", id="cnf_without_jwk"),
        pytest.param({"jwk": {"kty": "RSA", "n": "x", "e": "AQAB"}}, "invalid_cnf", id="rsa"),
        pytest.param(
            {"jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}, "invalid_cnf", id="bad_ec"
        ),
        pytest.param(
            {"jwk": {"kty": "OKP", "crv": "Ed25519", "x": "AQ" + "A" * 41}},
            "invalid_cnf",
            id="ed25519_identity_point",
        ),
    ],
)
def test_holder_key_problems(
    cnf: Any, code: str, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    issued = _cnf_sd_jwt(issuer_key, cnf)
    with pytest.raises(KeyBindingError) as info:
        _verify_kb(_kb(SDJWT(issued.jwt), holder_key), issuer_key)
    assert info.value.code == code


def test_cnf_with_a_private_key_is_refused_even_without_key_binding(
    issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    issued = _cnf_sd_jwt(issuer_key, {"jwk": holder_key.to_jwk()})
    with pytest.raises(KeyBindingError) as info:
        _verify(issued, issuer_key)
    assert info.value.code == "invalid_cnf"
    with pytest.raises(KeyBindingError) as info:
        _verify_kb(_kb(SDJWT(issued.jwt), holder_key), issuer_key)
    assert info.value.code == "invalid_cnf"


def test_eddsa_holder_key(issuer_key: PrivateKey) -> None:
    holder = PrivateKey.generate(EDDSA)
    issued = issue_sd_jwt({"a": 1}, issuer_key, holder_key=holder.public_key)
    assert _verify_kb(_kb(SDJWT(issued.jwt), holder), issuer_key).holder_key == holder.public_key


def test_kb_jwt_with_sha512_sd_alg(issuer_key: PrivateKey, holder_key: PrivateKey) -> None:
    issued = issue_sd_jwt(
        {"a": 1}, issuer_key, sd_paths=["/a"], holder_key=holder_key.public_key, hash_alg="sha-512"
    )
    presentation = present_sd_jwt(
        issued, disclose=["/a"], holder_key=holder_key, nonce=NONCE, aud=AUD, iat=NOW
    )
    assert _verify_kb(presentation.serialize(), issuer_key).claims == {
        "a": 1,
        "cnf": {"jwk": holder_key.public_key.to_jwk()},
    }
    # A SHA-256 sd_hash does not fit a sha-512 SD-JWT.
    with pytest.raises(KeyBindingError) as info:
        _verify_kb(_kb(SDJWT(presentation.jwt, presentation.disclosures), holder_key), issuer_key)
    assert info.value.code == "sd_hash_mismatch"


def test_signature_over_the_kb_jwt_is_bound_to_its_bytes(
    presented: SDJWT, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    text = _kb(presented, holder_key)
    head, payload, signature = text.rsplit("~", 1)[1].split(".")
    forged = json.loads(b64url_decode(payload))
    forged["nonce"] = "attacker"
    forged_payload = b64url_encode(json.dumps(forged).encode())
    forged_text = text.rsplit("~", 1)[0] + f"~{head}.{forged_payload}.{signature}"
    with pytest.raises(KeyBindingError) as info:
        _verify_kb(forged_text, issuer_key, nonce="attacker")
    assert info.value.code == "kb_invalid_signature"
