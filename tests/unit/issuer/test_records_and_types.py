"""Registry records, CSV import, credential type files, claim building, status allocation,
settings rules and the key store — the issuer's plain logic, without HTTP."""

from __future__ import annotations

import json
import stat
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from credentials.sd_jwt_vc import issue_sd_jwt_vc
from did.keys import PrivateKey
from issuer.claims import age_on, build_claims, present_sd_paths
from issuer.errors import ConfigurationError, ConflictError, RegistryError
from issuer.registry import (
    DZONGKHAGS,
    Business,
    Person,
    demo_businesses,
    demo_people,
    parse_businesses_csv,
    parse_people_csv,
    validate_person,
)
from issuer.settings import IssuerSettings
from issuer.signing import KeyStore, published_keys
from issuer.status import (
    build_status_list,
    choose_index,
    choose_indexes,
    explain_refused,
    needs_resign,
)
from issuer.types import CORE_TYPE_IDS, load_types, parse_type

PERSON: dict[str, Any] = {
    "cid": "11512003456",
    "given_name": "Karma",
    "family_name": "Wangmo",
    "gender": "Female",
    "birthdate": "1994-03-12",
    "birth_dzongkhag": "paro",
    "birth_gewog": "Lungnyi",
    "birth_village": "Bondey",
    "dzongkhag": "Thimphu",
    "gewog": "Chang",
    "village": "Changzamtog",
    "house_number": "CZ-114",
}


def test_person_validation_and_normalisation() -> None:
    person = Person.model_validate(PERSON)
    assert person.full_name == "Karma Wangmo"
    assert person.gender == "female"
    assert person.birth_dzongkhag == "Paro"
    assert person.citizenship == "BT"
    for field, value in [
        ("cid", "1151200345"),
        ("cid", "1151200345a"),
        ("gender", "x"),
        ("birth_dzongkhag", "Kathmandu"),
        ("birthdate", "1850-01-01"),
        ("birthdate", "1994-02-30"),
        ("given_name", "  "),
        ("photo", "http://example.com/p.jpg"),
        ("citizenship", "Bhutan"),
    ]:
        with pytest.raises(ValidationError):
            Person.model_validate({**PERSON, field: value})
    with pytest.raises(RegistryError, match="11 digits"):
        validate_person({**PERSON, "cid": "12"})
    assert len(DZONGKHAGS) == 20


def test_demo_data_is_valid_and_consistent() -> None:
    people = demo_people()
    assert len(people) >= 10
    assert len({p.cid for p in people}) == len(people)
    owners = {p.cid for p in people}
    assert all(b.owner_cid in owners for b in demo_businesses())


def test_csv_import_reports_bad_lines() -> None:
    header = ",".join(PERSON)
    good = ",".join(str(v) for v in PERSON.values())
    assert parse_people_csv(f"\ufeff{header}\n{good}\n")[0].cid == "11512003456"
    bad = good.replace("11512003456", "123")
    with pytest.raises(RegistryError) as info:
        parse_people_csv(f"{header}\n{good}\n{bad}\n")
    assert "line 3" in info.value.message
    assert info.value.code == "invalid_csv"
    with pytest.raises(RegistryError, match="unknown columns"):
        parse_people_csv("cid,shoe_size\n11512003456,42\n")
    with pytest.raises(RegistryError, match="more values"):
        parse_people_csv(f"{header}\n{good},extra\n")
    with pytest.raises(RegistryError, match="more than 1 rows"):
        parse_people_csv(f"{header}\n{good}\n{good}\n", max_rows=1)
    businesses = parse_businesses_csv(
        "licence_number,business_name,owner_cid,activity,valid_until\n"
        "bl-1/2025,Shop,11512003456,Retail,2030-01-01\n"
    )
    assert businesses[0].licence_number == "BL-1/2025"


def test_age_on_birthdays() -> None:
    born = date(2008, 2, 29)
    assert age_on(born, date(2026, 2, 28)) == 17
    assert age_on(born, date(2026, 3, 1)) == 18
    assert age_on(date(2000, 6, 15), date(2018, 6, 15)) == 18
    assert age_on(date(2000, 6, 15), date(2018, 6, 14)) == 17


