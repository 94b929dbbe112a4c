"""verify_presentation: every check, every rejection with its stable code (RFC 9901 §7,
SD-JWT VC draft-25, Token Status List draft-21)."""

from __future__ import annotations

import hashlib
import hmac
import json
import zlib
from dataclasses import replace

import httpx
import pytest

from core.encoding import b64url_decode, b64url_encode
from credentials.jose import sign_jws
from credentials.sd_jwt import create_disclosure, create_key_binding_jwt, parse_sd_jwt
from credentials.status_check import StatusChecker
from credentials.status_list import STATUS_LIST_MEDIA_TYPE, create_status_list_token
from did.fetch import Fetcher
from did.keys import PrivateKey
from tests.support.fake_issuer import FakeIssuer
from tests.support.fake_wallet import FakeWallet
from tests.unit.verifier.conftest import AUD, NONCE, NOW
from verifier.errors import PresentationError, TrustError, VerificationError
from verifier.keys import IssuerKeys
from verifier.policy import Policy
from verifier.trust import TrustRegistry
from verifier.verify import VerificationResult, verify_presentation

DISCLOSE = ["/full_name", "/cid", "/birthdate"]


def _present(issuer: FakeIssuer, wallet: FakeWallet, **issue: object) -> str:
    credential, _ = issuer.issue(holder_key=wallet.public_key, **issue)  # type: ignore[arg-type]
    return wallet.present(credential, DISCLOSE, nonce=NONCE, aud=AUD, iat=NOW)


def _verify(presentation: str, trust, policy, keys, status, **kwargs) -> VerificationResult:  # type: ignore[no-untyped-def]
    options = {"nonce": NONCE, "aud": AUD, "now": NOW, **kwargs}
    return verify_presentation(
        presentation, policy=policy, trust=trust, keys=keys, status=status, **options
    )


def _rejects(
    code: str, presentation: str, trust, policy, keys, status, **kwargs
) -> VerificationError:  # type: ignore[no-untyped-def]
    with pytest.raises(VerificationError) as caught:
        _verify(presentation, trust, policy, keys, status, **kwargs)
    assert caught.value.code == code, caught.value
    assert caught.value.explanation  # always something to tell the person
    assert caught.value.checks
    assert caught.value.checks[-1][1] == "failed"
    return caught.value


def test_valid_presentation_reveals_only_disclosed_claims(
    issuer, wallet, trust, policy, keys, status
):
    result = _verify(
        _present(issuer, wallet), trust, policy, keys, status, required_claims=["full_name", "/cid"]
    )
    assert dict(result.claims) == {
        "full_name": "Karma Wangmo",
        "cid": "11512003456",
        "birthdate": "1994-03-12",
    }
    assert result.issuer == issuer.url
    assert result.issuer_name == "Department of Civil Registration"
    assert result.vct == issuer.vct("foundational-id")
    assert result.type_id == "foundational-id"
    assert result.status == "valid"
    assert result.status_checked_at == NOW
    assert result.key_mechanism == "metadata"
    assert result.holder_key_thumbprint == wallet.public_key.thumbprint()
    names = [check.name for check in result.checks]
    assert names == [
        "format",
        "credential_type",
        "issuer_trusted",
        "issuer_key",
        "typ",
        "issuer_signature",
        "disclosures",
        "validity",
        "key_binding",
        "required_claims",
        "status",
    ]
    assert all(check.outcome == "passed" for check in result.checks)
    with pytest.raises(TypeError):
        result.claims["cid"] = "x"  # type: ignore[index]
    assert json.loads(json.dumps(result.to_json()))["claims"]["cid"] == "11512003456"


def test_nested_claims_are_frozen_and_thawed(issuer, wallet, trust, policy, keys, status):
    credential, _ = issuer.issue(holder_key=wallet.public_key)
    presentation = wallet.present(credential, ["/place_of_birth"], nonce=NONCE, aud=AUD, iat=NOW)
    result = _verify(
        presentation, trust, policy, keys, status, required_claims=[("place_of_birth", "dzongkhag")]
    )
    assert result.to_json()["claims"] == {
        "place_of_birth": {"dzongkhag": "Paro", "gewog": "Lungnyi", "village": "Bondey"}
    }


