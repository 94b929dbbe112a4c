"""RFC 9901's own examples (verified as published) and public issuance inputs (sd-jwt-python
test cases, the RFC's example specifications) run through issue -> present -> verify."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from credentials.errors import CredentialError, KeyBindingError, SDJWTError, ValidityError
from credentials.sd_jwt import (
    DEFAULT_KB_MAX_AGE,
    SDJWT,
    create_disclosure,
    decode_sd_jwt,
    digest_of,
    issue_sd_jwt,
    parse_disclosure,
    parse_sd_jwt,
    present_sd_jwt,
    verify_sd_jwt,
)
from credentials.sd_jwt_vc import verify_sd_jwt_vc
from did.keys import PrivateKey, PublicKey

SD_JWT = Path(__file__).parents[2] / "vectors" / "sd_jwt"
RFC = json.loads((SD_JWT / "rfc9901_examples.json").read_text(encoding="utf-8"))
ISSUANCE = yaml.safe_load((SD_JWT / "issuance_cases.yaml").read_text(encoding="utf-8"))

SETTINGS = RFC["settings"]
ISSUER_PRIVATE = PrivateKey.from_jwk(SETTINGS["issuer_key"])
HOLDER_PRIVATE = PrivateKey.from_jwk(SETTINGS["holder_key"])
ISSUER = PublicKey.from_jwk({k: v for k, v in SETTINGS["issuer_key"].items() if k != "d"})
HOLDER = PublicKey.from_jwk({k: v for k, v in SETTINGS["holder_key"].items() if k != "d"})

ISSUANCE_51 = RFC["issuance_5_1"]
PRESENTATION_52 = RFC["presentation_5_2"]
VC_A3 = RFC["sd_jwt_vc_a_3"]


def _compact(jwt: str, disclosures: list[str], kb: str = "") -> str:
    return "".join([jwt, "~", *(d + "~" for d in disclosures), kb])


ISSUED_51 = _compact(
    ISSUANCE_51["issuer_signed_jwt"], [d["disclosure"] for d in ISSUANCE_51["disclosures"]]
)
PRESENTED_52 = _compact(
    PRESENTATION_52["issuer_signed_jwt"], PRESENTATION_52["disclosures"], PRESENTATION_52["kb_jwt"]
)
PRESENTED_A3 = _compact(
    VC_A3["issuer_signed_jwt"], [d["disclosure"] for d in VC_A3["disclosures"]], VC_A3["kb_jwt"]
)


def test_settings_private_keys_match_the_published_public_keys() -> None:
    assert ISSUER_PRIVATE.public_key == ISSUER
    assert HOLDER_PRIVATE.public_key == HOLDER


# --- Disclosures and digests (§4.2, §5.1, A.3) -----------------------------------------------

ALL_DISCLOSURES = (
    RFC["disclosure_examples"]["items"] + ISSUANCE_51["disclosures"] + VC_A3["disclosures"]
)


@pytest.mark.parametrize("item", ALL_DISCLOSURES, ids=lambda item: item["disclosure"][:24])
def test_rfc_disclosure_decodes_to_the_documented_salt_name_value(item: dict[str, Any]) -> None:
    disclosure = parse_disclosure(item["disclosure"])
    assert disclosure.salt == item["salt"]
    assert disclosure.name == item["name"]
    assert disclosure.value == item["value"]
    assert disclosure.is_array_element is (item["name"] is None)
    assert disclosure.encoded == item["disclosure"]


@pytest.mark.parametrize(
    "item",
    [item for item in ALL_DISCLOSURES if "digest" in item],
    ids=lambda item: item["digest"][:16],
)
def test_rfc_disclosure_digest(item: dict[str, Any]) -> None:
    assert digest_of(item["disclosure"]) == item["digest"]
    assert digest_of(item["disclosure"], "sha-256") == item["digest"]
    assert parse_disclosure(item["disclosure"]).digest() == item["digest"]


def test_rfc_4_2_1_four_encodings_of_one_claim_have_four_digests() -> None:
    items = RFC["disclosure_examples"]["items"][:4]
    values = {
        (d.salt, d.name, d.value) for d in map(parse_disclosure, (i["disclosure"] for i in items))
    }
    assert values == {("_26bc4LT-ac6q2KI6cBW5es", "family_name", "Möbius")}
    assert len({digest_of(i["disclosure"]) for i in items}) == 4


def test_our_encoder_produces_the_rfc_whitespace_free_variant() -> None:
    created = create_disclosure("family_name", "Möbius", salt="_26bc4LT-ac6q2KI6cBW5es")
    assert created.encoded == RFC["disclosure_examples"]["items"][2]["disclosure"]
    element = create_disclosure(None, "FR", salt="lklxF5jMYlGTPUovMNIvCA")
    assert parse_disclosure(element.encoded).value == "FR"
    assert element.is_array_element


def test_section_5_1_digests_are_the_ones_in_the_signed_payload() -> None:
    payload = decode_sd_jwt(ISSUED_51).payload
    signed = set(payload["_sd"]) | {item["..."] for item in payload["nationalities"]}
    assert signed == {d["digest"] for d in ISSUANCE_51["disclosures"]}


# --- §5.1 issuance ---------------------------------------------------------------------------


def test_section_5_1_issued_sd_jwt_verifies_with_the_published_issuer_key() -> None:
    verified = verify_sd_jwt(
        ISSUED_51, issuer_key=ISSUER, now=ISSUANCE_51["now"], require_key_binding=False
    )
    assert verified.claims == ISSUANCE_51["expected_claims"]
    assert verified.header == ISSUANCE_51["header"]
    assert verified.holder_key == HOLDER
    assert verified.issuer_key == ISSUER
    assert verified.key_binding is None
    assert len(verified.disclosures) == 10
    assert set(verified.disclosed_paths) == {
        ("given_name",), ("family_name",), ("email",), ("phone_number",),
        ("phone_number_verified",), ("address",), ("birthdate",), ("updated_at",),
        ("nationalities", 0), ("nationalities", 1),
    }  # fmt: skip


def test_section_5_1_serialization_round_trips_exactly() -> None:
    parsed = parse_sd_jwt(ISSUED_51)
    assert parsed.jwt == ISSUANCE_51["issuer_signed_jwt"]
    assert parsed.kb_jwt is None
    assert parsed.serialize() == ISSUED_51
    assert str(parsed) == ISSUED_51


@pytest.mark.parametrize(
    ("now", "code"),
    [
        (SETTINGS["exp"] + 60, "expired"),  # default leeway 60 s
        (SETTINGS["iat"] - 61, "issued_in_future"),
    ],
)
def test_section_5_1_rejected_outside_its_validity(now: int, code: str) -> None:
    with pytest.raises(ValidityError) as info:
        verify_sd_jwt(ISSUED_51, issuer_key=ISSUER, now=now, require_key_binding=False)
    assert info.value.code == code


def test_section_5_1_rejected_under_another_issuer_key(other_key: PrivateKey) -> None:
    with pytest.raises(CredentialError) as info:
        verify_sd_jwt(
            ISSUED_51,
            issuer_key=other_key.public_key,
            now=ISSUANCE_51["now"],
            require_key_binding=False,
        )
    assert info.value.code == "invalid_signature"


def test_section_5_1_holder_view() -> None:
    decoded = decode_sd_jwt(ISSUED_51)
    assert decoded.claims == ISSUANCE_51["expected_claims"]
    assert len(decoded.selectively_disclosable) == 10


def test_our_holder_presents_the_section_5_2_selection() -> None:
    presentation = present_sd_jwt(
        ISSUED_51,
        disclose=["/family_name", "/address", "/given_name", "/nationalities/0"],
        holder_key=HOLDER_PRIVATE,
        nonce=SETTINGS["key_binding_nonce"],
        aud=PRESENTATION_52["aud"],
        iat=PRESENTATION_52["kb_iat"],
    )
    assert {d.encoded for d in presentation.disclosures} == set(PRESENTATION_52["disclosures"])
    verified = verify_sd_jwt(
        presentation.serialize(),
        issuer_key=ISSUER,
        now=PRESENTATION_52["kb_iat"],
        require_key_binding=True,
        nonce=SETTINGS["key_binding_nonce"],
        aud=PRESENTATION_52["aud"],
    )
    assert verified.claims == PRESENTATION_52["expected_claims"]


# --- §5.2 presentation with key binding ------------------------------------------------------


def _verify_52(text: str, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "issuer_key": ISSUER,
        "now": PRESENTATION_52["kb_iat"],
        "require_key_binding": True,
        "nonce": PRESENTATION_52["nonce"],
        "aud": PRESENTATION_52["aud"],
    }
    arguments.update(overrides)
    return verify_sd_jwt(text, **arguments)


def test_section_5_2_sd_jwt_kb_verifies() -> None:
    verified = _verify_52(PRESENTED_52)
    assert verified.claims == PRESENTATION_52["expected_claims"]
    assert verified.key_binding is not None
    assert verified.key_binding.header == {"alg": "ES256", "typ": "kb+jwt"}
    assert verified.key_binding.nonce == PRESENTATION_52["nonce"]
    assert verified.key_binding.aud == PRESENTATION_52["aud"]
    assert verified.key_binding.iat == PRESENTATION_52["kb_iat"]
    assert verified.key_binding.payload["sd_hash"] == PRESENTATION_52["sd_hash"]


def test_section_5_2_sd_hash_is_over_the_presented_string() -> None:
    parsed = parse_sd_jwt(PRESENTED_52)
    assert parsed.kb_jwt == PRESENTATION_52["kb_jwt"]
    assert digest_of(parsed.without_key_binding) == PRESENTATION_52["sd_hash"]
    assert parsed.without_key_binding == PRESENTED_52.removesuffix(PRESENTATION_52["kb_jwt"])


def test_section_5_2_accepted_without_kb_requirement_and_still_checked() -> None:
    verified = _verify_52(PRESENTED_52, require_key_binding=False, nonce=None, aud=None)
    assert verified.key_binding is not None
    with pytest.raises(KeyBindingError) as info:
        _verify_52(PRESENTED_52, require_key_binding=False, nonce="other")
    assert info.value.code == "nonce_mismatch"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"nonce": "0987654321"}, "nonce_mismatch"),
        ({"aud": "https://attacker.example"}, "aud_mismatch"),
        ({"now": PRESENTATION_52["kb_iat"] + DEFAULT_KB_MAX_AGE + 61}, "kb_iat_invalid"),
        ({"now": PRESENTATION_52["kb_iat"] - 61}, "kb_iat_invalid"),
        ({"now": PRESENTATION_52["kb_iat"] + 10, "kb_max_age": 5, "leeway": 0}, "kb_iat_invalid"),
    ],
)
def test_section_5_2_key_binding_checks(overrides: dict[str, Any], code: str) -> None:
    with pytest.raises(KeyBindingError) as info:
        _verify_52(PRESENTED_52, **overrides)
    assert info.value.code == code


def test_section_5_2_kb_age_boundary() -> None:
    iat = PRESENTATION_52["kb_iat"]
    _verify_52(PRESENTED_52, now=iat + DEFAULT_KB_MAX_AGE + 60)
    _verify_52(PRESENTED_52, now=iat - 60)


@pytest.mark.parametrize("drop", range(4))
def test_section_5_2_one_disclosure_removed_after_key_binding(drop: int) -> None:
    kept = [d for i, d in enumerate(PRESENTATION_52["disclosures"]) if i != drop]
    text = _compact(PRESENTATION_52["issuer_signed_jwt"], kept, PRESENTATION_52["kb_jwt"])
    with pytest.raises(KeyBindingError) as info:
        _verify_52(text)
    assert info.value.code == "sd_hash_mismatch"


def test_section_5_2_disclosure_added_after_key_binding() -> None:
    extra = ISSUANCE_51["disclosures"][2]["disclosure"]  # email
    text = _compact(
        PRESENTATION_52["issuer_signed_jwt"],
        [*PRESENTATION_52["disclosures"], extra],
        PRESENTATION_52["kb_jwt"],
    )
    with pytest.raises(KeyBindingError) as info:
        _verify_52(text)
    assert info.value.code == "sd_hash_mismatch"


def test_section_5_2_reordered_disclosures_break_sd_hash() -> None:
    text = _compact(
        PRESENTATION_52["issuer_signed_jwt"],
        list(reversed(PRESENTATION_52["disclosures"])),
        PRESENTATION_52["kb_jwt"],
    )
    with pytest.raises(KeyBindingError) as info:
        _verify_52(text)
    assert info.value.code == "sd_hash_mismatch"


def test_section_5_2_stripped_key_binding_is_refused_when_required() -> None:
    text = PRESENTED_52.removesuffix(PRESENTATION_52["kb_jwt"])
    with pytest.raises(KeyBindingError) as info:
        _verify_52(text)
    assert info.value.code == "key_binding_required"
    assert _verify_52(text, require_key_binding=False).key_binding is None


def test_section_5_2_key_binding_jwt_from_the_a3_example_does_not_fit() -> None:
    text = PRESENTED_52.removesuffix(PRESENTATION_52["kb_jwt"]) + VC_A3["kb_jwt"]
    with pytest.raises(KeyBindingError) as info:
        _verify_52(text)
    assert info.value.code == "sd_hash_mismatch"


# --- Appendix A.3: SD-JWT VC ----------------------------------------------------------------


def test_a3_sd_jwt_vc_presentation_verifies() -> None:
    result = verify_sd_jwt_vc(
        PRESENTED_A3,
        issuer_key=ISSUER,
        now=VC_A3["kb_iat"],
        require_key_binding=True,
        nonce=VC_A3["nonce"],
        aud=VC_A3["aud"],
        vct_values=[VC_A3["vct"]],
    )
    assert result.claims == VC_A3["expected_claims"]
    assert [list(p) for p in result.sd_jwt.disclosed_paths] == VC_A3["expected_disclosed_paths"]
    assert result.vct == VC_A3["vct"]
    assert result.iss == VC_A3["expected_claims"]["iss"]
    assert result.holder_key == HOLDER
    assert result.status is None
    assert result.sd_jwt.header == VC_A3["header"]
    assert result.sd_jwt.key_binding is not None
    assert result.sd_jwt.key_binding.payload["sd_hash"] == VC_A3["sd_hash"]


def test_a3_rejected_for_another_type() -> None:
    with pytest.raises(SDJWTError) as info:
        verify_sd_jwt_vc(
            PRESENTED_A3,
            issuer_key=ISSUER,
            now=VC_A3["kb_iat"],
            require_key_binding=False,
            vct_values=["urn:eudi:pid:1"],
        )
    assert info.value.code == "vct_mismatch"


def test_a3_recursive_child_without_its_parent_is_unreferenced() -> None:
    parent, child, nationalities = (d["disclosure"] for d in VC_A3["disclosures"])
    text = _compact(VC_A3["issuer_signed_jwt"], [child, nationalities])
    with pytest.raises(SDJWTError) as info:
        verify_sd_jwt(text, issuer_key=ISSUER, now=VC_A3["kb_iat"], require_key_binding=False)
    assert info.value.code == "disclosure_unreferenced"
    verified = verify_sd_jwt(
        _compact(VC_A3["issuer_signed_jwt"], [parent]),
        issuer_key=ISSUER,
        now=VC_A3["kb_iat"],
        require_key_binding=False,
    )
    assert verified.claims["age_equal_or_over"] == {}


# --- Public issuance inputs: issue -> present -> verify -------------------------------------

ROUND_TRIP = ISSUANCE["cases"]
ROUND_TRIP_SETTINGS = ISSUANCE["settings"]


def _path(raw: list[Any]) -> tuple[str | int, ...]:
    return tuple(raw)


@pytest.mark.parametrize("case", ROUND_TRIP, ids=[c["id"] for c in ROUND_TRIP])
def test_issuance_case_round_trip(case: dict[str, Any]) -> None:
    base = {name: ROUND_TRIP_SETTINGS[name] for name in ("iss", "iat", "exp")}
    claims = {**base, **case["user_claims"]}
    key_binding = case.get("key_binding", False)
    issued = issue_sd_jwt(
        claims,
        ISSUER_PRIVATE,
        sd_paths=[_path(p) for p in case["sd_paths"]],
        holder_key=HOLDER if key_binding else None,
        decoys=case.get("decoys", 0),
        headers=case.get("headers"),
        typ=case.get("typ", "example+sd-jwt"),
    )
    assert len(issued.disclosures) == len(case["sd_paths"])

    holder_view = decode_sd_jwt(issued.serialize())
    expected_full = {**claims, **({"cnf": {"jwk": HOLDER.to_jwk()}} if key_binding else {})}
    assert holder_view.claims == expected_full
    assert {tuple(p) for p in holder_view.selectively_disclosable} == {
        _path(p) for p in case["sd_paths"]
    }
    for name, value in (case.get("headers") or {}).items():
        assert holder_view.header[name] == value

    nonce, aud = ROUND_TRIP_SETTINGS["key_binding_nonce"], ROUND_TRIP_SETTINGS["aud"]
    presentation = present_sd_jwt(
        holder_view,
        disclose=[_path(p) for p in case["disclose"]],
        holder_key=HOLDER_PRIVATE if key_binding else None,
        nonce=nonce if key_binding else None,
        aud=aud if key_binding else None,
        iat=ROUND_TRIP_SETTINGS["iat"] + 100,
    )
    verified = verify_sd_jwt(
        presentation.serialize(),
        issuer_key=ISSUER,
        now=ROUND_TRIP_SETTINGS["iat"] + 100,
        require_key_binding=key_binding,
        nonce=nonce if key_binding else None,
        aud=aud if key_binding else None,
        typ=case.get("typ", "example+sd-jwt"),
    )
    expected = {**base, **case["expected"]}
    if key_binding:
        expected["cnf"] = {"jwk": HOLDER.to_jwk()}
    assert verified.claims == expected
    assert (verified.key_binding is not None) is key_binding


def test_issuance_case_presentation_is_minimal() -> None:
    """The recursions case asks for leaves only: exactly the leaves and their parents go out."""
    case = next(c for c in ROUND_TRIP if c["id"] == "recursions")
    issued = issue_sd_jwt(
        {**case["user_claims"]}, ISSUER_PRIVATE, sd_paths=[_path(p) for p in case["sd_paths"]]
    )
    presentation = present_sd_jwt(issued, disclose=[_path(p) for p in case["disclose"]])
    verified = verify_sd_jwt(
        presentation, issuer_key=ISSUER, now=ROUND_TRIP_SETTINGS["iat"], require_key_binding=False
    )
    assert set(verified.disclosed_paths) == {
        ("foo", 0), ("bar", "green"), ("qux", 0), ("qux", 0, 0), ("baz", 0), ("baz", 0, 0),
        ("baz", 1), ("baz", 1, 0), ("baz", 1, 1), ("animals", "snake"), ("animals", "snake", "age"),
        ("animals", "bird"), ("animals", "bird", "age"),
    }  # fmt: skip
    assert isinstance(presentation, SDJWT)
    assert len(presentation.disclosures) == 13
