"""SD-JWT VC conformance (draft-ietf-oauth-sd-jwt-vc, with Token Status List §6.2 for
``status``): one crafted case per rule from tests/vectors/sd_jwt/conformance_sd_jwt_vc.json,
plus the issuer-side refusals. docs/dev/conformance.md maps each rule to its check and test."""

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
from credentials.sd_jwt import present_sd_jwt
from credentials.sd_jwt_vc import SD_JWT_VC_TYP, issue_sd_jwt_vc, verify_sd_jwt_vc
from did.keys import PrivateKey

VECTORS = json.loads(
    (Path(__file__).parents[2] / "vectors" / "sd_jwt" / "conformance_sd_jwt_vc.json").read_text(
        encoding="utf-8"
    )
)
ERRORS: dict[str, type[CredentialError]] = {
    cls.__name__: cls
    for cls in (SDJWTError, MalformedError, JOSEError, KeyBindingError, ValidityError)
}
NOW = 1_800_000_000
ISS = "https://issuer.example"
VCT = "https://issuer.example/types/id"
STATUS = {"status_list": {"idx": 7, "uri": "https://issuer.example/status/1"}}


def _verify(text: str, issuer_key: PrivateKey, case: dict[str, Any]) -> Any:
    arguments: dict[str, Any] = {"now": NOW, "require_key_binding": False, **case.get("verify", {})}
    return verify_sd_jwt_vc(text, issuer_key=issuer_key.public_key, **arguments)


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=[c["id"] for c in VECTORS["invalid"]])
def test_rule_violation_is_rejected_with_its_code(
    case: dict[str, Any], build_case: Any, issuer_key: PrivateKey
) -> None:
    text = build_case(case, default_typ=SD_JWT_VC_TYP)
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
    verified = _verify(build_case(case, default_typ=SD_JWT_VC_TYP), issuer_key, case)
    assert verified.claims == expected
    assert (verified.vct, verified.iss) == (VCT, ISS)


def test_every_case_names_its_rule() -> None:
    for case in VECTORS["invalid"] + VECTORS["valid"]:
        assert case["section"], case["id"]
        assert case["rule"], case["id"]
    ids = [c["id"] for c in VECTORS["invalid"] + VECTORS["valid"]]
    assert len(ids) == len(set(ids))


# --- Issuer side ------------------------------------------------------------------------------


def _issue(issuer_key: PrivateKey, **extra: Any) -> Any:
    arguments: dict[str, Any] = {"iss": ISS, "vct": VCT, "iat": NOW, **extra}
    return issue_sd_jwt_vc({"given_name": "Pema"}, issuer_key, **arguments)


@pytest.mark.parametrize("vct", ["IdentityCredential", "id card", "1:x", ":x"])
def test_issuer_refuses_a_vct_that_is_not_a_uri(vct: str, issuer_key: PrivateKey) -> None:
    """The vct "MUST be a Collision-Resistant Name"; drukid issues URIs, the checkable form."""
    with pytest.raises(SDJWTError) as info:
        _issue(issuer_key, vct=vct)
    assert info.value.code == "invalid_vct"


@pytest.mark.parametrize("vct", ["urn:example:eudi:pid:1", "https://issuer.example/types/id"])
def test_issuer_accepts_uri_types(vct: str, issuer_key: PrivateKey) -> None:
    assert parse_jws(_issue(issuer_key, vct=vct).jwt).payload["vct"] == vct


@pytest.mark.parametrize(
    "aka_vcts",
    [
        pytest.param([], id="empty"),
        pytest.param([VCT], id="repeats_vct"),
        pytest.param(["other type"], id="not_a_uri"),
        pytest.param([""], id="empty_string"),
    ],
)
def test_issuer_refuses_bad_aka_vcts(aka_vcts: list[str], issuer_key: PrivateKey) -> None:
    with pytest.raises(SDJWTError) as info:
        _issue(issuer_key, aka_vcts=aka_vcts)
    assert info.value.code == "invalid_aka_vcts"


def test_aka_vcts_is_issued_in_plain_text_and_verifies(issuer_key: PrivateKey) -> None:
    issued = _issue(issuer_key, aka_vcts=["urn:example:eudi:pid"])
    assert parse_jws(issued.jwt).payload["aka_vcts"] == ["urn:example:eudi:pid"]
    verified = verify_sd_jwt_vc(
        present_sd_jwt(issued, disclose=[]),
        issuer_key=issuer_key.public_key,
        now=NOW,
        require_key_binding=False,
    )
    assert verified.claims["aka_vcts"] == ["urn:example:eudi:pid"]


@pytest.mark.parametrize("path", ["/aka_vcts", "/aka_vcts/0"])
def test_issuer_refuses_to_hide_aka_vcts(path: str, issuer_key: PrivateKey) -> None:
    with pytest.raises(SDJWTError) as info:
        _issue(issuer_key, aka_vcts=["urn:example:eudi:pid"], sd_paths=[path])
    assert info.value.code == "forbidden_selective_disclosure"


def test_aka_vcts_is_a_reserved_claim(issuer_key: PrivateKey) -> None:
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt_vc({"aka_vcts": ["urn:x"]}, issuer_key, iss=ISS, vct=VCT, iat=NOW)
    assert info.value.code == "invalid_claim_name"


@pytest.mark.parametrize(
    "status",
    [
        pytest.param({}, id="no_mechanism"),
        pytest.param({"status_list": {"idx": 1, "uri": "status/1"}}, id="relative_uri"),
        pytest.param({"status_list": {"idx": -1, "uri": "https://s.example/1"}}, id="negative"),
        pytest.param({"status_list": {"uri": "https://s.example/1"}}, id="no_idx"),
    ],
)
def test_issuer_refuses_an_unusable_status(status: dict[str, Any], issuer_key: PrivateKey) -> None:
    """Token Status List §6.2: a referenced token names a usable mechanism."""
    with pytest.raises(SDJWTError) as info:
        _issue(issuer_key, status=status)
    assert info.value.code == "invalid_status_reference"


def test_issued_status_verifies(issuer_key: PrivateKey) -> None:
    verified = verify_sd_jwt_vc(
        _issue(issuer_key, status=STATUS),
        issuer_key=issuer_key.public_key,
        now=NOW,
        require_key_binding=False,
    )
    assert verified.status == STATUS


@pytest.mark.parametrize("integrity", ["", "  ", 5])
def test_issuer_refuses_a_vct_integrity_that_is_not_a_string(
    integrity: Any, issuer_key: PrivateKey
) -> None:
    with pytest.raises(SDJWTError) as info:
        _issue(issuer_key, vct_integrity=integrity)
    assert info.value.code == "invalid_integrity"
