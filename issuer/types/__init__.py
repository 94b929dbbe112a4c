"""Credential types as data: one JSON file per type (this folder, plus an optional override
folder from settings). A second language or a new claim is a data change, not a code change.

A type file holds::

    id             type id = OpenID4VCI credential_configuration_id = last vct segment
    subject        "person" or "business": which registry record an offer is made for
    validity_days  how long an issued credential is valid (settings may override per type)
    display        [{"lang", "name", "description"}]  — one entry per language
    claims         [{"path", "from", "mandatory", "sd", "display": [{"lang", "label", ...}]}]
    key_attestation  optional {"required": bool, "key_storage": [...], "user_authentication":
                   [...]}: OpenID4VCI 1.0 Appendix D key attestations for this type. ``required``
                   refuses key proofs without one; the lists name the accepted levels (any one
                   suffices; ``iso_18045_high`` ... or an ecosystem URL); empty = any level
    approval       optional "operator": the credential endpoint answers 202 and an operator
                   approves or denies in the approval queue before the wallet can fetch it

``from`` names where a value comes from: ``person.<field>``, ``business.<field>``,
``owner.<field>`` (the business owner) or ``age_over:<N>`` (derived at issuance from the birth
date, so an age check never needs the birth date). A claim without ``from`` is an object whose
members are listed as their own claims. ``sd`` follows SD-JWT VC Type Metadata (draft-25 §9.3):
``always``/``allowed`` claims are issued selectively disclosable, ``never`` in plain text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from credentials.errors import CredentialError
from credentials.type_metadata import TypeMetadata, check_sd_policy
from issuer.errors import ConfigurationError

__all__ = [
    "CORE_TYPE_IDS",
    "ClaimSpec",
    "CredentialType",
    "KeyAttestationPolicy",
    "load_types",
    "parse_key_attestation_policy",
    "parse_type",
]

CORE_TYPE_IDS = ("foundational-id", "permanent-address", "business-licence")
_TYPE_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
_SOURCE = re.compile(r"(person|business|owner)\.[a-z_]+|age_over:[0-9]{1,3}")
_SD = ("always", "allowed", "never")
# SD-JWT VC §3.2.2: these are set by the issuer and never come from a type file.
_RESERVED = frozenset({"iss", "iat", "nbf", "exp", "cnf", "vct", "vct#integrity", "status", "sub"})


@dataclass(frozen=True, slots=True)
class ClaimSpec:
    path: tuple[str, ...]
    source: str | None
    mandatory: bool
    sd: Literal["always", "allowed", "never"]
    display: tuple[Mapping[str, str], ...]

    @property
    def selectively_disclosable(self) -> bool:
        return self.sd != "never"


@dataclass(frozen=True, slots=True)
class KeyAttestationPolicy:
    """OpenID4VCI 1.0 §12.2.4 ``key_attestations_required`` for one type, and whether a key
    proof without an attestation is refused. Empty level lists accept any level."""

    required: bool = False
    key_storage: tuple[str, ...] = ()
    user_authentication: tuple[str, ...] = ()

    def metadata(self) -> dict[str, list[str]]:
        """The ``key_attestations_required`` object (present only when required, §12.2.4)."""
        out: dict[str, list[str]] = {}
        if self.key_storage:
            out["key_storage"] = list(self.key_storage)
        if self.user_authentication:
            out["user_authentication"] = list(self.user_authentication)
        return out


@dataclass(frozen=True, slots=True)
class CredentialType:
    id: str
    subject: Literal["person", "business"]
    validity_days: int
    display: tuple[Mapping[str, str], ...]
    claims: tuple[ClaimSpec, ...]
    key_attestation: KeyAttestationPolicy = KeyAttestationPolicy()
    approval: Literal["none", "operator"] = "none"

    @property
    def name(self) -> str:
        """The English display name (or the first one) for logs and operator screens."""
        for entry in self.display:
            if entry.get("lang") == "en":
                return entry["name"]
        return self.display[0]["name"]

    @property
    def sd_paths(self) -> tuple[tuple[str, ...], ...]:
        return tuple(claim.path for claim in self.claims if claim.selectively_disclosable)

    def vct(self, public_url: str) -> str:
        return f"{public_url}/types/{self.id}"

    def type_metadata(self, public_url: str) -> dict[str, Any]:
        """SD-JWT VC Type Metadata (draft-25 §6) served at the ``vct`` URL; display entries use
        ``locale`` (§8, §9.2) — the type files say ``lang``."""
        english = next((d for d in self.display if d.get("lang") == "en"), self.display[0])
        return {
            "vct": self.vct(public_url),
            "name": english["name"],
            "description": english.get("description", english["name"]),
            "display": [_localised(entry) for entry in self.display],
            "claims": [
                {
                    "path": list(claim.path),
                    "display": [_localised(entry) for entry in claim.display],
                    "mandatory": claim.mandatory,
                    "sd": claim.sd,
                }
                for claim in self.claims
            ],
        }


def _localised(entry: Mapping[str, str]) -> dict[str, str]:
    out = {"locale": entry["lang"]}
    out.update((k, v) for k, v in entry.items() if k != "lang")
    return out


def _fail(where: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"credential type file {where}: {message}", code="invalid_type_file")


def _display(value: Any, where: str, name_key: str) -> tuple[Mapping[str, str], ...]:
    if not isinstance(value, list) or not value:
        raise _fail(where, "'display' must be a non-empty list")
    out = []
    for entry in value:
        if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
            raise _fail(where, "each display entry is an object of strings")
        if not entry.get("lang") or not entry.get(name_key):
            raise _fail(where, f"each display entry needs 'lang' and '{name_key}'")
        out.append(dict(entry))
    return tuple(out)


def _claim(item: Any, where: str) -> ClaimSpec:
    if not isinstance(item, dict):
        raise _fail(where, "each claim is an object")
    path = item.get("path")
    if (
        not isinstance(path, list)
        or not path
        or not all(isinstance(p, str) and p and p not in ("_sd", "...") for p in path)
    ):
        raise _fail(where, f"claim path {path!r} must be a list of claim names")
    if path[0] in _RESERVED:
        raise _fail(where, f"claim {path[0]!r} is set by the issuer, not by a type file")
    source = item.get("from")
    if source is not None and (not isinstance(source, str) or not _SOURCE.fullmatch(source)):
        raise _fail(where, f"claim {path!r} has an unknown source {source!r}")
    sd = item.get("sd", "always")
    if sd not in _SD:
        raise _fail(where, f"claim {path!r}: sd must be one of {_SD}")
    mandatory = item.get("mandatory", False)
    if not isinstance(mandatory, bool):
        raise _fail(where, f"claim {path!r}: mandatory must be true or false")
    return ClaimSpec(
        tuple(path), source, mandatory, sd, _display(item.get("display"), where, "label")
    )


def parse_key_attestation_policy(value: Any, *, where: str) -> KeyAttestationPolicy:
    """A type file's (or the settings') ``key_attestation`` object."""
    if value is None:
        return KeyAttestationPolicy()
    if not isinstance(value, dict) or set(value) - {
        "required",
        "key_storage",
        "user_authentication",
    }:
        raise _fail(
            where, "'key_attestation' is an object of required, key_storage, user_authentication"
        )
    required = value.get("required", False)
    if not isinstance(required, bool):
        raise _fail(where, "key_attestation.required must be true or false")
    levels: dict[str, tuple[str, ...]] = {}
    for name in ("key_storage", "user_authentication"):
        items = value.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise _fail(where, f"key_attestation.{name} must be a list of level names or URLs")
        levels[name] = tuple(items)
    return KeyAttestationPolicy(required, levels["key_storage"], levels["user_authentication"])


def parse_type(data: Any, *, where: str = "<memory>") -> CredentialType:
    """Validate one type file's JSON; raise :class:`ConfigurationError` saying what is wrong."""
    if not isinstance(data, dict):
        raise _fail(where, "must be a JSON object")
    type_id = data.get("id")
    if not isinstance(type_id, str) or not _TYPE_ID.fullmatch(type_id):
        raise _fail(where, "'id' must be lower-case letters, digits and '-'")
    subject = data.get("subject")
    if subject not in ("person", "business"):
        raise _fail(where, "'subject' must be 'person' or 'business'")
    days = data.get("validity_days")
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 50 * 366:
        raise _fail(where, "'validity_days' must be a whole number of days (1 to 18300)")
    raw_claims = data.get("claims")
    if not isinstance(raw_claims, list) or not raw_claims:
        raise _fail(where, "'claims' must be a non-empty list")
    claims = tuple(_claim(item, where) for item in raw_claims)
    paths = [c.path for c in claims]
    if len(set(paths)) != len(paths):
        raise _fail(where, "two claims have the same path")
    for claim in claims:
        parent = claim.path[:-1]
        if parent and parent not in paths:
            raise _fail(where, f"claim {list(claim.path)} needs its parent {list(parent)} listed")
        if claim.source is None and not any(
            p[: len(claim.path)] == claim.path and p != claim.path for p in paths
        ):
            raise _fail(where, f"claim {list(claim.path)} has no 'from' and no members")
        if (
            claim.source is not None
            and claim.source.startswith(("business.", "owner."))
            and subject != "business"
        ):
            raise _fail(where, f"claim {list(claim.path)}: a person type has no business")
    display = _display(data.get("display"), where, "name")
    approval = data.get("approval", "none")
    if approval not in ("none", "operator"):
        raise _fail(where, "'approval' must be 'operator' (or left out)")
    ctype = CredentialType(
        type_id,
        subject,
        days,
        display,
        claims,
        key_attestation=parse_key_attestation_policy(data.get("key_attestation"), where=where),
        approval=approval,
    )
    try:
        # The document we will serve must parse as Type Metadata, and the claims we make
        # selectively disclosable must honour its own sd rules (§9.4).
        metadata = TypeMetadata.from_json(ctype.type_metadata("https://issuer.invalid"))
        check_sd_policy(metadata, ctype.sd_paths)
    except CredentialError as exc:
        raise _fail(where, f"not valid SD-JWT VC Type Metadata: {exc.message}") from exc
    return ctype


