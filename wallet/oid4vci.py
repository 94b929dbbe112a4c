"""OpenID4VCI 1.0 messages as the wallet reads them: offers, issuer and authorization server
metadata, token and credential responses. Pure functions: values in, values out.

Everything here comes from outside and is treated as untrusted (§4.1: "the Wallet MUST treat
the Credential Offer as untrusted input"): types are checked, sizes bounded, and every refusal
is a :class:`wallet.errors.ReceiveError` with a stable code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit

from credentials.errors import MalformedError
from credentials.jose import parse_json
from wallet.errors import ReceiveError

__all__ = [
    "PRE_AUTHORIZED_GRANT",
    "CredentialOffer",
    "IssuerMetadata",
    "TxCodeSpec",
    "check_tx_code",
    "describe_error",
    "issuer_metadata_url",
    "oauth_metadata_url",
    "parse_credential_configuration",
    "parse_issuer_metadata",
    "parse_offer",
    "parse_offer_text",
]

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
SD_JWT_VC_FORMAT = "dc+sd-jwt"
MAX_CONFIGURATIONS = 16
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _invalid(message: str, code: str = "offer_invalid") -> ReceiveError:
    return ReceiveError(message, code=code)


def describe_error(body: object) -> str:
    """``error: description`` from an OAuth error body, cleaned for a terminal (no control or
    bidi characters, at most 200 characters): the text comes from the other side."""
    if not isinstance(body, Mapping):
        return "no explanation given"
    error = body.get("error")
    description = body.get("error_description")
    text = error if isinstance(error, str) else "error"
    if isinstance(description, str) and description:
        text = f"{text}: {description}"
    return _CONTROL.sub("", text)[:200]


@dataclass(frozen=True, slots=True)
class TxCodeSpec:
    """§4.1.1 ``tx_code``: how the second factor the issuer sent out of band looks."""

    input_mode: str = "numeric"
    length: int | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class CredentialOffer:
    """A parsed offer. The pre-authorized code is a bearer secret: never shown or logged."""

    credential_issuer: str
    configuration_ids: tuple[str, ...]
    pre_authorized_code: str = field(repr=False)
    tx_code: TxCodeSpec | None = None
    authorization_server: str | None = None


def _https_like(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise _invalid(f"{what} is missing")
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.fragment:
        raise _invalid(f"{what} is not a web address")
    return value


def parse_offer_text(text: str) -> tuple[CredentialOffer | None, str | None]:
    """An offer link: ``openid-credential-offer://?credential_offer=<json>`` (by value) or
    ``?credential_offer_uri=<https URL>`` (by reference, §4.1.3). Returns (offer, None) or
    (None, offer URI)."""
    text = text.strip()
    if len(text) > 64 * 1024:
        raise _invalid("the offer is too long")
    query = urlsplit(text).query
    params = parse_qs(query, keep_blank_values=True)
    by_value, by_reference = params.get("credential_offer"), params.get("credential_offer_uri")
    if bool(by_value) == bool(by_reference) or len(by_value or by_reference or ()) != 1:
        raise _invalid(
            "this is not a credential offer (expected credential_offer or credential_offer_uri)"
        )
    if by_reference:
        return None, _https_like(by_reference[0], "the offer address")
    assert by_value is not None
    try:
        data = parse_json(by_value[0])
    except MalformedError as exc:
        raise _invalid(f"the offer is not valid JSON: {exc.message}") from exc
    return parse_offer(data), None


def parse_offer(data: object) -> CredentialOffer:
    """§4.1.1 Credential Offer object; only the pre-authorized code grant is supported."""
    if not isinstance(data, Mapping):
        raise _invalid("the offer is not a JSON object")
    issuer = _https_like(data.get("credential_issuer"), "the issuer address")
    ids = data.get("credential_configuration_ids")
    if (
        not isinstance(ids, list)
        or not ids
        or len(ids) > MAX_CONFIGURATIONS
        or not all(isinstance(i, str) and i for i in ids)
        or len(set(ids)) != len(ids)
    ):
        raise _invalid("the offer does not say which credential is offered")
    grants = data.get("grants")
    grant = grants.get(PRE_AUTHORIZED_GRANT) if isinstance(grants, Mapping) else None
    if not isinstance(grant, Mapping):
        raise ReceiveError(
            "the offer needs a sign-in at the issuer (authorization code flow), "
            "which this wallet does not support yet",
            code="offer_unsupported",
        )
    code = grant.get("pre-authorized_code")
    if not isinstance(code, str) or not code or len(code) > 4096:
        raise _invalid("the offer's pre-authorized code is missing")
    tx_code = None
    if "tx_code" in grant:
        raw = grant["tx_code"]
        if not isinstance(raw, Mapping):
            raise _invalid("the offer's tx_code is not an object")
        mode = raw.get("input_mode", "numeric")
        length = raw.get("length")
        description = raw.get("description")
        if mode not in ("numeric", "text"):
            raise _invalid("the offer's tx_code input_mode is not numeric or text")
        if length is not None and (
            isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 64
        ):
            raise _invalid("the offer's tx_code length is not valid")
        if description is not None and not isinstance(description, str):
            raise _invalid("the offer's tx_code description is not text")
        text = _CONTROL.sub("", description)[:300] if description else None
        tx_code = TxCodeSpec(mode, length, text)
    server = grant.get("authorization_server")
    if server is not None:
        server = _https_like(server, "the authorization server address")
    return CredentialOffer(issuer, tuple(ids), code, tx_code, server)


def check_tx_code(spec: TxCodeSpec, value: str) -> str:
    """Check the typed code against the offer's description before sending it (§4.1.1)."""
    value = value.strip()
    if not value:
        raise ReceiveError("the code is empty", code="tx_code_invalid")
    if spec.input_mode == "numeric" and not (value.isascii() and value.isdigit()):
        raise ReceiveError("the code must be digits only", code="tx_code_invalid")
    if spec.length is not None and len(value) != spec.length:
        raise ReceiveError(f"the code must have {spec.length} characters", code="tx_code_invalid")
    return value


