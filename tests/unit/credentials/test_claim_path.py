"""One claim-path walker for DCQL, Type Metadata and SD-JWT issue/present
(credentials.claim_path): the spec walk and the text form agree except where text is ambiguous."""

from __future__ import annotations

from typing import Any

import pytest

from credentials.claim_path import concrete_paths, parse_claim_path, select
from credentials.errors import SDJWTError

CLAIMS: dict[str, Any] = {
    "address": {"locality": "Thimphu", "0": "key named zero"},
    "nationalities": ["BT", "IN"],
    "empty": [],
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("address", "locality"), [("address", "locality")]),
        (("nationalities", None), [("nationalities", 0), ("nationalities", 1)]),
        (("nationalities", 1), [("nationalities", 1)]),
        (("address", "0"), [("address", "0")]),
        (("empty", None), []),
    ],
)
def test_both_walks_agree(path: tuple[Any, ...], expected: list[tuple[Any, ...]]) -> None:
    assert [where for where, _ in select(path, CLAIMS)] == expected
    assert concrete_paths(path, CLAIMS) == expected


@pytest.mark.parametrize(
    "path",
    [("missing",), ("address", "street"), ("nationalities", 2), ("address", 0), ("empty", 0)],
)
def test_a_path_naming_nothing(path: tuple[Any, ...]) -> None:
    """OpenID4VP §7.1.1: no match (a missing claim) for queries; an error for an issuer or a
    holder who named a claim to hide or disclose."""
    assert select(path, CLAIMS) == []
    with pytest.raises(SDJWTError) as info:
        concrete_paths(path, CLAIMS)
    assert info.value.code == "unknown_claim_path"


def test_text_digits_index_arrays_only_in_the_text_form() -> None:
    """A text path cannot say whether "1" is a key or an index: it indexes an array it meets.
    A DCQL pointer says so by its JSON type, so a string never indexes an array there."""
    path = parse_claim_path("/nationalities/1")
    assert path == ("nationalities", "1")
    assert concrete_paths(path, CLAIMS) == [("nationalities", 1)]
    assert select(path, CLAIMS) == []


@pytest.mark.parametrize("text", ["01", "+1", " 1", "1_0"])
def test_non_canonical_text_indexes_name_nothing(text: str) -> None:
    with pytest.raises(SDJWTError):
        concrete_paths(("nationalities", text), CLAIMS)
