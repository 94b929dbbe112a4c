"""DID syntax and the DID document data model (W3C DID Core 1.0).

* DID syntax: §3.1 (``did:<method>:<method-specific-id>``); DID URLs: §3.2. We accept a DID URL
  made of a DID and a ``#fragment`` only: paths and queries select nothing we use.
* Verification methods: §5.2 and §5.2.1. A method carries **exactly one** of
  ``publicKeyJwk`` (types ``JsonWebKey2020``/``JsonWebKey``) or ``publicKeyMultibase`` (types
  ``Multikey``, W3C Controller Documents 1.0 §2.2.2, and ``Ed25519VerificationKey2020``).
  §5.2.1: "A verification method MUST NOT contain multiple verification material properties
  for the same material", so two spellings of one key never disagree.
* Relationships: §5.3.1 ``authentication`` and §5.3.2 ``assertionMethod``, by reference
  (relative ``#frag`` resolved against the document ``id``) or embedded.

Parsing is strict: the document ``id`` must be the DID that was resolved (§7.1.2: a document
whose id differs is not the DID's document), every reference must point at a method of this
document, and a ``publicKeyJwk`` holding private members is refused. Methods of types or
curves we do not support (X25519 key agreement, RSA, secp256k1, ...) are skipped, not fatal:
they are common in real documents and we never use them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from did.errors import DIDError, InvalidDIDError, ResolutionError
from did.keys import EDDSA, PublicKey
from did.multiformats import decode_multikey, encode_multikey, is_supported_codec, split_multikey

__all__ = [
    "DID_CONTEXT",
    "JSON_WEB_KEY",
    "JSON_WEB_KEY_2020",
    "MULTIKEY",
    "DIDDocument",
    "VerificationMethod",
    "parse_did",
    "split_did_url",
]

log = logging.getLogger(__name__)

DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY = "Multikey"
JSON_WEB_KEY_2020 = "JsonWebKey2020"
JSON_WEB_KEY = "JsonWebKey"
ED25519_2020 = "Ed25519VerificationKey2020"
_JWK_TYPES = frozenset({JSON_WEB_KEY_2020, JSON_WEB_KEY})
_MULTIBASE_TYPES = frozenset({MULTIKEY, ED25519_2020})
_TYPE_CONTEXT = {
    MULTIKEY: "https://w3id.org/security/multikey/v1",
    JSON_WEB_KEY_2020: "https://w3id.org/security/suites/jws-2020/v1",
    JSON_WEB_KEY: "https://w3id.org/security/jwk/v1",
    ED25519_2020: "https://w3id.org/security/suites/ed25519-2020/v1",
}
_SUPPORTED_JWK = frozenset({("EC", "P-256"), ("OKP", "Ed25519")})
# RFC 7518 §6.2.2, §6.3.2 and §6.4: members that only a private or symmetric key has.
_PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

MAX_DID_LENGTH = 4096  # did:jwk for P-256 is ~200 characters; anything huge is an attack
MAX_VERIFICATION_METHODS = 64

# DID Core §3.1 ABNF.
_DID = re.compile(r"did:([a-z0-9]+):((?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*)")
_IDCHARS = re.compile(r"(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+")
# RFC 3986 §3.5 fragment = *( pchar / "/" / "?" ); we also require it to be non-empty.
_FRAGMENT = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})+")


def parse_did(did: str) -> tuple[str, str]:
    """Split a DID into ``(method, method_specific_id)`` per DID Core §3.1; ``invalid_did``."""
    if not isinstance(did, str):
        raise InvalidDIDError("a DID must be text")
    if len(did) > MAX_DID_LENGTH:
        raise InvalidDIDError(f"DID longer than {MAX_DID_LENGTH} characters")
    match = _DID.fullmatch(did)
    if match is None:
        raise InvalidDIDError("not a DID: expected did:<method>:<identifier>, e.g. did:web:...")
    method, msid = match.groups()
    # The ABNF ends in 1*idchar: no empty segments at the end (and we forbid them anywhere).
    if not all(_IDCHARS.fullmatch(segment) for segment in msid.split(":")):
        raise InvalidDIDError("DID method-specific identifier has an empty segment")
    return method, msid


def split_did_url(did_url: str) -> tuple[str, str | None]:
    """Split ``did:...#fragment`` into the DID and the fragment (``None`` when absent)."""
    if not isinstance(did_url, str):
        raise InvalidDIDError("a DID URL must be text")
    did, sep, fragment = did_url.partition("#")
    parse_did(did)
    if not sep:
        return did, None
    if not _FRAGMENT.fullmatch(fragment):
        raise InvalidDIDError("DID URL fragment is empty or has characters not allowed there")
    return did, fragment


