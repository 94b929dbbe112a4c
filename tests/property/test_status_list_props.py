"""Property tests for the Token Status List encoding (draft-ietf-oauth-status-list-21 §4)."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from credentials.errors import StatusListError
from credentials.status_list import StatusList


@st.composite
def lists_with_writes(draw: st.DrawFn) -> tuple[int, int, dict[int, int]]:
    bits = draw(st.sampled_from([1, 2, 4, 8]))
    size = draw(st.integers(min_value=1, max_value=4096))
    writes = draw(
        st.dictionaries(
            st.integers(min_value=0, max_value=size - 1),
            st.integers(min_value=0, max_value=(1 << bits) - 1),
            max_size=64,
        )
    )
    return bits, size, writes


@given(lists_with_writes())
def test_set_then_get_returns_every_value_and_leaves_the_rest_valid(
    case: tuple[int, int, dict[int, int]],
) -> None:
    bits, size, writes = case
    status_list = StatusList(size, bits=bits)
    for idx, value in writes.items():
        status_list.set(idx, value)
    for idx in range(size):
        assert status_list.get(idx) == writes.get(idx, 0)


@given(lists_with_writes())
def test_json_round_trip_keeps_every_entry(case: tuple[int, int, dict[int, int]]) -> None:
    bits, size, writes = case
    status_list = StatusList(size, bits=bits)
    for idx, value in writes.items():
        status_list.set(idx, value)
    decoded = StatusList.from_json(status_list.to_json())
    # The wire form carries bytes, not a size: padding entries of the last byte read as 0.
    assert decoded.size == len(status_list.to_bytes()) * 8 // bits >= size
    assert decoded.to_bytes() == status_list.to_bytes()
    assert all(decoded.get(idx) == status_list.get(idx) for idx in range(size))
    assert decoded.to_json() == status_list.to_json()


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300)
@given(
    st.one_of(
        json_values,
        st.fixed_dictionaries({"bits": json_values, "lst": json_values}),
        st.fixed_dictionaries(
            {"bits": st.sampled_from([1, 2, 4, 8]), "lst": st.text(alphabet="AZaz09-_=+/ ")}
        ),
        st.fixed_dictionaries(
            {"bits": st.sampled_from([1, 2, 4, 8]), "lst": st.from_regex(r"eN[A-Za-z0-9_-]{0,40}")}
        ),
    )
)
def test_from_json_raises_only_status_list_errors(obj: Any) -> None:
    with contextlib.suppress(StatusListError):
        StatusList.from_json(obj)
