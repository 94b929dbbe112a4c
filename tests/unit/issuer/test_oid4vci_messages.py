"""OpenID4VCI message logic as plain functions: offers, token requests, key proofs, credential
and notification requests, metadata. Valid and invalid cases for each."""

from __future__ import annotations

from typing import Any

import pytest

from credentials.jose import sign_jws
from did.keys import PrivateKey, PublicKey
from issuer.errors import (
    InvalidCredentialRequestError,
    InvalidProofError,
    InvalidRequestError,
    IssuerError,
    NotificationError,
    UnsupportedGrantTypeError,
)
from issuer.oid4vci.credential import credential_response, parse_credential_request
from issuer.oid4vci.metadata import (
    authorization_server_metadata,
    credential_issuer_metadata,
    well_known_url,
)
from issuer.oid4vci.notification import parse_notification_request
from issuer.oid4vci.offer import (
    PRE_AUTHORIZED_GRANT,
    create_credential_offer,
    generate_tx_code,
    hash_tx_code,
    lookup_hash,
    new_secret,
    offer_uri,
    pre_authorized_code_for,
    seal_pre_authorized_code,
    tx_code_matches,
    unseal_pre_authorized_code,
)
from issuer.oid4vci.proof import PROOF_TYP, verify_proof_jwt, verify_proofs
from issuer.oid4vci.token import parse_token_request, token_response
from issuer.types import load_types

ISS = "https://id.example.gov.bt"
NOW = 1_800_000_000


def _proof(key: PrivateKey, **payload: Any) -> str:
    claims = {"aud": ISS, "iat": NOW, "nonce": "n1", **payload}
    return sign_jws(claims, key, typ=PROOF_TYP, headers={"jwk": key.public_key.to_jwk()})


def _verify(proof: Any, **kw: Any) -> Any:
    args: dict[str, Any] = {
        "audience": ISS,
        "now": NOW,
        "algorithms": ("ES256", "EdDSA"),
        "max_age": 300,
        "leeway": 60,
    }
    args.update(kw)
    return verify_proof_jwt(proof, **args)


def test_offer_secrets_and_uri() -> None:
    offer_id = new_secret(lambda n: b"\x01" * n)
    assert len(offer_id) == 43
    code = pre_authorized_code_for(offer_id)
    assert code != offer_id
    assert code == pre_authorized_code_for(offer_id)
    assert lookup_hash(code) != lookup_hash(offer_id)
    uri = offer_uri(f"{ISS}/offers/{offer_id}")
    assert uri == (
        "openid-credential-offer://?credential_offer_uri="
        f"https%3A%2F%2Fid.example.gov.bt%2Foffers%2F{offer_id}"
    )
    offer = create_credential_offer(
        issuer=ISS,
        configuration_ids=["foundational-id"],
        pre_authorized_code=code,
        tx_code_length=6,
    )
    grant = offer["grants"][PRE_AUTHORIZED_GRANT]
    assert grant["tx_code"]["length"] == 6
    no_pin = create_credential_offer(
        issuer=ISS, configuration_ids=["x"], pre_authorized_code=code, tx_code_length=None
    )
    assert "tx_code" not in no_pin["grants"][PRE_AUTHORIZED_GRANT]


def test_tx_code() -> None:
    digits = iter([1, 2, 3, 4, 5, 6])
    code = generate_tx_code(6, lambda _n: next(digits))
    assert code == "123456"
    stored = hash_tx_code("off_1", code)
    assert tx_code_matches("off_1", "123456", stored)
    assert not tx_code_matches("off_1", "123457", stored)
    assert not tx_code_matches("off_2", "123456", stored)  # salted by the offer
    with pytest.raises(ValueError, match="4 to 10"):
        generate_tx_code(3)


