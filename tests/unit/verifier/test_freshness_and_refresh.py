"""Freshness (issue 13): the online status-list cache honours a check's maximum age, each
template names its own; and a trust bundle refresh installs only a genuine, newer bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import CodedError
from credentials.status_check import StatusChecker
from credentials.status_list import STATUS_LIST_MEDIA_TYPE
from did.fetch import Fetcher
from did.keys import PrivateKey
from tests.support.fake_issuer import NOW, FakeIssuer
from tests.support.fake_wallet import FakeWallet
from tests.unit.verifier.conftest import AUD, NONCE
from verifier.bundle import create_trust_bundle, verify_trust_bundle
from verifier.bundle_refresh import RefreshOutcome, refresh_bundle
from verifier.errors import TrustError, VerificationError
from verifier.keys import IssuerKeys
from verifier.policy import Policy
from verifier.request_templates import freshness_policy, load_templates
from verifier.trust import TrustRegistry
from verifier.verify import verify_presentation


def _verify(
    presentation: str, trust: TrustRegistry, policy: Policy, status: StatusChecker, now: int
):  # type: ignore[no-untyped-def]
    return verify_presentation(
        presentation, policy=policy, trust=trust, nonce=NONCE, aud=AUD, now=now,
        keys=IssuerKeys(), status=status,
    )  # fmt: skip


def test_a_cached_list_older_than_the_checks_maximum_age_is_fetched_again() -> None:
    issuer = FakeIssuer(ttl=3600)  # the issuer lets verifiers cache its list for an hour
    wallet = FakeWallet()
    trust = TrustRegistry.from_json({"issuers": [issuer.trusted_entry(pin_keys=True)]})
    clock = [NOW]
    with Fetcher(transport=issuer.transport(now=lambda: clock[0])) as fetcher:
        status = StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE))
        credential, idx = issuer.issue(holder_key=wallet.public_key)
        first = wallet.present(credential, ["/full_name"], nonce=NONCE, aud=AUD, iat=NOW)
        assert _verify(first, trust, Policy(), status, NOW).status == "valid"
        issuer.revoke(idx)  # revoked; the citizen's own wallet already shows it
        clock[0] = NOW + 600
        again = wallet.present(credential, ["/full_name"], nonce=NONCE, aud=AUD, iat=NOW + 600)
        # The ordinary check trusts its 10-minute-old copy until the ttl runs out ...
        assert _verify(again, trust, Policy(), status, NOW + 600).status == "valid"
        # ... a high-assurance one (lists at most 5 minutes old) fetches the list again.
        with pytest.raises(VerificationError) as revoked:
            _verify(again, trust, Policy(status_max_age=300), status, NOW + 600)
    assert revoked.value.code == "status_revoked"


def test_each_template_has_its_freshness_and_it_reaches_the_policy() -> None:
    templates = load_templates()
    assert templates["kyc-basic"].status_max_age == 24 * 3600
    assert templates["age-over-18"].status_max_age == 7 * 24 * 3600
    assert templates["kyc-basic"].to_json()["freshness"] == {
        "status_max_age_seconds": 86400,
        "bundle_max_age_seconds": 604800,
    }
    assert freshness_policy(Policy(), "kyc-basic").status_max_age == 86400
    assert freshness_policy(Policy(), "age-over-18").status_max_age == 604800
    assert freshness_policy(Policy(status_max_age=60), "age-over-18").status_max_age == 60
    assert freshness_policy(Policy(), None).status_max_age == 86400
    with pytest.raises(ValueError, match="status_max_age"):
        Policy(status_max_age=0)


AUTHORITY = PrivateKey.generate("ES256")


def _bundle(iat: int, key: PrivateKey = AUTHORITY) -> str:
    registry = TrustRegistry.from_json({"issuers": [FakeIssuer().trusted_entry(pin_keys=True)]})
    return create_trust_bundle(registry, key=key, iss="authority", iat=iat, exp=iat + 86400 * 7)


def _refresh(path: Path, served: str, now: int = NOW) -> RefreshOutcome:
    return refresh_bundle(
        url="https://trust.example/bundle.jwt",
        path=path,
        authority_key=AUTHORITY.public_key,
        fetch=lambda url: served.encode(),
        now=now,
    )


def test_refresh_installs_a_newer_bundle_and_never_an_older_or_foreign_one(tmp_path: Path) -> None:
    path = tmp_path / "bundle.jwt"
    outcome = _refresh(path, _bundle(NOW - 3600))
    assert outcome.replaced
    assert outcome.previous_as_of is None
    assert _refresh(path, _bundle(NOW - 60)).previous_as_of == NOW - 3600
    installed = path.read_text()
    for served, code in (
        (_bundle(NOW - 7200), "trust_bundle_not_newer"),  # a replayed older bundle
        (_bundle(NOW - 60), "trust_bundle_not_newer"),  # the same age
        (_bundle(NOW, key=PrivateKey.generate("ES256")), "trust_bundle_invalid"),  # other signer
        ("not a bundle", "trust_bundle_invalid"),
    ):
        with pytest.raises(TrustError) as refused:
            _refresh(path, served)
        assert refused.value.code == code
        assert path.read_text() == installed  # the installed bundle is kept
    assert verify_trust_bundle(installed, AUTHORITY.public_key, now=NOW).valid_as_of == NOW - 60


def test_refresh_replaces_an_expired_bundle_only_with_a_newer_one(tmp_path: Path) -> None:
    path = tmp_path / "bundle.jwt"
    path.write_text(_bundle(NOW - 10 * 86400))  # expired three days ago
    with pytest.raises(TrustError) as older:
        _refresh(path, _bundle(NOW - 11 * 86400), now=NOW - 4 * 86400 + 10)
    assert older.value.code == "trust_bundle_not_newer"
    assert _refresh(path, _bundle(NOW - 3600)).previous_as_of == NOW - 10 * 86400


def test_a_failed_fetch_says_so(tmp_path: Path) -> None:
    def down(url: str) -> bytes:
        raise CodedError("no route", code="fetch_failed")

    with pytest.raises(TrustError) as failed:
        refresh_bundle(
            url="https://trust.example/b", path=tmp_path / "b", authority_key=AUTHORITY.public_key,
            fetch=down, now=NOW,
        )  # fmt: skip
    assert failed.value.code == "trust_bundle_fetch_failed"
    assert failed.value.cause == "fetch_failed"
