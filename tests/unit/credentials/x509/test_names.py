"""SD-JWT VC issuer names (SAN URI / dNSName vs iss) and OpenID4VP x509_* client ids."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from credentials.errors import X509Error
from credentials.x509 import (
    TrustAnchor,
    ValidatedChain,
    encode_x5c,
    validate_x5c,
    verify_client_id,
    verify_issuer_name,
    x509_hash,
    x509_hash_client_id,
    x509_san_dns_client_ids,
)

from .conftest import ISSUER_ID, NOW, Pki, craft


def _chain(pki: Pki, leaf: x509.Certificate) -> ValidatedChain:
    return validate_x5c(encode_x5c([leaf, pki.ca]), pki.anchors, time=NOW)


def _leaf(pki: Pki, *names: x509.GeneralName) -> ValidatedChain:
    return _chain(pki, craft(issuer=pki.ca, issuer_key=pki.ca_key, san=names))


def _mismatch(chain: ValidatedChain, iss: object) -> None:
    with pytest.raises(X509Error) as caught:
        verify_issuer_name(chain, iss)
    assert caught.value.code == "x5c_san_mismatch"


# --- SD-JWT VC iss -------------------------------------------------------------------------


def test_iss_equal_to_a_san_uri(pki: Pki) -> None:
    verify_issuer_name(_chain(pki, pki.issuer), ISSUER_ID)


def test_iss_host_equal_to_a_dns_san(pki: Pki) -> None:
    chain = _leaf(pki, x509.DNSName("health.gov.bt"))
    verify_issuer_name(chain, "https://health.gov.bt/any/path")
    verify_issuer_name(chain, "https://HEALTH.gov.bt:8443/issuer")


def test_uri_san_matches_exactly_only(pki: Pki) -> None:
    chain = _leaf(pki, x509.UniformResourceIdentifier("https://health.gov.bt/issuer"))
    verify_issuer_name(chain, "https://health.gov.bt/issuer")
    for near in (
        "https://health.gov.bt/issuer/",
        "https://health.gov.bt/Issuer",
        "https://health.gov.bt/issuer2",
        "https://health.gov.bt",
    ):
        _mismatch(chain, near)


def test_uri_san_does_not_vouch_for_its_host(pki: Pki) -> None:
    # A URI SAN binds that one identifier; only a dNSName SAN binds a host.
    chain = _leaf(pki, x509.UniformResourceIdentifier("https://health.gov.bt/issuer"))
    _mismatch(chain, "https://health.gov.bt/other")


def test_dns_san_of_another_host(pki: Pki) -> None:
    chain = _leaf(pki, x509.DNSName("health.gov.bt"))
    _mismatch(chain, "https://evil.example/issuer")
    _mismatch(chain, "https://health.gov.bt.evil.example/issuer")
    _mismatch(chain, "https://sub.health.gov.bt/issuer")


def test_wildcard_dns_san_never_matches(pki: Pki) -> None:
    chain = _leaf(pki, x509.DNSName("*.gov.bt"))
    _mismatch(chain, "https://health.gov.bt/issuer")


@pytest.mark.parametrize(
    "iss",
    [
        None,
        "",
        42,
        "http://health.gov.bt/issuer",
        "did:web:health.gov.bt",
        "https://user@health.gov.bt/issuer",
        "https://[::1",
        "health.gov.bt",
    ],
)
def test_iss_that_is_not_an_https_url(pki: Pki, iss: object) -> None:
    chain = _leaf(
        pki,
        x509.DNSName("health.gov.bt"),
        x509.UniformResourceIdentifier("http://health.gov.bt/issuer"),
    )
    _mismatch(chain, iss)


def test_leaf_without_any_san(pki: Pki) -> None:
    chain = _chain(pki, pki.wallet)
    with pytest.raises(X509Error) as caught:
        verify_issuer_name(chain, ISSUER_ID)
    assert "no names at all" in caught.value.message


def test_name_rules_need_a_validated_chain(pki: Pki) -> None:
    with pytest.raises(TypeError):
        verify_issuer_name(pki.issuer, ISSUER_ID)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        verify_client_id(pki.verifier, "x509_hash:abc")  # type: ignore[arg-type]


# --- OpenID4VP client ids ------------------------------------------------------------------


def test_x509_hash_is_base64url_sha256_of_the_der(pki: Pki) -> None:
    digest = hashlib.sha256(pki.verifier.public_bytes(Encoding.DER)).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert x509_hash(pki.verifier) == expected
    assert x509_hash_client_id(pki.verifier) == "x509_hash:" + expected


def test_client_ids_of_a_verifier_leaf(pki: Pki) -> None:
    chain = _chain(pki, pki.verifier)
    assert x509_san_dns_client_ids(pki.verifier) == ("x509_san_dns:verify.bob.bt",)
    verify_client_id(chain, "x509_san_dns:verify.bob.bt")
    verify_client_id(chain, "x509_san_dns:VERIFY.bob.bt")
    verify_client_id(chain, x509_hash_client_id(pki.verifier))


def test_x509_san_dns_mismatch(pki: Pki) -> None:
    chain = _chain(pki, pki.verifier)
    for client_id in ("x509_san_dns:other.bt", "x509_san_dns:", "x509_san_dns:bob.bt"):
        with pytest.raises(X509Error) as caught:
            verify_client_id(chain, client_id)
        assert caught.value.code == "x5c_san_mismatch"


def test_x509_san_dns_does_not_use_uri_sans(pki: Pki) -> None:
    chain = _chain(pki, pki.issuer)  # SAN URI https://health.gov.bt/issuer and DNS health.gov.bt
    verify_client_id(chain, "x509_san_dns:health.gov.bt")
    with pytest.raises(X509Error):
        verify_client_id(chain, "x509_san_dns:https://health.gov.bt/issuer")


def test_wildcards_are_not_client_ids(pki: Pki) -> None:
    leaf = craft(
        issuer=pki.ca, issuer_key=pki.ca_key, san=[x509.DNSName("*.bob.bt"), x509.DNSName("bob.bt")]
    )
    assert x509_san_dns_client_ids(leaf) == ("x509_san_dns:bob.bt",)
    with pytest.raises(X509Error):
        verify_client_id(_chain(pki, leaf), "x509_san_dns:verify.bob.bt")


def test_x509_hash_mismatch(pki: Pki) -> None:
    chain = _chain(pki, pki.verifier)
    for client_id in (
        x509_hash_client_id(pki.issuer),
        "x509_hash:",
        "x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk",
    ):
        with pytest.raises(X509Error) as caught:
            verify_client_id(chain, client_id)
        assert caught.value.code == "x509_hash_mismatch"


def test_x509_hash_of_the_intermediate_does_not_name_the_leaf(pki: Pki) -> None:
    chain = _chain(pki, pki.verifier)
    with pytest.raises(X509Error) as caught:
        verify_client_id(chain, x509_hash_client_id(pki.ca))
    assert caught.value.code == "x509_hash_mismatch"


@pytest.mark.parametrize(
    "client_id",
    [
        None,
        "redirect_uri:https://bob.bt/cb",
        "verify.bob.bt",
        "X509_HASH:abc",
        "decentralized_identifier:did:key:z",
    ],
)
def test_other_client_id_prefixes(pki: Pki, client_id: object) -> None:
    chain = validate_x5c([pki.verifier, pki.ca], [TrustAnchor(pki.root)], time=NOW)
    with pytest.raises(X509Error) as caught:
        verify_client_id(chain, client_id)
    assert caught.value.code == "x509_client_id_unsupported"
