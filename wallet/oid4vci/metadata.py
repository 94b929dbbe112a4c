"""OpenID4VCI 1.0 §12.2 Credential Issuer Metadata and RFC 8414 Authorization Server Metadata as
the wallet reads them, and what the wallet can receive (§12.2.4
``credential_configurations_supported``): ``dc+sd-jwt`` bound to a key of this device.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from wallet.errors import ReceiveError
from wallet.oid4vci.encryption import choose_encryption
from wallet.oid4vci.offer import CredentialOffer, web_address

__all__ = [
    "SD_JWT_VC_FORMAT",
    "Configuration",
    "IssuerMetadata",
    "authorization_server",
    "check_receivable",
    "configuration_names",
    "issuer_metadata_url",
    "oauth_metadata_url",
    "parse_credential_configuration",
    "parse_issuer_metadata",
    "parse_token_endpoint",
]

SD_JWT_VC_FORMAT = "dc+sd-jwt"


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
        return web_address(value, f"the issuer's {name}")
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
    response_encryption: Mapping[str, Any] | None = None
    """§12.2.4 ``credential_response_encryption`` as published (``None``: not offered)."""
    deferred_credential_endpoint: str | None = None


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
        deferred_credential_endpoint=_endpoint(
            data, "deferred_credential_endpoint", required=False
        ),
        authorization_servers=tuple(servers),
        batch_size=batch_size,
        configurations=dict(configurations),
        names=_display_names(data.get("display")),
        encryption_required=required,
        response_encryption=dict(encryption) if isinstance(encryption, Mapping) else None,
    )


def configuration_names(metadata: IssuerMetadata, configuration_id: str) -> dict[str, str]:
    """A configuration's display names by language (§12.2.4 ``credential_metadata.display``),
    for screens that must name a credential before it exists (a pending issuance)."""
    config = metadata.configurations.get(configuration_id)
    extra = config.get("credential_metadata") if isinstance(config, Mapping) else None
    return _display_names(extra.get("display") if isinstance(extra, Mapping) else None)


def check_receivable(metadata: IssuerMetadata) -> IssuerMetadata:
    """Refuse an issuer whose answers this wallet cannot read (§10: encrypted responses with an
    algorithm other than ECDH-ES with A128GCM/A256GCM)."""
    if metadata.encryption_required and choose_encryption(metadata.response_encryption) is None:
        raise ReceiveError(
            "the issuer requires encrypted credential responses with an algorithm this wallet "
            "does not support (it supports ECDH-ES with A128GCM or A256GCM)",
            code="offer_unsupported",
        )
    return metadata


@dataclass(frozen=True, slots=True)
class Configuration:
    """One ``credential_configurations_supported`` entry, checked for what we can receive."""

    id: str
    vct: str
    proof_algorithms: tuple[str, ...]
    scope: str | None = None  # HAIP §4.1: what to ask for in the authorization code flow


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
    scope = config.get("scope")
    return Configuration(configuration_id, vct, usable, scope if isinstance(scope, str) else None)


def authorization_server(offer: CredentialOffer, metadata: IssuerMetadata) -> str:
    """The server to get the token from: the offer's, which the issuer must list (§4.1.1),
    else the issuer's first."""
    server = offer.authorization_server or metadata.authorization_servers[0]
    if offer.authorization_server and server not in metadata.authorization_servers:
        raise ReceiveError(
            "the offer names an authorization server the issuer does not list",
            code="offer_invalid",
        )
    return server


def parse_token_endpoint(data: object, *, server: str) -> str:
    """The ``token_endpoint`` from RFC 8414 metadata fetched for ``server``."""
    # RFC 8414 §3.3: the issuer value must be identical to the identifier used.
    if not isinstance(data, Mapping) or data.get("issuer") != server:
        raise ReceiveError(
            "the authorization server's metadata names another server",
            code="issuer_metadata_invalid",
        )
    endpoint = data.get("token_endpoint")
    if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
        raise ReceiveError(
            "the authorization server has no token endpoint", code="issuer_metadata_invalid"
        )
    return endpoint
