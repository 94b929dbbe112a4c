"""SD-JWT VC profile (draft-ietf-oauth-sd-jwt-vc-25): typ, vct, registered claims that are
never selectively disclosable, and the verifier's checks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from credentials.errors import JOSEError, SDJWTError, ValidityError
from credentials.jose import parse_jws, sign_jws
from credentials.sd_jwt import SDJWT, present_sd_jwt
from credentials.sd_jwt_vc import (
    LEGACY_SD_JWT_VC_TYP,
    NEVER_DISCLOSABLE,
    RESERVED_CLAIMS,
    SD_JWT_VC_TYP,
    issue_sd_jwt_vc,
    verify_sd_jwt_vc,
)
from did.keys import PrivateKey

NOW = 1_800_000_000
ISS = "https://issuer.drukid.example"
VCT = "https://credentials.drukid.example/national-id"
STATUS = {"status_list": {"idx": 412, "uri": "https://status.drukid.example/lists/7"}}
NONCE = "n-0S6_WzA2Mj"
AUD = "x509_san_dns:verifier.example.org"
VC_HEADER = {"alg": "ES256", "typ": SD_JWT_VC_TYP}


@pytest.fixture(scope="module")
def vc(issuer_key: PrivateKey, holder_key: PrivateKey) -> SDJWT:
    return issue_sd_jwt_vc(
        {"given_name": "Pema", "family_name": "Wangmo", "address": {"locality": "Paro"}},
        issuer_key,
        iss=ISS,
        vct=VCT,
        iat=NOW - 60,
        exp=NOW + 86400,
        nbf=NOW - 60,
        status=STATUS,
        vct_integrity="sha256-abc",
        sd_paths=["/given_name", "/family_name", "/address/locality", "/iat"],
        holder_key=holder_key.public_key,
        kid="issuer-key-1",
    )


def _verify(text: str | SDJWT, key: PrivateKey, **extra: Any) -> Any:
    arguments: dict[str, Any] = {"now": NOW, "require_key_binding": False}
    arguments.update(extra)
    return verify_sd_jwt_vc(text, issuer_key=key.public_key, **arguments)


def test_issued_vc_shape(vc: SDJWT, holder_key: PrivateKey) -> None:
    jws = parse_jws(vc.jwt)
    assert jws.header == {"alg": "ES256", "typ": "dc+sd-jwt", "kid": "issuer-key-1"}
    payload = jws.payload
    assert payload["iss"] == ISS
    assert payload["vct"] == VCT
    assert payload["vct#integrity"] == "sha256-abc"
    assert payload["exp"] == NOW + 86400
    assert payload["nbf"] == NOW - 60
    assert payload["status"] == STATUS
    assert payload["cnf"] == {"jwk": holder_key.public_key.to_jwk()}
    assert "iat" not in payload  # iat may be selectively disclosable (draft -25 §2.2.2.3)
    assert "given_name" not in payload
    assert {d.name for d in vc.disclosures} == {"given_name", "family_name", "locality", "iat"}


def test_round_trip_with_key_binding(
    vc: SDJWT, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    presentation = present_sd_jwt(
        vc, disclose=["/given_name"], holder_key=holder_key, nonce=NONCE, aud=AUD, iat=NOW
    )
    result = _verify(
        presentation.serialize(),
        issuer_key,
        require_key_binding=True,
        nonce=NONCE,
        aud=AUD,
        vct_values=[VCT, "urn:other"],
    )
    assert result.claims == {
        "iss": ISS,
        "vct": VCT,
        "vct#integrity": "sha256-abc",
        "nbf": NOW - 60,
        "exp": NOW + 86400,
        "status": STATUS,
        "cnf": {"jwk": holder_key.public_key.to_jwk()},
        "address": {},
        "given_name": "Pema",
    }
    assert result.vct == VCT
    assert result.iss == ISS
    assert result.status == STATUS
    assert result.holder_key == holder_key.public_key
    assert result.sd_jwt.key_binding is not None


def test_vct_mismatch(vc: SDJWT, issuer_key: PrivateKey) -> None:
    with pytest.raises(SDJWTError) as info:
        _verify(vc, issuer_key, vct_values=["https://credentials.drukid.example/driving-licence"])
    assert info.value.code == "vct_mismatch"
    with pytest.raises(SDJWTError) as info:
        _verify(vc, issuer_key, vct_values=[])
    assert info.value.code == "vct_mismatch"


def test_expired_vc(vc: SDJWT, issuer_key: PrivateKey) -> None:
    with pytest.raises(ValidityError) as info:
        _verify(vc, issuer_key, now=NOW + 86400 + 60)
    assert info.value.code == "expired"


# --- typ -------------------------------------------------------------------------------------


def _signed(issuer_key: PrivateKey, typ: str, raw_sd_jwt: Any, payload: str | None = None) -> str:
    template = payload or f'{{"iss":"{ISS}","vct":"{VCT}","iat":{NOW}}}'
    result: str = raw_sd_jwt(template, [], issuer_key, header={"alg": "ES256", "typ": typ})
    return result


def test_legacy_typ_needs_the_explicit_option(raw_sd_jwt: Any, issuer_key: PrivateKey) -> None:
    text = _signed(issuer_key, LEGACY_SD_JWT_VC_TYP, raw_sd_jwt)
    with pytest.raises(JOSEError) as info:
        _verify(text, issuer_key)
    assert info.value.code == "invalid_typ"
    assert _verify(text, issuer_key, allow_legacy_typ=True).vct == VCT


@pytest.mark.parametrize("typ", ["sd+jwt", "example+sd-jwt", "JWT", "kb+jwt", "dc+sd-jwt+x"])
def test_other_typ_refused_even_with_legacy_option(
    typ: str, raw_sd_jwt: Any, issuer_key: PrivateKey
) -> None:
    text = _signed(issuer_key, typ, raw_sd_jwt)
    with pytest.raises(JOSEError) as info:
        _verify(text, issuer_key, allow_legacy_typ=True)
    assert info.value.code == "invalid_typ"


def test_typ_with_media_type_prefix_accepted(raw_sd_jwt: Any, issuer_key: PrivateKey) -> None:
    assert _verify(_signed(issuer_key, "application/dc+sd-jwt", raw_sd_jwt), issuer_key).vct == VCT


# --- Registered claims -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        pytest.param(f'{{"iss":"{ISS}","iat":{NOW}}}', "missing_vct", id="no_vct"),
        pytest.param(f'{{"iss":"{ISS}","vct":"","iat":{NOW}}}', "missing_vct", id="empty_vct"),
        pytest.param(f'{{"iss":"{ISS}","vct":["{VCT}"]}}', "missing_vct", id="vct_array"),
        pytest.param(f'{{"vct":"{VCT}","iat":{NOW}}}', "missing_iss", id="no_iss"),
        pytest.param(f'{{"iss":42,"vct":"{VCT}"}}', "missing_iss", id="iss_number"),
        pytest.param(
            f'{{"iss":"{ISS}","vct":"{VCT}","status":"revoked"}}',
            "invalid_status_reference",
            id="status_not_object",
        ),
        # A status list reference that cannot be used would make revocation uncheckable.
        pytest.param(
            f'{{"iss":"{ISS}","vct":"{VCT}","status":{{"status_list":{{"idx":"3","uri":"{ISS}/s"}}}}}}',
            "invalid_status_reference",
            id="status_idx_string",
        ),
        pytest.param(
            f'{{"iss":"{ISS}","vct":"{VCT}","status":{{"status_list":{{"idx":3}}}}}}',
            "invalid_status_reference",
            id="status_no_uri",
        ),
        pytest.param(
            f'{{"iss":"{ISS}","vct":"{VCT}","status":{{"status_list":[3]}}}}',
            "invalid_status_reference",
            id="status_list_not_object",
        ),
    ],
)
def test_registered_claims_checked(
    payload: str, code: str, raw_sd_jwt: Any, issuer_key: PrivateKey
) -> None:
    with pytest.raises(SDJWTError) as info:
        _verify(_signed(issuer_key, SD_JWT_VC_TYP, raw_sd_jwt, payload), issuer_key)
    assert info.value.code == code


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("iss", ISS),
        ("vct", VCT),
        ("vct#integrity", "sha256-abc"),
        ("status", STATUS),
        ("cnf", {"jwk": {"kty": "EC"}}),
        ("exp", NOW + 3600),
        ("nbf", NOW - 3600),
    ],
)
def test_forged_disclosure_of_a_never_disclosable_claim(
    name: str, value: Any, raw_sd_jwt: Any, issuer_key: PrivateKey
) -> None:
    """The claim appears only as a disclosure (the issuer — or whoever forged it — hid it)."""
    plain = {"iss": ISS, "vct": VCT}
    plain.pop(name, None)
    payload = json.dumps({**plain, "_sd": ["{D0}"], "_sd_alg": "sha-256"})
    disclosure = json.dumps(["salt-forged-1", name, value])
    text = raw_sd_jwt(payload, [disclosure], issuer_key, header=VC_HEADER)
    with pytest.raises(SDJWTError) as info:
        _verify(text, issuer_key)
    assert info.value.code == "forbidden_selective_disclosure"


@pytest.mark.parametrize("present", [[0], []], ids=["disclosed", "withheld"])
def test_member_hidden_inside_status_is_refused(
    present: list[int], raw_sd_jwt: Any, issuer_key: PrivateKey
) -> None:
    payload = f'{{"iss":"{ISS}","vct":"{VCT}","_sd_alg":"sha-256","status":{{"_sd":["{{D0}}"]}}}}'
    disclosure = '["salt-1","status_list",{"idx":7,"uri":"https://status.example/1"}]'
    text = raw_sd_jwt(payload, [disclosure], issuer_key, header=VC_HEADER, present=present)
    with pytest.raises(SDJWTError) as info:
        _verify(text, issuer_key)
    assert info.value.code == "forbidden_selective_disclosure"


def test_array_element_hidden_inside_status_is_refused(
    raw_sd_jwt: Any, issuer_key: PrivateKey
) -> None:
    payload = (
        f'{{"iss":"{ISS}","vct":"{VCT}","_sd_alg":"sha-256",'
        '"status":{"status_list":{"idx":1,"uri":"https://s.example/1"},"extra":[{"...":"{D0}"}]}}'
    )
    text = raw_sd_jwt(payload, ['["salt-1","x"]'], issuer_key, header=VC_HEADER, present=[])
    with pytest.raises(SDJWTError) as info:
        _verify(text, issuer_key)
    assert info.value.code == "forbidden_selective_disclosure"


def test_selectively_disclosable_sub_and_iat_are_fine(
    raw_sd_jwt: Any, issuer_key: PrivateKey
) -> None:
    payload = f'{{"iss":"{ISS}","vct":"{VCT}","_sd_alg":"sha-256","_sd":["{{D0}}","{{D1}}"]}}'
    text = raw_sd_jwt(
        payload, ['["s1","sub","did:example:1"]', f'["s2","iat",{NOW}]'], issuer_key,
        header=VC_HEADER,
    )  # fmt: skip
    assert _verify(text, issuer_key).claims == {
        "iss": ISS,
        "vct": VCT,
        "sub": "did:example:1",
        "iat": NOW,
    }


# --- Issuer-side refusals --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(RESERVED_CLAIMS))
def test_issuer_refuses_reserved_claims_in_claims(name: str, issuer_key: PrivateKey) -> None:
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt_vc({name: "x"}, issuer_key, iss=ISS, vct=VCT, iat=NOW)
    assert info.value.code == "invalid_claim_name"


@pytest.mark.parametrize(
    "path",
    ["/iss", "/vct", "/vct#integrity", "/status", "/status/status_list",
     "/status/status_list/idx", "/status/status_list/uri", "/exp", "/nbf"],
)  # fmt: skip
def test_issuer_refuses_never_disclosable_paths(path: str, issuer_key: PrivateKey) -> None:
    assert path.split("/")[1] in NEVER_DISCLOSABLE
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt_vc(
            {"given_name": "Pema"},
            issuer_key,
            iss=ISS,
            vct=VCT,
            iat=NOW,
            exp=NOW + 1,
            nbf=NOW,
            status=STATUS,
            vct_integrity="sha256-x",
            sd_paths=["/given_name", path],
        )
    assert info.value.code == "forbidden_selective_disclosure"


@pytest.mark.parametrize("path", ["/cnf", "/cnf/jwk"])
def test_cnf_can_never_be_made_disclosable(
    path: str, issuer_key: PrivateKey, holder_key: PrivateKey
) -> None:
    """cnf comes only from holder_key (a reserved claim otherwise), and is added after the
    selectively disclosable paths are resolved: there is nothing for the path to name."""
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt_vc(
            {}, issuer_key, iss=ISS, vct=VCT, iat=NOW, holder_key=holder_key.public_key,
            sd_paths=[path],
        )  # fmt: skip
    assert info.value.code == "unknown_claim_path"


@pytest.mark.parametrize("vct", ["", None, 42])
def test_issuer_needs_a_vct(vct: Any, issuer_key: PrivateKey) -> None:
    with pytest.raises(SDJWTError) as info:
        issue_sd_jwt_vc({}, issuer_key, iss=ISS, vct=vct, iat=NOW)
    assert info.value.code == "missing_vct"


def test_typ_cannot_be_smuggled_through_plain_signing(issuer_key: PrivateKey) -> None:
    token = sign_jws({"iss": ISS, "vct": VCT}, issuer_key, typ="sd+jwt")
    with pytest.raises(JOSEError) as info:
        _verify(token + "~", issuer_key)
    assert info.value.code == "invalid_typ"