def _read(path: Path) -> CredentialType:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _fail(str(path), f"cannot be read as JSON ({exc})") from exc
    ctype = parse_type(data, where=path.name)
    if path.stem != ctype.id:
        raise _fail(path.name, f"the file name must be {ctype.id}.json")
    return ctype


def load_types(
    extra_dir: Path | None = None,
    *,
    validity_days: Mapping[str, int] | None = None,
    key_attestation: Mapping[str, Any] | None = None,
) -> dict[str, CredentialType]:
    """The built-in types, then ``extra_dir/*.json`` (which add types or replace built-ins);
    ``validity_days`` and ``key_attestation`` (type id → policy object) override the files."""
    found: dict[str, CredentialType] = {}
    for path in sorted(Path(__file__).parent.glob("*.json")):
        found_type = _read(path)
        found[found_type.id] = found_type
    if extra_dir is not None:
        if not extra_dir.is_dir():
            raise ConfigurationError(
                f"the types folder {extra_dir} does not exist", code="invalid_type_file"
            )
        for path in sorted(extra_dir.glob("*.json")):
            found_type = _read(path)
            found[found_type.id] = found_type
    for type_id, days in (validity_days or {}).items():
        if type_id not in found:
            raise ConfigurationError(
                f"validity_days names an unknown credential type {type_id!r}",
                code="invalid_type_file",
            )
        found[type_id] = replace(found[type_id], validity_days=days)
    for type_id, policy in (key_attestation or {}).items():
        if type_id not in found:
            raise ConfigurationError(
                f"key_attestation_required names an unknown credential type {type_id!r}",
                code="invalid_type_file",
            )
        parsed = parse_key_attestation_policy(policy, where="key_attestation_required")
        found[type_id] = replace(found[type_id], key_attestation=parsed)
    return found