def test_tampered_disclosure(issuer, wallet, trust, policy, keys, status):
    parts = _present(issuer, wallet).split("~")
    salt, name, _ = json.loads(b64url_decode(parts[1]))
    parts[1] = b64url_encode(json.dumps([salt, name, "Someone Else"]).encode())
    _rejects("disclosure_unreferenced", "~".join(parts), trust, policy, keys, status)


def test_tampered_issuer_payload(issuer, wallet, trust, policy, keys, status):
    presentation = _present(issuer, wallet)
    header, payload, signature = presentation.split("~")[0].split(".")
    claims = json.loads(b64url_decode(payload))
    claims["exp"] = NOW + 10**8
    forged = ".".join([header, b64url_encode(json.dumps(claims).encode()), signature])
    error = _rejects(
        "invalid_signature",
        forged + presentation[presentation.index("~") :],
        trust,
        policy,
        keys,
        status,
    )
    assert error.checks[-1][0] == "issuer_signature"


def test_duplicate_disclosure(issuer, wallet, trust, policy, keys, status):
    parts = _present(issuer, wallet).split("~")
    parts.insert(2, parts[1])
    _rejects("duplicate_disclosure", "~".join(parts), trust, policy, keys, status)


def test_unreferenced_disclosure(issuer, wallet, trust, policy, keys, status):
    stray = create_disclosure("full_name", "Someone Else").encoded
    credential, _ = issuer.issue(holder_key=wallet.public_key)
    tampered = credential.replace("~", f"~{stray}~", 1)
    presentation = wallet.present(tampered, [], nonce=NONCE, aud=AUD, iat=NOW) if False else None
    assert presentation is None
    # Re-sign the KB-JWT over the tampered string so only the stray disclosure is wrong.
    sd = parse_sd_jwt(tampered)
    kb = create_key_binding_jwt(sd, wallet.key, nonce=NONCE, aud=AUD, iat=NOW, hash_alg="sha-256")
    _rejects("disclosure_unreferenced", tampered + kb, trust, policy, keys, status)


def test_wrong_sd_hash(issuer, wallet, trust, policy, keys, status):
    presentation = _present(issuer, wallet)
    without_kb = presentation[: presentation.rindex("~") + 1]
    other = parse_sd_jwt(without_kb.split("~")[0] + "~")  # KB over a different disclosure set
    kb = create_key_binding_jwt(
        other, wallet.key, nonce=NONCE, aud=AUD, iat=NOW, hash_alg="sha-256"
    )
    _rejects("sd_hash_mismatch", without_kb + kb, trust, policy, keys, status)


def test_wrong_nonce(issuer, wallet, trust, policy, keys, status):
    _rejects(
        "nonce_mismatch",
        _present(issuer, wallet),
        trust,
        policy,
        keys,
        status,
        nonce="another-request",
    )


def test_wrong_aud(issuer, wallet, trust, policy, keys, status):
    _rejects(
        "aud_mismatch",
        _present(issuer, wallet),
        trust,
        policy,
        keys,
        status,
        aud="decentralized_identifier:did:web:other-bank.example.bt",
    )


def test_kb_signed_by_another_key(issuer, wallet, trust, policy, keys, status):
    credential, _ = issuer.issue(holder_key=wallet.public_key)
    thief = PrivateKey.generate("ES256")
    presentation = wallet.present(credential, DISCLOSE, nonce=NONCE, aud=AUD, iat=NOW, key=thief)
    _rejects("kb_invalid_signature", presentation, trust, policy, keys, status)


def test_kb_too_old(issuer, wallet, trust, policy, keys, status):
    credential, _ = issuer.issue(holder_key=wallet.public_key)
    old = wallet.present(credential, DISCLOSE, nonce=NONCE, aud=AUD, iat=NOW - 3600)
    _rejects("kb_iat_invalid", old, trust, policy, keys, status)