def test_core_types_load_and_build() -> None:
    types = load_types()
    assert set(CORE_TYPE_IDS) <= set(types)
    fid = types["foundational-id"]
    assert {d["lang"] for d in fid.display} == {"en", "dz"}
    person = Person.model_validate(PERSON)
    claims = build_claims(fid, today=date(2012, 3, 12), person=person)
    assert claims["age_over_18"] is True
    claims_young = build_claims(fid, today=date(2012, 3, 11), person=person)
    assert claims_young["age_over_18"] is False
    assert claims["place_of_birth"]["gewog"] == "Lungnyi"
    sd = present_sd_paths(fid, claims)
    assert ("photo",) not in sd  # absent optional claim
    assert ("place_of_birth", "village") in sd
    # The issued credential obeys SD-JWT VC: every claim hideable, the envelope plain.
    key = PrivateKey.generate()
    issued = issue_sd_jwt_vc(
        claims,
        key,
        iss="https://x.bt",
        vct="https://x.bt/types/f",
        iat=1,
        sd_paths=sd,
        holder_key=key.public_key,
    )
    assert len(issued.disclosures) == len(sd)
    licence = types["business-licence"]
    business = Business.model_validate(
        {
            "licence_number": "BL-1",
            "business_name": "Shop",
            "owner_cid": PERSON["cid"],
            "activity": "Retail",
            "valid_until": "2030-01-01",
        }
    )
    built = build_claims(licence, today=date(2026, 1, 1), business=business, owner=person)
    assert built["owner_name"] == "Karma Wangmo"
    with pytest.raises(RegistryError) as info:
        build_claims(licence, today=date(2026, 1, 1), person=person)
    assert info.value.code == "record_mismatch"
    no_family = Person.model_validate({**PERSON, "family_name": None})
    assert "family_name" not in build_claims(fid, today=date(2026, 1, 1), person=no_family)


def _type(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "tourist-permit",
        "subject": "person",
        "validity_days": 30,
        "display": [{"lang": "en", "name": "Tourist permit"}],
        "claims": [
            {"path": ["cid"], "from": "person.cid", "display": [{"lang": "en", "label": "CID"}]}
        ],
    }
    base.update(changes)
    return base


def test_type_files_are_validated(tmp_path: Path) -> None:
    assert parse_type(_type()).sd_paths == (("cid",),)
    bad_cases = [
        _type(id="Bad Id"),
        _type(subject="robot"),
        _type(validity_days=0),
        _type(claims=[]),
        _type(display=[]),
        _type(
            claims=[
                {"path": ["iss"], "from": "person.cid", "display": [{"lang": "en", "label": "x"}]}
            ]
        ),
        _type(
            claims=[
                {"path": ["cid"], "from": "os.system", "display": [{"lang": "en", "label": "x"}]}
            ]
        ),
        _type(
            claims=[
                {
                    "path": ["a", "b"],
                    "from": "person.cid",
                    "display": [{"lang": "en", "label": "x"}],
                }
            ]
        ),
        _type(
            claims=[
                {
                    "path": ["x"],
                    "from": "business.activity",
                    "display": [{"lang": "en", "label": "x"}],
                }
            ]
        ),
        _type(claims=[{"path": ["x"], "display": [{"lang": "en", "label": "x"}]}]),
    ]
    for data in bad_cases:
        with pytest.raises(ConfigurationError):
            parse_type(data)
    (tmp_path / "tourist-permit.json").write_text(json.dumps(_type()), encoding="utf-8")
    types = load_types(tmp_path, validity_days={"foundational-id": 100})
    assert "tourist-permit" in types
    assert types["foundational-id"].validity_days == 100
    (tmp_path / "wrong-name.json").write_text(json.dumps(_type()), encoding="utf-8")
    with pytest.raises(ConfigurationError, match="file name"):
        load_types(tmp_path)
    with pytest.raises(ConfigurationError, match="unknown credential type"):
        load_types(validity_days={"passport": 1})
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_types(tmp_path / "missing")


def test_type_metadata_document() -> None:
    from credentials.type_metadata import TypeMetadata

    metadata = load_types()["permanent-address"].type_metadata("https://x.bt")
    parsed = TypeMetadata.from_json(metadata)  # the independent parser of credentials/
    assert parsed.vct == "https://x.bt/types/permanent-address"
    assert metadata["vct"] == "https://x.bt/types/permanent-address"
    assert metadata["claims"][0] == {
        "path": ["cid"],
        "mandatory": True,
        "sd": "always",
        "display": [
            {"locale": "en", "label": "CID number"},
            {"locale": "dz", "label": "མི་ཁུངས་ངོ་སྤྲོད་ཨང་"},
        ],
    }


def test_status_index_choice() -> None:
    draws = iter([5, 5, 7])
    taken = {5}
    assert choose_index(10, taken.__contains__, randbelow=lambda _n: next(draws)) == 7
    assert choose_index(10, lambda _i: True, randbelow=lambda _n: 0, draws=3) is None


def test_status_indexes_for_a_batch_are_distinct_free_and_asked_once_per_round() -> None:
    draws = iter([4, 4, 5, 6, 1, 2])  # 4 twice in round one, 5 taken; round two: 1, 2
    asked: list[list[int]] = []

    def taken_among(ids: Sequence[int]) -> set[int]:
        asked.append(list(ids))
        return {5} & set(ids)

    found = choose_indexes(10, 4, taken_among, randbelow=lambda _n: next(draws))
    assert found == [4, 6, 1, 2]
    assert asked == [[4, 5, 6], [1, 2]]  # one query per round, never the whole batch again


