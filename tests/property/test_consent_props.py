"""Consent never lies: every claim it lists as shared is seen by the verifier, and every claim
it lists as hidden is not, for any credential and any choice of claims to disclose."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from credentials.sd_jwt import decode_sd_jwt, present_sd_jwt
from credentials.sd_jwt_vc import issue_sd_jwt_vc, verify_sd_jwt_vc
from credentials.type_metadata import TypeMetadata
from did.keys import PrivateKey
from wallet.consent import share_for

ISSUER = PrivateKey.generate("ES256")
NOW = 1_800_000_000
NAMES = st.sampled_from(["full_name", "birthdate", "cid", "address", "photo", "tags", "x"])
LEAF = st.one_of(st.text(max_size=8), st.integers(-5, 5), st.booleans())
VALUE = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, min_size=1, max_size=3),
        st.lists(inner, min_size=1, max_size=3),
    ),
    max_leaves=6,
)


def paths_of(value: Any, path: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(paths_of(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(paths_of(child, (*path, index)))
    return found


def lookup(claims: Any, path: tuple[Any, ...]) -> tuple[bool, Any]:
    node = claims
    for step in path:
        if (isinstance(node, dict) and step in node) or (
            isinstance(node, list) and isinstance(step, int) and step < len(node)
        ):
            node = node[step]
        else:
            return False, None
    return True, node


def has_leaf(value: Any) -> bool:
    if isinstance(value, dict):
        return any(has_leaf(v) for v in value.values())
    if isinstance(value, list):
        return any(has_leaf(v) for v in value)
    return True


def lenient_select(path: tuple[Any, ...], node: Any) -> list[Any]:
    """Values at ``path`` (None = every array element), skipping branches of another shape."""
    if not path:
        return [node]
    head, rest = path[0], path[1:]
    if head is None and isinstance(node, list):
        return [v for child in node for v in lenient_select(rest, child)]
    if isinstance(head, str) and isinstance(node, dict) and head in node:
        return lenient_select(rest, node[head])
    return []


@settings(max_examples=60, deadline=None)
@given(data=st.data(), claims=st.dictionaries(NAMES, VALUE, min_size=1, max_size=4))
def test_consent_matches_what_the_verifier_sees(
    data: st.DataObject, claims: dict[str, Any]
) -> None:
    every = [p for name, value in claims.items() for p in paths_of(value, (name,))]
    sd = data.draw(st.lists(st.sampled_from(every), unique=True, max_size=len(every)))
    credential = issue_sd_jwt_vc(
        claims, ISSUER, iss="https://i.example", vct="https://i.example/t", iat=NOW, sd_paths=sd
    )
    decoded = decode_sd_jwt(credential)
    disclose = data.draw(st.lists(st.sampled_from(every), unique=True, max_size=3))
    chosen = decoded.disclosures_for(disclose)
    share = share_for(
        decoded,
        chosen,
        credential_id="c",
        title="T",
        issuer="I",
        metadata=TypeMetadata(vct="https://i.example/t"),
        language="en",
    )
    presentation = present_sd_jwt(decoded, disclose=disclose)
    seen = verify_sd_jwt_vc(
        presentation, issuer_key=ISSUER.public_key, now=NOW, require_key_binding=False
    ).claims
    for item in share.shared:
        # Hidden array elements vanish, so indexes shift on the verifier's side: look for the
        # value among the elements at the same place instead.
        wildcard = tuple(None if isinstance(step, int) else step for step in item.path)
        visible = lenient_select(wildcard, seen)
        assert visible, f"consent lists {item.path} as shared but the verifier does not see it"
        found, original = lookup(decoded.claims, item.path)
        assert found
        if not isinstance(original, dict | list):
            assert original in visible
    hidden_in: dict[tuple[Any, ...], int] = {}
    for item in share.hidden:
        if not any(isinstance(step, int) for step in item.path):
            assert not lookup(seen, item.path)[0], f"consent hides {item.path} but it was sent"
        elif isinstance(item.path[-1], int) and sum(isinstance(s, int) for s in item.path) == 1:
            hidden_in[item.path[:-1]] = hidden_in.get(item.path[:-1], 0) + 1
    for parent, count in hidden_in.items():
        held, sent = lookup(decoded.claims, parent)[1], lookup(seen, parent)[1]
        assert len(sent) == len(held) - count, f"consent hides {count} of {parent}"
    # Every value the verifier sees (besides technical claims, and containers whose every
    # value stayed hidden: they show only that the claim exists) is listed as shared.
    for name, value in seen.items():
        if name not in ("iss", "vct", "iat", "cnf", "_sd_alg") and has_leaf(value):
            assert any(item.path[0] == name for item in share.shared), name