def test_missing_kb_jwt(issuer, wallet, trust, policy, keys, status):
    presentation = _present(issuer, wallet)
    stripped = presentation[: presentation.rindex("~") + 1]
    _rejects("key_binding_required", stripped, trust, policy, keys, status)


def test_key_binding_optional_by_policy(issuer, wallet, trust, keys, status):
    presentation = _present(issuer, wallet)
    stripped = presentation[: presentation.rindex("~") + 1]
    result = _verify(stripped, trust, Policy(require_key_binding=False), keys, status)
    assert ("key_binding", "skipped") in [(c.name, c.outcome) for c in result.checks]


def test_expired(issuer, wallet, trust, policy, keys, status):
    presentation = _present(issuer, wallet, iat=NOW - 7200, exp=NOW - 3600)
    _rejects("expired", presentation, trust, policy, keys, status)


def test_expiry_leeway_is_bounded(issuer, wallet, trust, keys, status):
    presentation = _present(issuer, wallet, iat=NOW - 7200, exp=NOW - 30)
    assert _verify(presentation, trust, Policy(leeway=60), keys, status).status == "valid"
    with pytest.raises(ValueError, match="leeway"):
        Policy(leeway=3600)


def test_not_yet_valid(issuer, wallet, trust, policy, keys, status):
    presentation = _present(issuer, wallet, nbf=NOW + 3600)
    _rejects("not_yet_valid", presentation, trust, policy, keys, status)


def test_revoked(issuer, wallet, trust, policy, keys, status):
    credential, idx = issuer.issue(holder_key=wallet.public_key)
    assert idx is not None
    issuer.revoke(idx)
    presentation = wallet.present(credential, DISCLOSE, nonce=NONCE, aud=AUD, iat=NOW)
    error = _rejects("status_revoked", presentation, trust, policy, keys, status)
    assert error.explanation == "This credential has been revoked by its issuer."


def test_suspended(issuer, wallet, trust, policy, keys, status):
    credential, idx = issuer.issue(holder_key=wallet.public_key)
    assert idx is not None
    issuer.suspend(idx)
    presentation = wallet.present(credential, DISCLOSE, nonce=NONCE, aud=AUD, iat=NOW)
    _rejects("status_suspended", presentation, trust, policy, keys, status)


def test_untrusted_issuer(wallet, trust, policy, keys, status):
    stranger = FakeIssuer("https://fake-registry.example.com")
    presentation = _present(stranger, wallet)
    error = _rejects("untrusted_issuer", presentation, trust, policy, keys, status)
    assert isinstance(error, TrustError)
    assert stranger.requests == []  # nothing fetched for an untrusted issuer


def test_issuer_key_impersonation(issuer, wallet, trust, policy, keys, status):
    # Claims to be the trusted issuer but is signed with another key.
    presentation = _present(issuer, wallet, key=PrivateKey.generate("ES256"))
    _rejects("invalid_signature", presentation, trust, policy, keys, status)


def test_wrong_vct_for_issuer(issuer, wallet, policy, keys, status):
    trust = TrustRegistry.from_json(
        {"issuers": [issuer.trusted_entry(types=["permanent-address"])]}
    )
    _rejects("vct_not_trusted", _present(issuer, wallet), trust, policy, keys, status)


def test_vct_not_requested(issuer, wallet, trust, policy, keys, status):
    _rejects(
        "vct_mismatch",
        _present(issuer, wallet),
        trust,
        policy,
        keys,
        status,
        vct_values=[issuer.vct("permanent-address")],
    )


def test_vct_not_accepted_by_policy(issuer, wallet, trust, keys, status):
    policy = Policy(accepted_vcts=frozenset({issuer.vct("business-licence")}))
    _rejects("vct_not_accepted", _present(issuer, wallet), trust, policy, keys, status)


def _resign(presentation: str, header: dict[str, object], signature: bytes) -> str:
    jwt, rest = presentation.split("~", 1)
    _, payload, _ = jwt.split(".")
    encoded = b64url_encode(json.dumps(header).encode())
    return f"{encoded}.{payload}.{b64url_encode(signature)}~{rest}"


