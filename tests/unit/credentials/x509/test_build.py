"""The certificate builder: profiles of roots, intermediates and the three kinds of leaf."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtensionOID

from credentials.errors import X509Error
from credentials.x509 import (
    CertificateName,
    LeafPurpose,
    create_crl,
    create_intermediate_ca,
    create_leaf,
    create_root_ca,
)
from did.keys import EDDSA, PrivateKey

from .conftest import DAY, ISSUER_ID, NOW, Pki


def _ext(
    cert: x509.Certificate, kind: type[x509.ExtensionType]
) -> x509.Extension[x509.ExtensionType]:
    return cert.extensions.get_extension_for_class(kind)


def test_root_profile(pki: Pki) -> None:
    root = pki.root
    assert root.subject == root.issuer
    root.verify_directly_issued_by(root)
    constraints = _ext(root, x509.BasicConstraints)
    assert constraints.critical
    assert (constraints.value.ca, constraints.value.path_length) == (True, 1)
    usage = _ext(root, x509.KeyUsage)
    assert usage.critical
    assert (usage.value.key_cert_sign, usage.value.crl_sign) == (True, True)
    assert not usage.value.digital_signature
    assert root.serial_number.bit_length() >= 64


def test_intermediate_profile(pki: Pki) -> None:
    pki.ca.verify_directly_issued_by(pki.root)
    assert _ext(pki.ca, x509.BasicConstraints).value.path_length == 0
    aki = _ext(pki.ca, x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == _ext(pki.root, x509.SubjectKeyIdentifier).value.digest


@pytest.mark.parametrize("name", ["issuer", "verifier", "wallet"])
def test_leaf_profile(pki: Pki, name: str) -> None:
    leaf: x509.Certificate = getattr(pki, name)
    leaf.verify_directly_issued_by(pki.ca)
    constraints = _ext(leaf, x509.BasicConstraints)
    assert constraints.critical
    assert not constraints.value.ca
    usage = _ext(leaf, x509.KeyUsage)
    assert usage.critical
    assert (usage.value.digital_signature, usage.value.key_cert_sign, usage.value.crl_sign) == (
        True,
        False,
        False,
    )
    oids = {e.oid for e in leaf.extensions}
    assert ExtensionOID.EXTENDED_KEY_USAGE not in oids
    assert ExtensionOID.AUTHORITY_KEY_IDENTIFIER in oids


def test_leaf_sans(pki: Pki) -> None:
    san = _ext(pki.issuer, x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [ISSUER_ID]
    assert san.get_values_for_type(x509.DNSName) == ["health.gov.bt"]
    with pytest.raises(x509.ExtensionNotFound):
        pki.wallet.extensions.get_extension_for_class(x509.SubjectAlternativeName)


def test_serials_are_random_and_can_be_given(pki: Pki) -> None:
    serials = {
        pki.root.serial_number,
        pki.ca.serial_number,
        pki.issuer.serial_number,
        pki.verifier.serial_number,
    }
    assert len(serials) == 4
    key = PrivateKey.generate()
    root = create_root_ca(
        key, CertificateName("R"), not_before=NOW, not_after=NOW + DAY, serial=0x1234_5678_9ABC_DEF0
    )
    assert root.serial_number == 0x1234_5678_9ABC_DEF0


def _leaf(pki: Pki, purpose: LeafPurpose, **names: list[str]) -> x509.Certificate:
    return create_leaf(
        purpose,
        PrivateKey.generate().public_key,
        CertificateName("Leaf"),
        issuer_cert=pki.ca,
        issuer_key=pki.ca_key,
        not_before=NOW,
        not_after=NOW + DAY,
        **names,  # type: ignore[arg-type]
    )


def _invalid(call: object, *args: object, **kwargs: object) -> str:
    with pytest.raises(X509Error) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.code == "x509_build_invalid"
    return caught.value.message


def test_issuer_leaf_needs_a_name(pki: Pki) -> None:
    _invalid(_leaf, pki, LeafPurpose.ISSUER)
    _leaf(pki, LeafPurpose.ISSUER, san_dns=["health.gov.bt"])


def test_verifier_leaf_needs_a_dns_name(pki: Pki) -> None:
    _invalid(_leaf, pki, LeafPurpose.VERIFIER, san_uris=["https://bob.bt"])


@pytest.mark.parametrize("uri", ["http://health.gov.bt", "health.gov.bt", "https://", "did:web:x"])
def test_san_uris_are_https(pki: Pki, uri: str) -> None:
    _invalid(_leaf, pki, LeafPurpose.ISSUER, san_uris=[uri])


@pytest.mark.parametrize(
    "name", ["", "bad name.bt", "a..bt", "*.gov.bt", "xn--é.bt", "a" * 64 + ".bt"]
)
def test_san_dns_names_are_host_names(pki: Pki, name: str) -> None:
    _invalid(_leaf, pki, LeafPurpose.VERIFIER, san_dns=[name])


def test_dns_names_are_stored_lowercase(pki: Pki) -> None:
    leaf = _leaf(pki, LeafPurpose.VERIFIER, san_dns=["Verify.BOB.bt"])
    assert _ext(leaf, x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == [
        "verify.bob.bt"
    ]


def test_eddsa_leaf_but_not_eddsa_ca(pki: Pki) -> None:
    assert pki.wallet_key.alg == EDDSA
    _invalid(
        create_intermediate_ca,
        PrivateKey.generate(EDDSA).public_key,
        CertificateName("Ed CA"),
        issuer_cert=pki.root,
        issuer_key=pki.root_key,
        not_before=NOW,
        not_after=NOW + DAY,
    )


def test_wrong_ca_key(pki: Pki) -> None:
    message = _invalid(
        create_leaf,
        LeafPurpose.WALLET_PROVIDER,
        PrivateKey.generate().public_key,
        CertificateName("L"),
        issuer_cert=pki.ca,
        issuer_key=pki.root_key,
        not_before=NOW,
        not_after=NOW + DAY,
    )
    assert "does not belong" in message


def test_leaf_cannot_issue(pki: Pki) -> None:
    _invalid(
        create_leaf,
        LeafPurpose.WALLET_PROVIDER,
        PrivateKey.generate().public_key,
        CertificateName("L"),
        issuer_cert=pki.issuer,
        issuer_key=pki.issuer_key,
        not_before=NOW,
        not_after=NOW + DAY,
    )


def test_validity_window(pki: Pki) -> None:
    key = PrivateKey.generate()
    _invalid(create_root_ca, key, CertificateName("R"), not_before=NOW, not_after=NOW)
    _invalid(
        create_root_ca,
        key,
        CertificateName("R"),
        not_before=NOW.replace(tzinfo=None),
        not_after=NOW + DAY,
    )
    message = _invalid(
        create_leaf,
        LeafPurpose.WALLET_PROVIDER,
        key.public_key,
        CertificateName("L"),
        issuer_cert=pki.ca,
        issuer_key=pki.ca_key,
        not_before=NOW,
        not_after=NOW + 5000 * DAY,
    )
    assert "outside the CA's own validity" in message


@pytest.mark.parametrize(
    "name",
    [
        CertificateName(""),
        CertificateName(None),
        CertificateName("X", country="Bhutan"),
        CertificateName("X", country="bt"),
        CertificateName("X" * 65),
        CertificateName("X", organization=" "),
    ],
)
def test_names_a_ca_must_not_write(name: CertificateName) -> None:
    _invalid(create_root_ca, PrivateKey.generate(), name, not_before=NOW, not_after=NOW + DAY)


def test_serial_rules() -> None:
    key = PrivateKey.generate()
    for serial in (0, -1, 2**160, True):
        _invalid(
            create_root_ca,
            key,
            CertificateName("R"),
            not_before=NOW,
            not_after=NOW + DAY,
            serial=serial,
        )


def test_crl_rules(pki: Pki) -> None:
    _invalid(create_crl, pki.ca, pki.ca_key, this_update=NOW, next_update=NOW - DAY)
    _invalid(create_crl, pki.ca, pki.ca_key, this_update=NOW, next_update=NOW + DAY, number=-1)
    _invalid(create_crl, pki.ca, pki.root_key, this_update=NOW, next_update=NOW + DAY)
    crl = create_crl(pki.ca, pki.ca_key, this_update=NOW, next_update=NOW + DAY)
    assert crl.is_signature_valid(pki.ca.public_key())  # type: ignore[arg-type]
    assert crl.next_update_utc == NOW + DAY


def test_name_words() -> None:
    assert (
        CertificateName("Health", "Ministry of Health", "BT").words
        == "Ministry of Health — Health (BT)"
    )
    assert CertificateName("Same", "Same").words == "Same"
    assert CertificateName().words == "(no name)"
    assert CertificateName(country="BT").words == "(no name) (BT)"
    assert CertificateName.from_x509(CertificateName("A", "B", "BT").to_x509()) == CertificateName(
        "A", "B", "BT"
    )