def _invalid(message: str) -> ResolutionError:
    return ResolutionError(message, code="did_document_invalid")


@dataclass(frozen=True, slots=True)
class VerificationMethod:
    """One verification method (DID Core §5.2) holding a key we can verify with."""

    id: str
    type: str
    controller: str
    public_key: PublicKey

    def __post_init__(self) -> None:
        if self.type not in _JWK_TYPES | _MULTIBASE_TYPES:
            raise _invalid(f"unsupported verification method type {self.type!r}")
        if self.type == ED25519_2020 and self.public_key.alg != EDDSA:
            raise _invalid("Ed25519VerificationKey2020 must hold an Ed25519 key")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": self.type, "controller": self.controller}
        if self.type in _MULTIBASE_TYPES:
            out["publicKeyMultibase"] = encode_multikey(self.public_key)
        else:
            out["publicKeyJwk"] = self.public_key.to_jwk()
        return out


@dataclass(frozen=True, slots=True)
class DIDDocument:
    """A resolved DID document: the keys of a DID and what each may be used for."""

    id: str
    verification_methods: tuple[VerificationMethod, ...]
    assertion_method: tuple[str, ...]
    authentication: tuple[str, ...]

    def __post_init__(self) -> None:
        ids = [vm.id for vm in self.verification_methods]
        if len(set(ids)) != len(ids):
            raise _invalid("two verification methods share one id")
        known = set(ids)
        for ref in (*self.assertion_method, *self.authentication):
            if ref not in known:
                raise _invalid(f"relationship refers to unknown verification method {ref!r}")

    def to_json(self) -> dict[str, Any]:
        """W3C DID Core JSON-LD representation (§6.3), ``@context`` first."""
        context = [DID_CONTEXT]
        for vm in self.verification_methods:
            extra = _TYPE_CONTEXT[vm.type]
            if extra not in context:
                context.append(extra)
        out: dict[str, Any] = {"@context": context, "id": self.id}
        out["verificationMethod"] = [vm.to_json() for vm in self.verification_methods]
        if self.assertion_method:
            out["assertionMethod"] = list(self.assertion_method)
        if self.authentication:
            out["authentication"] = list(self.authentication)
        return out

    def find_key(self, kid: str, *, relationship: str | None = None) -> PublicKey:
        """The key of verification method ``kid`` (``did:...#frag`` or ``#frag``).

        With ``relationship="assertionMethod"`` (or ``"authentication"``) the method must
        also be listed there: an issuer key must be authorised to assert (DID Core §5.3.2).
        Raises ``ResolutionError(code="key_not_found")``.
        """
        if not isinstance(kid, str) or "#" not in kid:
            raise ResolutionError(
                "key id must be a DID URL with a fragment, like did:...#key-1 or #key-1",
                code="key_not_found",
            )
        full = self.id + kid if kid.startswith("#") else kid
        allowed: Sequence[str] | None = None
        if relationship == "assertionMethod":
            allowed = self.assertion_method
        elif relationship == "authentication":
            allowed = self.authentication
        elif relationship is not None:
            raise ValueError(f"unknown verification relationship {relationship!r}")
        for vm in self.verification_methods:
            if vm.id == full and (allowed is None or full in allowed):
                return vm.public_key
        where = f" under {relationship}" if relationship else ""
        raise ResolutionError(f"{self.id} has no usable key {kid!r}{where}", code="key_not_found")

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, expected_id: str) -> DIDDocument:
        """Parse a DID document strictly; see the module docstring for the rules.

        Codes: ``did_id_mismatch``, ``did_document_invalid``, ``invalid_key``.
        """
        if not isinstance(data, Mapping):
            raise _invalid("a DID document must be a JSON object")
        doc_id = data.get("id")
        if not isinstance(doc_id, str):
            raise _invalid("DID document has no 'id' string")
        if doc_id != expected_id:
            raise ResolutionError(
                f"DID document is for {doc_id[:200]!r}, not for {expected_id!r}",
                code="did_id_mismatch",
            )
        try:
            parse_did(doc_id)
        except InvalidDIDError as exc:
            raise _invalid(f"DID document id is not a DID: {exc.message}") from exc
        _check_context(data.get("@context"))
        parser = _Parser(doc_id)
        for item in _list_member(data, "verificationMethod"):
            parser.add(item)
        assertion = parser.relationship(_list_member(data, "assertionMethod"))
        authentication = parser.relationship(_list_member(data, "authentication"))
        return cls(doc_id, tuple(parser.methods), assertion, authentication)


def _check_context(context: object) -> None:
    if context is None:
        return  # plain JSON representation (DID Core §6.2) has no @context
    items = context if isinstance(context, list) else [context]
    if not items or not all(isinstance(item, str | dict) for item in items):
        raise _invalid("'@context' must be a string, an object or a list of them")


