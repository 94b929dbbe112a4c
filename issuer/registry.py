"""The agency's source of truth: the people and businesses it may issue credentials to.

An offer is always made for a record in this registry, never from text a citizen typed. Records
are validated here (plain code, no storage): an 11-digit CID, one of the 20 dzongkhags, a real
date of birth. CSV import reads the same fields, one record per row, and reports every bad row
with its line number so a clerk can fix the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from issuer.errors import RegistryError

__all__ = [
    "BUSINESS_FIELDS",
    "DZONGKHAGS",
    "PERSON_FIELDS",
    "Business",
    "Person",
    "demo_businesses",
    "demo_people",
    "iter_csv_rows",
    "parse_businesses_csv",
    "parse_people_csv",
    "validate_business",
    "validate_person",
]

DZONGKHAGS = (
    "Bumthang",
    "Chhukha",
    "Dagana",
    "Gasa",
    "Haa",
    "Lhuentse",
    "Mongar",
    "Paro",
    "Pemagatshel",
    "Punakha",
    "Samdrup Jongkhar",
    "Samtse",
    "Sarpang",
    "Thimphu",
    "Trashigang",
    "Trashiyangtse",
    "Trongsa",
    "Tsirang",
    "Wangdue Phodrang",
    "Zhemgang",
)
_DZONGKHAG_BY_KEY = {name.lower().replace(" ", ""): name for name in DZONGKHAGS}
_CID = re.compile(r"[0-9]{11}")
_LICENCE = re.compile(r"[A-Z0-9][A-Z0-9/-]{3,31}")
_MAX_PHOTO = (
    96 * 1024
)  # a passport photo as a data URI; keeps the credential small for SMS-era phones
_TEXT_MAX = 200


def _text(value: Any, name: str, *, required: bool = True) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValueError(f"{name} is required")
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text")
    cleaned = " ".join(value.split())
    if len(cleaned) > _TEXT_MAX:
        raise ValueError(f"{name} is longer than {_TEXT_MAX} characters")
    return cleaned


def _dzongkhag(value: Any) -> str:
    text = _text(value, "dzongkhag") or ""
    found = _DZONGKHAG_BY_KEY.get(text.lower().replace(" ", ""))
    if found is None:
        raise ValueError(f"{text!r} is not one of the 20 dzongkhags (e.g. Thimphu, Paro)")
    return found


def _cid(value: Any) -> str:
    text = str(value).strip() if value is not None else ""
    if not _CID.fullmatch(text):
        raise ValueError("a CID number is exactly 11 digits")
    return text


class Person(BaseModel):
    """A person in the civil registry (birth record and permanent address)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cid: str
    given_name: str
    family_name: str | None = None
    full_name: str = ""
    gender: Literal["female", "male", "other"]
    birthdate: date
    birth_dzongkhag: str
    birth_gewog: str
    birth_village: str
    citizenship: str = "BT"
    photo: str | None = None
    dzongkhag: str
    gewog: str
    village: str
    house_number: str

    @field_validator("cid", mode="before")
    @classmethod
    def _check_cid(cls, value: Any) -> str:
        return _cid(value)

    @field_validator(
        "given_name",
        "birth_gewog",
        "birth_village",
        "gewog",
        "village",
        "house_number",
        mode="before",
    )
    @classmethod
    def _required_text(cls, value: Any) -> str | None:
        return _text(value, "this field")

    @field_validator("family_name", "full_name", mode="before")
    @classmethod
    def _optional_text(cls, value: Any) -> str | None:
        return _text(value, "name", required=False)

    @field_validator("gender", mode="before")
    @classmethod
    def _gender(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("birth_dzongkhag", "dzongkhag", mode="before")
    @classmethod
    def _check_dzongkhag(cls, value: Any) -> str:
        return _dzongkhag(value)

    @field_validator("citizenship", mode="before")
    @classmethod
    def _citizenship(cls, value: Any) -> str:
        text = (_text(value, "citizenship", required=False) or "BT").upper()
        if not re.fullmatch(r"[A-Z]{2}", text):
            raise ValueError("citizenship is a two-letter country code such as BT")
        return text

    @field_validator("photo", mode="before")
    @classmethod
    def _photo(cls, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str) or not re.fullmatch(
            r"data:image/(jpeg|png|webp);base64,[A-Za-z0-9+/]+={0,2}", value
        ):
            raise ValueError("photo must be a data:image/jpeg|png|webp;base64 URI")
        if len(value) > _MAX_PHOTO:
            raise ValueError(f"photo is larger than {_MAX_PHOTO // 1024} KiB")
        return value

    @model_validator(mode="after")
    def _derive(self) -> Person:
        if not self.full_name:
            full = " ".join(p for p in (self.given_name, self.family_name) if p)
            object.__setattr__(self, "full_name", full)
        if not date(1900, 1, 1) <= self.birthdate <= date(2100, 1, 1):
            raise ValueError("birthdate is not a plausible date of birth")
        return self


class Business(BaseModel):
    """A licensed business; its licence is issued to its owner (a person in the registry)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    licence_number: str
    business_name: str
    owner_cid: str
    activity: str
    valid_until: date

    @field_validator("licence_number", mode="before")
    @classmethod
    def _licence(cls, value: Any) -> str:
        text = (_text(value, "licence_number") or "").upper()
        if not _LICENCE.fullmatch(text):
            raise ValueError("a licence number is 4-32 letters, digits, '-' or '/'")
        return text

    @field_validator("business_name", "activity", mode="before")
    @classmethod
    def _required_text(cls, value: Any) -> str | None:
        return _text(value, "this field")

    @field_validator("owner_cid", mode="before")
    @classmethod
    def _owner(cls, value: Any) -> str:
        return _cid(value)


PERSON_FIELDS = tuple(Person.model_fields)
BUSINESS_FIELDS = tuple(Business.model_fields)


def _explain(exc: ValidationError) -> str:
    parts = []
    for item in exc.errors()[:4]:
        where = ".".join(str(p) for p in item.get("loc", ()))
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def _parse_rows(
    text: str, model: type[Person] | type[Business], max_rows: int
) -> Iterator[Person | Business]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = set(reader.fieldnames or ())
    known = set(model.model_fields)
    unknown = fields - known
    if unknown:
        raise RegistryError(
            f"the CSV has unknown columns {sorted(unknown)}; expected some of {sorted(known)}",
            code="invalid_csv",
        )
    errors: list[str] = []
    for number, row in enumerate(reader, start=2):
        if number - 1 > max_rows:
            raise RegistryError(f"the CSV has more than {max_rows} rows", code="invalid_csv")
        values = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
        if None in row:
            errors.append(f"line {number}: more values than columns")
            continue
        try:
            yield model.model_validate(values)
        except ValidationError as exc:
            errors.append(f"line {number}: {_explain(exc)}")
        if len(errors) >= 20:
            break
    if errors:
        raise RegistryError(
            "the CSV has invalid rows; fix them and import again: " + " | ".join(errors),
            code="invalid_csv",
        )


def parse_people_csv(text: str, *, max_rows: int = 100_000) -> list[Person]:
    """People from CSV text with a header row of :data:`PERSON_FIELDS` names."""
    return [p for p in _parse_rows(text, Person, max_rows) if isinstance(p, Person)]


def parse_businesses_csv(text: str, *, max_rows: int = 100_000) -> list[Business]:
    """Businesses from CSV text with a header row of :data:`BUSINESS_FIELDS` names."""
    return [b for b in _parse_rows(text, Business, max_rows) if isinstance(b, Business)]


def validate_person(data: Any) -> Person:
    try:
        return Person.model_validate(data)
    except ValidationError as exc:
        raise RegistryError(f"the person record is invalid: {_explain(exc)}") from exc


def validate_business(data: Any) -> Business:
    try:
        return Business.model_validate(data)
    except ValidationError as exc:
        raise RegistryError(f"the business record is invalid: {_explain(exc)}") from exc


def _demo_csv(name: str) -> str:
    return (Path(__file__).parent / "data" / name).read_text(encoding="utf-8")


def demo_people() -> list[Person]:
    """Invented people with realistic Bhutanese names and places (development and demos only)."""
    return parse_people_csv(_demo_csv("demo_people.csv"))


def demo_businesses() -> list[Business]:
    return parse_businesses_csv(_demo_csv("demo_businesses.csv"))


def iter_csv_rows(records: Iterable[Person | Business]) -> Iterator[dict[str, str]]:
    """Records as CSV rows (for export); dates ISO, absent values empty."""
    for record in records:
        yield {k: "" if v is None else str(v) for k, v in record.model_dump().items()}
