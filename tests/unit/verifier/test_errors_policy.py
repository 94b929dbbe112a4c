"""Error codes, plain-language explanations, the policy's safe defaults, and the package API."""

from __future__ import annotations

import pytest

import verifier
from credentials.errors import IssuerKeyError
from did.errors import FetchError
from verifier.errors import PresentationError, VerificationError, explain, from_lower_error
from verifier.policy import Policy


def test_lower_errors_keep_their_code_and_root_cause():
    try:
        try:
            raise FetchError("blocked", code="fetch_blocked_address")
        except FetchError as inner:
            raise IssuerKeyError("no key", code="issuer_key_unresolved") from inner
    except IssuerKeyError as outer:
        error = from_lower_error(outer, PresentationError)
    assert error.code == "issuer_key_unresolved"
    assert error.cause == "fetch_blocked_address"
    assert isinstance(error, VerificationError)
    assert str(error) == "issuer_key_unresolved: no key"


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("status_revoked", "revoked by its issuer"),
        ("fetch_timeout", "could not reach"),
        ("status_list_expired", "could not check"),
        ("something_new", "could not be accepted"),
    ],
)
def test_plain_language(code, words):
    assert words in explain(code)


def test_policy_defaults_are_safe():
    policy = Policy()
    assert policy.require_key_binding
    assert policy.status_policy == "reject"
    assert not policy.allow_legacy_typ
    assert policy.leeway == 60
    assert policy.algorithms == frozenset({"ES256", "EdDSA"})


@pytest.mark.parametrize(
    "bad",
    [
        {"leeway": 301},
        {"leeway": True},
        {"kb_max_age": 0},
        {"kb_max_age": 7200},
        {"status_policy": "ignore"},
        {"key_mechanisms": frozenset()},
        # x5c became a real mechanism with X.509 support (HAIP 1.0); x5u never will (never fetched)
        {"key_mechanisms": frozenset({"x5u"})},
        {"algorithms": frozenset({"HS256"})},
        {"max_presentation_bytes": 10**9},
    ],
)
def test_policy_refuses_unsafe_values(bad):
    with pytest.raises(ValueError):
        Policy(**bad)


def test_public_api_is_sorted_and_importable():
    def order(name: str) -> tuple[int, str]:
        if name.isupper():
            return 0, name
        return (1, name) if name[:1].isupper() else (2, name)

    assert verifier.__all__ == sorted(verifier.__all__, key=order)
    for name in verifier.__all__:
        assert getattr(verifier, name) is not None


def test_every_code_the_verifier_raises_has_plain_words():
    """The one table of plain words keeps up with the codes: a new ``code="..."`` in verifier/
    without words in verifier.errors fails here (pages may add their own wording on top)."""
    import re
    from pathlib import Path

    from verifier.errors import _DEFAULT_PLAIN

    root = Path(verifier.__file__).parent
    codes = {
        code
        for path in root.rglob("*.py")
        if "web" not in path.relative_to(root).parts
        for code in re.findall(r'code="([a-z0-9_]+)"', path.read_text(encoding="utf-8"))
    }
    assert len(codes) > 30  # the scan found the codes
    missing = sorted(code for code in codes if explain(code) == _DEFAULT_PLAIN)
    assert not missing, f"codes without plain words in verifier.errors: {missing}"