def test_token_request_parsing() -> None:
    request = parse_token_request(
        [
            ("grant_type", PRE_AUTHORIZED_GRANT),
            ("pre-authorized_code", "abc"),
            ("tx_code", "123456"),
        ]
    )
    assert request.pre_authorized_code == "abc"
    assert request.tx_code == "123456"
    assert "abc" not in repr(request)
    for pairs, error in [
        ([], InvalidRequestError),
        ([("grant_type", "password")], UnsupportedGrantTypeError),
        ([("grant_type", "authorization_code"), ("code", "c")], UnsupportedGrantTypeError),
        ([("grant_type", PRE_AUTHORIZED_GRANT)], InvalidRequestError),
        (
            [
                ("grant_type", PRE_AUTHORIZED_GRANT),
                ("grant_type", PRE_AUTHORIZED_GRANT),
                ("pre-authorized_code", "x"),
            ],
            InvalidRequestError,
        ),
        (
            [("grant_type", PRE_AUTHORIZED_GRANT), ("pre-authorized_code", "x" * 600)],
            InvalidRequestError,
        ),
    ]:
        with pytest.raises(error):
            parse_token_request(pairs)
    assert token_response("t", expires_in=300) == {
        "access_token": "t",
        "token_type": "Bearer",
        "expires_in": 300,
    }


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_valid_proof(alg: str) -> None:
    key = PrivateKey.generate(alg)
    verified = _verify(_proof(key))
    assert verified.key == key.public_key
    assert verified.nonce == "n1"
    assert verified.thumbprint == key.public_key.thumbprint()


def test_proof_kid_resolution() -> None:
    key = PrivateKey.generate()
    proof = sign_jws(
        {"aud": ISS, "iat": NOW, "nonce": "n"},
        key,
        typ=PROOF_TYP,
        headers={"kid": "did:example:1#k"},
    )
    seen: list[str] = []

    def resolve(kid: str) -> PublicKey:
        seen.append(kid)
        return key.public_key

    assert _verify(proof, resolve_kid=resolve).key == key.public_key
    assert seen == ["did:example:1#k"]
    with pytest.raises(InvalidProofError) as info:
        _verify(proof)
    assert info.value.code == "proof_key_unsupported"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"aud": "https://other.example"}, "proof_wrong_audience"),
        ({"aud": [ISS, "https://other.example"]}, "proof_wrong_audience"),
        ({"iat": NOW - 1000}, "proof_time_invalid"),
        ({"iat": NOW + 120}, "proof_time_invalid"),
        ({"iat": "yesterday"}, "proof_time_invalid"),
        ({"exp": NOW - 120}, "proof_time_invalid"),
        ({"nonce": ""}, "proof_no_nonce"),
        ({"nonce": 5}, "proof_no_nonce"),
    ],
)
def test_invalid_proof_claims(payload: dict[str, Any], code: str) -> None:
    with pytest.raises(InvalidProofError) as info:
        _verify(_proof(PrivateKey.generate(), **payload))
    assert info.value.code == code
    assert info.value.error == "invalid_proof"
    assert info.value.status == 400


def test_single_element_aud_list_is_accepted() -> None:
    assert _verify(_proof(PrivateKey.generate(), aud=[ISS])).nonce == "n1"


def test_proof_algorithm_allow_list() -> None:
    with pytest.raises(InvalidProofError):
        _verify(_proof(PrivateKey.generate("EdDSA")), algorithms=("ES256",))


@pytest.mark.parametrize("proof", [None, 5, "", "a.b", "a.b.c", "x" * 20000])
def test_malformed_proofs(proof: Any) -> None:
    with pytest.raises(InvalidProofError):
        _verify(proof)


def test_batch_rules() -> None:
    a, b = PrivateKey.generate(), PrivateKey.generate()
    args: dict[str, Any] = {
        "audience": ISS,
        "now": NOW,
        "algorithms": ("ES256",),
        "max_age": 300,
        "leeway": 60,
    }
    assert len(verify_proofs([_proof(a), _proof(b)], **args)) == 2
    with pytest.raises(InvalidProofError) as info:
        verify_proofs([_proof(a), _proof(a, iat=NOW - 1)], **args)
    assert info.value.code == "proof_key_reused"
    with pytest.raises(InvalidProofError) as info:
        verify_proofs([_proof(a), _proof(b, nonce="n2")], **args)
    assert info.value.code == "proof_nonce_mismatch"


