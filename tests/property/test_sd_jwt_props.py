"""Property tests for SD-JWT (RFC 9901): a presentation never reveals an undisclosed claim,
verified ⊆ issued, disclosures round-trip, and the parsers let only our errors escape."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.encoding import EncodingError, b64url_encode, parse_json
from credentials.errors import CredentialError
from credentials.jose import parse_jws, sign_jws
from credentials.sd_jwt import (
    create_disclosure,
    decode_sd_jwt,
    digest_of,
    issue_sd_jwt,
    parse_disclosure,
    parse_sd_jwt,
    present_sd_jwt,
    verify_sd_jwt,
)
from did.errors import DIDError
from did.keys import EDDSA, PrivateKey

NOW = 1_800_000_000
ISSUER = PrivateKey.generate()
HOLDER = PrivateKey.generate(EDDSA)
STRANGER = PrivateKey.generate()
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

Path = tuple[str | int, ...]

# Names the issuer refuses anywhere (_sd, ...) or at the top (registered time/binding claims,
# whose random values would fail the time checks rather than test disclosure).
RESERVED_ANYWHERE = {"_sd", "..."}
RESERVED_TOP = {"iss", "exp", "nbf", "iat", "cnf", "_sd_alg"}

names = st.text(min_size=1, max_size=6).filter(lambda s: s not in RESERVED_ANYWHERE)
top_names = names.filter(lambda s: s not in RESERVED_TOP)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53), max_value=2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
    max_leaves=12,
)
claim_sets = st.dictionaries(top_names, values, min_size=1, max_size=5)


def all_paths(node: Any, prefix: Path = ()) -> list[Path]:
    """Every claim below the root, as concrete paths."""
    found: list[Path] = []
    children: list[tuple[str | int, Any]] = []
    if isinstance(node, dict):
        children = list(node.items())
    elif isinstance(node, list):
        children = list(enumerate(node))
    for key, child in children:
        path = (*prefix, key)
        found.append(path)
        found.extend(all_paths(child, path))
    return found


def related(a: Path, b: Path) -> bool:
    """One path is the other or lies under it."""
    shorter = min(len(a), len(b))
    return a[:shorter] == b[:shorter]


def model(node: Any, sd: set[Path], revealed: set[Path], prefix: Path = ()) -> Any:
    """The reference: the issued claims without every selectively disclosable claim the holder
    did not reveal (array elements removed, so later indexes shift)."""
    if isinstance(node, dict):
        return {
            key: model(child, sd, revealed, (*prefix, key))
            for key, child in node.items()
            if (*prefix, key) not in sd or (*prefix, key) in revealed
        }
    if isinstance(node, list):
        return [
            model(child, sd, revealed, (*prefix, index))
            for index, child in enumerate(node)
            if (*prefix, index) not in sd or (*prefix, index) in revealed
        ]
    return node


def is_subset(small: Any, big: Any) -> bool:
    """``small`` is ``big`` with some object members and array elements left out."""
    if isinstance(small, dict):
        return isinstance(big, dict) and all(
            key in big and is_subset(value, big[key]) for key, value in small.items()
        )
    if isinstance(small, list):
        if not isinstance(big, list):
            return False
        position = 0
        for item in small:  # a subsequence, matched greedily
            while position < len(big) and not is_subset(item, big[position]):
                position += 1
            if position == len(big):
                return False
            position += 1
        return True
    return bool(small == big) and type(small) is type(big)


def lookup(node: Any, path: Path) -> tuple[bool, Any]:
    for key in path:
        if isinstance(node, dict) and isinstance(key, str) and key in node:
            node = node[key]
        else:
            return False, None
    return True, node


@FAST
@given(claims=claim_sets, data=st.data(), key_binding=st.booleans())
def test_presentation_reveals_exactly_the_chosen_claims(
    claims: dict[str, Any], data: st.DataObject, key_binding: bool
) -> None:
    paths = all_paths(claims)
    sd = set(data.draw(st.lists(st.sampled_from(paths), unique=True), label="sd"))
    decoys = data.draw(st.integers(min_value=0, max_value=2), label="decoys")
    issued = issue_sd_jwt(
        claims,
        ISSUER,
        sd_paths=sorted(sd, key=lambda p: (len(p), repr(p))),
        decoys=decoys,
        holder_key=HOLDER.public_key if key_binding else None,
    )
    assert len(issued.disclosures) == len(sd)
    holder_view = decode_sd_jwt(issued)
    expected_full = dict(
        claims, **({"cnf": {"jwk": HOLDER.public_key.to_jwk()}} if key_binding else {})
    )
    assert holder_view.claims == expected_full

    chosen = data.draw(st.lists(st.sampled_from(paths), max_size=4), label="disclose")
    presentation = present_sd_jwt(
        holder_view,
        disclose=chosen,
        holder_key=HOLDER if key_binding else None,
        nonce="nonce-1",
        aud="https://verifier.example",
        iat=NOW,
    )
    verified = verify_sd_jwt(
        presentation.serialize(),
        issuer_key=ISSUER.public_key,
        now=NOW,
        require_key_binding=key_binding,
        nonce="nonce-1" if key_binding else None,
        aud="https://verifier.example" if key_binding else None,
    )
    result = dict(verified.claims)
    if key_binding:
        assert result.pop("cnf") == {"jwk": HOLDER.public_key.to_jwk()}

    revealed = {path for path in sd if any(related(path, asked) for asked in chosen)}
    assert result == model(claims, sd, revealed)
    assert is_subset(result, claims)  # verified ⊆ issued
    for path in sd - revealed:
        if all(isinstance(key, str) for key in path):
            assert not lookup(result, path)[0], f"undisclosed {path} leaked"
    assert len(presentation.disclosures) == len(revealed)


@FAST
@given(
    salt=st.text(max_size=24),
    name=st.none() | names,
    value=values,
)
def test_disclosure_round_trip(salt: str, name: str | None, value: Any) -> None:
    created = create_disclosure(name, value, salt=salt)
    parsed = parse_disclosure(created.encoded)
    assert (parsed.salt, parsed.name, parsed.value) == (salt, name, value)
    assert json.loads(json.dumps(parsed.value)) == value
    assert parsed.digest() == created.digest() == digest_of(created.encoded)
    assert parsed.is_array_element is (name is None)


# --- Fuzzing: only our errors (CredentialError, DIDError, core's EncodingError) may escape ------

tokenish = st.text(
    alphabet="eyJhbGciOi.~_-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789=+/ \n", max_size=200
)
anything = st.text(max_size=300) | tokenish


def _only_our_errors(call: Any, *args: Any, **kwargs: Any) -> None:
    with contextlib.suppress(CredentialError, DIDError, EncodingError):
        call(*args, **kwargs)


@settings(max_examples=150, deadline=None)
@given(text=anything)
def test_parsers_raise_only_our_errors(text: str) -> None:
    _only_our_errors(parse_sd_jwt, text)
    _only_our_errors(parse_jws, text)
    _only_our_errors(parse_disclosure, text)
    _only_our_errors(parse_json, text)
    _only_our_errors(parse_json, text.encode("utf-8", "surrogatepass"))
    _only_our_errors(
        verify_sd_jwt, text, issuer_key=STRANGER.public_key, now=NOW, require_key_binding=False
    )


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=200))
def test_parse_json_on_arbitrary_bytes(raw: bytes) -> None:
    _only_our_errors(parse_json, raw)
    _only_our_errors(parse_disclosure, b64url_encode(raw))


VALID = present_sd_jwt(
    issue_sd_jwt(
        {"a": {"b": [1, 2]}, "c": "x"},
        ISSUER,
        sd_paths=["/a", "/a/b/0", "/c"],
        holder_key=HOLDER.public_key,
    ),
    disclose=["/a/b/0", "/c"],
    holder_key=HOLDER,
    nonce="n",
    aud="https://v.example",
    iat=NOW,
).serialize()


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_verify_on_mutated_presentations(data: st.DataObject) -> None:
    text = VALID
    for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="edits")):
        position = data.draw(st.integers(min_value=0, max_value=len(text)), label="at")
        kind = data.draw(st.sampled_from(["insert", "delete", "replace"]), label="kind")
        char = data.draw(st.sampled_from("~.-_AQgwe0z=+/ é"), label="char")
        if kind == "insert":
            text = text[:position] + char + text[position:]
        elif kind == "delete":
            text = text[:position] + text[position + 1 :]
        else:
            text = text[:position] + char + text[position + 1 :]
    try:
        verified = verify_sd_jwt(
            text,
            issuer_key=ISSUER.public_key,
            now=NOW,
            require_key_binding=True,
            nonce="n",
            aud="https://v.example",
        )
    except CredentialError:
        return
    # Whatever survives the edits must still be a subset of what was issued.
    assert is_subset(verified.claims, {"a": {"b": [1, 2]}, "c": "x", "cnf": verified.claims["cnf"]})


# Structure-aware fuzz: payloads full of _sd / ... / _sd_alg members pointing at real
# disclosures of every shape, signed by the trusted issuer so the walk always runs.
special_names = st.sampled_from(["_sd", "...", "_sd_alg", "a", "b", "exp"]) | names


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_verify_on_adversarial_payloads(data: st.DataObject) -> None:
    raw_disclosures = data.draw(
        st.lists(
            st.lists(st.text(max_size=3) | values, min_size=1, max_size=4).map(json.dumps),
            max_size=4,
        ),
        label="disclosures",
    )
    encoded = [b64url_encode(text.encode()) for text in raw_disclosures]
    digests = [digest_of(item) for item in encoded] or ["AAAA"]
    digest = st.sampled_from(digests)
    leaf = digest | st.lists(digest, max_size=3) | st.fixed_dictionaries({"...": digest}) | scalars
    payload = data.draw(
        st.dictionaries(
            special_names,
            st.recursive(
                leaf,
                lambda inner: (
                    st.lists(inner, max_size=3) | st.dictionaries(special_names, inner, max_size=3)
                ),
                max_leaves=8,
            ),
            max_size=4,
        ),
        label="payload",
    )
    sent = data.draw(st.lists(st.sampled_from(encoded), max_size=4) if encoded else st.just([]))
    text = sign_jws(payload, ISSUER, typ="example+sd-jwt") + "~" + "".join(d + "~" for d in sent)
    try:
        verified = verify_sd_jwt(
            text, issuer_key=ISSUER.public_key, now=NOW, require_key_binding=False
        )
    except CredentialError:
        return
    # Accepted: nothing reserved survives into the claims, and every disclosure was used.
    assert "_sd" not in set(_keys(verified.claims))
    assert len(verified.disclosed_paths) == len(sent)


def _keys(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)
