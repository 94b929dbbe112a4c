"""SD-JWT VC Type Metadata (draft-ietf-oauth-sd-jwt-vc-25 §5) and its integrity (§6).

Section numbers are the current draft's (Type Metadata was §6 up to -12, §5 since -14).

* §5.2 format: ``vct`` (required), ``name``, ``description``, ``extends`` with
  ``extends#integrity``, ``display`` (§5.5) and ``claims`` (§5.6). Unknown properties are ignored.
* §5.3 retrieval: the document found for a reference must carry that exact ``vct``.
* §5.4 and §5.6.5 extension: the parent is processed first; a child's claim object for the same
  ``path`` overrides the parent's property by property; a child may not change ``sd`` away from
  ``always``/``never`` nor make a mandatory claim optional. §7.4: circular ``extends`` rejected.
* §6: integrity strings are W3C Subresource Integrity metadata (``sha256-<base64>``); the
  strongest listed algorithm decides (SRI §3.3.5). Unlike a browser we fail closed when no
  usable hash is given.
* §5.5/§5.6.2 display entries use ``locale``; drafts before -12 called it ``lang`` and documents in
  the wild still do, so both are read (``locale`` is written).

Network access is the caller's ``fetch``: it must apply the HTTPS/SSRF/size rules (§3, §7.1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeVar

from credentials._sri import integrity_of, verify_integrity
from credentials.claim_path import ClaimPath, matches_pattern, path_problem, select
from credentials.errors import MalformedError, TypeMetadataError
from credentials.jose import parse_json

__all__ = [
    "SD_ALLOWED",
    "SD_ALWAYS",
    "SD_NEVER",
    "ClaimDisplay",
    "ClaimMetadata",
    "TypeDisplay",
    "TypeMetadata",
    "check_mandatory",
    "check_sd_policy",
    "integrity_of",
    "resolve_type_metadata",
    "verify_integrity",
]

SD_ALWAYS, SD_ALLOWED, SD_NEVER = "always", "allowed", "never"
_SD_VALUES = (SD_ALWAYS, SD_ALLOWED, SD_NEVER)
_SVG_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # §5.6: alphanumeric and '_', not a leading digit
MAX_DOCUMENT_BYTES = 1024 * 1024
MAX_ENTRIES = 1024


def _fail(message: str, code: str = "invalid_type_metadata") -> NoReturn:
    raise TypeMetadataError(message, code=code)


def _required(data: Mapping[str, Any], name: str, where: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        _fail(f"{where}.{name} must be a non-empty string")
    return value


def _text(data: Mapping[str, Any], name: str, where: str) -> str | None:
    return None if data.get(name) is None else _required(data, name, where)


def _entries(data: Mapping[str, Any], name: str, where: str) -> list[Mapping[str, Any]]:
    value = data.get(name, [])
    if not isinstance(value, list) or len(value) > MAX_ENTRIES:
        _fail(f"{where}.{name} must be an array of at most {MAX_ENTRIES} objects")
    for i, item in enumerate(value):
        if not isinstance(item, Mapping):
            _fail(f"{where}.{name}[{i}] must be a JSON object")
    return value


def _locale(data: Mapping[str, Any], where: str) -> str:
    if "locale" in data and "lang" in data and data["locale"] != data["lang"]:
        _fail(f"{where} has different 'locale' and 'lang' values")
    name = "lang" if "lang" in data and "locale" not in data else "locale"
    return _required(data, name, where)


@dataclass(frozen=True, slots=True)
class ClaimDisplay:
    """§5.6.2 display entry of a claim for one language (``locale`` in the document)."""

    lang: str
    label: str
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimMetadata:
    """§5.6 claim metadata: which claim(s) ``path`` selects, how to show them, and the rules."""

    path: ClaimPath
    display: tuple[ClaimDisplay, ...] = ()
    mandatory: bool = False
    sd: str = SD_ALLOWED
    svg_id: str | None = None


@dataclass(frozen=True, slots=True)
class TypeDisplay:
    """§5.5 display entry of the type for one language; ``rendering`` is kept as given (§5.5.1)."""

    lang: str
    name: str
    description: str | None = None
    rendering: Mapping[str, Any] | None = field(default=None, hash=False)


_Entry = TypeVar("_Entry", ClaimDisplay, TypeDisplay)


def _pick(entries: Sequence[_Entry], lang: str) -> _Entry | None:
    """Best entry for ``lang``: exact tag, then same language ("dz-BT" -> "dz"), then English,
    then the first. Tags compare case-insensitively (RFC 5646 §2.1.1)."""
    wanted = lang.lower()
    primary = wanted.split("-")[0]

    def rank(entry: _Entry) -> int:
        tag = entry.lang.lower()
        tag_primary = tag.split("-")[0]
        for position, hit in enumerate(
            (
                tag == wanted,
                tag == primary,
                tag_primary == primary,
                tag == "en",
                tag_primary == "en",
            )
        ):
            if hit:
                return position
        return 5

    return min(entries, key=rank, default=None)  # min keeps the first of equals


def _humanise(path: Sequence[str | int | None]) -> str:
    # "birth_date" -> "Birth date", "placeOfBirth" -> "Place of birth": better than nothing
    for name in reversed([c for c in path if isinstance(c, str)]):
        spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ").replace("-", " ")
        words = " ".join(spaced.split()).lower()
        if words:
            return words[:1].upper() + words[1:]
    return "Claim"


@dataclass(frozen=True, slots=True)
class TypeMetadata:
    """A Type Metadata document (§5.2), or the effective metadata of an ``extends`` chain."""

    vct: str
    name: str | None = None
    description: str | None = None
    extends: str | None = None
    extends_integrity: str | None = None
    display: tuple[TypeDisplay, ...] = ()
    claims: tuple[ClaimMetadata, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TypeMetadata:
        """Validate and read one document; raise :class:`TypeMetadataError` when malformed."""
        if not isinstance(data, Mapping):
            _fail("type metadata must be a JSON object")
        vct = _required(data, "vct", "type metadata")
        extends = _text(data, "extends", "type metadata")
        extends_integrity = _text(data, "extends#integrity", "type metadata")
        if extends_integrity is not None and extends is None:
            _fail("type metadata has 'extends#integrity' but no 'extends'")
        display = []
        for i, item in enumerate(_entries(data, "display", "type metadata")):
            where = f"display[{i}]"
            rendering = item.get("rendering")
            if rendering is not None and not isinstance(rendering, Mapping):
                _fail(f"{where}.rendering must be a JSON object")
            display.append(
                TypeDisplay(
                    _locale(item, where),
                    _required(item, "name", where),
                    _text(item, "description", where),
                    rendering,
                )
            )
        claims, paths, svg_ids = [], set(), set()
        for i, item in enumerate(_entries(data, "claims", "type metadata")):
            claim = _claim(item, f"claims[{i}]")
            if claim.path in paths:
                _fail(f"claims[{i}] describes path {list(claim.path)} a second time")
            if claim.svg_id is not None and claim.svg_id in svg_ids:
                _fail(f"claims[{i}].svg_id {claim.svg_id!r} is not unique")
            paths.add(claim.path)
            svg_ids.add(claim.svg_id)
            claims.append(claim)
        return cls(
            vct,
            _text(data, "name", "type metadata"),
            _text(data, "description", "type metadata"),
            extends,
            extends_integrity,
            tuple(display),
            tuple(claims),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"vct": self.vct}
        for name, value in (
            ("name", self.name),
            ("description", self.description),
            ("extends", self.extends),
            ("extends#integrity", self.extends_integrity),
        ):
            if value is not None:
                out[name] = value
        if self.display:
            out["display"] = [_display_json(d) for d in self.display]
        if self.claims:
            out["claims"] = [_claim_json(c) for c in self.claims]
        return out

    def claim(self, path: Sequence[str | int | None]) -> ClaimMetadata | None:
        """Metadata for ``path``: an exact entry, else one whose ``null`` covers an index."""
        wanted = tuple(path)
        for claim in self.claims:
            if claim.path == wanted:
                return claim
        for claim in self.claims:
            if matches_pattern(claim.path, wanted):
                return claim
        return None

    def label(self, path: Sequence[str | int | None], lang: str = "en") -> str:
        """What to call the claim on screen in ``lang``, never empty (falls back to its name)."""
        claim = self.claim(path)
        entry = _pick(claim.display, lang) if claim is not None else None
        return entry.label if entry is not None else _humanise(path)

    def display_name(self, lang: str = "en") -> str:
        entry = _pick(self.display, lang)
        if entry is not None:
            return entry.name
        return self.name or self.vct


def _claim(item: Mapping[str, Any], where: str) -> ClaimMetadata:
    if "path" not in item:
        _fail(f"{where}.path is required")
    problem = path_problem(item["path"])
    if problem:
        _fail(f"{where}.path {problem}")
    display = tuple(
        ClaimDisplay(
            _locale(entry, f"{where}.display[{j}]"),
            _required(entry, "label", f"{where}.display[{j}]"),
            _text(entry, "description", f"{where}.display[{j}]"),
        )
        for j, entry in enumerate(_entries(item, "display", where))
    )
    mandatory = item.get("mandatory", False)
    if not isinstance(mandatory, bool):
        _fail(f"{where}.mandatory must be true or false")
    sd = item.get("sd", SD_ALLOWED)
    if sd not in _SD_VALUES:
        _fail(f"{where}.sd must be 'always', 'allowed' or 'never', not {sd!r}")
    svg_id = _text(item, "svg_id", where)
    if svg_id is not None and not _SVG_ID.fullmatch(svg_id):
        _fail(f"{where}.svg_id must be letters, digits and '_', not starting with a digit")
    return ClaimMetadata(tuple(item["path"]), display, mandatory, sd, svg_id)


def _display_json(entry: TypeDisplay) -> dict[str, Any]:
    out: dict[str, Any] = {"locale": entry.lang, "name": entry.name}
    if entry.description is not None:
        out["description"] = entry.description
    if entry.rendering is not None:
        out["rendering"] = dict(entry.rendering)
    return out


def _claim_json(claim: ClaimMetadata) -> dict[str, Any]:
    out: dict[str, Any] = {"path": list(claim.path)}
    if claim.display:
        out["display"] = [
            {"locale": d.lang, "label": d.label}
            | ({"description": d.description} if d.description is not None else {})
            for d in claim.display
        ]
    if claim.mandatory:
        out["mandatory"] = True
    out["sd"] = claim.sd
    if claim.svg_id is not None:
        out["svg_id"] = claim.svg_id
    return out


# --- resolution and extension (§5.3, §5.4, §5.6.5, §7.4) -------------------------------------


def _merge(parent: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(child)
    if "display" not in child and "display" in parent:
        merged["display"] = parent["display"]
    claims = [dict(c) for c in parent.get("claims", [])]
    index = {tuple(c["path"]): i for i, c in enumerate(claims)}
    for claim in child.get("claims", []):
        key = tuple(claim["path"])
        if key not in index:
            claims.append(dict(claim))
            continue
        base = claims[index[key]]
        base_sd = base.get("sd", SD_ALLOWED)
        if "sd" in claim and base_sd != SD_ALLOWED and claim["sd"] != base_sd:
            _fail(
                f"{child['vct']!r} changes 'sd' of {list(key)} from {base_sd!r} to "
                f"{claim['sd']!r}, which its parent type forbids",
                "sd_conflict",
            )
        if base.get("mandatory") is True and claim.get("mandatory") is False:
            _fail(
                f"{child['vct']!r} makes {list(key)} optional; its parent type requires it",
                "mandatory_conflict",
            )
        claims[index[key]] = {**base, **claim}
    if claims:
        merged["claims"] = claims
    return merged


def resolve_type_metadata(
    vct: str,
    fetch: Callable[[str], bytes],
    *,
    integrity: str | None = None,
    max_depth: int = 5,
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
) -> TypeMetadata:
    """Fetch the metadata of ``vct`` and every type it extends; return the effective metadata.

    ``fetch`` returns the document bytes for an identifier (it owns HTTPS, SSRF checks, caching
    and registries) and its errors propagate unchanged. ``integrity`` is the credential's
    ``vct#integrity``; each ``extends#integrity`` is checked on the way up.
    """
    documents: list[Mapping[str, Any]] = []
    chain: list[str] = []
    reference, expected = vct, integrity
    while True:
        if reference in chain:  # §7.4: would recurse forever
            circle = " -> ".join([*chain[chain.index(reference) :], reference])
            _fail(f"types extend each other in a circle: {circle}", "circular_extends")
        if len(documents) > max_depth:
            _fail(f"{vct!r} extends more than {max_depth} types", "extends_too_deep")
        chain.append(reference)
        document = fetch(reference)
        if len(document) > max_document_bytes:
            _fail(f"type metadata for {reference!r} is larger than {max_document_bytes} bytes")
        if expected is not None:
            verify_integrity(document, expected)
        try:
            data = parse_json(document)
        except MalformedError as exc:
            raise TypeMetadataError(f"type metadata for {reference!r}: {exc.message}") from exc
        metadata = TypeMetadata.from_json(data)
        if metadata.vct != reference:  # §5.3: the document must describe the referenced type
            _fail(
                f"the document fetched for {reference!r} describes {metadata.vct!r}",
                "vct_mismatch",
            )
        documents.append(data)
        if metadata.extends is None:
            break
        reference, expected = metadata.extends, metadata.extends_integrity
    effective = documents[-1]
    for child in reversed(documents[:-1]):  # the extended type first (§5.4)
        effective = _merge(effective, child)
    return TypeMetadata.from_json(effective)


# --- issuer-side policy checks (§5.6.3, §5.6.4) -----------------------------------------------


def _overlap(a: Sequence[str | int | None], b: Sequence[str | int | None]) -> bool:
    if len(a) != len(b):
        return False
    return all(
        x == y or (x is None and isinstance(y, int)) or (y is None and isinstance(x, int))
        for x, y in zip(a, b, strict=True)
    )


def check_sd_policy(
    metadata: TypeMetadata,
    sd_paths: Iterable[Sequence[str | int | None]],
    *,
    claims: Mapping[str, Any] | None = None,
) -> None:
    """Raise ``sd_conflict`` unless ``sd_paths`` (the claims an issuer makes selectively
    disclosable) honour §5.6.4: ``always`` claims are disclosable, ``never`` claims are not.

    With ``claims`` (the unsecured payload) every concrete claim a path selects is checked,
    which is the only complete check for ``null`` paths; without it, an ``always`` path must
    itself be in ``sd_paths``.
    """
    chosen = {tuple(path) for path in sd_paths}

    def disclosable(path: Sequence[str | int | None]) -> bool:
        return any(p == tuple(path) or matches_pattern(p, path) for p in chosen)

    for rule in metadata.claims:
        if rule.sd == SD_ALLOWED:
            continue
        if claims is not None:
            targets: list[Sequence[str | int | None]] = [p for p, _ in select(rule.path, claims)]
        elif rule.sd == SD_ALWAYS:
            targets = [rule.path]
        else:
            targets = [p for p in chosen if _overlap(p, rule.path)]
        for target in targets:
            if disclosable(target) != (rule.sd == SD_ALWAYS):
                verb = "must" if rule.sd == SD_ALWAYS else "must not"
                _fail(
                    f"claim {list(target)} {verb} be selectively disclosable for type "
                    f"{metadata.vct!r}",
                    "sd_conflict",
                )


def check_mandatory(metadata: TypeMetadata, claims: Mapping[str, Any]) -> None:
    """Raise ``mandatory_claim_missing`` when a ``mandatory`` claim (§5.6.3) is absent."""
    for rule in metadata.claims:
        if rule.mandatory and not select(rule.path, claims):
            _fail(
                f"{list(rule.path)} is required by type {metadata.vct!r} but missing",
                "mandatory_claim_missing",
            )
