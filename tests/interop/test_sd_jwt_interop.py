"""Interoperability with the OpenWallet Foundation's independent SD-JWT implementation
(``sd-jwt`` on PyPI, ``import sd_jwt``; jwcrypto underneath), in both directions.

Its holder stamps the KB-JWT with the wall clock (``time.time()``), so these tests verify at
the real current time; everything else is fixed. Keys are ES256, converted via JWK dicts.
"""

from __future__ import annotations

from typing import Any

import pytest
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer
from sd_jwt.verifier import SDJWTVerifier

from credentials.clock import system_time
from credentials.errors import KeyBindingError
from credentials.sd_jwt import issue_sd_jwt, present_sd_jwt, verify_sd_jwt
from credentials.sd_jwt_vc import issue_sd_jwt_vc, verify_sd_jwt_vc
from did.keys import ES256, PrivateKey

ISS = "https://issuer.drukid.example"
VCT = "https://credentials.drukid.example/national-id"
AUD = "https://verifier.example.org"
NONCE = "5c1f2a7e-interop"

ISSUER = PrivateKey.generate(ES256)
HOLDER = PrivateKey.generate(ES256)
ISSUER_JWK = JWK(**ISSUER.to_jwk())
HOLDER_JWK = JWK(**HOLDER.to_jwk())

ADDRESS = {"street_address": "Norzin Lam 12", "locality": "Thimphu", "country": "BT"}


def _times() -> dict[str, int]:
    now = system_time()
    return {"iat": now - 60, "exp": now + 3600}


# --- (a) their issuer and holder -> our verifier ---------------------------------------------


def _their_issuance(extra: dict[Any, Any] | None = None, **issuer_options: Any) -> str:
    user_claims: dict[Any, Any] = {
        "iss": ISS,
        **_times(),
        "sub": "user_42",
        SDObj("given_name"): "Sonam",
        SDObj("family_name"): "Choden",
        SDObj("address"): {SDObj("street_address"): ADDRESS["street_address"],
                           "locality": ADDRESS["locality"], "country": ADDRESS["country"]},
        "nationalities": [SDObj("BT"), "IN", SDObj("NP")],
        **(extra or {}),
    }  # fmt: skip
    issuer = SDJWTIssuer(
        user_claims, ISSUER_JWK, holder_key=HOLDER_JWK, sign_alg="ES256", **issuer_options
    )
    issuance: str = issuer.sd_jwt_issuance
    return issuance


def _their_presentation(issuance: str, disclose: dict[str, Any], *, nonce: str = NONCE) -> str:
    holder = SDJWTHolder(issuance)
    holder.create_presentation(
        disclose, nonce=nonce, aud=AUD, holder_key=HOLDER_JWK, sign_alg="ES256"
    )
    presentation: str = holder.sd_jwt_presentation
    return presentation


@pytest.mark.parametrize("decoys", [False, True], ids=["plain", "with_decoys"])
def test_their_sd_jwt_kb_verifies_with_us(decoys: bool) -> None:
    issuance = _their_issuance(add_decoy_claims=decoys)
    presentation = _their_presentation(
        issuance,
        {
            "given_name": True,
            "address": {"street_address": True},
            "nationalities": [True, None, False],
        },
    )
    verified = verify_sd_jwt(
        presentation,
        issuer_key=ISSUER.public_key,
        now=system_time(),
        require_key_binding=True,
        nonce=NONCE,
        aud=AUD,
        typ="example+sd-jwt",
    )
    claims = dict(verified.claims)
    assert claims.pop("cnf")["jwk"]["x"] == HOLDER.public_key.to_jwk()["x"]
    assert claims == {
        "iss": ISS,
        "iat": claims["iat"],
        "exp": claims["exp"],
        "sub": "user_42",
        "given_name": "Sonam",
        "address": ADDRESS,
        "nationalities": ["BT", "IN"],
    }
    assert verified.holder_key == HOLDER.public_key
    assert verified.key_binding is not None
    assert verified.key_binding.aud == AUD


def test_their_full_issuance_decodes_with_us() -> None:
    verified = verify_sd_jwt(
        _their_issuance(),
        issuer_key=ISSUER.public_key,
        now=system_time(),
        require_key_binding=False,
    )
    assert verified.claims["nationalities"] == ["BT", "IN", "NP"]
    assert verified.claims["family_name"] == "Choden"
    assert len(verified.disclosures) == 6


def test_their_presentation_with_another_nonce_is_rejected_by_us() -> None:
    presentation = _their_presentation(_their_issuance(), {"given_name": True}, nonce="stale")
    with pytest.raises(KeyBindingError) as info:
        verify_sd_jwt(
            presentation,
            issuer_key=ISSUER.public_key,
            now=system_time(),
            require_key_binding=True,
            nonce=NONCE,
            aud=AUD,
        )
    assert info.value.code == "nonce_mismatch"


def test_their_sd_jwt_vc_verifies_with_our_profile() -> None:
    issuance = _their_issuance(
        {"vct": VCT}, extra_header_parameters={"typ": "dc+sd-jwt"}, add_decoy_claims=True
    )
    presentation = _their_presentation(issuance, {"family_name": True})
    result = verify_sd_jwt_vc(
        presentation,
        issuer_key=ISSUER.public_key,
        now=system_time(),
        require_key_binding=True,
        nonce=NONCE,
        aud=AUD,
        vct_values=[VCT],
    )
    assert result.vct == VCT
    assert result.claims["family_name"] == "Choden"
    assert "given_name" not in result.claims
    assert result.claims["nationalities"] == ["IN"]


