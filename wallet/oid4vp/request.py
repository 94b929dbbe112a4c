"""OpenID4VP 1.0 requests as the wallet reads them: the request link (§5, §5.10), the
``client_id`` prefix (§5.9), who signed the request (§5.9.3), and the Authorization Request's
parameters (§5.1, §5.2, §8).

Only DCQL requests are accepted (no Presentation Exchange, no ``scope``); only the
``direct_post`` and ``direct_post.jwt`` response modes (§8.2, §8.3), since a command-line or
web wallet has no browser redirect to answer through. Who sent it is decided by the
``client_id`` prefix: ``decentralized_identifier:`` — the request must be a JWS (``typ``
``oauth-authz-req+jwt``) whose header ``kid`` is a DID URL of exactly that DID;
``redirect_uri:`` — the request must be unsigned and its identifier is its ``response_uri``;
``x509_san_dns:`` / ``x509_hash:`` — a JWS with ``x5c``, checked by
:mod:`wallet.oid4vp.certificates`; every other or missing prefix is refused.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from credentials.dcql import DCQLQuery
from credentials.errors import CredentialError, MalformedError
from credentials.jose import JWE_ENCRYPTIONS, JWS, check_header, parse_json
from did.document import split_did_url
from did.errors import DIDError
from wallet.errors import PresentError
from wallet.network import CONTROL_CHARACTERS
from wallet.oid4vp.certificates import VerifierCertificate

__all__ = [
    "DIRECT_POST",
    "DIRECT_POST_JWT",
    "KNOWN_PREFIXES",
    "MAX_TEXT",
    "REQUEST_TYP",
    "WALLET_METADATA",
    "AuthorizationRequest",
    "RequestLink",
    "check_unsigned",
    "clean_text",
    "parse_request_link",
    "parse_request_object",
    "signature_errors",
    "signing_kid",
    "split_client_id",
]

REQUEST_TYP = "oauth-authz-req+jwt"
DIRECT_POST, DIRECT_POST_JWT = "direct_post", "direct_post.jwt"
KNOWN_PREFIXES = frozenset(
    {
        "redirect_uri",
        "decentralized_identifier",
        "x509_san_dns",
        "x509_hash",
        "verifier_attestation",
        "openid_federation",
        "origin",
    }
)
MAX_TEXT = 500
_SIGNING_ALGORITHMS = ("ES256", "EdDSA")
# §5.10.1 (request_uri_method=post) and §10: what this wallet can do, sent to the verifier.
WALLET_METADATA = {
    "vp_formats_supported": {"dc+sd-jwt": {"sd-jwt_alg_values": list(_SIGNING_ALGORITHMS)}},
    "client_id_prefixes_supported": [
        "decentralized_identifier",
        "x509_hash",
        "x509_san_dns",
        "redirect_uri",
    ],
    "response_modes_supported": [DIRECT_POST, DIRECT_POST_JWT],
    "request_object_signing_alg_values_supported": list(_SIGNING_ALGORITHMS),
}


def _invalid(message: str) -> PresentError:
    return PresentError(message, code="request_invalid")


def clean_text(value: object, limit: int = MAX_TEXT) -> str | None:
    """Text chosen by the verifier, made safe to show: no control or bidi-override characters
    (which could make "Bank" read as something else), bounded length."""
    if not isinstance(value, str):
        return None
    text = " ".join(CONTROL_CHARACTERS.sub(" ", value).split())
    return text[:limit] or None


@dataclass(frozen=True, slots=True)
class RequestLink:
    """What a QR code or link carries: by reference (``request_uri``), by value as a signed
    ``request``, or by value as plain parameters (only for ``redirect_uri:`` clients)."""

    client_id: str | None
    request_uri: str | None = None
    request_uri_method: str = "get"
    request: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


def parse_request_link(text: str) -> RequestLink:
    """``openid4vp://?client_id=...&request_uri=...`` (any scheme: wallets are also invoked
    through ``haip-vp://`` or an https link)."""
    text = text.strip()
    if len(text) > 64 * 1024:
        raise _invalid("the request link is too long")
    parts = urlsplit(text)
    if not parts.query:
        raise _invalid("this is not a presentation request (it has no parameters)")
    raw = parse_qs(parts.query, keep_blank_values=True)
    if any(len(values) != 1 for values in raw.values()):
        raise _invalid("a request parameter appears twice")
    params = {name: values[0] for name, values in raw.items()}
    client_id = params.get("client_id")
    if "request_uri" in params:
        method = params.get("request_uri_method", "get")
        if method not in ("get", "post"):
            raise _invalid("request_uri_method must be get or post")
        if not client_id:
            raise _invalid("the request link has no client_id")
        return RequestLink(client_id, request_uri=params["request_uri"], request_uri_method=method)
    if "request" in params:
        return RequestLink(client_id, request=params["request"])
    if "response_type" not in params:
        raise _invalid("this is not a presentation request (no request_uri)")
    decoded: dict[str, Any] = dict(params)
    for name in ("dcql_query", "client_metadata"):
        if name in decoded:
            try:
                decoded[name] = parse_json(decoded[name])
            except MalformedError as exc:
                raise _invalid(f"{name} is not valid JSON: {exc.message}") from exc
    return RequestLink(client_id, params=decoded)