def _well_known(identifier: str, suffix: str) -> str:
    # OpenID4VCI 1.0 §12.2.2 / RFC 8414 §3.1: the well-known segment goes between the host and
    # the path of the identifier.
    parts = urlsplit(identifier)
    return urlunsplit((parts.scheme, parts.netloc, suffix + parts.path.rstrip("/"), "", ""))


def issuer_metadata_url(credential_issuer: str) -> str:
    return _well_known(credential_issuer, "/.well-known/openid-credential-issuer")


def oauth_metadata_url(issuer: str) -> str:
    return _well_known(issuer, "/.well-known/oauth-authorization-server")


def _meta_fail(message: str) -> ReceiveError:
    return ReceiveError(message, code="issuer_metadata_invalid")


def _endpoint(data: Mapping[str, Any], name: str, *, required: bool) -> str | None:
    value = data.get(name)
    if value is None and not required:
        return None
    try:
        return _https_like(value, f"the issuer's {name}")
    except ReceiveError as exc:
        raise _meta_fail(exc.message) from None


@dataclass(frozen=True, slots=True)
class IssuerMetadata:
    """§12.2.4 Credential Issuer Metadata, the parts this wallet uses."""

    credential_issuer: str
    credential_endpoint: str
    nonce_endpoint: str | None
    notification_endpoint: str | None
    authorization_servers: tuple[str, ...]
    batch_size: int
    configurations: Mapping[str, Mapping[str, Any]]
    names: Mapping[str, str]
    encryption_required: bool = False


def _display_names(display: object) -> dict[str, str]:
    names: dict[str, str] = {}
    if isinstance(display, list):
        for item in display[:32]:
            if isinstance(item, Mapping) and isinstance(item.get("name"), str):
                lang = item.get("locale", item.get("lang", "en"))
                names.setdefault(lang if isinstance(lang, str) else "en", item["name"][:200])
    return names


def parse_issuer_metadata(data: object, *, expected_issuer: str) -> IssuerMetadata:
    if not isinstance(data, Mapping):
        raise _meta_fail("the issuer's metadata is not a JSON object")
    # §12.2.4: credential_issuer MUST be identical to the identifier the metadata was fetched
    # for; otherwise another party's metadata could be served for this issuer.
    if data.get("credential_issuer") != expected_issuer:
        raise _meta_fail("the issuer's metadata names a different issuer")
    configurations = data.get("credential_configurations_supported")
    if not isinstance(configurations, Mapping) or not configurations:
        raise _meta_fail("the issuer's metadata lists no credentials")
    servers = data.get("authorization_servers", [expected_issuer])
    if not isinstance(servers, list) or not servers or not all(isinstance(s, str) for s in servers):
        raise _meta_fail("the issuer's authorization_servers is not a list of addresses")
    batch = data.get("batch_credential_issuance")
    batch_size = 1
    if batch is not None:
        size = batch.get("batch_size") if isinstance(batch, Mapping) else None
        if isinstance(size, bool) or not isinstance(size, int) or size < 2:
            raise _meta_fail("the issuer's batch_size must be a number of at least 2")
        batch_size = size
    encryption = data.get("credential_response_encryption")
    required = isinstance(encryption, Mapping) and encryption.get("encryption_required") is True
    return IssuerMetadata(
        credential_issuer=expected_issuer,
        credential_endpoint=_endpoint(data, "credential_endpoint", required=True) or "",
        nonce_endpoint=_endpoint(data, "nonce_endpoint", required=False),
        notification_endpoint=_endpoint(data, "notification_endpoint", required=False),
        authorization_servers=tuple(servers),
        batch_size=batch_size,
        configurations=dict(configurations),
        names=_display_names(data.get("display")),
        encryption_required=required,
    )


@dataclass(frozen=True, slots=True)
class Configuration:
    """One ``credential_configurations_supported`` entry, checked for what we can receive."""

    id: str
    vct: str
    proof_algorithms: tuple[str, ...]


def parse_credential_configuration(
    metadata: IssuerMetadata, configuration_id: str, *, algorithms: Sequence[str]
) -> Configuration:
    config = metadata.configurations.get(configuration_id)
    if not isinstance(config, Mapping):
        raise _meta_fail(f"the issuer does not describe the offered credential {configuration_id}")
    if config.get("format") != SD_JWT_VC_FORMAT:
        raise ReceiveError(
            f"the credential format {config.get('format')!r} is not supported (only dc+sd-jwt)",
            code="offer_unsupported",
        )
    vct = config.get("vct")
    if not isinstance(vct, str) or not vct:
        raise _meta_fail(f"the issuer gives no type (vct) for {configuration_id}")
    proof_types = config.get("proof_types_supported")
    jwt = proof_types.get("jwt") if isinstance(proof_types, Mapping) else None
    offered = jwt.get("proof_signing_alg_values_supported") if isinstance(jwt, Mapping) else None
    if not isinstance(offered, list):
        raise ReceiveError(
            "the credential would not be bound to this device (no jwt proof type), so it "
            "could be copied and used by anyone; this wallet does not accept that",
            code="offer_unsupported",
        )
    usable = tuple(alg for alg in algorithms if alg in offered)
    if not usable:
        raise ReceiveError(
            "the issuer accepts none of this wallet's key types (ES256, EdDSA)",
            code="offer_unsupported",
        )
    return Configuration(configuration_id, vct, usable)
