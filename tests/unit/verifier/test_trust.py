"""Trust registry (file), signed trust bundles, and file-based trust sources."""

from __future__ import annotations

import json
import os

import pytest

from credentials.jose import sign_jws
from credentials.status_check import StatusChecker
from did.keys import PrivateKey
from tests.support.fake_issuer import NOW, FakeIssuer
from tests.support.fake_wallet import FakeWallet
from tests.unit.verifier.conftest import AUD, NONCE
from verifier.bundle import TRUST_BUNDLE_TYP, create_trust_bundle, verify_trust_bundle
from verifier.errors import TrustError, VerificationError
from verifier.policy import Policy
from verifier.trust import TrustedIssuer, TrustRegistry, type_id_of
from verifier.trust_sources import TrustSources, load_authority_key
from verifier.verify import verify_presentation

AUTHORITY = PrivateKey.generate("ES256")


def _registry(issuer: FakeIssuer, **entry: object) -> TrustRegistry:
    return TrustRegistry.from_json({"issuers": [{**issuer.trusted_entry(pin_keys=True), **entry}]})


def test_file_round_trip(tmp_path, issuer):
    registry = _registry(issuer, valid_as_of=NOW)
    path = registry.save(tmp_path / "trust.json")
    loaded = TrustRegistry.load(path)
    assert loaded.to_json() == registry.to_json()
    assert loaded.valid_as_of == NOW
    assert loaded.issuer(issuer.url).name == "Department of Civil Registration"
    assert loaded.vcts_for_type("foundational-id") == (issuer.vct("foundational-id"),)
    assert type_id_of("https://x.example/types/business-licence/") == "business-licence"


@pytest.mark.parametrize(
    "bad",
    [
        {"issuers": "x"},
        {"version": 2, "issuers": []},
        {"issuers": [{"id": "ftp://x", "name": "x", "types": {}}]},
        {"issuers": [{"id": "https://a.example", "name": "a", "types": {"t": 5}}]},
        {"issuers": [{"id": "https://a.example", "types": {}, "keys": [{"kty": "oct", "k": "x"}]}]},
        {"issuers": [{"id": "https://a.example", "types": {}, "keys": [{"kty": "EC"}]}]},
        {"issuers": [{"id": "did:nope", "types": {}}]},
        {"issuers": [{"id": "https://a.example", "types": {}}, {"id": "https://a.example"}]},
    ],
)
def test_bad_trust_files(bad):
    with pytest.raises(TrustError) as caught:
        TrustRegistry.from_json(bad)
    assert caught.value.code == "trust_invalid"


def test_private_keys_never_enter_the_registry(issuer):
    jwk = issuer.key.to_jwk()
    with pytest.raises(TrustError, match="must be public"):
        TrustedIssuer.from_json({"id": issuer.url, "types": {}, "keys": [jwk]})


def test_missing_trust_file_is_an_error(tmp_path):
    with pytest.raises(TrustError) as caught:
        TrustRegistry.load(tmp_path / "absent.json")
    assert caught.value.code == "trust_file_unreadable"


def test_merge_prefers_earlier_sources(issuer):
    local = TrustRegistry(
        (TrustedIssuer(issuer.url, "Local name", (("x", "y"),), valid_as_of=NOW),),
        valid_as_of=NOW,
        source="database",
    )
    bundle = _registry(issuer)
    merged = TrustRegistry.merged([local, bundle])
    assert merged.issuer(issuer.url).name == "Local name"
    assert merged.source == "database+file"
    assert TrustRegistry.merged([]).issuers == ()


def _bundle(
    issuer: FakeIssuer, *, iat: int = NOW, exp: int = NOW + 7 * 86400, key: PrivateKey = AUTHORITY
) -> str:
    return create_trust_bundle(
        _registry(issuer),
        key=key,
        iss="Bhutan trust authority",
        iat=iat,
        exp=exp,
        status_tokens={issuer.status_uri: issuer.status_token(now=iat)},
    )


def test_bundle_works_with_no_network(issuer):
    registry = verify_trust_bundle(_bundle(issuer), AUTHORITY.public_key, now=NOW + 3600)
    assert registry.valid_as_of == NOW
    assert registry.source == "bundle"
    assert registry.issuer(issuer.url).valid_as_of == NOW
    wallet = FakeWallet()
    credential, _idx = issuer.issue(holder_key=wallet.public_key)
    presentation = wallet.present(credential, ["/cid"], nonce=NONCE, aud=AUD, iat=NOW + 3600)
    result = verify_presentation(
        presentation,
        policy=Policy(),
        trust=registry,
        nonce=NONCE,
        aud=AUD,
        now=NOW + 3600,
        status=StatusChecker(),
    )
    assert result.status == "valid"
    assert result.status_checked_at == NOW
    assert result.trust_valid_as_of == NOW
    assert result.checks[-1].detail.endswith("(bundle)")
    assert issuer.requests == []


def test_bundled_status_list_still_needs_the_issuers_signature(issuer):
    registry = verify_trust_bundle(_bundle(issuer), AUTHORITY.public_key, now=NOW)
    forged = FakeIssuer(issuer.url)
    forged.status_list = issuer.status_list
    tampered = TrustRegistry(
        registry.issuers, valid_as_of=NOW, status_tokens={issuer.status_uri: forged.status_token()}
    )
    wallet = FakeWallet()
    credential, _ = issuer.issue(holder_key=wallet.public_key)
    presentation = wallet.present(credential, ["/cid"], nonce=NONCE, aud=AUD, iat=NOW)
    result = verify_presentation(
        presentation,
        policy=Policy(status_policy="accept_unknown"),
        trust=tampered,
        nonce=NONCE,
        aud=AUD,
        now=NOW,
    )
    assert result.status == "unknown"


