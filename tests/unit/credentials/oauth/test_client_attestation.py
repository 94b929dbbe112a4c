"""Attestation-Based Client Authentication: the attestation (ABCA §7.1) and its PoP (§7.2),
valid and invalid per rule, trusted through an x5c chain to the wallet provider's CA."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from credentials.errors import ClientAttestationError
from credentials.jose import sign_jws
from credentials.oauth import (
    make_client_attestation,
    make_client_attestation_pop,
    verify_client_attestation,
)
from credentials.x509 import (
    CertificateName,
    LeafPurpose,
    TrustAnchor,
    create_intermediate_ca,
    create_leaf,
    create_root_ca,
    encode_x5c,
)
from did.keys import PrivateKey

NOW = 1_800_000_000
AT = dt.datetime.fromtimestamp(NOW, dt.UTC)
DAY = dt.timedelta(days=1)
AS = "https://id.example.bt"
SUB = "https://wallet.drukid.bt"

ROOT_KEY, CA_KEY, OTHER_CA_KEY = PrivateKey.generate(), PrivateKey.generate(), PrivateKey.generate()
PROVIDER_KEY, ISSUER_KEY = PrivateKey.generate(), PrivateKey.generate()
ROOT = create_root_ca(
    ROOT_KEY, CertificateName("Root", "Agency", "BT"), not_before=AT - DAY, not_after=AT + 99 * DAY
)
_WINDOW = {"not_before": AT - DAY, "not_after": AT + 90 * DAY}
WALLET_CA = create_intermediate_ca(
    CA_KEY.public_key,
    CertificateName("Wallet Provider CA", "Agency", "BT"),
    issuer_cert=ROOT,
    issuer_key=ROOT_KEY,
    **_WINDOW,
)
ISSUER_CA = create_intermediate_ca(
    OTHER_CA_KEY.public_key,
    CertificateName("Issuer CA", "Agency", "BT"),
    issuer_cert=ROOT,
    issuer_key=ROOT_KEY,
    **_WINDOW,
)
PROVIDER = create_leaf(
    LeafPurpose.WALLET_PROVIDER,
    PROVIDER_KEY.public_key,
    CertificateName("drukid wallet", "Agency", "BT"),
    issuer_cert=WALLET_CA,
    issuer_key=CA_KEY,
    **_WINDOW,
)
ISSUER_LEAF = create_leaf(
    LeafPurpose.ISSUER,
    ISSUER_KEY.public_key,
    CertificateName("Some agency", "Agency", "BT"),
    issuer_cert=ISSUER_CA,
    issuer_key=OTHER_CA_KEY,
    san_uris=["https://agency.example.bt"],
    **_WINDOW,
)
ANCHORS = [TrustAnchor(WALLET_CA)]
INSTANCE = PrivateKey.generate()


def attestation(**overrides: Any) -> str:
    args: dict[str, Any] = {
        "sub": SUB,
        "instance_key": INSTANCE.public_key,
        "iat": NOW - 60,
        "exp": NOW + 3600,
        "iss": "https://provider.drukid.bt",
        "x5c": [PROVIDER],
        "wallet_name": "drukid wallet",
    }
    args.update(overrides)
    key = args.pop("provider_key", PROVIDER_KEY)
    return make_client_attestation(key, **args)


def pop(**overrides: Any) -> str:
    args: dict[str, Any] = {"sub": SUB, "aud": AS, "iat": NOW, "jti": "p1"}
    args.update(overrides)
    key = args.pop("key", INSTANCE)
    return make_client_attestation_pop(key, **args)


def verify(att: str, p: str, **overrides: Any) -> Any:
    args: dict[str, Any] = {"audience": AS, "now": NOW, "anchors": ANCHORS}
    args.update(overrides)
    return verify_client_attestation(att, p, **args)


def refused(att: str, p: str, **overrides: Any) -> ClientAttestationError:
    with pytest.raises(ClientAttestationError) as caught:
        verify(att, p, **overrides)
    return caught.value


def test_valid() -> None:
    result = verify(attestation(), pop())
    assert result.sub == SUB
    assert result.instance_jkt == INSTANCE.public_key.thumbprint()
    assert result.pop_jti == "p1"
    assert result.wallet_name == "drukid wallet"


def test_untrusted_provider() -> None:
    other = PrivateKey.generate()
    error = refused(attestation(provider_key=other, x5c=None), pop())
    assert (error.code, error.oauth_error) == ("client_attestation_untrusted", "invalid_client")


def test_agency_certificate_under_the_same_root_is_not_a_wallet_provider() -> None:
    # Surprise 10: with the provider CA as anchor, an issuer leaf under the same root fails.
    att = attestation(provider_key=ISSUER_KEY, x5c=[ISSUER_LEAF])
    assert refused(att, pop()).code == "client_attestation_untrusted"


def test_jwk_set_alternative() -> None:
    att = attestation(x5c=None, kid="p-1")
    verify(att, pop(), anchors=[], jwks={"p-1": PROVIDER_KEY.public_key})
    assert refused(att, pop(), anchors=[], jwks={}).code == "client_attestation_untrusted"


def test_expired() -> None:
    error = refused(attestation(exp=NOW - 120), pop())
    assert error.code == "client_attestation_expired"


def test_not_fresh() -> None:
    error = refused(attestation(iat=NOW - 90_000), pop())
    assert (error.code, error.oauth_error) == (
        "client_attestation_not_fresh",
        "use_fresh_attestation",
    )


def test_pop_for_another_audience() -> None:
    assert refused(attestation(), pop(aud="https://other.bt")).code == (
        "client_attestation_pop_audience"
    )


def test_pop_aud_as_array_refused() -> None:
    token = sign_jws(
        {"aud": [AS], "jti": "x", "iat": NOW},
        INSTANCE,
        typ="oauth-client-attestation-pop+jwt",
    )
    assert refused(attestation(), token).code == "client_attestation_pop_audience"


def test_pop_signed_by_other_key() -> None:
    error = refused(attestation(), pop(key=PrivateKey.generate()))
    assert error.code == "client_attestation_pop_signature"


def test_pop_stale_expired_and_issuer() -> None:
    assert refused(attestation(), pop(iat=NOW - 1000)).code == "client_attestation_pop_stale"
    assert refused(attestation(), pop(iat=NOW - 200, lifetime=10)).code == (
        "client_attestation_pop_expired"
    )
    assert refused(attestation(), pop(sub="https://evil.bt")).code == (
        "client_attestation_pop_issuer"
    )


def test_pop_of_draft_10_shape_accepted() -> None:
    token = sign_jws(
        {"aud": AS, "jti": "x", "iat": NOW}, INSTANCE, typ="oauth-client-attestation-pop+jwt"
    )
    verify(attestation(), token)


def test_wrong_typ_and_missing() -> None:
    wrong = sign_jws({"sub": SUB}, PROVIDER_KEY, typ="jwt")
    assert refused(wrong, pop()).code == "client_attestation_typ"
    assert refused("", pop()).code == "client_attestation_malformed"


def test_cnf_private_key_refused() -> None:
    claims = {"sub": SUB, "exp": NOW + 60, "cnf": {"jwk": INSTANCE.to_jwk()}}
    token = sign_jws(
        claims,
        PROVIDER_KEY,
        typ="oauth-client-attestation+jwt",
        headers={"x5c": encode_x5c([PROVIDER])},
    )
    assert refused(token, pop()).code == "client_attestation_key_invalid"
