"""The wallet and X.509 (HAIP 1.0): x5c-signed credentials validated to its trust store, DID
issuers, x509_hash:/x509_san_dns: verifiers and who asks on the consent screen, the purpose
from a registration certificate, and the trust store itself (trust add-root)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from credentials.jose import sign_jws
from credentials.x509 import (
    LeafPurpose,
    encode_x5c,
    parse_x5c,
    sha256_fingerprint,
    x509_hash_client_id,
)
from did.fetch import Fetcher
from did.keys import PrivateKey
from did.methods.jwk import create_did_jwk
from drukid.devpki import DevelopmentPKI
from tests.support.fake_verifier import FakeVerifier, query
from tests.support.wallet_issuer import FakeIssuer
from tests.unit.wallet.conftest import FAST_KDF, NOW, PASSPHRASE
from wallet.errors import PresentError, ReceiveError, WalletError
from wallet.holder import Wallet
from wallet.settings import WalletSettings

START = dt.datetime.fromtimestamp(NOW, dt.UTC) - dt.timedelta(days=1)


@pytest.fixture(scope="module")
def pki() -> DevelopmentPKI:
    return DevelopmentPKI.create(now=START, days=60)


@pytest.fixture
def root_file(tmp_path: Path, pki: DevelopmentPKI) -> Path:
    return pki.write_root(tmp_path / "root.pem")


def open_wallet(tmp_path: Path, network: Callable[[], Fetcher], **settings: Any) -> Wallet:
    config = WalletSettings(mode="production", data_dir=tmp_path / "w", **settings)
    return Wallet.create(
        tmp_path / "w" / "wallet.db",
        PASSPHRASE,
        settings=config,
        kdf=FAST_KDF,
        network=network,
        clock=lambda: NOW,
    )


@pytest.fixture
def trusting(tmp_path: Path, network: Callable[[], Fetcher], root_file: Path) -> Iterator[Wallet]:
    with open_wallet(tmp_path, network, x509_anchor_files=(root_file,)) as wallet:
        yield wallet


def certify_issuer(issuer: FakeIssuer, pki: DevelopmentPKI, **options: Any) -> None:
    chain = pki.issue(
        LeafPurpose.ISSUER,
        options.pop("key", issuer.key.public_key),
        name="Civil registry",
        organization="Department of Civil Registration and Census",
        san_uris=[options.pop("uri", issuer.base_url)],
        **options,
    )
    issuer.x5c = encode_x5c(chain)
    issuer.faults.add("no_jwt_vc_issuer")  # as a Credo issuer: the key is only in x5c


# --- receiving: issuer keys from x5c --------------------------------------------------------


def test_an_x5c_credential_chained_to_a_trusted_root_is_received(
    trusting: Wallet, issuer: FakeIssuer, pki: DevelopmentPKI
) -> None:
    certify_issuer(issuer, pki)
    [view] = trusting.receive(issuer.offer("foundational-id"))
    assert view.type_id == "foundational-id"


def test_an_x5c_credential_needs_an_authority_the_wallet_trusts(
    tmp_path: Path,
    network: Callable[[], Fetcher],
    issuer: FakeIssuer,
    pki: DevelopmentPKI,
    root_file: Path,
) -> None:
    certify_issuer(issuer, pki)
    with open_wallet(tmp_path, network) as wallet:
        with pytest.raises(ReceiveError) as refused:
            wallet.receive(issuer.offer("foundational-id"))
        assert refused.value.code == "issuer_certificate_untrusted"
        assert "trust add-root" in refused.value.hint
        assert not wallet.credentials()  # nothing kept
        added = wallet.trust_root(root_file.read_bytes())
        assert added.source == "added"
        assert [root.source for root in wallet.trusted_roots()] == ["added"]
        [view] = wallet.receive(issuer.offer("foundational-id"))
        assert view.copies >= 1
        wallet.forget_root(added.fingerprint.lower())
        with pytest.raises(WalletError) as missing:
            wallet.forget_root(added.fingerprint)
        assert missing.value.code == "trust_root_not_found"


@pytest.mark.parametrize(
    ("options", "cause"),
    [
        ({"uri": "https://another-issuer.example"}, "x5c_san_mismatch"),
        ({"not_before": START, "days": 0.5}, "x5c_expired"),
        ({"key": PrivateKey.generate("ES256").public_key}, "invalid_signature"),
    ],
    ids=["wrong-san", "expired", "other-key"],
)
def test_a_bad_issuer_certificate_is_refused(
    trusting: Wallet,
    issuer: FakeIssuer,
    pki: DevelopmentPKI,
    options: dict[str, Any],
    cause: str,
) -> None:
    certify_issuer(issuer, pki, **options)
    with pytest.raises(ReceiveError) as refused:
        trusting.receive(issuer.offer("foundational-id"))
    expected = (
        "credential_invalid" if cause == "invalid_signature" else "issuer_certificate_invalid"
    )
    assert refused.value.code == expected
    assert cause in refused.value.message


def test_an_x5c_signed_by_an_unknown_root_is_refused(trusting: Wallet, issuer: FakeIssuer) -> None:
    certify_issuer(issuer, DevelopmentPKI.create(now=START, days=60))
    with pytest.raises(ReceiveError) as refused:
        trusting.receive(issuer.offer("foundational-id"))
    assert refused.value.code == "issuer_certificate_untrusted"
    assert "x5c_chain_untrusted" in refused.value.message


def test_a_self_certifying_did_issuer_is_accepted(wallet: Wallet, issuer: FakeIssuer) -> None:
    """OpenID4VCI 1.0 §12.3: the wallet MAY check the binding; a did:jwk is its own key."""
    issuer.iss = create_did_jwk(issuer.key.public_key)
    [view] = wallet.receive(issuer.offer("foundational-id"))
    assert wallet.catalog.credentials[view.id].iss == issuer.iss


def test_a_did_web_of_another_host_is_refused(wallet: Wallet, issuer: FakeIssuer) -> None:
    issuer.iss = "did:web:elsewhere.example"
    with pytest.raises(ReceiveError) as refused:
        wallet.receive(issuer.offer("foundational-id"))
    assert refused.value.code == "credential_invalid"
    assert "another issuer" in refused.value.message


# --- presenting: x509 verifiers -------------------------------------------------------------


@pytest.fixture
def pid(trusting: Wallet, issuer: FakeIssuer) -> str:
    [view] = trusting.receive(issuer.offer("foundational-id"))
    return view.id


def certify_verifier(
    verifier: FakeVerifier, pki: DevelopmentPKI, *, dns: str = "verifier.example", **options: Any
) -> str:
    key = PrivateKey.generate("ES256")
    chain = pki.issue(
        LeafPurpose.VERIFIER,
        key.public_key,
        name="KYC desk",
        organization="Bank of Bhutan",
        san_dns=[dns],
        **options,
    )
    verifier.certificate_key, verifier.x5c = key, encode_x5c(chain)
    return x509_hash_client_id(chain[0])


def pid_query(issuer: FakeIssuer) -> dict[str, Any]:
    return query(issuer.vct("foundational-id"), ["full_name"])


def test_a_certified_verifier_is_named_by_its_certificate(
    trusting: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pki: DevelopmentPKI, pid: str
) -> None:
    client_id = certify_verifier(verifier, pki)
    link, ident = verifier.create_request(pid_query(issuer), client_id=client_id)
    session = trusting.prepare_presentation(link)
    who = session.consent.verifier
    assert who.certified_as == "Bank of Bhutan"
    assert who.certified_by == (
        "drukid development PKI — drukid development root (not for real use) (BT)"
    )
    assert who.display_name == "Bank of Bhutan"
    assert who.name == "Bhutan National Bank"  # what it calls itself, kept for the details
    codes = {w.code for w in session.consent.warnings}
    assert "unknown_verifier" not in codes
    assert "unverified_certificate" not in codes
    assert session.consent.purpose == "Open a bank account"  # drukid's own extension
    assert session.request.purpose_source == "request"
    assert "checked: certificate vouched for by" in session.consent.who
    assert trusting.approve(session).outcome == "shared"
    assert verifier.sessions[ident].result is not None
    assert trusting.history()[-1].verifier_name == "Bank of Bhutan"


def test_an_x509_san_dns_verifier(
    trusting: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pki: DevelopmentPKI, pid: str
) -> None:
    certify_verifier(verifier, pki)
    link, _ = verifier.create_request(pid_query(issuer), client_id="x509_san_dns:verifier.example")
    assert trusting.prepare_presentation(link).consent.verifier.certified_as == "Bank of Bhutan"


def test_an_unvouched_certificate_is_a_plain_warning(
    tmp_path: Path,
    network: Callable[[], Fetcher],
    issuer: FakeIssuer,
    verifier: FakeVerifier,
) -> None:
    with open_wallet(tmp_path, network) as wallet:
        wallet.receive(issuer.offer("foundational-id"))
        client_id = certify_verifier(verifier, DevelopmentPKI.create(now=START, days=60))
        link, _ = verifier.create_request(pid_query(issuer), client_id=client_id)
        consent = wallet.prepare_presentation(link).consent
    assert consent.can_share
    assert consent.verifier.certificate_untrusted
    assert consent.verifier.certified_as is None
    assert consent.verifier.display_name == "Bhutan National Bank"
    codes = {w.code for w in consent.warnings}
    assert {"unverified_certificate", "unknown_verifier"} <= codes


@pytest.mark.parametrize(
    "case", ["hash-mismatch", "dns-mismatch", "answer-elsewhere", "expired", "bad-signature"]
)
def test_a_bad_verifier_certificate_is_refused(
    trusting: Wallet,
    issuer: FakeIssuer,
    verifier: FakeVerifier,
    pki: DevelopmentPKI,
    pid: str,
    case: str,
) -> None:
    options: dict[str, Any] = {}
    if case == "expired":
        options = {"not_before": START, "days": 0.5}
    client_id = certify_verifier(
        verifier,
        pki,
        dns="other.example" if case == "answer-elsewhere" else "verifier.example",
        **options,
    )
    if case == "hash-mismatch":
        client_id = "x509_hash:" + "A" * 43
    elif case == "dns-mismatch":
        client_id = "x509_san_dns:bank.example"
    elif case == "answer-elsewhere":
        client_id = "x509_san_dns:other.example"
    elif case == "bad-signature":
        verifier.faults.add("bad_signature")
    link, ident = verifier.create_request(pid_query(issuer), client_id=client_id)
    with pytest.raises(PresentError) as refused:
        trusting.prepare_presentation(link)
    expected = {
        "bad-signature": "request_signature_invalid",
    }.get(case, "verifier_certificate_invalid")
    assert refused.value.code == expected
    assert verifier.sessions[ident].result is None


# --- why they ask: a registration certificate in verifier_info -------------------------------


def registration(
    pki: DevelopmentPKI, subject: str, purpose: list[dict[str, str]], *, exp: int = NOW + 3600
) -> dict[str, Any]:
    key = PrivateKey.generate("ES256")
    chain = pki.issue(
        LeafPurpose.WALLET_PROVIDER, key.public_key, name="Registrar", organization="Registry"
    )
    token = sign_jws(
        {"sub": subject, "iat": NOW - 60, "exp": exp, "purpose": purpose},
        key,
        typ="rc-rp+jwt",
        headers={"x5c": encode_x5c(chain)},
    )
    return {"format": "jwt", "data": token}


def test_the_purpose_comes_from_a_registration_certificate(
    trusting: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pki: DevelopmentPKI, pid: str
) -> None:
    client_id = certify_verifier(verifier, pki)
    assert verifier.x5c is not None
    subject = parse_x5c(verifier.x5c)[0].subject.rfc4514_string()
    words = [
        {"lang": "dz", "name": "ཁྱོད་ཀྱི་མིང་།"},
        {"lang": "en", "name": "To open your savings account"},
    ]
    verifier.verifier_info = [{"format": "other", "data": {}}, registration(pki, subject, words)]
    link, _ = verifier.create_request(pid_query(issuer), client_id=client_id, purpose=None)
    session = trusting.prepare_presentation(link)
    assert session.consent.purpose == "To open your savings account"
    assert session.request.purpose_source == "registration"
    assert trusting.prepare_presentation(link, language="dz").consent.purpose == "ཁྱོད་ཀྱི་མིང་།"


@pytest.mark.parametrize("case", ["other-subject", "expired", "untrusted-registrar"])
def test_a_registration_certificate_that_does_not_bind_is_ignored(
    trusting: Wallet,
    issuer: FakeIssuer,
    verifier: FakeVerifier,
    pki: DevelopmentPKI,
    pid: str,
    case: str,
) -> None:
    client_id = certify_verifier(verifier, pki)
    assert verifier.x5c is not None
    subject = parse_x5c(verifier.x5c)[0].subject.rfc4514_string()
    words = [{"lang": "en", "name": "Something else entirely"}]
    if case == "other-subject":
        entry = registration(pki, "CN=Someone else,O=Elsewhere,C=BT", words)
    elif case == "expired":
        entry = registration(pki, subject, words, exp=NOW - 3600)
    else:
        entry = registration(DevelopmentPKI.create(now=START, days=60), subject, words)
    verifier.verifier_info = [entry]
    link, _ = verifier.create_request(pid_query(issuer), client_id=client_id)
    consent = trusting.prepare_presentation(link).consent
    assert consent.purpose == "Open a bank account"


# --- the trust store ------------------------------------------------------------------------


def test_only_a_certificate_authority_can_be_trusted(
    trusting: Wallet, pki: DevelopmentPKI, root_file: Path
) -> None:
    leaf, _ = pki.issue(
        LeafPurpose.ISSUER,
        PrivateKey.generate("ES256").public_key,
        name="x",
        organization="y",
        san_dns=["x.example"],
    )
    for data in (leaf.public_bytes(Encoding.PEM), b"not a certificate"):
        with pytest.raises(WalletError) as refused:
            trusting.trust_root(data)
        assert refused.value.code == "trust_root_invalid"
    intermediate = trusting.trust_root(pki.intermediate.public_bytes(Encoding.DER), label="CA 1")
    assert intermediate.label == "CA 1"
    listed = {root.fingerprint: root.source for root in trusting.trusted_roots()}
    assert listed == {
        sha256_fingerprint(pki.root): "configured",
        sha256_fingerprint(pki.intermediate): "added",
    }
    assert root_file.exists()
