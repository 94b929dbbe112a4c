"""CRLs given as files: revoked serials anywhere on the path, signatures, freshness, scope."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding

from credentials.errors import X509Error
from credentials.x509 import (
    CertificateName,
    Revocation,
    TrustAnchor,
    add_revocation,
    create_crl,
    create_intermediate_ca,
    parse_crl,
    validate_x5c,
)
from did.keys import PrivateKey

from .conftest import DAY, NOW, Pki, craft


def _crl(
    pki: Pki, *serials: int, by_root: bool = False, next_update: dt.datetime = NOW + 7 * DAY
) -> x509.CertificateRevocationList:
    cert, key = (pki.root, pki.root_key) if by_root else (pki.ca, pki.ca_key)
    return create_crl(
        cert,
        key,
        this_update=next_update - 7 * DAY,
        next_update=next_update,
        revoked=[Revocation(s, NOW - 2 * DAY, x509.ReasonFlags.key_compromise) for s in serials],
    )


def _validate(pki: Pki, crls: list[x509.CertificateRevocationList], **options: bool) -> object:
    return validate_x5c([pki.issuer, pki.ca], pki.anchors, time=NOW, crls=crls, **options)


def _refused(
    code: str, pki: Pki, crls: list[x509.CertificateRevocationList], **options: bool
) -> X509Error:
    with pytest.raises(X509Error) as caught:
        _validate(pki, crls, **options)
    assert caught.value.code == code, caught.value
    return caught.value


def test_clean_crls_pass(pki: Pki) -> None:
    _validate(pki, [_crl(pki, 12345), _crl(pki, by_root=True)], crl_required=True)


def test_revoked_leaf(pki: Pki) -> None:
    error = _refused("x5c_revoked", pki, [_crl(pki, 777, pki.issuer.serial_number)])
    assert "Health Credentials" in error.message
    assert "revoked" in error.message


def test_revoked_intermediate_by_the_root_crl(pki: Pki) -> None:
    _refused("x5c_revoked", pki, [_crl(pki), _crl(pki, pki.ca.serial_number, by_root=True)])


def test_revocation_counts_even_if_dated_after_the_validation_time(pki: Pki) -> None:
    crl = create_crl(
        pki.ca,
        pki.ca_key,
        this_update=NOW + DAY,
        next_update=NOW + 9 * DAY,
        revoked=[Revocation(pki.issuer.serial_number, NOW + DAY)],
    )
    _refused("x5c_revoked", pki, [crl])


def test_stale_crl_refuses_by_default(pki: Pki) -> None:
    error = _refused("x5c_crl_stale", pki, [_crl(pki, next_update=NOW - dt.timedelta(seconds=1))])
    assert "out of date" in error.message


def test_stale_crl_warns_when_accepted(pki: Pki) -> None:
    chain = _validate(pki, [_crl(pki, next_update=NOW - DAY)], accept_stale_crl=True)
    assert len(chain.warnings) == 1  # type: ignore[attr-defined]
    assert "out of date" in chain.warnings[0]  # type: ignore[attr-defined]


def test_stale_crl_still_revokes(pki: Pki) -> None:
    stale = _crl(pki, pki.issuer.serial_number, next_update=NOW - DAY)
    _refused("x5c_revoked", pki, [stale], accept_stale_crl=True)


def test_one_fresh_crl_is_enough(pki: Pki) -> None:
    chain = _validate(pki, [_crl(pki, next_update=NOW - DAY), _crl(pki)])
    assert chain.warnings == ()  # type: ignore[attr-defined]


def test_crl_not_signed_by_the_ca(pki: Pki) -> None:
    forged = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.ca.subject)
        .last_update(NOW - DAY)
        .next_update(NOW + DAY)
        .sign(PrivateKey.generate().key, hashes.SHA256())  # type: ignore[arg-type]
    )
    _refused("x5c_crl_invalid", pki, [forged])


def test_crl_of_another_key_of_a_same_named_ca_is_ignored(pki: Pki) -> None:
    # After a CA key rollover, the old key's CRL names the CA but carries the old key's AKI.
    old_key = PrivateKey.generate()
    old_ca = create_intermediate_ca(
        old_key.public_key,
        CertificateName("Credential Issuing CA 1", "Druk Digital Identity Agency", "BT"),
        issuer_cert=pki.root,
        issuer_key=pki.root_key,
        not_before=NOW - 300 * DAY,
        not_after=NOW + DAY,
    )
    old_crl = create_crl(
        old_ca,
        old_key,
        this_update=NOW - DAY,
        next_update=NOW + DAY,
        revoked=[Revocation(pki.issuer.serial_number, NOW)],
    )
    chain = _validate(pki, [old_crl])
    assert chain.warnings == ()  # type: ignore[attr-defined]


def test_crls_of_other_cas_do_not_apply(pki: Pki) -> None:
    other_key = PrivateKey.generate()
    other = craft(subject="Other CA", key=other_key, ca=True, san=())
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(other.subject)
        .last_update(NOW - DAY)
        .next_update(NOW - dt.timedelta(hours=1))  # stale, but not ours
        .add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(pki.issuer.serial_number)
            .revocation_date(NOW)
            .build()
        )
        .sign(other_key.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    _validate(pki, [crl])


def test_crl_required_but_missing(pki: Pki) -> None:
    error = _refused("x5c_crl_missing", pki, [_crl(pki)], crl_required=True)
    assert "Druk Trust Root" in error.message


def test_anchor_itself_is_not_revocation_checked(pki: Pki) -> None:
    chain = validate_x5c(
        [pki.issuer],
        [TrustAnchor(pki.ca)],
        time=NOW,
        crls=[_crl(pki), _crl(pki, pki.ca.serial_number, by_root=True)],
    )
    assert chain.path[-1] == pki.ca


def test_ca_without_crl_sign_may_not_sign_crls(pki: Pki) -> None:
    ca_key = PrivateKey.generate()
    no_crl_sign = x509.KeyUsage(False, False, False, False, False, True, False, False, False)
    ca = craft(
        subject="Strict CA",
        key=ca_key,
        issuer=pki.root,
        issuer_key=pki.root_key,
        ca=True,
        key_usage=no_crl_sign,
        san=(),
    )
    leaf = craft(issuer=ca, issuer_key=ca_key)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(NOW - DAY)
        .next_update(NOW + DAY)
        .sign(ca_key.key, hashes.SHA256())  # type: ignore[arg-type]
    )
    with pytest.raises(X509Error) as caught:
        validate_x5c([leaf, ca], pki.anchors, time=NOW, crls=[crl])
    assert caught.value.code == "x5c_crl_invalid"


def _crl_with(
    pki: Pki, extension: x509.ExtensionType, critical: bool
) -> x509.CertificateRevocationList:
    return (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.ca.subject)
        .last_update(NOW - DAY)
        .next_update(NOW + DAY)
        .add_extension(extension, critical=critical)
        .sign(pki.ca_key.key, hashes.SHA256())  # type: ignore[arg-type]
    )


def test_delta_crl_is_refused(pki: Pki) -> None:
    _refused("x5c_crl_invalid", pki, [_crl_with(pki, x509.DeltaCRLIndicator(1), True)])


def test_indirect_crl_is_refused(pki: Pki) -> None:
    idp = x509.IssuingDistributionPoint(None, None, False, False, None, True, False)
    _refused("x5c_crl_invalid", pki, [_crl_with(pki, idp, True)])


def test_ca_only_crl_does_not_cover_the_leaf(pki: Pki) -> None:
    ca_only = x509.IssuingDistributionPoint(None, None, False, True, None, False, False)
    _refused(
        "x5c_crl_missing",
        pki,
        [_crl_with(pki, ca_only, True), _crl(pki, by_root=True)],
        crl_required=True,
    )


def test_unknown_critical_crl_extension(pki: Pki) -> None:
    oid = x509.ObjectIdentifier("1.3.6.1.4.1.99999.7")
    _refused(
        "x5c_crl_invalid", pki, [_crl_with(pki, x509.UnrecognizedExtension(oid, b"\x05\x00"), True)]
    )


# --- files and updates ---------------------------------------------------------------------


def test_parse_crl_pem_and_der(pki: Pki) -> None:
    crl = _crl(pki, 5)
    assert parse_crl(crl.public_bytes(Encoding.PEM)) == crl
    assert parse_crl(crl.public_bytes(Encoding.DER)) == crl


@pytest.mark.parametrize(
    "data", [b"", b"garbage", b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n"]
)
def test_parse_crl_garbage(data: bytes) -> None:
    with pytest.raises(X509Error) as caught:
        parse_crl(data)
    assert caught.value.code == "x509_crl_malformed"


def test_add_revocation_keeps_entries_and_counts_up(pki: Pki) -> None:
    first = add_revocation(
        None, pki.ca, pki.ca_key, Revocation(11, NOW), this_update=NOW, next_update=NOW + DAY
    )
    second = add_revocation(
        first.public_bytes(Encoding.PEM),
        pki.ca,
        pki.ca_key,
        Revocation(22, NOW, x509.ReasonFlags.superseded),
        this_update=NOW + DAY,
        next_update=NOW + 2 * DAY,
    )
    again = add_revocation(
        second, pki.ca, pki.ca_key, Revocation(22, NOW), this_update=NOW, next_update=NOW + DAY
    )
    assert sorted(r.serial_number for r in again) == [11, 22]
    numbers = [
        c.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
        for c in (first, second, again)
    ]
    assert numbers == [1, 2, 3]
    entry = again.get_revoked_certificate_by_serial_number(22)
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        is x509.ReasonFlags.superseded
    )


def test_add_revocation_refuses_another_cas_list(pki: Pki) -> None:
    roots = _crl(pki, by_root=True)
    with pytest.raises(X509Error) as caught:
        add_revocation(
            roots, pki.ca, pki.ca_key, Revocation(1, NOW), this_update=NOW, next_update=NOW + DAY
        )
    assert caught.value.code == "x5c_crl_invalid"