def test_alg_none(issuer, wallet, trust, policy, keys, status):
    forged = _resign(_present(issuer, wallet), {"alg": "none", "typ": "dc+sd-jwt"}, b"")
    _rejects("algorithm_not_allowed", forged, trust, policy, keys, status)


def test_hmac_with_the_public_key(issuer, wallet, trust, policy, keys, status):
    presentation = _present(issuer, wallet)
    header = {"alg": "HS256", "typ": "dc+sd-jwt", "kid": issuer.kid}
    jwt = presentation.split("~")[0]
    signing_input = (b64url_encode(json.dumps(header).encode()) + "." + jwt.split(".")[1]).encode()
    secret = json.dumps(issuer.jwk()).encode()
    mac = hmac.new(secret, signing_input, hashlib.sha256).digest()
    _rejects(
        "algorithm_not_allowed", _resign(presentation, header, mac), trust, policy, keys, status
    )


def test_wrong_typ_and_legacy_typ(issuer, wallet, trust, keys, status):
    credential, _ = issuer.issue(holder_key=wallet.public_key)
    jwt, rest = credential.split("~", 1)
    _, payload, _ = jwt.split(".")
    claims = json.loads(b64url_decode(payload))
    legacy = sign_jws(claims, issuer.key, typ="vc+sd-jwt", kid=issuer.kid) + "~" + rest
    presentation = wallet.present(legacy, DISCLOSE, nonce=NONCE, aud=AUD, iat=NOW)
    _rejects("invalid_typ", presentation, trust, Policy(), keys, status)
    result = _verify(presentation, trust, Policy(allow_legacy_typ=True), keys, status)
    assert result.status == "valid"


def test_oversized_input(issuer, wallet, trust, keys, status):
    presentation = _present(issuer, wallet)
    policy = Policy(max_presentation_bytes=len(presentation) - 1)
    _rejects("too_large", presentation, trust, policy, keys, status)
    _rejects("too_large", "a" * 600_000, trust, Policy(), keys, status)


@pytest.mark.parametrize(
    "garbage", ["", "~", "not-a-jwt~", "a.b.c~", "x" * 100, "a.b~", "eyJhbGciOiJFUzI1NiJ9.e30.~"]
)
def test_garbage_is_malformed_not_a_crash(garbage, trust, policy, keys, status):
    with pytest.raises(PresentationError) as caught:
        _verify(garbage, trust, policy, keys, status)
    assert caught.value.checks[-1][0] in ("format", "issuer_jwt", "credential_type")


def test_zlib_bomb_in_status_list(issuer, wallet, trust, policy, keys):
    credential, _ = issuer.issue(holder_key=wallet.public_key)
    bomb = {"bits": 1, "lst": b64url_encode(zlib.compress(b"\0" * (64 * 1024 * 1024), 9))}
    token = sign_jws(
        {"sub": issuer.status_uri, "iat": NOW, "exp": NOW + 3600, "status_list": bomb},
        issuer.key,
        typ="statuslist+jwt",
        kid=issuer.kid,
    )
    issuer.status_override = lambda: httpx.Response(
        200, headers={"Content-Type": "application/statuslist+jwt"}, content=token.encode()
    )
    with Fetcher(FetchPolicyBig(), transport=issuer.transport()) as fetcher:
        status = StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE))
        presentation = wallet.present(credential, DISCLOSE, nonce=NONCE, aud=AUD, iat=NOW)
        error = _rejects("status_unavailable", presentation, trust, policy, keys, status)
    assert error.cause == "status_list_too_large"


def FetchPolicyBig():  # type: ignore[no-untyped-def]
    from did.fetch import FetchPolicy

    return FetchPolicy(max_bytes=4 * 1024 * 1024)


def test_status_list_signed_by_someone_else(issuer, wallet, trust, policy, keys):
    credential, _ = issuer.issue(holder_key=wallet.public_key)
    forged = create_status_list_token(
        issuer.status_list,
        uri=issuer.status_uri,
        key=PrivateKey.generate("ES256"),
        iat=NOW,
        exp=NOW + 3600,
        ttl=300,
        kid=issuer.kid,
    )
    issuer.status_override = lambda: httpx.Response(200, content=forged.encode())
    with Fetcher(transport=issuer.transport()) as fetcher:
        presentation = wallet.present(credential, DISCLOSE, nonce=NONCE, aud=AUD, iat=NOW)
        error = _rejects(
            "status_unavailable",
            presentation,
            trust,
            policy,
            keys,
            StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE)),
        )
    assert error.cause == "invalid_signature"