def test_our_holder_presents_their_issuance() -> None:
    presentation = present_sd_jwt(
        _their_issuance(),
        disclose=["/address/street_address", "/nationalities/2"],
        holder_key=HOLDER,
        nonce=NONCE,
        aud=AUD,
        iat=system_time(),
    )
    verifier = SDJWTVerifier(
        presentation.serialize(),
        lambda iss, header: ISSUER_JWK,
        expected_aud=AUD,
        expected_nonce=NONCE,
    )
    claims = verifier.get_verified_payload()
    assert claims["address"] == ADDRESS
    assert claims["nationalities"] == ["IN", "NP"]
    assert "given_name" not in claims


# --- (b) our issuer and holder -> their verifier ---------------------------------------------


def _their_verify(presentation: str) -> dict[str, Any]:
    def issuer_key(iss: str, header: dict[str, Any]) -> JWK:
        assert iss == ISS
        return ISSUER_JWK

    verifier = SDJWTVerifier(presentation, issuer_key, expected_aud=AUD, expected_nonce=NONCE)
    claims: dict[str, Any] = verifier.get_verified_payload()
    return claims


@pytest.mark.parametrize("decoys", [0, 3], ids=["plain", "with_decoys"])
def test_our_sd_jwt_kb_verifies_with_them(decoys: int) -> None:
    claims = {
        "iss": ISS,
        **_times(),
        "sub": "user_42",
        "given_name": "Tashi",
        "address": ADDRESS,
        "nationalities": ["BT", "IN", "NP"],
        "degrees": [{"type": "BSc", "year": 2019}, {"type": "MSc", "year": 2022}],
    }
    issued = issue_sd_jwt(
        claims,
        ISSUER,
        sd_paths=["/given_name", "/address", "/address/street_address",
                  ("nationalities", None), "/degrees/1", "/degrees/1/year"],
        holder_key=HOLDER.public_key,
        decoys=decoys,
    )  # fmt: skip
    presentation = present_sd_jwt(
        issued,
        disclose=["/address/street_address", "/nationalities/0", "/degrees/1/year"],
        holder_key=HOLDER,
        nonce=NONCE,
        aud=AUD,
        iat=system_time(),
    ).serialize()
    theirs = _their_verify(presentation)
    ours = verify_sd_jwt(
        presentation,
        issuer_key=ISSUER.public_key,
        now=system_time(),
        require_key_binding=True,
        nonce=NONCE,
        aud=AUD,
    ).claims
    assert theirs == ours
    assert theirs["address"] == ADDRESS
    assert theirs["nationalities"] == ["BT"]
    assert theirs["degrees"] == [{"type": "BSc", "year": 2019}, {"type": "MSc", "year": 2022}]
    assert "given_name" not in theirs


def test_our_sd_jwt_vc_verifies_with_them() -> None:
    """Their verifier does not check the issuer JWT's typ at all, so our dc+sd-jwt is accepted
    as any SD-JWT; the claims must still agree with our own profile verification."""
    times = _times()
    issued = issue_sd_jwt_vc(
        {"given_name": "Karma", "family_name": "Dema", "address": ADDRESS},
        ISSUER,
        iss=ISS,
        vct=VCT,
        iat=times["iat"],
        exp=times["exp"],
        sd_paths=["/given_name", "/family_name", "/address/locality"],
        holder_key=HOLDER.public_key,
        status={"status_list": {"idx": 3, "uri": "https://status.drukid.example/1"}},
        decoys=2,
    )
    presentation = present_sd_jwt(
        issued,
        disclose=["/family_name"],
        holder_key=HOLDER,
        nonce=NONCE,
        aud=AUD,
        iat=system_time(),
    ).serialize()
    theirs = _their_verify(presentation)
    ours = verify_sd_jwt_vc(
        presentation,
        issuer_key=ISSUER.public_key,
        now=system_time(),
        require_key_binding=True,
        nonce=NONCE,
        aud=AUD,
        vct_values=[VCT],
    )
    assert theirs == ours.claims
    assert theirs["family_name"] == "Dema"
    assert theirs["address"] == {"street_address": ADDRESS["street_address"], "country": "BT"}
    assert theirs["vct"] == VCT


def test_their_holder_presents_our_issuance() -> None:
    issued = issue_sd_jwt(
        {"iss": ISS, **_times(), "given_name": "Ugyen", "address": ADDRESS},
        ISSUER,
        sd_paths=["/given_name", "/address/locality", "/address/country"],
        holder_key=HOLDER.public_key,
    )
    presentation = _their_presentation(issued.serialize(), {"address": {"country": True}})
    verified = verify_sd_jwt(
        presentation,
        issuer_key=ISSUER.public_key,
        now=system_time(),
        require_key_binding=True,
        nonce=NONCE,
        aud=AUD,
    )
    assert verified.claims["address"] == {
        "street_address": ADDRESS["street_address"],
        "country": "BT",
    }
    assert "given_name" not in verified.claims


def test_their_verifier_rejects_our_presentation_after_a_disclosure_is_removed() -> None:
    """Sanity check that the other side really checks sd_hash (so the passes above mean
    something)."""
    issued = issue_sd_jwt(
        {"iss": ISS, **_times(), "a": 1, "b": 2},
        ISSUER,
        sd_paths=["/a", "/b"],
        holder_key=HOLDER.public_key,
    )
    presentation = present_sd_jwt(
        issued, disclose=["/a", "/b"], holder_key=HOLDER, nonce=NONCE, aud=AUD, iat=system_time()
    )
    head, first, _second, kb = presentation.serialize().split("~")
    with pytest.raises(ValueError, match="digest"):
        _their_verify(f"{head}~{first}~{kb}")
