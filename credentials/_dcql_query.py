"""DCQL query model and parser (OpenID4VP 1.0 §6); import it from :mod:`credentials.dcql`.

Parsing is strict where the spec says MUST (§6, §6.1-§6.3, §7, and B.3.5 for ``dc+sd-jwt``)
and every error names the exact place in the query: a verifier author should be able to fix a
rejected query from the message alone. Unknown properties are ignored, as §6 requires.
The frozen dataclasses precompute what matching needs (type set, claim index, resolved claim
sets), so a wallet can test a query against thousands of stored credentials cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from credentials.claim_path import ClaimPath, path_problem
from credentials.errors import DCQLError

__all__ = [
    "SD_JWT_VC_FORMAT",
    "ClaimsQuery",
    "CredentialQuery",
    "CredentialSetQuery",
    "DCQLQuery",
]

SD_JWT_VC_FORMAT = "dc+sd-jwt"
_ID = re.compile(r"[A-Za-z0-9_-]+")  # §6.1/§6.3: alphanumeric, underscore, hyphen; ASCII only
# Bounds against absurd queries (the request object itself is already size-capped).
MAX_CREDENTIAL_QUERIES = 64
MAX_CLAIMS = 256
MAX_ALTERNATIVES = 64
MAX_VALUES = 256

Scalar = str | int | bool


def _fail(where: str, message: str) -> NoReturn:
    raise DCQLError(f"{where} {message}", code="invalid_dcql_query")


def _object(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        _fail(where, "must be a JSON object")
    return value


def _array(value: object, where: str, limit: int) -> Sequence[Any]:
    if not isinstance(value, list | tuple) or not value:
        _fail(where, "must be a non-empty array")
    if len(value) > limit:
        _fail(where, f"has {len(value)} entries; at most {limit} are accepted")
    return value


def _boolean(data: Mapping[str, Any], name: str, default: bool, where: str) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        _fail(f"{where}.{name}", "must be true or false")
    return value


def _identifier(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        _fail(where, "must be a non-empty string of letters, digits, '_' or '-'")
    return value


def _strings(value: object, where: str, limit: int) -> tuple[str, ...]:
    items = _array(value, where, limit)
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item:
            _fail(f"{where}[{i}]", "must be a non-empty string")
    return tuple(items)


def _id_lists(
    value: object, where: str, known: Sequence[str], what: str
) -> tuple[tuple[str, ...], ...]:
    result = []
    for i, option in enumerate(_array(value, where, MAX_ALTERNATIVES)):
        ids = _array(option, f"{where}[{i}]", MAX_CLAIMS)
        for j, ident in enumerate(ids):
            _identifier(ident, f"{where}[{i}][{j}]")
            if ident not in known:
                _fail(f"{where}[{i}][{j}]", f"refers to {what} {ident!r}, which is not defined")
        result.append(tuple(ids))
    return tuple(result)


@dataclass(frozen=True, slots=True)
class ClaimsQuery:
    """§6.3 Claims Query: a claims path pointer (§7) and optional accepted ``values``."""

    id: str | None
    path: ClaimPath
    values: tuple[Scalar, ...] | None = None
    _accepted: frozenset[tuple[type, Scalar]] | None = field(init=False, repr=False, compare=False)
    # Object keys only (the common case): the concrete path is the path itself, found by a
    # plain dictionary walk, and the matcher skips the general §7 selection.
    _plain: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # (type, value) keys keep JSON true apart from 1, as §6.3 asks for type *and* value.
        accepted = None if self.values is None else frozenset((type(v), v) for v in self.values)
        object.__setattr__(self, "_accepted", accepted)
        object.__setattr__(self, "_plain", all(isinstance(c, str) for c in self.path))

    def accepts(self, value: object) -> bool:
        """True when ``value`` satisfies ``values`` (always true when there is no restriction)."""
        if self._accepted is None:
            return True
        return isinstance(value, str | int) and (type(value), value) in self._accepted

    @classmethod
    def from_json(cls, data: object, where: str = "claim") -> ClaimsQuery:
        data = _object(data, where)
        ident = data.get("id")
        if ident is not None:
            _identifier(ident, f"{where}.id")
        if "path" not in data:
            _fail(f"{where}.path", "is required")
        problem = path_problem(data["path"])
        if problem:
            _fail(f"{where}.path", problem)
        values = data.get("values")
        if values is not None:
            for i, value in enumerate(_array(values, f"{where}.values", MAX_VALUES)):
                if not isinstance(value, str | int):  # bool is an int subclass: allowed
                    _fail(f"{where}.values[{i}]", "must be a string, integer or boolean")
            values = tuple(values)
        return cls(ident, tuple(data["path"]), values)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {} if self.id is None else {"id": self.id}
        out["path"] = list(self.path)
        if self.values is not None:
            out["values"] = list(self.values)
        return out


@dataclass(frozen=True, slots=True)
class CredentialQuery:
    """§6.1 Credential Query. Only ``dc+sd-jwt`` is matched; other formats never match."""

    id: str
    format: str
    vct_values: tuple[str, ...] | None = None
    claims: tuple[ClaimsQuery, ...] | None = None
    claim_sets: tuple[tuple[str, ...], ...] | None = None
    multiple: bool = False
    require_cryptographic_holder_binding: bool = True
    trusted_authorities: tuple[Mapping[str, Any], ...] | None = field(default=None, hash=False)
    meta: Mapping[str, Any] = field(default_factory=dict, hash=False)
    _vct_set: frozenset[str] | None = field(init=False, repr=False, compare=False)
    # The claim combinations to try, in the verifier's order (§6.4.1): the claim_sets, or all
    # claims as one combination; and, for combinations of plain paths, the paths to disclose.
    _options: tuple[tuple[ClaimsQuery, ...], ...] = field(init=False, repr=False, compare=False)
    _option_paths: tuple[tuple[tuple[str, ...], ...] | None, ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        vct_set = None if self.vct_values is None else frozenset(self.vct_values)
        object.__setattr__(self, "_vct_set", vct_set)
        options: tuple[tuple[ClaimsQuery, ...], ...] = (self.claims,) if self.claims else ()
        if self.claim_sets is not None:
            by_id = {claim.id: claim for claim in self.claims or () if claim.id is not None}
            try:
                options = tuple(tuple(by_id[i] for i in option) for option in self.claim_sets)
            except KeyError as exc:
                raise DCQLError(
                    f"credential query {self.id!r}: claim_sets refers to unknown claim {exc}",
                    code="invalid_dcql_query",
                ) from None
        object.__setattr__(self, "_options", options)
        plain_paths = tuple(
            tuple(dict.fromkeys(c.path for c in option)) if all(c._plain for c in option) else None
            for option in options
        )
        object.__setattr__(self, "_option_paths", plain_paths)

    @classmethod
    def from_json(cls, data: object, where: str = "credential") -> CredentialQuery:
        data = _object(data, where)
        ident = _identifier(data.get("id"), f"{where}.id")
        fmt = data.get("format")
        if not isinstance(fmt, str) or not fmt:
            _fail(f"{where}.format", "must be a non-empty string such as 'dc+sd-jwt'")
        if "meta" not in data:
            _fail(f"{where}.meta", "is required (use {} for no constraints)")
        meta = _object(data["meta"], f"{where}.meta")
        vct_values = None
        if fmt == SD_JWT_VC_FORMAT:  # B.3.5: vct_values is REQUIRED for dc+sd-jwt
            if "vct_values" not in meta:
                _fail(f"{where}.meta.vct_values", "is required for dc+sd-jwt")
            vct_values = _strings(meta["vct_values"], f"{where}.meta.vct_values", MAX_VALUES)
        authorities = None
        if "trusted_authorities" in data:
            authorities = tuple(
                _authority(item, f"{where}.trusted_authorities[{i}]")
                for i, item in enumerate(
                    _array(data["trusted_authorities"], f"{where}.trusted_authorities", MAX_VALUES)
                )
            )
        claims = None
        if "claims" in data:
            claims = tuple(
                ClaimsQuery.from_json(item, f"{where}.claims[{i}]")
                for i, item in enumerate(_array(data["claims"], f"{where}.claims", MAX_CLAIMS))
            )
            ids = [claim.id for claim in claims if claim.id is not None]
            if len(ids) != len(set(ids)):
                _fail(f"{where}.claims", "uses the same claim id more than once")
        claim_sets = None
        if "claim_sets" in data:
            if claims is None:
                _fail(f"{where}.claim_sets", "is not allowed without 'claims' (§6.4.1)")
            for i, claim in enumerate(claims):
                if claim.id is None:
                    _fail(f"{where}.claims[{i}].id", "is required when 'claim_sets' is present")
            known = [claim.id for claim in claims if claim.id is not None]
            claim_sets = _id_lists(data["claim_sets"], f"{where}.claim_sets", known, "claim")
        return cls(
            ident,
            fmt,
            vct_values,
            claims,
            claim_sets,
            _boolean(data, "multiple", False, where),
            _boolean(data, "require_cryptographic_holder_binding", True, where),
            authorities,
            dict(meta),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "format": self.format, "meta": dict(self.meta)}
        if self.multiple:
            out["multiple"] = True
        if not self.require_cryptographic_holder_binding:
            out["require_cryptographic_holder_binding"] = False
        if self.trusted_authorities is not None:
            out["trusted_authorities"] = [dict(item) for item in self.trusted_authorities]
        if self.claims is not None:
            out["claims"] = [claim.to_json() for claim in self.claims]
        if self.claim_sets is not None:
            out["claim_sets"] = [list(option) for option in self.claim_sets]
        return out


def _authority(data: object, where: str) -> Mapping[str, Any]:
    # §6.1.1: {"type": ..., "values": [...]}; evaluating them needs issuer certificates, which
    # the caller's trust layer has, so they are carried here and checked there.
    data = _object(data, where)
    if not isinstance(data.get("type"), str) or not data["type"]:
        _fail(f"{where}.type", "must be a non-empty string")
    _strings(data.get("values"), f"{where}.values", MAX_VALUES)
    return {"type": data["type"], "values": list(data["values"])}


@dataclass(frozen=True, slots=True)
class CredentialSetQuery:
    """§6.2 Credential Set Query: alternative sets of credential query ids."""

    options: tuple[tuple[str, ...], ...]
    required: bool = True

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"options": [list(option) for option in self.options]}
        if not self.required:
            out["required"] = False
        return out


@dataclass(frozen=True, slots=True)
class DCQLQuery:
    """A parsed, validated DCQL query (§6)."""

    credentials: tuple[CredentialQuery, ...]
    credential_sets: tuple[CredentialSetQuery, ...] | None = None
    _by_id: Mapping[str, CredentialQuery] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id = {query.id: query for query in self.credentials}
        if len(by_id) != len(self.credentials):
            raise DCQLError("credential query ids must be unique", code="invalid_dcql_query")
        for credential_set in self.credential_sets or ():
            for option in credential_set.options:
                unknown = [ident for ident in option if ident not in by_id]
                if unknown:
                    raise DCQLError(
                        f"credential_sets refers to unknown credential query {unknown[0]!r}",
                        code="invalid_dcql_query",
                    )
        object.__setattr__(self, "_by_id", by_id)

    def query(self, query_id: str) -> CredentialQuery | None:
        return self._by_id.get(query_id)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DCQLQuery:
        """Parse and validate a ``dcql_query`` object; raise :class:`DCQLError` when invalid."""
        data = _object(data, "dcql_query")
        if "credentials" not in data:
            _fail("dcql_query.credentials", "is required")
        items = _array(data["credentials"], "dcql_query.credentials", MAX_CREDENTIAL_QUERIES)
        credentials = tuple(
            CredentialQuery.from_json(item, f"credentials[{i}]") for i, item in enumerate(items)
        )
        seen: set[str] = set()
        for i, query in enumerate(credentials):
            if query.id in seen:
                _fail(f"credentials[{i}].id", f"{query.id!r} is used by another credential query")
            seen.add(query.id)
        sets = None
        if "credential_sets" in data:
            raw = _array(data["credential_sets"], "credential_sets", MAX_ALTERNATIVES)
            sets = tuple(
                CredentialSetQuery(
                    _id_lists(
                        _object(item, f"credential_sets[{i}]").get("options"),
                        f"credential_sets[{i}].options",
                        [query.id for query in credentials],
                        "credential query",
                    ),
                    _boolean(item, "required", True, f"credential_sets[{i}]"),
                )
                for i, item in enumerate(raw)
            )
        return cls(credentials, sets)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"credentials": [query.to_json() for query in self.credentials]}
        if self.credential_sets is not None:
            out["credential_sets"] = [item.to_json() for item in self.credential_sets]
        return out
