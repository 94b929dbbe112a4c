"""Properties of verify_presentation: the result holds exactly the disclosed claims (never an
undisclosed one), and mangled input only ever raises VerificationError."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.fake_issuer import CLAIMS, NOW, FakeIssuer
from tests.support.fake_wallet import FakeWallet
from verifier import Policy, TrustRegistry, VerificationError, verify_presentation

AUD = "decentralized_identifier:did:web:bank.example.bt"
NONCE = "prop-nonce"
ISSUER = FakeIssuer(list_size=8)
WALLET = FakeWallet()
CREDENTIAL, _ = ISSUER.issue(holder_key=WALLET.public_key, with_status=False)
TRUST = TrustRegistry.from_json({"issuers": [ISSUER.trusted_entry(pin_keys=True)]})
NAMES = sorted(CLAIMS["foundational-id"])
VALID = WALLET.present(CREDENTIAL, ["/full_name", "/cid"], nonce=NONCE, aud=AUD, iat=NOW)


def _verify(presentation: str):  # type: ignore[no-untyped-def]
    return verify_presentation(
        presentation, policy=Policy(), trust=TRUST, nonce=NONCE, aud=AUD, now=NOW
    )


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(st.sets(st.sampled_from(NAMES)))
def test_result_holds_exactly_the_disclosed_claims(names):
    presentation = WALLET.present(
        CREDENTIAL, [f"/{name}" for name in names], nonce=NONCE, aud=AUD, iat=NOW
    )
    result = _verify(presentation)
    assert set(result.claims) == set(names)
    for name in names:
        issued = CLAIMS["foundational-id"][name]
        assert result.to_json()["claims"][name] == issued


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=0, max_value=len(VALID) - 1),
    st.sampled_from(["~", ".", "A", "_", "-", "=", "", "~~", "\u00e9", "\x00"]),
    st.integers(min_value=0, max_value=3),
)
def test_mangled_presentations_only_raise_verification_errors(position, text, cut):
    mangled = VALID[:position] + text + VALID[position + cut :]
    if mangled == VALID:
        return
    failure: VerificationError | None = None
    try:
        _verify(mangled)
    except VerificationError as error:  # anything else fails the test
        failure = error
    if failure is not None:
        assert failure.code
        assert failure.explanation
        assert failure.checks


@pytest.mark.parametrize("bad", [None, 5, b"bytes", ["list"]])
def test_non_text_input(bad):
    with pytest.raises(VerificationError):
        _verify(bad)
