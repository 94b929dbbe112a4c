"""RFC 9901 conformance: one crafted case per rule of §4 (data formats), §4.3 (KB-JWT) and §7
(verification), from tests/vectors/sd_jwt/conformance_rfc9901.json, plus the issuer-side
refusals. docs/dev/conformance.md maps each rule to its check, code and test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from credentials.errors import (
    CredentialError,
    JOSEError,
    KeyBindingError,
    MalformedError,
    SDJWTError,
    ValidityError,
)
from credentials.jose import parse_jws
from credentials.sd_jwt import decode_sd_jwt, issue_sd_jwt, present_sd_jwt, verify_sd_jwt
from did.keys import PrivateKey

VECTORS = json.loads(
    (Path(__file__).parents[2] / "vectors" / "sd_jwt" / "conformance_rfc9901.json").read_text(
        encoding="utf-8"
    )
)
ERRORS: dict[str, type[CredentialError]] = {
    cls.__name__: cls
    for cls in (SDJWTError, MalformedError, JOSEError, KeyBindingError, ValidityError)
}
NOW = 1_800_000_000
TYP = "example+sd-jwt"
# Codes raised while processing the payload: the holder's decode applies them too (§7.2).
PROCESSING_CODES = frozenset(
    {
        "misplaced_sd_alg",
        "unsupported_sd_alg",
        "invalid_array_placeholder",
        "invalid_sd_claim",
        "invalid_disclosure",
        "claim_name_collision",
        "disclosure_type_mismatch",
        "duplicate_disclosure",
        "duplicate_digest",
    }
)


def _verify(text: str, issuer_key: PrivateKey, case: dict[str, Any]) -> Any:
    arguments: dict[str, Any] = {"now": NOW, "require_key_binding": False, **case.get("verify", {})}
    return verify_sd_jwt(text, issuer_key=issuer_key.public_key, **arguments)


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=[c["id"] for c in VECTORS["invalid"]])
def test_rule_violation_is_rejected_with_its_code(
    case: dict[str, Any], build_case: Any, issuer_key: PrivateKey
) -> None:
    text = build_case(case, default_typ=TYP)
    with pytest.raises(CredentialError) as info:
        _verify(text, issuer_key, case)
    assert type(info.value) is ERRORS[case["error"]]
    assert info.value.code == case["code"]


@pytest.mark.parametrize("case", VECTORS["valid"], ids=[c["id"] for c in VECTORS["valid"]])
def test_conforming_case_gives_exactly_its_claims(
    case: dict[str, Any], build_case: Any, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    expected = json.loads(
        case["claims"].replace(
            '"{HOLDER_JWK}"', json.dumps(holder_key.public_key.to_jwk(), separators=(",", ":"))
        )
    )
    assert _verify(build_case(case, default_typ=TYP), issuer_key, case).claims == expected


@pytest.mark.parametrize(
    "case",
    [c for c in VECTORS["invalid"] if c["code"] in PROCESSING_CODES and "kb" not in c],
    ids=lambda c: c["id"],
)
def test_holder_decoding_applies_the_same_rules(case: dict[str, Any], build_case: Any) -> None:
    """§7.2: the holder processes the SD-JWT "as defined in §7.1" before storing or showing it."""
    with pytest.raises(CredentialError) as info:
        decode_sd_jwt(build_case(case, default_typ=TYP))
    assert info.value.code == case["code"]


def test_every_case_names_its_rule() -> None:
    for case in VECTORS["invalid"] + VECTORS["valid"]:
        assert case["section"], case["id"]
        assert case["rule"], case["id"]
    ids = [c["id"] for c in VECTORS["invalid"] + VECTORS["valid"]]
    assert len(ids) == len(set(ids))


# --- Issuer side: never produce what §4 forbids ----------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [{"x": {"_sd_alg": "sha-256"}}, {"x": [{"_sd_alg": "sha-256"}]}, {"a": {"b": {"_sd_alg": 1}}}],
)
def test_issuer_refuses_a_nested_sd_alg(claims: dict[str, Any], issuer_key: PrivateKey) -> None:
    """§4.1.1: "_sd_alg ... MUST NOT be used in any object nested within the payload"."""
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt(claims, issuer_key)
    assert info.value.code == "misplaced_sd_alg"


@pytest.mark.parametrize(
    ("cnf", "why"),
    [
        pytest.param("jwk", "not an object", id="string"),
        pytest.param({"jwk": {"kty": "oct", "k": "c2VjcmV0"}}, "symmetric key", id="oct"),
        pytest.param(
            {"jwk": None, "jku": "https://h.example/k", "jwe": "a.b.c.d.e"}, "two", id="two"
        ),
    ],
)
def test_issuer_refuses_a_malformed_cnf(cnf: Any, why: str, issuer_key: PrivateKey) -> None:
    """§4.1.2 / RFC 7800 §3.1: one proof-of-possession key, never a private or secret one."""
    with pytest.raises(KeyBindingError) as info:
        issue_sd_jwt({"cnf": cnf}, issuer_key)
    assert info.value.code == "invalid_cnf", why


def test_issuer_refuses_a_private_holder_key_in_cnf(
    issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    with pytest.raises(KeyBindingError) as info:
        issue_sd_jwt({"cnf": {"jwk": holder_key.to_jwk()}}, issuer_key)
    assert info.value.code == "invalid_cnf"
    # The public part is accepted, and binds.
    issued = issue_sd_jwt({"cnf": {"jwk": holder_key.public_key.to_jwk()}}, issuer_key)
    assert decode_sd_jwt(issued).claims["cnf"]["jwk"] == holder_key.public_key.to_jwk()


def test_issuer_keeps_aud_plain_but_may_hide_its_entries(issuer_key: PrivateKey) -> None:
    """§9.7: aud is security-critical, "although issuers MAY allow individual entries in the
    array to be selectively disclosable"."""
    claims = {"aud": ["https://bank.example", "https://tax.example"], "a": 1}
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt(claims, issuer_key, sd_paths=["/aud"])
    assert info.value.code == "forbidden_selective_disclosure"
    issued = issue_sd_jwt(claims, issuer_key, sd_paths=["/aud/1"])
    assert parse_jws(issued.jwt).payload["aud"][0] == "https://bank.example"
    shown = present_sd_jwt(issued, disclose=[])
    verified = verify_sd_jwt(
        shown, issuer_key=issuer_key.public_key, now=NOW, require_key_binding=False
    )
    assert verified.claims["aud"] == ["https://bank.example"]


@pytest.mark.parametrize("path", ["/iss", "/exp", "/nbf"])
def test_issuer_refuses_validity_claims_at_any_depth_of_sd_paths(
    path: str, issuer_key: PrivateKey
) -> None:
    """§9.7: iss, exp, nbf, cnf are security-critical (cnf: test_sd_jwt_issue.py)."""
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt(
            {"iss": "https://i.example", "exp": NOW, "nbf": NOW}, issuer_key, sd_paths=[path]
        )
    assert info.value.code == "forbidden_selective_disclosure"


def test_profile_never_disclosable_claims_are_refused_at_issuance(issuer_key: PrivateKey) -> None:
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt(
            {"level": {"x": 1}}, issuer_key, sd_paths=["/level/x"], never_disclosable=["level"]
        )
    assert info.value.code == "forbidden_selective_disclosure"
