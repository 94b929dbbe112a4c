"""Whatever arrives as x5c or as a CRL file, only X509Error escapes (never a ValueError, a
cryptography exception or a crash), and damaged certificates never validate."""

from __future__ import annotations

import base64
import contextlib

from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from credentials.errors import X509Error
from credentials.x509 import encode_x5c, parse_certificates, parse_crl, validate_x5c

from .conftest import NOW, make_pki

PKI = make_pki()
ISSUER_DER = PKI.issuer.public_bytes(Encoding.DER)
CA_B64 = encode_x5c([PKI.ca])[0]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
b64_garbage = st.binary(max_size=600).map(lambda b: base64.b64encode(b).decode())


def _only_x509_error(x5c: object) -> None:
    with contextlib.suppress(X509Error):
        validate_x5c(x5c, PKI.anchors, time=NOW)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_json_value_as_x5c(x5c: object) -> None:
    _only_x509_error(x5c)


@settings(max_examples=200)
@given(st.lists(st.one_of(b64_garbage, st.text(max_size=80)), min_size=1, max_size=12))
def test_lists_of_garbage_strings(x5c: list[str]) -> None:
    _only_x509_error(x5c)


@settings(max_examples=300)
@given(
    st.integers(min_value=0, max_value=len(ISSUER_DER) - 1), st.integers(min_value=1, max_value=255)
)
def test_damaged_leaf_never_validates(position: int, flip: int) -> None:
    damaged = bytearray(ISSUER_DER)
    damaged[position] ^= flip
    x5c = [base64.b64encode(bytes(damaged)).decode(), CA_B64]
    try:
        validate_x5c(x5c, PKI.anchors, time=NOW)
    except X509Error:
        return
    raise AssertionError(f"a certificate damaged at byte {position} validated")


@settings(max_examples=200)
@given(st.binary(max_size=2000))
def test_file_parsers_raise_only_x509_error(data: bytes) -> None:
    pem = (
        b"-----BEGIN CERTIFICATE-----\n" + base64.b64encode(data) + b"\n-----END CERTIFICATE-----\n"
    )
    for parse in (parse_crl, parse_certificates):
        for candidate in (data, pem):
            with contextlib.suppress(X509Error):
                parse(candidate)
