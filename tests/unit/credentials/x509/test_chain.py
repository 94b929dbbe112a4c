"""validate_x5c: the paths that must pass, and one crafted certificate per refusal code."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from credentials.errors import CredentialError, X509Error
from credentials.x509 import (
    MAX_X5C_CERTIFICATES,
    CertificateName,
    LeafPurpose,
    TrustAnchor,
    ValidatedChain,
    create_leaf,
    create_root_ca,
    encode_x5c,
    validate_x5c,
    verify_vct_allowed,
    x509_hash,
)
from did.keys import EDDSA, ES256, PrivateKey

from .conftest import CA_USAGE, DAY, ISSUER_ID, NOW, Pki, craft, make_pki

PID = "https://id.gov.bt/credentials/pid"
HEALTH = "https://health.gov.bt/credentials/vaccination"


def _refused(code: str, *args: object, **kwargs: object) -> X509Error:
    with pytest.raises(X509Error) as caught:
        validate_x5c(*args, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == code, caught.value
    assert caught.value.message
    return caught.value


# --- chains that pass ----------------------------------------------------------------------


def test_root_intermediate_leaf(pki: Pki) -> None:
    chain = validate_x5c(encode_x5c([pki.issuer, pki.ca]), pki.anchors, time=NOW)
    assert isinstance(chain, ValidatedChain)
    assert chain.path == (pki.issuer, pki.ca, pki.root)
    assert chain.leaf == pki.issuer
    assert chain.public_key == pki.issuer_key.public_key
    assert chain.public_key.alg == ES256
    assert chain.subject == CertificateName("Health Credentials", "Ministry of Health", "BT")
    assert chain.subject.words == "Ministry of Health — Health Credentials (BT)"
    assert chain.san_uris == (ISSUER_ID,)
    assert chain.san_dns_names == ("health.gov.bt",)
    assert chain.anchor == pki.anchors[0]
    assert chain.allowed_vcts is None
    assert chain.warnings == ()
    assert chain.x509_hash == x509_hash(pki.issuer)


def test_root_leaf_without_intermediate(pki: Pki) -> None:
    key = PrivateKey.generate()
    leaf = create_leaf(
        LeafPurpose.VERIFIER,
        key.public_key,
        CertificateName("Direct Verifier"),
        san_dns=["direct.gov.bt"],
        issuer_cert=pki.root,
        issuer_key=pki.root_key,
        not_before=NOW - DAY,
        not_after=NOW + DAY,
    )
    chain = validate_x5c(encode_x5c([leaf]), pki.anchors, time=NOW)
    assert chain.path == (leaf, pki.root)


def test_intermediate_as_anchor_is_trusted_as_given(pki: Pki) -> None:
    chain = validate_x5c(encode_x5c([pki.issuer]), [TrustAnchor(pki.ca)], time=NOW)
    assert chain.path == (pki.issuer, pki.ca)
    assert chain.anchor.certificate == pki.ca


def test_parsed_certificates_and_unix_seconds_are_accepted(pki: Pki) -> None:
    chain = validate_x5c([pki.issuer, pki.ca], pki.anchors, time=int(NOW.timestamp()))
    assert chain.path[-1] == pki.root


def test_eddsa_leaf_under_es256_ca(pki: Pki) -> None:
    chain = validate_x5c(encode_x5c([pki.wallet, pki.ca]), pki.anchors, time=NOW)
    assert chain.public_key.alg == EDDSA
    assert chain.san_uris == chain.san_dns_names == ()


def test_anchor_sent_in_x5c_anyway_still_validates(pki: Pki) -> None:
    # HAIP says senders MUST NOT include it; a receiver loses nothing by tolerating it.
    chain = validate_x5c(encode_x5c([pki.issuer, pki.ca, pki.root]), pki.anchors, time=NOW)
    assert chain.path == (pki.issuer, pki.ca, pki.root)


def test_validity_edges_are_inclusive(pki: Pki) -> None:
    validate_x5c([pki.issuer, pki.ca], pki.anchors, time=pki.issuer.not_valid_before_utc)
    validate_x5c([pki.issuer, pki.ca], pki.anchors, time=pki.issuer.not_valid_after_utc)


# --- refusals ------------------------------------------------------------------------------


def test_unknown_root(pki: Pki) -> None:
    other = make_pki()
    error = _refused(
        "x5c_chain_untrusted", encode_x5c([pki.issuer, pki.ca]), other.anchors, time=NOW
    )
    assert "trusted authority" in error.message


def test_missing_intermediate(pki: Pki) -> None:
    _refused("x5c_chain_untrusted", encode_x5c([pki.issuer]), pki.anchors, time=NOW)


def test_forged_leaf_with_the_right_issuer_name(pki: Pki) -> None:
    impostor_ca = PrivateKey.generate()
    leaf = craft(issuer=pki.ca, issuer_key=impostor_ca)
    _refused("x5c_chain_untrusted", [leaf, pki.ca], pki.anchors, time=NOW)


def test_expired_leaf(pki: Pki) -> None:
    error = _refused(
        "x5c_expired",
        [pki.issuer, pki.ca],
        pki.anchors,
        time=pki.issuer.not_valid_after_utc + dt.timedelta(seconds=1),
    )
    assert "expired on" in error.message


def test_leaf_not_yet_valid(pki: Pki) -> None:
    error = _refused("x5c_not_yet_valid", [pki.issuer, pki.ca], pki.anchors, time=NOW - 31 * DAY)
    assert "not valid yet" in error.message


def test_expired_intermediate(pki: Pki) -> None:
    ca_key = PrivateKey.generate()
    old_ca = craft(
        subject="Old CA",
        key=ca_key,
        issuer=pki.root,
        issuer_key=pki.root_key,
        ca=True,
        key_usage=CA_USAGE,
        san=(),
        not_before=NOW - 100 * DAY,
        not_after=NOW - DAY,
    )
    leaf = craft(issuer=old_ca, issuer_key=ca_key, not_before=NOW - 50 * DAY)
    error = _refused("x5c_expired", [leaf, old_ca], pki.anchors, time=NOW)
    assert "Old CA" in error.message


def test_expired_anchor_is_named(pki: Pki) -> None:
    root_key = PrivateKey.generate()
    old_root = craft(
        subject="Old Root",
        key=root_key,
        ca=True,
        key_usage=CA_USAGE,
        san=(),
        not_before=NOW - 100 * DAY,
        not_after=NOW - DAY,
    )
    leaf = craft(issuer=old_root, issuer_key=root_key, not_before=NOW - 50 * DAY)
    error = _refused("x5c_expired", [leaf], [TrustAnchor(old_root)], time=NOW)
    assert "trusted authority" in error.message


def test_self_signed_leaf(pki: Pki) -> None:
    key = PrivateKey.generate()
    leaf = craft(subject="Self Made", key=key)
    _refused("x5c_self_signed_leaf", encode_x5c([leaf]), pki.anchors, time=NOW)


def test_a_root_sent_as_the_signing_certificate(pki: Pki) -> None:
    _refused("x5c_self_signed_leaf", [pki.root], make_pki().anchors, time=NOW)
    _refused("x5c_leaf_is_anchor", [pki.root], pki.anchors, time=NOW)


def test_leaf_that_is_itself_an_anchor(pki: Pki) -> None:
    anchors = [*pki.anchors, TrustAnchor(pki.issuer)]
    _refused("x5c_leaf_is_anchor", [pki.issuer, pki.ca], anchors, time=NOW)


def test_ca_true_leaf(pki: Pki) -> None:
    leaf = craft(ca=True, issuer=pki.ca, issuer_key=pki.ca_key)
    _refused("x5c_leaf_is_ca", [leaf, pki.ca], pki.anchors, time=NOW)


def test_intermediate_used_as_signing_certificate(pki: Pki) -> None:
    _refused("x5c_leaf_is_ca", [pki.ca], pki.anchors, time=NOW)


def test_leaf_without_digital_signature(pki: Pki) -> None:
    encipher = x509.KeyUsage(False, False, True, False, False, False, False, False, False)
    leaf = craft(key_usage=encipher, issuer=pki.ca, issuer_key=pki.ca_key)
    _refused("x5c_key_usage", [leaf, pki.ca], pki.anchors, time=NOW)


def test_leaf_without_key_usage(pki: Pki) -> None:
    leaf = craft(key_usage=None, issuer=pki.ca, issuer_key=pki.ca_key)
    _refused("x5c_key_usage", [leaf, pki.ca], pki.anchors, time=NOW)


def test_leaf_with_an_unsupported_key(pki: Pki) -> None:
    leaf = craft(
        raw_key=ec.generate_private_key(ec.SECP384R1()), issuer=pki.ca, issuer_key=pki.ca_key
    )
    _refused("x5c_key_unsupported", [leaf, pki.ca], pki.anchors, time=NOW)


def test_unknown_critical_extension_on_leaf(pki: Pki) -> None:
    unknown = x509.Extension(
        x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"),
        True,
        x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"),
    )
    leaf = craft(issuer=pki.ca, issuer_key=pki.ca_key, extra=[unknown])
    _refused("x5c_chain_untrusted", [leaf, pki.ca], pki.anchors, time=NOW)


def test_ca_path_length_is_enforced(pki: Pki) -> None:
    # pki.ca has path length 0: it may not issue another CA.
    sub_key = PrivateKey.generate()
    sub = craft(
        subject="Sub CA",
        key=sub_key,
        issuer=pki.ca,
        issuer_key=pki.ca_key,
        ca=True,
        key_usage=CA_USAGE,
        san=(),
    )
    leaf = craft(issuer=sub, issuer_key=sub_key)
    _refused("x5c_chain_untrusted", [leaf, sub, pki.ca], pki.anchors, time=NOW)


@pytest.mark.parametrize(
    "x5c",
    [
        None,
        "MIIB",
        [],
        [123],
        [{"cert": "x"}],
        ["not base64 at all!"],
        ["TUlJQg"],  # unpadded
        ["TUlJ-Qg_"],  # base64url alphabet
        ["TUlJQg==\n"],
        [base64.b64encode(b"garbage DER").decode()],
    ],
    ids=[
        "none",
        "string",
        "empty",
        "int",
        "object",
        "bad-base64",
        "unpadded",
        "base64url",
        "newline",
        "garbage-der",
    ],
)
def test_malformed_x5c(pki: Pki, x5c: object) -> None:
    _refused("x5c_malformed", x5c, pki.anchors, time=NOW)


def test_base64url_encoding_of_a_real_certificate_is_refused(pki: Pki) -> None:
    der = pki.issuer.public_bytes(Encoding.DER)
    url = base64.urlsafe_b64encode(der).decode()
    if url == base64.b64encode(der).decode():  # pragma: no cover - no '+' or '/' by chance
        url = url.rstrip("=")
    _refused("x5c_malformed", [url, *encode_x5c([pki.ca])], pki.anchors, time=NOW)


def test_too_many_certificates(pki: Pki) -> None:
    x5c = encode_x5c([pki.issuer] + [pki.ca] * MAX_X5C_CERTIFICATES)
    _refused("x5c_too_large", x5c, pki.anchors, time=NOW)


def test_too_large_entry(pki: Pki) -> None:
    _refused("x5c_too_large", ["A" * 40_000], pki.anchors, time=NOW)


def test_no_anchors(pki: Pki) -> None:
    _refused("x509_anchor_invalid", [pki.issuer, pki.ca], [], time=NOW)


def test_anchor_configured_twice_with_different_limits(pki: Pki) -> None:
    anchors = [TrustAnchor(pki.root), TrustAnchor(pki.root, vct_values=frozenset({PID}))]
    _refused("x509_anchor_invalid", [pki.issuer, pki.ca], anchors, time=NOW)


def test_anchor_must_be_a_certificate() -> None:
    with pytest.raises(X509Error) as caught:
        TrustAnchor(b"not a certificate")  # type: ignore[arg-type]
    assert caught.value.code == "x509_anchor_invalid"
    with pytest.raises(X509Error):
        TrustAnchor(make_pki().root, vct_values=PID)  # type: ignore[arg-type]


def test_naive_time_is_a_programming_error(pki: Pki) -> None:
    with pytest.raises(TypeError):
        validate_x5c([pki.issuer, pki.ca], pki.anchors, time=NOW.replace(tzinfo=None))


def test_x509_error_is_a_credential_error() -> None:
    assert issubclass(X509Error, CredentialError)


# --- credential types an anchor may vouch for ----------------------------------------------


def test_vct_limits_of_the_anchor(pki: Pki) -> None:
    anchors = [TrustAnchor(pki.root, vct_values=frozenset({PID}), label="Druk root (PID only)")]
    chain = validate_x5c([pki.issuer, pki.ca], anchors, time=NOW)
    assert chain.allowed_vcts == {PID}
    verify_vct_allowed(chain, PID)
    with pytest.raises(X509Error) as caught:
        verify_vct_allowed(chain, HEALTH)
    assert caught.value.code == "x5c_vct_not_allowed"
    assert "Druk root (PID only)" in caught.value.message
    with pytest.raises(X509Error):
        verify_vct_allowed(chain, None)  # type: ignore[arg-type]


def test_unlimited_anchor_allows_any_vct(pki: Pki) -> None:
    chain = validate_x5c([pki.issuer, pki.ca], pki.anchors, time=NOW)
    verify_vct_allowed(chain, HEALTH)


def test_narrowest_anchor_on_the_path_wins(pki: Pki) -> None:
    anchors = [TrustAnchor(pki.root), TrustAnchor(pki.ca, vct_values=frozenset({HEALTH}))]
    chain = validate_x5c([pki.issuer, pki.ca], anchors, time=NOW)
    assert chain.allowed_vcts == {HEALTH}
    with pytest.raises(X509Error):
        verify_vct_allowed(chain, PID)


def test_a_leaf_of_another_root_cannot_borrow_a_limited_anchor() -> None:
    first, second = make_pki(), make_pki()
    anchors = [TrustAnchor(first.root, vct_values=frozenset({PID})), TrustAnchor(second.root)]
    chain = validate_x5c([first.issuer, first.ca], anchors, time=NOW)
    assert chain.allowed_vcts == {PID}
    assert validate_x5c([second.issuer, second.ca], anchors, time=NOW).allowed_vcts is None


def test_builder_refuses_eddsa_ca_because_validation_could_not_use_it() -> None:
    with pytest.raises(X509Error) as caught:
        create_root_ca(
            PrivateKey.generate(EDDSA),
            CertificateName("Ed Root"),
            not_before=NOW,
            not_after=NOW + DAY,
        )
    assert caught.value.code == "x509_build_invalid"