def split_client_id(client_id: str) -> tuple[str, str]:
    """§5.9.1: ``<prefix>:<identifier>``; raise ``client_id_unsupported`` for pre-registered or
    unknown prefixes (we cannot tell who such a verifier is)."""
    prefix, sep, value = client_id.partition(":")
    if not sep or prefix not in KNOWN_PREFIXES or not value:
        raise PresentError(
            "the verifier's identifier is of a kind this wallet cannot check",
            code="client_id_unsupported",
        )
    return prefix, value


def check_unsigned(client_id: object) -> None:
    """An unsigned request is accepted from a ``redirect_uri:`` verifier only: any other prefix
    identifies the verifier by a key, and an unsigned request proves nothing about who sent
    it."""
    prefix, _ = split_client_id(client_id if isinstance(client_id, str) else "")
    if prefix != "redirect_uri":
        raise PresentError(
            "the request is not signed, so the wallet cannot check who sent it",
            code="request_signature_invalid",
        )


@contextlib.contextmanager
def signature_errors() -> Iterator[None]:
    """A request's signature, header or signing key that fails: ``request_signature_invalid``."""
    try:
        yield
    except CredentialError as exc:
        raise PresentError(
            f"the request's signature is not valid ({exc.code})",
            code="request_signature_invalid",
        ) from exc
    except DIDError as exc:
        raise PresentError(
            f"the verifier's key could not be found ({exc.message})",
            code="request_signature_invalid",
        ) from exc


