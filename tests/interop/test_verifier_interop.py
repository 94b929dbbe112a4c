"""Presentations made by an independent SD-JWT implementation (the OpenWallet Foundation's
``sd-jwt`` package, built on jwcrypto) verify with :func:`verifier.verify_presentation`, and so
do drukid credentials presented by its holder; a tampered one still fails."""

from __future__ import annotations

import time
from typing import Any

import pytest
from jwcrypto.jwk import JWK
from sd_jwt.common import SDObj
from sd_jwt.holder import SDJWTHolder
from sd_jwt.issuer import SDJWTIssuer

from credentials.status_list import STATUS_LIST_MEDIA_TYPE
from did.fetch import Fetcher
from did.keys import PublicKey
from tests.support.fake_issuer import CLAIMS, FakeIssuer
from verifier import (
    IssuerKeys,
    Policy,
    StatusChecker,
    TrustRegistry,
    VerificationError,
    verify_presentation,
)

AUD = "decentralized_identifier:did:web:bank.example.bt"
NONCE = "interop-nonce-4f1c"


def _now() -> int:
    return int(time.time())


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.fixture
def holder_key() -> JWK:
    return JWK.generate(kty="EC", crv="P-256")


def _foreign_issuance(
    issuer: FakeIssuer, holder_key: JWK, *, decoys: bool = False, status: bool = True
) -> str:
    """An SD-JWT VC made by the sd-jwt package, signed with the fake issuer's key.

    Its decoy option puts decoy digests into *every* object, ``status`` included, which the
    SD-JWT VC profile forbids (draft-25 §3.2.2: ``status`` is never selectively disclosable);
    decoys are therefore only combined with a credential without ``status``."""
    person = CLAIMS["foundational-id"]
    claims: dict[Any, Any] = {
        "iss": issuer.url,
        "vct": issuer.vct("foundational-id"),
        "iat": _now() - 60,
        "exp": _now() + 86400,
        SDObj("cid"): person["cid"],
        SDObj("full_name"): person["full_name"],
        SDObj("birthdate"): person["birthdate"],
        SDObj("age_over_18"): True,
        SDObj("place_of_birth"): {
            SDObj("dzongkhag"): "Paro",
            SDObj("gewog"): "Lungnyi",
            "village": "Bondey",
        },
    }
    if status:
        claims["status"] = {"status_list": {"idx": 3, "uri": issuer.status_uri}}
    issuer_jwk = JWK(**issuer.key.to_jwk())
    made = SDJWTIssuer(
        claims,
        issuer_jwk,
        holder_key=holder_key,
        sign_alg="ES256",
        add_decoy_claims=decoys,
        extra_header_parameters={"typ": "dc+sd-jwt", "kid": issuer.kid},
    )
    return str(made.sd_jwt_issuance)


def _present_foreign(issuance: str, holder_key: JWK, disclose: dict[str, Any]) -> str:
    holder = SDJWTHolder(issuance)
    holder.create_presentation(
        disclose, nonce=NONCE, aud=AUD, holder_key=holder_key, sign_alg="ES256"
    )
    return str(holder.sd_jwt_presentation)


def _verify(presentation: str, issuer: FakeIssuer, **kwargs: Any) -> Any:
    trust = TrustRegistry.from_json({"issuers": [issuer.trusted_entry()]})
    with Fetcher(transport=issuer.transport(now=_now)) as fetcher:
        return verify_presentation(
            presentation,
            policy=Policy(),
            trust=trust,
            nonce=NONCE,
            aud=AUD,
            keys=IssuerKeys(fetcher=fetcher),
            status=StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE)),
            **kwargs,
        )


def test_foreign_issuer_and_holder(issuer, holder_key):
    issuance = _foreign_issuance(issuer, holder_key)
    presentation = _present_foreign(
        issuance, holder_key, {"full_name": True, "cid": True, "place_of_birth": {"gewog": True}}
    )
    result = _verify(presentation, issuer, required_claims=["full_name", "/place_of_birth/gewog"])
    assert dict(result.to_json()["claims"]) == {
        "full_name": "Karma Wangmo",
        "cid": "11512003456",
        "place_of_birth": {"gewog": "Lungnyi", "village": "Bondey"},
    }
    assert result.status == "valid"
    thumbprint = PublicKey.from_jwk(holder_key.export_public(as_dict=True)).thumbprint()
    assert result.holder_key_thumbprint == thumbprint


def test_foreign_decoys(issuer, holder_key):
    issuance = _foreign_issuance(issuer, holder_key, decoys=True, status=False)
    presentation = _present_foreign(issuance, holder_key, {"birthdate": True})
    result = _verify(presentation, issuer)
    assert dict(result.claims) == {"birthdate": "1994-03-12"}
    assert result.status == "none"


def test_foreign_decoys_inside_status_are_refused(issuer, holder_key):
    issuance = _foreign_issuance(issuer, holder_key, decoys=True, status=True)
    presentation = _present_foreign(issuance, holder_key, {"birthdate": True})
    with pytest.raises(VerificationError) as caught:
        _verify(presentation, issuer)
    assert caught.value.code == "forbidden_selective_disclosure"


def test_drukid_credential_presented_by_the_foreign_holder(issuer, holder_key):
    holder_public = PublicKey.from_jwk(holder_key.export_public(as_dict=True))
    credential, _ = issuer.issue(holder_key=holder_public, iat=_now() - 60, exp=_now() + 3600)
    presentation = _present_foreign(credential, holder_key, {"age_over_18": True})
    result = _verify(presentation, issuer)
    assert dict(result.claims) == {"age_over_18": True}


def test_foreign_presentation_tampered(issuer, holder_key):
    issuance = _foreign_issuance(issuer, holder_key)
    presentation = _present_foreign(issuance, holder_key, {"full_name": True})
    jwt, *rest = presentation.split("~")
    other = _present_foreign(issuance, holder_key, {"cid": True}).split("~")[1]
    swapped = "~".join([jwt, other, *rest[1:]])  # KB-JWT covers the original disclosure
    with pytest.raises(VerificationError) as caught:
        _verify(swapped, issuer)
    assert caught.value.code == "sd_hash_mismatch"


def test_foreign_presentation_without_key_binding_is_refused(issuer, holder_key):
    issuance = _foreign_issuance(issuer, holder_key)
    holder = SDJWTHolder(issuance)
    holder.create_presentation({"full_name": True})  # no nonce/aud/key: no KB-JWT
    with pytest.raises(VerificationError) as caught:
        _verify(str(holder.sd_jwt_presentation), issuer)
    assert caught.value.code == "key_binding_required"
