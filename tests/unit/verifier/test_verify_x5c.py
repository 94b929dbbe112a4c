"""The verifier and issuer certificates (HAIP 1.0 §6.1.1, SD-JWT VC "Inline X.509
Certificates"): the key comes from the x5c chain when the trust data lists certificate
authorities for the credential type; path validation at the presentation time; each refusal
with its own code, and no fallback to another mechanism."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from credentials.status_check import StatusChecker
from credentials.x509 import (
    CertificateName,
    LeafPurpose,
    Revocation,
    create_crl,
    create_intermediate_ca,
    encode_x5c,
)
from did.keys import PrivateKey
from drukid.devpki import DevelopmentPKI, pem
from tests.support.fake_issuer import NOW, FakeIssuer
from tests.support.fake_wallet import FakeWallet
from tests.unit.verifier.conftest import AUD, NONCE
from verifier.bundle import create_trust_bundle, verify_trust_bundle
from verifier.errors import VerificationError
from verifier.keys import IssuerKeys
from verifier.policy import Policy
from verifier.trust import TrustRegistry
from verifier.verify import VerificationResult, verify_presentation

START = dt.datetime.fromtimestamp(NOW, dt.UTC) - dt.timedelta(days=1)
DISCLOSE = ["/full_name"]


@pytest.fixture(scope="module")
def pki() -> DevelopmentPKI:
    return DevelopmentPKI.create(now=START, days=60)


def anchor_entry(pki: DevelopmentPKI, issuer: FakeIssuer, *types: str) -> dict[str, Any]:
    return {
        "name": "Druk Trust Root",
        "certificate": pem([pki.root]).decode(),
        "types": {t: issuer.vct(t) for t in (types or ("foundational-id",))},
    }


def certify(
    issuer: FakeIssuer, pki: DevelopmentPKI, **options: Any
) -> tuple[x509.Certificate, ...]:
    chain = pki.issue(
        LeafPurpose.ISSUER,
        issuer.key.public_key,
        name="Civil registry",
        organization="DCRC",
        san_uris=[options.pop("uri", issuer.url)],
        **options,
    )
    issuer.x5c = encode_x5c(chain)
    return chain


def present(issuer: FakeIssuer, wallet: FakeWallet) -> str:
    credential, _ = issuer.issue(holder_key=wallet.public_key)
    return wallet.present(credential, DISCLOSE, nonce=NONCE, aud=AUD, iat=NOW)


def check(
    presentation: str,
    trust: TrustRegistry,
    keys: IssuerKeys,
    status: Any,
    policy: Policy | None = None,
) -> VerificationResult:
    return verify_presentation(
        presentation,
        policy=policy or Policy(),
        trust=trust,
        nonce=NONCE,
        aud=AUD,
        now=NOW,
        keys=keys,
        status=status,
    )


def refused(code: str, *args: Any) -> VerificationError:
    with pytest.raises(VerificationError) as caught:
        check(*args)
    assert caught.value.code == code, caught.value
    assert caught.value.explanation != "The credential could not be accepted."
    assert caught.value.checks[-1][1] == "failed"
    return caught.value


def test_a_certificate_authority_vouches_for_an_unlisted_issuer(
    issuer: FakeIssuer, wallet: FakeWallet, pki: DevelopmentPKI, keys: IssuerKeys, status: Any
) -> None:
    certify(issuer, pki)
    trust = TrustRegistry.from_json({"issuers": [], "anchors": [anchor_entry(pki, issuer)]})
    result = check(present(issuer, wallet), trust, keys, status)
    assert result.key_mechanism == "x5c"
    assert result.issuer == issuer.url
    assert result.issuer_name == "DCRC — Civil registry (BT)"
    assert result.status == "valid"  # the status list token is checked through x5c as well
    names = [c.name for c in result.checks]
    assert names[:5] == [
        "format",
        "credential_type",
        "issuer_certificate",
        "issuer_trusted",
        "issuer_key",
    ]
    assert issuer.requests == ["/status/1"]  # no metadata lookup: the key is the certificate's
    assert trust.vcts_for_type("foundational-id") == (issuer.vct("foundational-id"),)


def test_a_listed_issuer_keeps_its_name_and_x5c_is_used(
    issuer: FakeIssuer, wallet: FakeWallet, pki: DevelopmentPKI, keys: IssuerKeys, status: Any
) -> None:
    certify(issuer, pki)
    trust = TrustRegistry.from_json(
        {"issuers": [issuer.trusted_entry()], "anchors": [anchor_entry(pki, issuer)]}
    )
    result = check(present(issuer, wallet), trust, keys, status)
    assert result.key_mechanism == "x5c"
    assert result.issuer_name == "Department of Civil Registration"


def test_without_anchors_the_listed_mechanism_is_used(
    issuer: FakeIssuer, wallet: FakeWallet, pki: DevelopmentPKI, keys: IssuerKeys, status: Any
) -> None:
    certify(issuer, pki)
    trust = TrustRegistry.from_json({"issuers": [issuer.trusted_entry()]})
    assert check(present(issuer, wallet), trust, keys, status).key_mechanism == "metadata"


def test_haip_only_policy_refuses_a_credential_without_x5c(
    issuer: FakeIssuer, wallet: FakeWallet, pki: DevelopmentPKI, keys: IssuerKeys, status: Any
) -> None:
    trust = TrustRegistry.from_json(
        {"issuers": [issuer.trusted_entry()], "anchors": [anchor_entry(pki, issuer)]}
    )
    policy = Policy(key_mechanisms=frozenset({"x5c"}))
    refused("key_mechanism_not_permitted", present(issuer, wallet), trust, keys, status, policy)


def _raw_leaf(issuer: FakeIssuer, *, ca: bool, signer: Any = None, issuer_name: Any = None) -> Any:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Self-made registry")])
    usage = x509.KeyUsage(True, False, False, False, False, ca, ca, False, False)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name or name)
        .public_key(issuer.key.public_key.key)  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(START)
        .not_valid_after(START + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(issuer.url)]),
            critical=False,
        )
        .sign(signer or issuer.key.key, hashes.SHA256())  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "case",
    [
        "unknown-root",
        "expired",
        "not-yet-valid",
        "wrong-san",
        "self-signed-leaf",
        "ca-leaf",
        "revoked",
        "malformed",
    ],
)
def test_each_certificate_refusal_has_its_own_code(
    issuer: FakeIssuer,
    wallet: FakeWallet,
    pki: DevelopmentPKI,
    keys: IssuerKeys,
    status: Any,
    case: str,
) -> None:
    crls: list[str] = []
    code = {
        "unknown-root": "x5c_chain_untrusted",
        "expired": "x5c_expired",
        "not-yet-valid": "x5c_not_yet_valid",
        "wrong-san": "x5c_san_mismatch",
        "self-signed-leaf": "x5c_self_signed_leaf",
        "ca-leaf": "x5c_leaf_is_ca",
        "revoked": "x5c_revoked",
        "malformed": "x5c_malformed",
    }[case]
    if case == "unknown-root":
        certify(issuer, DevelopmentPKI.create(now=START, days=60))
    elif case == "expired":
        certify(issuer, pki, not_before=START, days=0.5)
    elif case == "not-yet-valid":
        certify(issuer, pki, not_before=START + dt.timedelta(days=2))
    elif case == "wrong-san":
        certify(issuer, pki, uri="https://impostor.example.bt")
    elif case == "self-signed-leaf":
        issuer.x5c = encode_x5c([_raw_leaf(issuer, ca=False)])
    elif case == "ca-leaf":
        ca = create_intermediate_ca(
            issuer.key.public_key,
            CertificateName("Registry CA", "DCRC", "BT"),
            issuer_cert=pki.intermediate,
            issuer_key=pki.intermediate_key,
            not_before=START,
            not_after=START + dt.timedelta(days=30),
        )
        issuer.x5c = encode_x5c([ca, pki.intermediate])
    elif case == "revoked":
        leaf, _ = certify(issuer, pki)
        crl = create_crl(
            pki.intermediate,
            pki.intermediate_key,
            this_update=START,
            next_update=START + dt.timedelta(days=7),
            revoked=[Revocation(leaf.serial_number, START)],
        )
        crls.append(crl.public_bytes(Encoding.PEM).decode())
    else:
        issuer.x5c = ["not base64 DER!"]
    trust = TrustRegistry.from_json(
        {
            "issuers": [issuer.trusted_entry()],  # listed too: there is still no fallback
            "anchors": [anchor_entry(pki, issuer)],
            "crls": crls,
        }
    )
    error = refused(code, present(issuer, wallet), trust, keys, status)
    assert error.checks[-1][0] == "issuer_certificate"


def test_an_authority_vouches_only_for_its_types(
    issuer: FakeIssuer, wallet: FakeWallet, pki: DevelopmentPKI, keys: IssuerKeys, status: Any
) -> None:
    certify(issuer, pki)
    trust = TrustRegistry.from_json(
        {"issuers": [], "anchors": [anchor_entry(pki, issuer, "permanent-address")]}
    )
    refused("untrusted_issuer", present(issuer, wallet), trust, keys, status)


def test_a_leaf_is_no_anchor(issuer: FakeIssuer, pki: DevelopmentPKI) -> None:
    leaf, _ = certify(issuer, pki)
    with pytest.raises(VerificationError) as caught:
        TrustRegistry.from_json(
            {"anchors": [{"name": "x", "certificate": pem([leaf]).decode(), "types": {"a": "b"}}]}
        )
    assert caught.value.code == "trust_invalid"


def test_bundles_carry_anchors_and_crls_offline(
    issuer: FakeIssuer, wallet: FakeWallet, pki: DevelopmentPKI
) -> None:
    certify(issuer, pki)
    crl = create_crl(
        pki.intermediate,
        pki.intermediate_key,
        this_update=START,
        next_update=START + dt.timedelta(days=7),
    )
    registry = TrustRegistry(
        authorities=TrustRegistry.from_json({"anchors": [anchor_entry(pki, issuer)]}).authorities,
        crls=(crl,),
    )
    authority = PrivateKey.generate("ES256")
    token = create_trust_bundle(
        registry,
        key=authority,
        iss="Druk trust authority",
        iat=NOW - 60,
        exp=NOW + 86400,
        status_tokens={issuer.status_uri: issuer.status_token()},
    )
    loaded = verify_trust_bundle(token, authority.public_key, now=NOW)
    assert [a.name for a in loaded.authorities] == ["Druk Trust Root"]
    assert loaded.crls == (crl,)
    # No network at all: the key from the chain, the status from the bundle's signed token.
    result = check(present(issuer, wallet), loaded, IssuerKeys(), StatusChecker())
    assert result.key_mechanism == "x5c"
    assert result.status == "valid"
    assert issuer.requests == []