def _list_member(data: Mapping[str, Any], name: str) -> list[Any]:
    value = data.get(name, [])
    if not isinstance(value, list):
        raise _invalid(f"'{name}' must be a list")
    return value


class _Parser:
    """Collects the verification methods of one document while it is parsed."""

    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id
        self.methods: list[VerificationMethod] = []
        self.declared: set[str] = set()  # every method id, usable or skipped

    def absolute(self, ref: object) -> str:
        if not isinstance(ref, str):
            raise _invalid("a verification method id must be a string")
        full = self.doc_id + ref if ref.startswith("#") else ref
        did, _, fragment = full.partition("#")
        # A method of *this* document, so another DID cannot lend it keys.
        if did != self.doc_id or not fragment:
            raise _invalid(f"verification method id {ref[:200]!r} is not in {self.doc_id}")
        try:
            split_did_url(full)
        except InvalidDIDError as exc:
            raise _invalid(f"verification method id is malformed: {exc.message}") from exc
        return full

    def add(self, item: object) -> str:
        if len(self.declared) >= MAX_VERIFICATION_METHODS:
            raise _invalid(f"more than {MAX_VERIFICATION_METHODS} verification methods")
        if not isinstance(item, Mapping):
            raise _invalid("a verification method must be a JSON object")
        vm_id = self.absolute(item.get("id"))
        if vm_id in self.declared:
            raise _invalid(f"verification method {vm_id!r} is declared twice")
        self.declared.add(vm_id)
        method = _parse_method(item, vm_id)
        if method is not None:
            self.methods.append(method)
        else:
            log.debug("skipping unsupported verification method in %s", self.doc_id)
        return vm_id

    def relationship(self, entries: list[Any]) -> tuple[str, ...]:
        refs: list[str] = []
        for entry in entries:
            vm_id = self.add(entry) if isinstance(entry, Mapping) else self.absolute(entry)
            if vm_id not in self.declared:
                raise _invalid(f"relationship refers to unknown verification method {vm_id!r}")
            usable = any(vm.id == vm_id for vm in self.methods)
            if usable and vm_id not in refs:
                refs.append(vm_id)
        return tuple(refs)


def _parse_method(item: Mapping[str, Any], vm_id: str) -> VerificationMethod | None:
    vm_type, controller = item.get("type"), item.get("controller")
    if not isinstance(vm_type, str):
        raise _invalid(f"verification method {vm_id!r} has no 'type' string")
    if not isinstance(controller, str):
        raise _invalid(f"verification method {vm_id!r} has no 'controller' string")
    try:
        parse_did(controller)
    except InvalidDIDError as exc:
        raise _invalid(f"controller of {vm_id!r} is not a DID") from exc
    has_jwk, has_multibase = "publicKeyJwk" in item, "publicKeyMultibase" in item
    if vm_type not in _JWK_TYPES | _MULTIBASE_TYPES:
        return None
    if has_jwk and has_multibase:
        raise _invalid(f"{vm_id!r} has both publicKeyJwk and publicKeyMultibase")
    expected = "publicKeyJwk" if vm_type in _JWK_TYPES else "publicKeyMultibase"
    if expected not in item:
        raise _invalid(f"{vm_type} method {vm_id!r} needs '{expected}'")
    try:
        if vm_type in _JWK_TYPES:
            key = _jwk_key(item["publicKeyJwk"], vm_id)
        else:
            key = _multibase_key(item["publicKeyMultibase"])
        if key is None:
            return None
        return VerificationMethod(vm_id, vm_type, controller, key)
    except ResolutionError:
        raise
    except DIDError as exc:
        raise ResolutionError(f"key of {vm_id!r}: {exc.message}", code="invalid_key") from exc


def _jwk_key(jwk: object, vm_id: str) -> PublicKey | None:
    if not isinstance(jwk, Mapping):
        raise _invalid(f"publicKeyJwk of {vm_id!r} must be a JSON object")
    private = _PRIVATE_JWK_MEMBERS & set(jwk)
    if private:
        # A published private key is compromised; using it would accept forged signatures.
        raise ResolutionError(
            f"publicKeyJwk of {vm_id!r} contains private key members {sorted(private)}",
            code="invalid_key",
        )
    if (jwk.get("kty"), jwk.get("crv")) not in _SUPPORTED_JWK:
        return None
    return PublicKey.from_jwk(jwk)


def _multibase_key(value: object) -> PublicKey | None:
    if not isinstance(value, str):
        raise _invalid("publicKeyMultibase must be a string")
    codec, _ = split_multikey(value)
    if not is_supported_codec(codec):
        return None
    return decode_multikey(value)
