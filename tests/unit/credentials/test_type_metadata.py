"""SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc-25 §5-§7): parsing, labels,
integrity, extends resolution and the issuer's sd/mandatory checks."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credentials.errors import TypeMetadataError
from credentials.type_metadata import (
    ClaimDisplay,
    ClaimMetadata,
    TypeMetadata,
    check_mandatory,
    check_sd_policy,
    integrity_of,
    resolve_type_metadata,
    verify_integrity,
)

# draft-ietf-oauth-sd-jwt-vc, Appendix "Example 2: Type Metadata" (oauth-wg/oauth-sd-jwt-vc,
# draft-ietf-oauth-sd-jwt-vc.md at 00e234e3ba13c9aa7a8f14f0a58ed7dc228d5b38), rendering shortened.
EXAMPLE: dict[str, Any] = {
    "vct": "https://betelgeuse.example.com/education_credential",
    "name": "Betelgeuse Education Credential - Preliminary Version",
    "description": "This is our development version of the education credential. Don't panic.",
    "extends": "https://galaxy.example.com/galactic-education-credential-0.9",
    "extends#integrity": "sha256-ilOUJsTultOwLfz7QUcFALaRa3BP/jelX1ds04kB9yU=",
    "display": [
        {
            "locale": "en-US",
            "name": "Betelgeuse Education Credential",
            "description": (
                "An education credential for all carbon-based life forms on Betelgeusians"
            ),
            "rendering": {
                "simple": {"background_color": "#12107c", "text_color": "#FFFFFF"},
            },
        },
        {"locale": "de-DE", "name": "Betelgeuse-Bildungsnachweis"},
    ],
    "claims": [
        {
            "path": ["name"],
            "display": [
                {
                    "locale": "de-DE",
                    "label": "Vor- und Nachname",
                    "description": "Der Name des Studenten",
                },
                {"locale": "en-US", "label": "Name", "description": "The name of the student"},
            ],
            "sd": "allowed",
            "mandatory": True,
        },
        {
            "path": ["address"],
            "display": [
                {"locale": "de-DE", "label": "Adresse"},
                {"locale": "en-US", "label": "Address"},
            ],
            "sd": "always",
        },
        {
            "path": ["address", "street_address"],
            "display": [
                {"locale": "de-DE", "label": "Straße"},
                {"locale": "en-US", "label": "Street Address"},
            ],
            "sd": "always",
            "svg_id": "address_street_address",
        },
        {
            "path": ["degrees", None],
            "display": [
                {"locale": "de-DE", "label": "Abschluss"},
                {"locale": "en-US", "label": "Degree"},
            ],
            "sd": "allowed",
        },
    ],
}

# W3C Subresource Integrity, the "alert('Hello, world.');" example of §3.
SRI_DATA = b"alert('Hello, world.');"
SRI_256 = "sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng="
SRI_384 = "sha384-H8BRh8j48O9oYatfu5AZzq6A9RINhZO5H16dQZngK7T62em8MUt1FLm52t+eX6xO"
SRI_512 = (
    "sha512-Q2bFTOhEALkN8hOms2FKTDLy7eugP2zFZ1T8LCvX42Fp3WoNr3bjZSAHe"
    "OsHrbV1Fu9/A0EzCinRE7Af1ofPrw=="
)
WRONG_256 = integrity_of(b"something else")
WRONG_512 = integrity_of(b"something else", alg="sha512")


def codes(code: str) -> Any:
    return pytest.raises(TypeMetadataError, match=f"^{code}: ")


# --- parsing ----------------------------------------------------------------------------------


def test_spec_example_parses() -> None:
    metadata = TypeMetadata.from_json(EXAMPLE)
    assert metadata.vct == EXAMPLE["vct"]
    assert metadata.extends == "https://galaxy.example.com/galactic-education-credential-0.9"
    assert metadata.extends_integrity == EXAMPLE["extends#integrity"]
    assert [d.lang for d in metadata.display] == ["en-US", "de-DE"]
    assert metadata.display[0].rendering == EXAMPLE["display"][0]["rendering"]
    name, address, street, degrees = metadata.claims
    assert name == ClaimMetadata(
        ("name",),
        (
            ClaimDisplay("de-DE", "Vor- und Nachname", "Der Name des Studenten"),
            ClaimDisplay("en-US", "Name", "The name of the student"),
        ),
        mandatory=True,
        sd="allowed",
    )
    assert (address.sd, address.mandatory) == ("always", False)
    assert street.svg_id == "address_street_address"
    assert degrees.path == ("degrees", None)


def test_to_json_round_trips() -> None:
    metadata = TypeMetadata.from_json(EXAMPLE)
    assert TypeMetadata.from_json(metadata.to_json()) == metadata
    assert metadata.to_json()["claims"][1] == EXAMPLE["claims"][1]


def test_defaults_when_optional_members_are_absent() -> None:
    metadata = TypeMetadata.from_json({"vct": "urn:bt:pid", "claims": [{"path": ["x"]}]})
    assert metadata.claims == (ClaimMetadata(("x",)),)
    assert metadata.claims[0].sd == "allowed"
    assert metadata.claims[0].mandatory is False
    assert metadata.to_json() == {"vct": "urn:bt:pid", "claims": [{"path": ["x"], "sd": "allowed"}]}


def test_pre_draft_12_lang_is_read_and_locale_written() -> None:
    metadata = TypeMetadata.from_json(
        {"vct": "urn:bt:pid", "display": [{"lang": "dz-BT", "name": "ངོ་རྟགས"}]}
    )
    assert metadata.display[0].lang == "dz-BT"
    assert metadata.to_json()["display"] == [{"locale": "dz-BT", "name": "ངོ་རྟགས"}]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (["vct"], "must be a JSON object"),
        ({}, "vct must be a non-empty string"),
        ({"vct": 5}, "vct must be a non-empty string"),
        ({"vct": ""}, "vct must be a non-empty string"),
        ({"vct": "v", "name": 3}, "name must be a non-empty string"),
        ({"vct": " \t"}, "vct must be a non-empty string"),
        ({"vct": "v", "extends#integrity": "sha256-x"}, "'extends#integrity' but no 'extends'"),
        ({"vct": "v", "display": {"locale": "en"}}, "display must be an array"),
        ({"vct": "v", "display": ["en"]}, "display[0] must be a JSON object"),
        ({"vct": "v", "display": [{"name": "N"}]}, "display[0].locale must be a non-empty string"),
        ({"vct": "v", "display": [{"locale": "en"}]}, "display[0].name must be"),
        (
            {"vct": "v", "display": [{"locale": "en", "lang": "dz", "name": "N"}]},
            "different 'locale' and 'lang'",
        ),
        (
            {"vct": "v", "display": [{"locale": "en", "name": "N", "rendering": "svg"}]},
            "rendering must be a JSON object",
        ),
        ({"vct": "v", "claims": [{}]}, "claims[0].path is required"),
        ({"vct": "v", "claims": [{"path": []}]}, "claims[0].path must be a non-empty array"),
        ({"vct": "v", "claims": [{"path": ["a", -1]}]}, "claims[0].path has component -1"),
        ({"vct": "v", "claims": [{"path": ["a"], "sd": "sometimes"}]}, "claims[0].sd must be"),
        ({"vct": "v", "claims": [{"path": ["a"], "mandatory": "yes"}]}, "mandatory must be"),
        ({"vct": "v", "claims": [{"path": ["a"], "svg_id": "1st"}]}, "svg_id must be"),
        ({"vct": "v", "claims": [{"path": ["a"], "svg_id": "a-b"}]}, "svg_id must be"),
        (
            {
                "vct": "v",
                "claims": [{"path": ["a"], "svg_id": "s"}, {"path": ["b"], "svg_id": "s"}],
            },
            "svg_id 's' is not unique",
        ),
        ({"vct": "v", "claims": [{"path": ["a"]}, {"path": ["a"]}]}, "a second time"),
        (
            {"vct": "v", "claims": [{"path": ["a"], "display": [{"locale": "en"}]}]},
            "claims[0].display[0].label must be",
        ),
    ],
)
def test_malformed_documents_are_rejected(document: Any, message: str) -> None:
    with codes("invalid_type_metadata") as caught:
        TypeMetadata.from_json(document)
    assert message in caught.value.message


# --- labels and names -------------------------------------------------------------------------


BHUTAN = TypeMetadata.from_json(
    {
        "vct": "https://id.gov.bt/pid",
        "name": "Bhutan PID (developer name)",
        "display": [
            {"locale": "en-GB", "name": "Citizen ID"},
            {"locale": "dz", "name": "ངོ་སྤྲོད་ལག་ཁྱེར"},
        ],
        "claims": [
            {
                "path": ["given_name"],
                "display": [
                    {"locale": "fr", "label": "Prénom"},
                    {"locale": "en-GB", "label": "Given name"},
                    {"locale": "dz-BT", "label": "མིང་"},
                ],
            },
            {"path": ["gewog"], "display": [{"locale": "dz", "label": "རྒེད་འོག"}]},
            {
                "path": ["nationalities", None],
                "display": [{"locale": "en", "label": "Nationality"}],
            },
        ],
    }
)


@pytest.mark.parametrize(
    ("path", "lang", "label"),
    [
        (["given_name"], "en-GB", "Given name"),  # exact
        (["given_name"], "EN-gb", "Given name"),  # tags are case-insensitive
        (["given_name"], "dz-BT", "མིང་"),
        (["given_name"], "dz", "མིང་"),  # same language, other region
        (["given_name"], "fr-CA", "Prénom"),
        (["given_name"], "de", "Given name"),  # unknown language -> English
        (["gewog"], "en", "རྒེད་འོག"),  # no English -> the first entry
        (["nationalities", 1], "en", "Nationality"),  # null in the metadata path covers index 1
        (["nationalities", None], "en", "Nationality"),
        (["birth_date"], "en", "Birth date"),  # no metadata: the name, humanised
        (["placeOfBirth", "locality"], "dz", "Locality"),
        (["degreeTitle"], "en", "Degree title"),
        (["aliases", 0], "en", "Aliases"),
        ([0], "en", "Claim"),
        (["address", "__"], "en", "Address"),  # nothing readable left: the parent's name
        ([" "], "en", "Claim"),
    ],
)
def test_label_fallbacks(path: list[Any], lang: str, label: str) -> None:
    assert BHUTAN.label(path, lang) == label


def test_display_name_fallbacks() -> None:
    assert BHUTAN.display_name("dz-BT") == "ངོ་སྤྲོད་ལག་ཁྱེར"
    assert BHUTAN.display_name() == "Citizen ID"
    assert TypeMetadata("urn:x", name="Dev name").display_name("dz") == "Dev name"
    assert TypeMetadata("urn:x").display_name() == "urn:x"


def test_claim_lookup() -> None:
    assert BHUTAN.claim(["gewog"]) is BHUTAN.claims[1]
    assert BHUTAN.claim(["nationalities", 3]) is BHUTAN.claims[2]
    assert BHUTAN.claim(["nationalities", "x"]) is None
    assert BHUTAN.claim(["unknown"]) is None


# --- integrity (§6) ---------------------------------------------------------------------------


def test_integrity_of_matches_the_sri_example() -> None:
    assert integrity_of(SRI_DATA) == SRI_256
    assert integrity_of(SRI_DATA, alg="sha384") == SRI_384
    assert integrity_of(SRI_DATA, alg="sha512") == SRI_512
    with codes("invalid_integrity"):
        integrity_of(SRI_DATA, alg="md5")


@pytest.mark.parametrize(
    "integrity",
    [
        SRI_256,
        SRI_384,
        SRI_512,
        f"{WRONG_256} {SRI_384}",  # the strongest algorithm decides; sha256 is ignored
        f"{SRI_384.replace('H8B', 'X8B')} {SRI_384}",  # any value of the strongest may match
        f"{SRI_512}?ct=application/json",  # SRI options are ignored
        "SHA256-" + SRI_256[7:],  # algorithm names are case-insensitive
        SRI_384.replace("+", "-"),  # base64url spelling of the same digest
        f"md5-abc {SRI_256}",  # unknown algorithms are skipped
        f"  {SRI_256}\n",
    ],
)
def test_verify_integrity_accepts(integrity: str) -> None:
    verify_integrity(SRI_DATA, integrity)


@pytest.mark.parametrize(
    "integrity",
    [
        WRONG_256,
        f"{SRI_256} {WRONG_512}",  # a correct weaker hash cannot rescue a wrong stronger one
        SRI_256[:-4] + "AAA=",
    ],
)
def test_verify_integrity_rejects_a_changed_document(integrity: str) -> None:
    with codes("integrity_mismatch"):
        verify_integrity(SRI_DATA, integrity)


@pytest.mark.parametrize(
    "integrity",
    [
        "",
        "md5-1B2M2Y8AsgTpgAmY7PhCfg==",
        "sha256",
        "sha256-",
        "sha256-!!!!",
        "sha256-qznL",  # too short for a sha256 digest
        "sha256-A",  # not decodable base64
        42,
    ],
)
def test_verify_integrity_fails_closed_without_a_usable_hash(integrity: Any) -> None:
    with codes("invalid_integrity"):
        verify_integrity(SRI_DATA, integrity)


# --- resolution and extends -------------------------------------------------------------------


class Registry:
    """A fake ``fetch``: documents by identifier, with a log of what was fetched."""

    def __init__(self, *documents: dict[str, Any]) -> None:
        self.raw = {doc["vct"]: json.dumps(doc).encode() for doc in documents}
        self.fetched: list[str] = []

    def __call__(self, identifier: str) -> bytes:
        self.fetched.append(identifier)
        return self.raw[identifier]

    def integrity(self, vct: str) -> str:
        return integrity_of(self.raw[vct])


BASE = {
    "vct": "https://example.com/base-type-metadata",
    "display": [{"locale": "en", "name": "Base"}],
    "claims": [
        {"path": ["name"], "display": [{"label": "Full Name", "locale": "en"}]},
        {"path": ["address", "city"], "display": [{"label": "City", "locale": "en"}]},
    ],
}
CHILD = {
    "vct": "https://example.com/custom-type-metadata",
    "extends": "https://example.com/base-type-metadata",
    "claims": [
        {"path": ["address", "city"], "display": [{"label": "Town", "locale": "en"}]},
        {"path": ["nationalities"], "display": [{"label": "Nationalities", "locale": "en"}]},
    ],
}


def test_resolve_single_document_with_integrity() -> None:
    registry = Registry(BASE)
    metadata = resolve_type_metadata(
        BASE["vct"], registry, integrity=registry.integrity(BASE["vct"])
    )
    assert metadata == TypeMetadata.from_json(BASE)
    assert registry.fetched == [BASE["vct"]]


def test_resolve_rejects_a_document_that_does_not_match_vct_integrity() -> None:
    with codes("integrity_mismatch"):
        resolve_type_metadata(BASE["vct"], Registry(BASE), integrity=WRONG_256)


def test_spec_extension_example_gives_the_documented_effective_claims() -> None:
    # §5.6.5: inherit "name", override "address.city", add "nationalities".
    metadata = resolve_type_metadata(CHILD["vct"], Registry(BASE, CHILD))
    assert metadata.vct == CHILD["vct"]
    assert [(c.path, c.display[0].label) for c in metadata.claims] == [
        (("name",), "Full Name"),
        (("address", "city"), "Town"),
        (("nationalities",), "Nationalities"),
    ]
    assert metadata.display_name() == "Base"  # the child has no display: inherited


def test_child_display_replaces_the_parents() -> None:
    child = dict(CHILD, display=[{"locale": "dz", "name": "Child"}])
    metadata = resolve_type_metadata(CHILD["vct"], Registry(BASE, child))
    assert [d.name for d in metadata.display] == ["Child"]


def test_extends_integrity_is_checked() -> None:
    registry = Registry(BASE)
    good = dict(CHILD, **{"extends#integrity": registry.integrity(BASE["vct"])})
    resolve_type_metadata(CHILD["vct"], Registry(BASE, good))
    bad = dict(CHILD, **{"extends#integrity": WRONG_256})
    with codes("integrity_mismatch"):
        resolve_type_metadata(CHILD["vct"], Registry(BASE, bad))


def test_vct_of_the_fetched_document_must_be_the_reference() -> None:
    registry = Registry(BASE)
    registry.raw["https://example.com/other"] = registry.raw[BASE["vct"]]
    with codes("vct_mismatch"):
        resolve_type_metadata("https://example.com/other", registry)


@pytest.mark.parametrize(
    "documents",
    [
        [{"vct": "urn:a", "extends": "urn:a"}],
        [{"vct": "urn:a", "extends": "urn:b"}, {"vct": "urn:b", "extends": "urn:a"}],
        [
            {"vct": "urn:a", "extends": "urn:b"},
            {"vct": "urn:b", "extends": "urn:c"},
            {"vct": "urn:c", "extends": "urn:b"},
        ],
    ],
)
def test_circular_extends_is_rejected(documents: list[dict[str, Any]]) -> None:
    registry = Registry(*documents)
    with codes("circular_extends") as caught:
        resolve_type_metadata("urn:a", registry)
    assert len(registry.fetched) == len(documents)  # each fetched once, no loop
    assert caught.value.message.endswith(f"{documents[-1]['extends']}")


def test_extends_depth_is_capped() -> None:
    chain = [{"vct": f"urn:t{i}", "extends": f"urn:t{i + 1}"} for i in range(6)] + [
        {"vct": "urn:t6"}
    ]
    resolve_type_metadata("urn:t0", Registry(*chain), max_depth=6)
    with codes("extends_too_deep"):
        resolve_type_metadata("urn:t0", Registry(*chain), max_depth=5)


@pytest.mark.parametrize(
    ("parent_sd", "child_sd"),
    [("always", "allowed"), ("always", "never"), ("never", "always"), ("never", "allowed")],
)
def test_child_cannot_change_always_or_never(parent_sd: str, child_sd: str) -> None:
    parent = {"vct": "urn:p", "claims": [{"path": ["pin"], "sd": parent_sd}]}
    child = {"vct": "urn:c", "extends": "urn:p", "claims": [{"path": ["pin"], "sd": child_sd}]}
    with codes("sd_conflict"):
        resolve_type_metadata("urn:c", Registry(parent, child))


@pytest.mark.parametrize("child_sd", ["always", "never", "allowed"])
def test_child_may_narrow_allowed(child_sd: str) -> None:
    parent = {"vct": "urn:p", "claims": [{"path": ["pin"]}]}
    child = {"vct": "urn:c", "extends": "urn:p", "claims": [{"path": ["pin"], "sd": child_sd}]}
    (claim,) = resolve_type_metadata("urn:c", Registry(parent, child)).claims
    assert claim.sd == child_sd


def test_child_that_omits_sd_or_mandatory_inherits_them() -> None:
    parent = {
        "vct": "urn:p",
        "claims": [{"path": ["pin"], "sd": "always", "mandatory": True, "svg_id": "pin"}],
    }
    child = {
        "vct": "urn:c",
        "extends": "urn:p",
        "claims": [{"path": ["pin"], "display": [{"locale": "en", "label": "PIN"}]}],
    }
    (claim,) = resolve_type_metadata("urn:c", Registry(parent, child)).claims
    assert (claim.sd, claim.mandatory, claim.svg_id, claim.display[0].label) == (
        "always",
        True,
        "pin",
        "PIN",
    )


def test_child_cannot_make_a_mandatory_claim_optional() -> None:
    parent = {"vct": "urn:p", "claims": [{"path": ["cid"], "mandatory": True}]}
    child = {"vct": "urn:c", "extends": "urn:p", "claims": [{"path": ["cid"], "mandatory": False}]}
    with codes("mandatory_conflict"):
        resolve_type_metadata("urn:c", Registry(parent, child))
    stricter_parent = {"vct": "urn:p", "claims": [{"path": ["cid"]}]}
    stricter = dict(child, claims=[{"path": ["cid"], "mandatory": True}])
    (claim,) = resolve_type_metadata("urn:c", Registry(stricter_parent, stricter)).claims
    assert claim.mandatory is True


def test_three_level_chain_applies_rules_top_down() -> None:
    grand = {"vct": "urn:g", "claims": [{"path": ["a"], "sd": "allowed"}]}
    parent = {"vct": "urn:p", "extends": "urn:g", "claims": [{"path": ["a"], "sd": "never"}]}
    child = {"vct": "urn:c", "extends": "urn:p", "claims": [{"path": ["a"], "sd": "always"}]}
    with codes("sd_conflict"):
        resolve_type_metadata("urn:c", Registry(grand, parent, child))


@pytest.mark.parametrize(
    "document",
    [b"{not json", b'{"vct": "urn:a", "vct": "urn:b"}', b"[1, 2]", b"\xff\xfe"],
)
def test_unparseable_documents_are_rejected(document: bytes) -> None:
    with codes("invalid_type_metadata"):
        resolve_type_metadata("urn:a", lambda _: document)


def test_oversized_document_is_rejected() -> None:
    with codes("invalid_type_metadata"):
        resolve_type_metadata("urn:a", lambda _: b" " * 2000, max_document_bytes=1000)


def test_fetch_errors_propagate_unchanged() -> None:
    class Offline(Exception):
        pass

    def fetch(_: str) -> bytes:
        raise Offline("no network in Lunana today")

    with pytest.raises(Offline):
        resolve_type_metadata("urn:a", fetch)


# --- issuer checks (§5.6.3, §5.6.4) -----------------------------------------------------------


POLICY = TypeMetadata.from_json(
    {
        "vct": "urn:bt:pid",
        "claims": [
            {"path": ["cid"], "sd": "always", "mandatory": True},
            {"path": ["gewog"], "sd": "never"},
            {"path": ["nickname"]},
            {"path": ["nationalities", None], "sd": "always"},
            {"path": ["titles", None], "sd": "never"},
        ],
    }
)
PAYLOAD = {
    "cid": "11501001234",
    "gewog": "Chang",
    "nationalities": ["BT", "IN"],
    "titles": ["Dasho"],
}


def test_sd_policy_accepts_a_conforming_issuer() -> None:
    check_sd_policy(POLICY, [("cid",), ("nationalities", None)])
    check_sd_policy(POLICY, [("cid",), ("nationalities", 0), ("nationalities", 1)], claims=PAYLOAD)
    check_sd_policy(POLICY, [("cid",), ("nationalities", None), ("nickname",)], claims=PAYLOAD)


@pytest.mark.parametrize(
    ("sd_paths", "claims", "message"),
    [
        ([("nationalities", None)], None, "['cid'] must be"),
        ([("cid",), ("nationalities", None), ("gewog",)], None, "['gewog'] must not be"),
        ([("cid",)], None, "['nationalities', None] must be"),
        ([("cid",), ("nationalities", None), ("titles", 0)], None, "['titles', 0] must not be"),
        ([("cid",), ("nationalities", 0)], PAYLOAD, "['nationalities', 1] must be"),
        ([("cid",), ("nationalities", None), ("titles", None)], PAYLOAD, "['titles', 0] must not"),
    ],
)
def test_sd_policy_rejects_violations(
    sd_paths: list[tuple[Any, ...]], claims: dict[str, Any] | None, message: str
) -> None:
    with codes("sd_conflict") as caught:
        check_sd_policy(POLICY, sd_paths, claims=claims)
    assert message in caught.value.message


def test_sd_policy_ignores_absent_claims_when_the_payload_is_given() -> None:
    check_sd_policy(POLICY, [], claims={"nickname": "Pem"})


def test_mandatory_claims() -> None:
    check_mandatory(POLICY, PAYLOAD)
    with codes("mandatory_claim_missing"):
        check_mandatory(POLICY, {"gewog": "Chang"})


# --- properties -------------------------------------------------------------------------------

_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=6)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
_tags = st.sampled_from(["en", "en-GB", "dz", "dz-BT", "ne"])
_words = st.text(min_size=1, max_size=8).filter(str.strip)
_displays = st.lists(
    st.fixed_dictionaries(
        {"locale": _tags, "label": _words},
        optional={"description": _words},
    ),
    max_size=3,
)
_documents = st.fixed_dictionaries(
    {
        "vct": _words,
        "claims": st.lists(
            st.fixed_dictionaries(
                {
                    "path": st.lists(
                        st.one_of(st.text(max_size=4), st.none(), st.integers(0, 3)),
                        min_size=1,
                        max_size=3,
                    )
                },
                optional={
                    "display": _displays,
                    "mandatory": st.booleans(),
                    "sd": st.sampled_from(["always", "allowed", "never"]),
                },
            ),
            max_size=4,
            unique_by=lambda claim: json.dumps(claim["path"]),
        ),
    },
    optional={"name": _words, "display": st.just([])},
)


@settings(max_examples=200)
@given(_documents)
def test_documents_round_trip(document: dict[str, Any]) -> None:
    metadata = TypeMetadata.from_json(document)
    assert TypeMetadata.from_json(metadata.to_json()) == metadata
    for claim in metadata.claims:
        assert metadata.label(claim.path, "dz-BT")  # never empty


@settings(max_examples=300)
@given(_json | st.fixed_dictionaries({"vct": _json, "claims": _json, "display": _json}))
def test_parser_raises_only_type_metadata_errors(document: Any) -> None:
    with contextlib.suppress(TypeMetadataError):
        TypeMetadata.from_json(document)
