"""Property tests for DCQL (OpenID4VP 1.0 §6, §7): parser fuzzing, round trips, and the
wallet/verifier agreement (what a wallet selects, disclosed alone, satisfies the verifier)."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from credentials.dcql import (
    SD_JWT_VC_FORMAT,
    Candidate,
    DCQLQuery,
    evaluate,
    select_claims,
    verify_dcql_response,
)
from credentials.errors import DCQLError

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8)
json_like = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=16,
)
ids = st.sampled_from(["pid", "mdl", "a", "b", "c", "x-1", "y_2", "", "bad id", 3])
keys = st.sampled_from(["name", "address", "street", "degrees", "type", "age_over_18", ""])
components = st.one_of(keys, st.none(), st.integers(-1, 3), st.booleans(), st.floats(0, 2))
paths = st.one_of(st.lists(components, max_size=4), st.text(max_size=3), st.none())
values = st.one_of(st.none(), st.lists(scalars | st.lists(scalars, max_size=1), max_size=3))


@st.composite
def claims_queries(draw: st.DrawFn) -> dict[str, Any]:
    query: dict[str, Any] = {"path": draw(paths)}
    if draw(st.booleans()):
        query["id"] = draw(ids)
    if draw(st.booleans()):
        query["values"] = draw(values)
    return query


@st.composite
def credential_queries(draw: st.DrawFn) -> dict[str, Any]:
    query: dict[str, Any] = {
        "id": draw(ids),
        "format": draw(st.sampled_from([SD_JWT_VC_FORMAT, "mso_mdoc", "", 1])),
        "meta": draw(
            st.one_of(
                st.fixed_dictionaries({"vct_values": st.lists(st.text(max_size=5), max_size=2)}),
                st.just({}),
                json_like,
            )
        ),
    }
    if draw(st.booleans()):
        query["claims"] = draw(st.lists(claims_queries(), max_size=4))
    if draw(st.booleans()):
        query["claim_sets"] = draw(st.lists(st.lists(ids, max_size=3), max_size=3))
    for flag in ("multiple", "require_cryptographic_holder_binding"):
        if draw(st.booleans()):
            query[flag] = draw(st.booleans() | scalars)
    if draw(st.booleans()):
        query["trusted_authorities"] = draw(
            st.lists(st.fixed_dictionaries({"type": ids, "values": st.lists(ids, max_size=2)}))
        )
    return query


@st.composite
def dcql_queries(draw: st.DrawFn) -> dict[str, Any]:
    query: dict[str, Any] = {"credentials": draw(st.lists(credential_queries(), max_size=3))}
    if draw(st.booleans()):
        query["credential_sets"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"options": st.lists(st.lists(ids, max_size=2), max_size=3)},
                    optional={"required": st.booleans() | scalars},
                ),
                max_size=2,
            )
        )
    return query


@settings(max_examples=400)
@given(json_like | dcql_queries())
def test_parser_raises_only_dcql_errors(data: Any) -> None:
    with contextlib.suppress(DCQLError):
        DCQLQuery.from_json(data)


good_ids = st.from_regex(r"[A-Za-z0-9_-]{1,6}", fullmatch=True)
good_paths = st.lists(st.one_of(keys, st.none(), st.integers(0, 3)), min_size=1, max_size=4)
good_values = st.lists(st.text(max_size=4) | st.integers() | st.booleans(), min_size=1, max_size=3)


@st.composite
def valid_queries(draw: st.DrawFn) -> dict[str, Any]:
    """Queries built to satisfy every §6 rule, so the round trip is exercised, not skipped."""
    credentials = []
    for query_id in draw(st.lists(good_ids, min_size=1, max_size=3, unique=True)):
        fmt = draw(st.sampled_from([SD_JWT_VC_FORMAT, "mso_mdoc", "jwt_vc_json"]))
        query: dict[str, Any] = {"id": query_id, "format": fmt, "meta": {}}
        if fmt == SD_JWT_VC_FORMAT:
            query["meta"] = {"vct_values": draw(st.lists(st.text(min_size=1), min_size=1))}
        claim_ids = draw(st.lists(good_ids, max_size=4, unique=True))
        if claim_ids:
            query["claims"] = [
                {"id": claim_id, "path": draw(good_paths)}
                | ({"values": draw(good_values)} if draw(st.booleans()) else {})
                for claim_id in claim_ids
            ]
            if draw(st.booleans()):
                query["claim_sets"] = draw(
                    st.lists(st.lists(st.sampled_from(claim_ids), min_size=1), min_size=1)
                )
        for flag in ("multiple", "require_cryptographic_holder_binding"):
            if draw(st.booleans()):
                query[flag] = draw(st.booleans())
        credentials.append(query)
    data: dict[str, Any] = {"credentials": credentials}
    if draw(st.booleans()):
        known = [query["id"] for query in credentials]
        options = st.lists(st.lists(st.sampled_from(known), min_size=1), min_size=1, max_size=3)
        data["credential_sets"] = draw(
            st.lists(
                st.fixed_dictionaries({"options": options}, optional={"required": st.booleans()}),
                min_size=1,
                max_size=2,
            )
        )
    return data


@settings(max_examples=300)
@given(valid_queries())
def test_valid_queries_parse_and_round_trip(data: dict[str, Any]) -> None:
    query = DCQLQuery.from_json(data)
    again = DCQLQuery.from_json(query.to_json())
    assert again == query
    assert again.to_json() == query.to_json()


# --- wallet and verifier agree ------------------------------------------------------------------

names = st.sampled_from(["given_name", "family_name", "birthdate", "nationality", "age_over_18"])
object_claims = st.recursive(
    st.text(max_size=4) | st.integers(0, 3) | st.booleans(),
    lambda inner: st.dictionaries(names, inner, max_size=4),
    max_leaves=10,
).filter(lambda value: isinstance(value, dict))


def _project(claims: dict[str, Any], selected: list[tuple[Any, ...]]) -> dict[str, Any]:
    """Copy only the selected object paths, as a holder disclosing exactly those claims would."""
    out: dict[str, Any] = {}
    for path in selected:
        source, target = claims, out
        for key in path[:-1]:
            source = source[key]
            target = target.setdefault(key, {})
        target[path[-1]] = source[path[-1]]
    return out


@settings(max_examples=300)
@given(
    object_claims,
    st.lists(st.lists(names, min_size=1, max_size=3), min_size=1, max_size=4),
    st.booleans(),
)
def test_what_the_wallet_selects_satisfies_the_verifier(
    claims: dict[str, Any], requested: list[list[str]], use_claim_sets: bool
) -> None:
    credential: dict[str, Any] = {
        "id": "pid",
        "format": SD_JWT_VC_FORMAT,
        "meta": {"vct_values": ["https://id.gov.bt/pid"]},
        "claims": [{"id": f"c{i}", "path": path} for i, path in enumerate(requested)],
    }
    if use_claim_sets:
        credential["claim_sets"] = [[f"c{i}"] for i in reversed(range(len(requested)))]
    query = DCQLQuery.from_json({"credentials": [credential]})
    wallet = Candidate("w", SD_JWT_VC_FORMAT, "https://id.gov.bt/pid", claims)
    result = evaluate(query, [wallet])
    if not result.satisfied:
        assert result.unsatisfied_reasons
        return
    (match,) = result.matches["pid"]
    for path in match.claim_paths:  # every path names exactly one claim the holder has
        assert len(select_claims(path, claims)) == 1
    disclosed = _project(claims, list(match.claim_paths))
    presented = Candidate("p", SD_JWT_VC_FORMAT, "https://id.gov.bt/pid", disclosed)
    verify_dcql_response(query, {"pid": [presented]})
