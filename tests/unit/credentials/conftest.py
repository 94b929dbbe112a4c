"""Shared fixtures for the JOSE / SD-JWT / SD-JWT VC tests: keys, a fixed clock, and builders
for hand-made tokens (the only way to test what our own signer refuses to produce)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from core.encoding import b64url_encode
from credentials.sd_jwt.disclosure import digest_of
from did.keys import EDDSA, ES256, PrivateKey

VECTORS = Path(__file__).parents[2] / "vectors"
NOW = 1_800_000_000

RawJWS = Callable[..., str]
RawSDJWT = Callable[..., str]


@pytest.fixture(scope="session")
def vectors_dir() -> Path:
    return VECTORS


@pytest.fixture(scope="session")
def now() -> int:
    return NOW


@pytest.fixture(scope="session")
def issuer_key() -> PrivateKey:
    return PrivateKey.generate(ES256)


@pytest.fixture(scope="session")
def holder_key() -> PrivateKey:
    return PrivateKey.generate(ES256)


@pytest.fixture(scope="session")
def other_key() -> PrivateKey:
    return PrivateKey.generate(ES256)


@pytest.fixture(scope="session")
def ed_key() -> PrivateKey:
    return PrivateKey.generate(EDDSA)


def _segment(part: str | bytes | dict[str, Any]) -> str:
    if isinstance(part, dict):
        part = json.dumps(part, separators=(",", ":"))
    if isinstance(part, str):
        part = part.encode("utf-8")
    return b64url_encode(part)


@pytest.fixture(scope="session")
def raw_jws() -> RawJWS:
    """``raw_jws(header, payload, key)``: a compact JWS over the exact header/payload text given
    (str/bytes kept byte for byte, so duplicate keys and NaN survive); ``key=None`` leaves the
    signature empty."""

    def build(
        header: str | bytes | dict[str, Any],
        payload: str | bytes | dict[str, Any],
        key: PrivateKey | None,
    ) -> str:
        signing_input = f"{_segment(header)}.{_segment(payload)}"
        signature = key.sign_raw(signing_input.encode("ascii")) if key is not None else b""
        return f"{signing_input}.{b64url_encode(signature)}"

    return build


def encode_disclosure(text: str) -> str:
    return b64url_encode(text.encode("utf-8"))


@pytest.fixture(scope="session")
def raw_sd_jwt(raw_jws: RawJWS) -> RawSDJWT:
    """``raw_sd_jwt(payload_template, disclosures, key, present=None, header=None)``.

    ``disclosures`` are raw JSON texts, encoded as they are. ``{D<i>}`` in the payload template
    (and ``__D<i>__`` in a later disclosure) becomes the digest of disclosure ``i``; ``present``
    lists which disclosures are sent (indexes, repeats allowed; default all)."""

    def build(
        payload: str,
        disclosures: Sequence[str],
        key: PrivateKey,
        *,
        present: Sequence[int] | None = None,
        header: dict[str, Any] | None = None,
        hash_alg: str = "sha-256",
    ) -> str:
        encoded: list[str] = []
        for text in disclosures:
            # "__D<j>__" inside a disclosure: the digest of an earlier one (recursive disclosures).
            for index, item in enumerate(encoded):
                text = text.replace(f"__D{index}__", digest_of(item, hash_alg))
            encoded.append(encode_disclosure(text))
        for index, item in enumerate(encoded):
            payload = payload.replace(f"{{D{index}}}", digest_of(item, hash_alg))
        jwt = raw_jws(header or {"alg": key.alg, "typ": "example+sd-jwt"}, payload, key)
        chosen = range(len(encoded)) if present is None else present
        return "".join([jwt, "~", *(encoded[i] + "~" for i in chosen)])

    return build


BuildCase = Callable[..., str]


@pytest.fixture(scope="session")
def build_case(
    raw_sd_jwt: RawSDJWT, raw_jws: RawJWS, issuer_key: PrivateKey, holder_key: PrivateKey
) -> BuildCase:
    """``build_case(case, default_typ=...)``: the serialization a conformance vector describes
    (tests/vectors/sd_jwt/conformance_*.json; their ``source`` explains the fields)."""
    holder_jwk = json.dumps(holder_key.public_key.to_jwk(), separators=(",", ":"))

    def fill(text: str) -> str:
        return text.replace('"{HOLDER_JWK}"', holder_jwk)

    def build(case: dict[str, Any], *, default_typ: str) -> str:
        hash_alg = case.get("hash_alg", "sha-256")
        text: str = raw_sd_jwt(
            fill(case["payload"]),
            [fill(item) for item in case["disclosures"]],
            issuer_key,
            present=case.get("present"),
            header=case.get("header", {"alg": issuer_key.alg, "typ": default_typ}),
            hash_alg=hash_alg,
        )
        kb = case.get("kb")
        if kb is not None:
            signer = issuer_key if kb.get("signer") == "issuer" else holder_key
            header: dict[str, Any] = {"alg": signer.alg, "typ": "kb+jwt"}
            for name, value in kb.get("header", {}).items():
                if value is None:
                    header.pop(name, None)
                else:
                    header[name] = value
            covered = {
                "without_trailing_tilde": text[:-1],
                "issuer_jwt_only": text.split("~", 1)[0] + "~",
            }.get(kb.get("sd_hash_over", ""), text)
            payload = kb["payload"].replace("{SD_HASH}", digest_of(covered, hash_alg))
            text += raw_jws(header, payload, signer)
        return text + case.get("append", "")

    return build