def test_credential_request_parsing() -> None:
    request = parse_credential_request(
        {
            "credential_configuration_id": "foundational-id",
            "proofs": {"jwt": ["a", "b"]},
            "unknown": "ignored",
        },
        batch_size=10,
    )
    assert request.configuration_id == "foundational-id"
    assert request.proofs == ("a", "b")
    with pytest.raises(InvalidCredentialRequestError) as info:
        parse_credential_request(
            {"credential_configuration_id": "x", "proofs": {"jwt": ["a"] * 3}}, batch_size=2
        )
    assert info.value.code == "batch_too_large"
    with pytest.raises(InvalidProofError):
        parse_credential_request(
            {"credential_configuration_id": "x", "proofs": {"jwt": ["a"], "cwt": ["b"]}},
            batch_size=2,
        )
    body = credential_response(["c1", "c2"], notification_id="n")
    assert body == {
        "credentials": [{"credential": "c1"}, {"credential": "c2"}],
        "notification_id": "n",
    }


def test_notification_parsing() -> None:
    parsed = parse_notification_request(
        {
            "notification_id": "x",
            "event": "credential_deleted",
            "event_description": "user removed it",
        }
    )
    assert parsed.event == "credential_deleted"
    for body in [
        None,
        {"event": "credential_accepted"},
        {"notification_id": "x"},
        {"notification_id": "x", "event": "credential_accepted", "event_description": "naïve"},
    ]:
        with pytest.raises(NotificationError):
            parse_notification_request(body)


def test_metadata_documents() -> None:
    assert (
        well_known_url("https://id.example.gov.bt/dcrc", "openid-credential-issuer")
        == "https://id.example.gov.bt/.well-known/openid-credential-issuer/dcrc"
    )
    assert well_known_url(ISS, "jwt-vc-issuer") == f"{ISS}/.well-known/jwt-vc-issuer"
    metadata = credential_issuer_metadata(
        issuer=ISS,
        name="DCRC",
        types=load_types(),
        signing_algs=["ES256"],
        proof_algs=["ES256"],
        batch_size=5,
        display_names={"dz": "ཐོ་བཀོད"},
    )
    assert metadata["batch_credential_issuance"] == {"batch_size": 5}
    assert metadata["display"] == [
        {"name": "DCRC", "locale": "en"},
        {"name": "ཐོ་བཀོད", "locale": "dz"},
    ]
    claims = metadata["credential_configurations_supported"]["foundational-id"][
        "credential_metadata"
    ]["claims"]
    photo = next(claim for claim in claims if claim["path"] == ["photo"])
    assert photo["mandatory"] is False
    assert authorization_server_metadata(issuer=ISS)["grant_types_supported"] == [
        PRE_AUTHORIZED_GRANT
    ]


def test_error_tree() -> None:
    import issuer.errors as errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        if isinstance(cls, type):
            assert issubclass(cls, IssuerError)
            instance = cls("a “quoted” message\\ with ཨ")
            assert instance.code
            assert 400 <= instance.status < 600
            assert all(0x20 <= ord(c) < 0x7F and c not in '"\\' for c in instance.message)
            assert name in (errors.__doc__ or "")


def test_pre_authorized_code_is_sealed_not_derived() -> None:
    """Issue 15, finding 1: the code is random and opens only with the offer id and its own
    row's reference; nothing in a URL (the offer id) yields it."""
    offer_id = new_secret(lambda n: b"\x01" * n)
    code = new_secret(lambda n: b"\x02" * n)
    sealed = seal_pre_authorized_code(offer_id, "off_1", code, lambda n: b"\x03" * n)
    assert code not in sealed
    assert offer_id not in sealed
    assert unseal_pre_authorized_code(offer_id, "off_1", sealed) == code
    for wrong_id, wrong_ref in ((new_secret(lambda n: b"\x04" * n), "off_1"), (offer_id, "off_2")):
        with pytest.raises(ValueError, match="does not open"):
            unseal_pre_authorized_code(wrong_id, wrong_ref, sealed)
    with pytest.raises(ValueError, match="does not open"):
        unseal_pre_authorized_code(offer_id, "off_1", "not base64url!")
