"""RFC 7636 PKCE and the stateless DPoP nonces: one valid and one invalid case per rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from credentials.errors import DPoPError, PKCEError
from credentials.oauth import (
    check_challenge,
    check_nonce,
    check_verifier_syntax,
    mint_nonce,
    new_verifier,
    s256,
    verify_pkce,
)

VALUES = json.loads(
    (Path(__file__).parents[4] / "docs/dev/haip-wire-examples/values.json").read_text()
)


def test_s256_vector() -> None:
    pkce = VALUES["pkce"]
    assert s256(pkce["code_verifier"]) == pkce["code_challenge_S256"]
    verify_pkce(pkce["code_verifier"], pkce["code_challenge_S256"])


def test_mismatch_is_invalid_grant() -> None:
    with pytest.raises(PKCEError) as caught:
        verify_pkce("a" * 43, VALUES["pkce"]["code_challenge_S256"])
    assert caught.value.code == "pkce_mismatch"
    assert caught.value.oauth_error == "invalid_grant"


def test_new_verifier_has_256_bits() -> None:
    verifier = new_verifier(lambda n: bytes(range(n)))
    assert len(verifier) == 43
    check_verifier_syntax(verifier)


@pytest.mark.parametrize("verifier", ["short", "a" * 129, "a" * 42 + "!", 43])
def test_verifier_syntax(verifier: object) -> None:
    with pytest.raises(PKCEError) as caught:
        check_verifier_syntax(verifier)
    assert caught.value.code == "pkce_verifier_malformed"


@pytest.mark.parametrize(
    ("challenge", "method", "code"),
    [
        (None, "S256", "pkce_required"),
        ("x" * 43, "plain", "pkce_method_unsupported"),
        ("x" * 43, None, "pkce_method_unsupported"),  # §4.3: missing means plain
        ("x" * 42, "S256", "pkce_challenge_malformed"),
    ],
)
def test_challenge_rules(challenge: str | None, method: str | None, code: str) -> None:
    with pytest.raises(PKCEError) as caught:
        check_challenge(challenge, method)
    assert caught.value.code == code
    assert caught.value.oauth_error == "invalid_request"


def test_challenge_accepted() -> None:
    assert check_challenge(VALUES["pkce"]["code_challenge_S256"], "S256")


KEY, OLD_KEY = b"k" * 32, b"o" * 32


def test_nonce_roundtrip_and_rotation() -> None:
    assert check_nonce(mint_nonce(KEY, 1000), [KEY], now=1200, lifetime=300) == 1000
    assert check_nonce(mint_nonce(OLD_KEY, 1000), [KEY, OLD_KEY], now=1000, lifetime=300) == 1000


@pytest.mark.parametrize(
    "nonce",
    [
        mint_nonce(KEY, 600),  # stale
        mint_nonce(KEY, 2000),  # from the future
        mint_nonce(b"x" * 32, 1000),  # another deployment's key
        mint_nonce(KEY, 1000)[:-2] + "AA",  # damaged MAC
        "not-a-nonce",
        None,
    ],
)
def test_nonce_refused(nonce: object) -> None:
    with pytest.raises(DPoPError) as caught:
        check_nonce(nonce, [KEY], now=1000, lifetime=300)
    assert caught.value.code == "dpop_nonce_invalid"
    assert caught.value.oauth_error == "use_dpop_nonce"