def test_status_indexes_stop_when_draws_in_a_row_hit_used_entries() -> None:
    # The list is full enough to close: what was found is kept, the rest go into a new list.
    draws = iter([3, 7, 7, 7, 7])
    found = choose_indexes(
        10, 3, lambda ids: {7} & set(ids), randbelow=lambda _n: next(draws), draws=3
    )
    assert found == [3]
    status_list = build_status_list(16, [(3, 1), (4, 2)])
    assert (status_list.get(3), status_list.get(4), status_list.get(5)) == (1, 2, 0)
    args: dict[str, Any] = {
        "token": "t",
        "token_version": 2,
        "version": 2,
        "token_kid": "k",
        "active_kid": "k",
        "token_exp": 1000,
        "now": 100,
        "ttl": 300,
    }
    assert not needs_resign(**args)
    assert needs_resign(**{**args, "version": 3})
    assert needs_resign(**{**args, "active_kid": "k2"})
    assert needs_resign(**{**args, "now": 800})
    assert needs_resign(**{**args, "token": None})
    assert isinstance(explain_refused("reinstate", 1), ConflictError)


def test_settings_fail_closed() -> None:
    with pytest.raises(ValueError, match="PUBLIC_URL"):
        IssuerSettings()
    with pytest.raises(ValueError, match="https"):
        IssuerSettings(public_url="http://127.0.0.1:8101")
    with pytest.raises(ValueError, match="herd privacy"):
        IssuerSettings(public_url="https://id.gov.bt", status_list_size=1000)
    with pytest.raises(ValueError, match="dev only"):
        IssuerSettings(public_url="https://id.gov.bt", seed_demo_data=True)
    with pytest.raises(ValueError, match="database password"):
        IssuerSettings(
            public_url="https://id.gov.bt", database_url="postgresql://u:changeme@db/issuer"
        )
    ok = IssuerSettings(public_url="https://id.gov.bt/")
    assert ok.public_url == "https://id.gov.bt"
    assert ok.seed_demo is False
    dev = IssuerSettings(mode="development", port=9000)
    assert dev.public_url == "http://127.0.0.1:9000"
    assert dev.seed_demo is True


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DRUKID_ISSUER_PUBLIC_URL", "https://registry.example.gov.bt")
    monkeypatch.setenv("DRUKID_ISSUER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DRUKID_ISSUER_VALIDITY_DAYS", '{"permanent-address": 90}')
    settings = IssuerSettings()
    assert settings.validity_days == {"permanent-address": 90}
    assert settings.resolved_database_url.endswith("issuer.sqlite")


def test_key_store(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys")
    key = store.create("EdDSA")
    kid = key.public_key.thumbprint()
    path = tmp_path / "keys" / f"{kid}.jwk"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KeyStore(tmp_path / "keys").load(kid).public_key == key.public_key
    path.chmod(0o644)
    with pytest.raises(ConfigurationError) as info:
        KeyStore(tmp_path / "keys").load(kid)
    assert info.value.code == "signing_key_exposed"
    with pytest.raises(ConfigurationError):
        store.load("../../etc/passwd")
    store.destroy(kid)
    assert not path.exists()
    with pytest.raises(ConfigurationError) as info:
        store.load(kid)
    assert info.value.code == "signing_key_unavailable"
    assert key.to_jwk()["d"] not in repr(key)


def test_published_keys() -> None:
    rows = [("old", "{}", 100), ("older", "{}", 50), ("active", "{}", None)]
    latest = {"old": 10_000, "older": 60}
    assert published_keys(rows, latest, now=1000, token_lifetime=100) == ["old", "active"]
    assert published_keys(rows, latest, now=20_000, token_lifetime=100) == ["active"]
    assert published_keys(rows, {}, now=120, token_lifetime=100) == ["old", "older", "active"]


class _Prepared:
    def __init__(self, log: list[str], url: str) -> None:
        log.append(url)

    def close(self) -> None:
        pass


def test_server_run_follows_the_port_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    import issuer.server as server

    seen: dict[str, Any] = {}
    monkeypatch.setattr(server, "create_app", lambda s: seen.setdefault("settings", s))
    monkeypatch.setattr(server.uvicorn, "run", lambda app, **kw: seen.update(kw))
    prepared: list[str] = []  # the start-up preparation (schema, first key) runs first, once
    monkeypatch.setattr(server, "build_runtime", lambda s: _Prepared(prepared, s.public_url))
    server.run(IssuerSettings(mode="development"), port=9001)
    assert prepared == ["http://127.0.0.1:9001"]
    assert seen["settings"].public_url == "http://127.0.0.1:9001"
    assert seen["port"] == 9001
    seen.clear()
    server.run(IssuerSettings(public_url="https://id.gov.bt"), host="10.1.2.3", port=9002)
    assert seen["settings"].public_url == "https://id.gov.bt"
    assert seen["host"] == "10.1.2.3"


def test_one_table_says_what_to_do_next() -> None:
    from issuer.errors import ForbiddenError, NotFoundError, next_step

    refused = ForbiddenError("no", code="role_forbidden")
    assert refused.hint == next_step("role_forbidden")
    assert refused.hint is not None
    assert "administrator" in refused.hint
    assert NotFoundError("no credential 'x'").hint is None  # the message says it all
    assert next_step("database_unavailable") is not None