def test_bundle_revocation_offline(issuer):
    wallet = FakeWallet()
    credential, idx = issuer.issue(holder_key=wallet.public_key)
    issuer.revoke(idx)
    registry = verify_trust_bundle(_bundle(issuer), AUTHORITY.public_key, now=NOW)
    presentation = wallet.present(credential, ["/cid"], nonce=NONCE, aud=AUD, iat=NOW)
    with pytest.raises(VerificationError) as caught:
        verify_presentation(
            presentation, policy=Policy(), trust=registry, nonce=NONCE, aud=AUD, now=NOW
        )
    assert caught.value.code == "status_revoked"


@pytest.mark.parametrize(
    ("now", "code"),
    [
        (NOW + 8 * 86400, "trust_bundle_expired"),
        (NOW - 3600, "trust_bundle_not_yet_valid"),
    ],
)
def test_bundle_time_window(issuer, now, code):
    with pytest.raises(TrustError) as caught:
        verify_trust_bundle(_bundle(issuer), AUTHORITY.public_key, now=now)
    assert caught.value.code == code


def test_bundle_wrong_signer_and_tampering(issuer):
    impostor = PrivateKey.generate("ES256")
    with pytest.raises(TrustError) as caught:
        verify_trust_bundle(_bundle(issuer, key=impostor), AUTHORITY.public_key, now=NOW)
    assert (caught.value.code, caught.value.cause) == ("trust_bundle_invalid", "invalid_signature")
    header, payload, signature = _bundle(issuer).split(".")
    other = _bundle(FakeIssuer("https://evil.example.com")).split(".")[1]
    with pytest.raises(TrustError):
        verify_trust_bundle(".".join([header, other, signature]), AUTHORITY.public_key, now=NOW)
    del payload


@pytest.mark.parametrize(
    "payload",
    [
        {"iat": NOW, "exp": NOW + 60},
        {"iat": NOW, "issuers": []},
        {"iat": NOW, "exp": NOW + 60, "issuers": [{"id": "x"}]},
        {"iat": NOW, "exp": NOW + 60, "issuers": [], "status_lists": {"u": 5}},
        {"iat": NOW, "exp": NOW + 60, "issuers": ["x"]},
    ],
)
def test_malformed_bundles(payload):
    token = sign_jws(payload, AUTHORITY, typ=TRUST_BUNDLE_TYP)
    with pytest.raises(TrustError) as caught:
        verify_trust_bundle(token, AUTHORITY.public_key, now=NOW)
    assert caught.value.code == "trust_bundle_invalid"


def test_bundle_typ_is_checked(issuer):
    token = sign_jws({"iat": NOW, "exp": NOW + 60, "issuers": []}, AUTHORITY, typ="JWT")
    with pytest.raises(TrustError) as caught:
        verify_trust_bundle(token, AUTHORITY.public_key, now=NOW)
    assert caught.value.cause == "invalid_typ"


def test_bundle_lifetime_is_bounded(issuer):
    with pytest.raises(TrustError):
        _bundle(issuer, exp=NOW + 365 * 86400)


def test_trust_sources_reload_and_expiry(tmp_path, issuer):
    bundle_path = tmp_path / "bundle.jwt"
    bundle_path.write_text(_bundle(issuer, exp=NOW + 86400))
    key_path = tmp_path / "authority.jwk"
    key_path.write_text(json.dumps(AUTHORITY.public_key.to_jwk()))
    sources = TrustSources(bundle_file=bundle_path, authority_key=load_authority_key(str(key_path)))
    assert sources.registry(NOW).issuer(issuer.url) is not None
    assert sources.registry(NOW + 2 * 86400).issuers == ()  # expired since loading: left out
    newer = FakeIssuer("https://land.example.bt")
    bundle_path.write_text(_bundle(newer, iat=NOW + 10, exp=NOW + 86400))
    os.utime(bundle_path, ns=(10**18, 10**18))
    assert sources.registry(NOW + 20).issuer(newer.url) is not None


def test_authority_key_must_be_public(tmp_path):
    assert load_authority_key(json.dumps(AUTHORITY.public_key.to_jwk())) == AUTHORITY.public_key
    for bad in (json.dumps(AUTHORITY.to_jwk()), "{", str(tmp_path / "absent")):
        with pytest.raises(TrustError) as caught:
            load_authority_key(bad)
        assert caught.value.code == "trust_authority_key_invalid"
    with pytest.raises(TrustError):
        TrustSources(bundle_file=tmp_path / "b.jwt")


def test_trust_sources_return_the_same_snapshot_while_unchanged(tmp_path, issuer):
    path = _registry(issuer).save(tmp_path / "trust.json")
    sources = TrustSources(trust_file=path)
    first = sources.registry(NOW)
    assert sources.registry(NOW + 1) is first
    TrustRegistry().save(path)
    os.utime(path, ns=(10**18, 10**18))
    assert sources.registry(NOW + 2).issuers == ()
    empty = TrustSources()
    assert empty.registry(NOW) is empty.registry(NOW + 1)