def test_unreachable_status_list_policy_decides(issuer, wallet, trust, keys):
    issuer.status_override = lambda: httpx.Response(503)
    with Fetcher(transport=issuer.transport()) as fetcher:
        status = StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE))
        presentation = _present(issuer, wallet)
        error = _rejects("status_unavailable", presentation, trust, Policy(), keys, status)
        assert error.cause == "fetch_http_status"
        result = _verify(presentation, trust, Policy(status_policy="accept_unknown"), keys, status)
    assert result.status == "unknown"
    assert result.status_checked_at is None
    assert result.checks[-1].outcome == "unknown"
    assert f"status unknown as of {NOW}" in result.checks[-1].detail


def test_status_cache_honours_ttl(issuer, wallet, trust, policy, keys, status):
    presentation = _present(issuer, wallet)
    path = "/status/1"
    _verify(presentation, trust, policy, keys, status)
    _verify(presentation, trust, policy, keys, status, now=NOW + 200)
    assert issuer.requests.count(path) == 1
    result = _verify(presentation, trust, policy, keys, status, now=NOW + 301)
    assert issuer.requests.count(path) == 2
    assert result.checks[-1].detail.endswith("(network)")


def test_revocation_seen_after_ttl_and_stale_cache_fallback(
    issuer, wallet, trust, policy, keys, status
):
    credential, idx = issuer.issue(holder_key=wallet.public_key)
    assert idx is not None
    presentation = wallet.present(credential, DISCLOSE, nonce=NONCE, aud=AUD, iat=NOW)
    _verify(presentation, trust, policy, keys, status)
    issuer.status_override = lambda: httpx.Response(503)
    later = NOW + 400  # ttl passed, refresh fails, the cached list has not expired
    fresh = wallet.present(credential, DISCLOSE, nonce=NONCE, aud=AUD, iat=later)
    result = _verify(fresh, trust, policy, keys, status, now=later)
    assert result.status == "valid"
    assert result.status_checked_at == NOW
    assert "stale-cache" in result.checks[-1].detail
    issuer.status_override = None
    issuer.revoke(idx)
    _rejects("status_revoked", fresh, trust, policy, keys, status, now=later)


def test_credential_without_status(issuer, wallet, trust, keys, status):
    presentation = _present(issuer, wallet, with_status=False)
    assert _verify(presentation, trust, Policy(), keys, status).status == "none"
    _rejects("status_missing", presentation, trust, Policy(require_status=True), keys, status)


def test_status_index_out_of_range(issuer, wallet, trust, policy, keys, status):
    issuer.next_idx = 10_000
    _rejects("status_index_out_of_range", _present(issuer, wallet), trust, policy, keys, status)


def test_required_claim_missing(issuer, wallet, trust, policy, keys, status):
    _rejects(
        "missing_claim",
        _present(issuer, wallet),
        trust,
        policy,
        keys,
        status,
        required_claims=["age_over_18"],
    )


def test_metadata_mechanism_not_permitted(issuer, wallet, trust, keys, status):
    policy = Policy(key_mechanisms=frozenset({"pinned", "did"}))
    _rejects("key_mechanism_not_permitted", _present(issuer, wallet), trust, policy, keys, status)


def test_pinned_keys_work_offline(issuer, wallet, policy):
    trust = TrustRegistry.from_json({"issuers": [issuer.trusted_entry(pin_keys=True)]})
    presentation = _present(issuer, wallet, with_status=False)
    result = verify_presentation(
        presentation, policy=policy, trust=trust, nonce=NONCE, aud=AUD, now=NOW
    )
    assert result.key_mechanism == "pinned"
    assert issuer.requests == []