def signing_kid(jws: JWS) -> str:
    """The DID URL of the key that must have signed ``jws``: a key of exactly the DID its
    ``decentralized_identifier:`` client_id names (§5.9.3); the header is checked first."""
    client_id = jws.payload.get("client_id")
    if not isinstance(client_id, str):
        raise PresentError("the request has no client_id")
    prefix, value = split_client_id(client_id)
    if prefix == "redirect_uri":
        raise PresentError(
            "a redirect_uri verifier may not sign its request (§5.9.3)",
            code="request_signature_invalid",
        )
    if prefix != "decentralized_identifier":
        raise PresentError(
            f"verifiers identified by {prefix!r} are not supported",
            code="client_id_unsupported",
        )
    with signature_errors():
        check_header(jws.header, algorithms=_SIGNING_ALGORITHMS, typ=REQUEST_TYP)
        kid = jws.kid
        if kid is None or split_did_url(kid)[0] != value or "#" not in kid:
            raise PresentError(
                "the request's signing key does not belong to the verifier's DID",
                code="request_signature_invalid",
            )
    return kid


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A checked Authorization Request. ``signed`` says whether a signature was verified."""

    client_id: str
    prefix: str
    response_mode: str
    response_uri: str
    nonce: str = field(repr=False)
    state: str | None
    dcql: DCQLQuery
    client_name: str | None = None
    logo_uri: str | None = None
    purpose: str | None = None
    encryption_jwk: Mapping[str, Any] | None = None
    encryption_enc: str = "A128GCM"
    signed: bool = False
    # x509_* requests: who the certificate says the verifier is, and whether it is vouched for.
    certificate: VerifierCertificate | None = None
    # Where ``purpose`` came from: "registration" (a verified registration certificate in
    # verifier_info), "request" (drukid's own ``purpose`` parameter, an extension), or None.
    purpose_source: str | None = None


def _web_address(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise _invalid(f"the request has no {what}")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.fragment:
        raise _invalid(f"the request's {what} is not a web address")
    return value


def _encryption_key(metadata: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    # §8.3: the JWE is made with a key from client_metadata.jwks; we use ECDH-ES on P-256
    # (HAIP) and the first content encryption the verifier lists that we support.
    jwks = metadata.get("jwks")
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    candidates = [
        key
        for key in (keys if isinstance(keys, list) else [])
        if isinstance(key, Mapping)
        and key.get("kty") == "EC"
        and key.get("crv") == "P-256"
        and "d" not in key
        and key.get("use", "enc") == "enc"
        and key.get("alg", "ECDH-ES") == "ECDH-ES"
    ]
    if not candidates:
        raise _invalid("the verifier wants an encrypted answer but gives no P-256 encryption key")
    offered = metadata.get("encrypted_response_enc_values_supported", ["A128GCM"])
    if not isinstance(offered, list):
        raise _invalid("encrypted_response_enc_values_supported must be a list")
    enc = next((e for e in offered if isinstance(e, str) and e in JWE_ENCRYPTIONS), None)
    if enc is None:
        raise _invalid("the verifier's encryption methods are not supported (A128GCM, A256GCM)")
    return candidates[0], enc


def _purpose(request: Mapping[str, Any]) -> str | None:
    # drukid's own extension (contracts.md): OpenID4VP 1.0 has no purpose parameter. Standard
    # verifiers say why in a registration certificate (wallet.oid4vp.certificates), read by the
    # client once the request's certificate is checked; this is the fallback.
    purpose = clean_text(request.get("purpose"))
    if purpose:
        return purpose
    dcql = request.get("dcql_query")
    items = dcql.get("credentials") if isinstance(dcql, Mapping) else None
    found = [
        text
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, Mapping) and (text := clean_text(item.get("purpose")))
    ]
    return "; ".join(dict.fromkeys(found))[:MAX_TEXT] or None


def parse_request_object(
    request: Mapping[str, Any], *, link_client_id: str | None, signed: bool, now: int
) -> AuthorizationRequest:
    """Check the request's parameters (§5.1, §5.2, §5.10, §8.2) and return them typed."""
    client_id = request.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise _invalid("the request has no client_id")
    # §5.10.1: the client_id of the link and of the request object MUST be identical, or a
    # request signed by one verifier could be shown under another's name.
    if link_client_id is not None and client_id != link_client_id:
        raise PresentError(
            "the request's verifier identifier differs from the one in the QR code",
            code="request_signature_invalid",
        )
    prefix, value = split_client_id(client_id)
    if request.get("response_type") != "vp_token":
        raise _invalid("the request does not ask for credentials (response_type vp_token)")
    if "presentation_definition" in request or "scope" in request:
        raise _invalid("the request uses Presentation Exchange or scope; only DCQL is supported")
    mode = request.get("response_mode")
    if mode not in (DIRECT_POST, DIRECT_POST_JWT):
        raise _invalid(f"response mode {mode!r} is not supported (direct_post, direct_post.jwt)")
    if "redirect_uri" in request:
        raise _invalid("redirect_uri must not be used with direct_post (§8.2)")
    response_uri = _web_address(request.get("response_uri"), "response_uri")
    if prefix == "redirect_uri" and value != response_uri:
        # §5.9.3: for redirect_uri clients the identifier is where the answer goes.
        raise _invalid("the verifier's identifier is not its response address")
    nonce = request.get("nonce")
    if not isinstance(nonce, str) or not nonce or len(nonce) > 1024:
        raise _invalid("the request has no valid nonce")
    state = request.get("state")
    if state is not None and (not isinstance(state, str) or len(state) > 1024):
        raise _invalid("the request's state is not valid")
    exp = request.get("exp")
    if isinstance(exp, int | float) and not isinstance(exp, bool) and exp + 60 < now:
        raise _invalid("the request has expired; ask for a new QR code")
    if "dcql_query" not in request:
        raise _invalid("the request has no dcql_query")
    try:
        dcql = DCQLQuery.from_json(request["dcql_query"])
    except CredentialError as exc:
        raise _invalid(f"the request's query is not valid: {exc.message}") from exc
    metadata = request.get("client_metadata", {})
    if not isinstance(metadata, Mapping):
        raise _invalid("client_metadata is not an object")
    key, enc = _encryption_key(metadata) if mode == DIRECT_POST_JWT else (None, "A128GCM")
    logo = metadata.get("logo_uri")
    purpose = _purpose(request)
    return AuthorizationRequest(
        client_id=client_id,
        prefix=prefix,
        response_mode=mode,
        response_uri=response_uri,
        nonce=nonce,
        state=state,
        dcql=dcql,
        client_name=clean_text(metadata.get("client_name"), 100),
        logo_uri=logo if isinstance(logo, str) and logo.startswith("https://") else None,
        purpose=purpose,
        purpose_source="request" if purpose else None,
        encryption_jwk=key,
        encryption_enc=enc,
        signed=signed,
    )
