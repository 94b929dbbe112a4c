"""credentials.dcql.requested_claims: only what a Credential Query asked for (issue 15, 5)."""

from __future__ import annotations

from typing import Any

import pytest

from credentials.dcql import CredentialQuery, requested_claims

CLAIMS = {
    "full_name": "Karma Wangmo",
    "cid": "11512003456",
    "birthdate": "1990-01-01",
    "address": {"dzongkhag": "Thimphu", "gewog": "Chang", "village": "Motithang"},
    "nationalities": ["BT", "IN"],
}


def _query(*paths: list[Any], **extra: Any) -> CredentialQuery:
    body: dict[str, Any] = {"id": "q", "format": "dc+sd-jwt", "meta": {"vct_values": ["x"]}}
    if paths:
        body["claims"] = [{"path": p} for p in paths]
    return CredentialQuery.from_json({**body, **extra})


@pytest.mark.parametrize(
    ("paths", "kept", "dropped"),
    [
        (
            (["cid"],),
            {"cid": "11512003456"},
            ["/address", "/birthdate", "/full_name", "/nationalities"],
        ),
        (
            (["address", "dzongkhag"],),
            {"address": {"dzongkhag": "Thimphu"}},
            [
                "/address/gewog",
                "/address/village",
                "/birthdate",
                "/cid",
                "/full_name",
                "/nationalities",
            ],
        ),
        (
            (["address", "gewog"], ["address"]),  # the whole object wins over one member
            {"address": CLAIMS["address"]},
            ["/birthdate", "/cid", "/full_name", "/nationalities"],
        ),
        (
            (["nationalities", 0],),
            {"nationalities": ["BT", "IN"]},
            ["/address", "/birthdate", "/cid", "/full_name"],
        ),
        ((["nope"],), {}, sorted(f"/{k}" for k in CLAIMS)),
        ((), {}, sorted(f"/{k}" for k in CLAIMS)),  # no claims asked: none handed over
    ],
)
def test_requested_claims(
    paths: tuple[list[Any], ...], kept: dict[str, Any], dropped: list[str]
) -> None:
    assert requested_claims(_query(*paths), CLAIMS) == (kept, tuple(dropped))


def test_claim_sets_count_every_option() -> None:
    query = CredentialQuery.from_json(
        {
            "id": "q",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": ["x"]},
            "claims": [{"id": "a", "path": ["cid"]}, {"id": "b", "path": ["full_name"]}],
            "claim_sets": [["a"], ["b"]],
        }
    )
    kept, dropped = requested_claims(query, CLAIMS)
    assert set(kept) == {"cid", "full_name"}
    assert "/cid" not in dropped


def test_nothing_to_drop() -> None:
    assert requested_claims(_query(["cid"]), {"cid": "1"}) == ({"cid": "1"}, ())