def test_pinned_keys_are_authoritative(issuer, wallet, policy, keys, status):
    other = FakeIssuer(issuer.url)  # same URL, another key: the web server was taken over
    trust = TrustRegistry.from_json({"issuers": [other.trusted_entry(pin_keys=True)]})
    _rejects("issuer_key_unresolved", _present(issuer, wallet), trust, policy, keys, status)


def test_offline_without_pinned_keys_says_so(issuer, wallet, trust, policy):
    with pytest.raises(VerificationError) as caught:
        verify_presentation(
            _present(issuer, wallet), policy=policy, trust=trust, nonce=NONCE, aud=AUD, now=NOW
        )
    assert caught.value.code == "issuer_metadata_unavailable"


def test_did_web_pointing_at_a_private_address(wallet, policy):
    issuer = FakeIssuer("https://intranet.example.bt", use_did=True)
    trust = TrustRegistry.from_json({"issuers": [issuer.trusted_entry()]})
    presentation = _present(issuer, wallet)
    with Fetcher(
        transport=issuer.transport(), resolve_host=lambda host, port: ["10.0.0.7"]
    ) as fetcher:
        error = _rejects(
            "issuer_key_unresolved",
            presentation,
            trust,
            policy,
            IssuerKeys(fetcher=fetcher),
            StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE)),
        )
    assert error.cause == "fetch_blocked_address"
    assert issuer.requests == []


def test_did_web_issuer(wallet, policy):
    issuer = FakeIssuer("https://registry.example.bt", use_did=True)
    trust = TrustRegistry.from_json({"issuers": [issuer.trusted_entry()]})
    with Fetcher(transport=issuer.transport()) as fetcher:
        result = _verify(
            _present(issuer, wallet),
            trust,
            policy,
            IssuerKeys(fetcher=fetcher),
            StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE)),
        )
    assert result.issuer == issuer.did
    assert result.key_mechanism == "did"


def test_eddsa_issuer_and_holder() -> None:
    issuer, wallet = FakeIssuer(alg="EdDSA"), FakeWallet(alg="EdDSA")
    trust = TrustRegistry.from_json({"issuers": [issuer.trusted_entry(pin_keys=True)]})
    result = verify_presentation(
        _present(issuer, wallet, with_status=False),
        policy=Policy(),
        trust=trust,
        nonce=NONCE,
        aud=AUD,
        now=NOW,
    )
    assert result.claims["full_name"] == "Karma Wangmo"


def test_algorithm_allow_list(issuer, wallet, trust, keys, status):
    policy = Policy(algorithms=frozenset({"EdDSA"}))
    _rejects("algorithm_not_allowed", _present(issuer, wallet), trust, policy, keys, status)


def test_trust_result_freshness(issuer, wallet, keys, status, policy):
    entry = {**issuer.trusted_entry(), "valid_as_of": NOW - 86400}
    trust = TrustRegistry.from_json({"issuers": [entry]})
    result = _verify(_present(issuer, wallet), trust, policy, keys, status)
    assert result.trust_valid_as_of == NOW - 86400
    assert replace(result, status="x").status == "x"  # frozen dataclass, copies only


def test_a_cached_list_is_never_read_for_another_issuer(issuer, status):
    """The cache is per (credential issuer, list): a list verified with one issuer's key is not
    reused for another issuer's credential that points at the same URI (it is fetched again
    and must verify with that issuer's key)."""
    from credentials.status_list import StatusReference
    from did.keys import PrivateKey

    reference = StatusReference(0, issuer.status_uri)
    first = status.check(
        reference, iss=issuer.iss, key_for=lambda _jws: issuer.public_key, now=NOW, leeway=60
    )
    assert first.status == "valid"
    stranger = PrivateKey.generate("ES256").public_key
    other = status.check(
        reference, iss="https://other.example", key_for=lambda _jws: stranger, now=NOW, leeway=60
    )
    assert other.status == "unknown"
    assert other.source == "none"
    again = status.check(
        reference, iss=issuer.iss, key_for=lambda _jws: issuer.public_key, now=NOW, leeway=60
    )
    assert (again.status, again.source) == ("valid", "cache")
