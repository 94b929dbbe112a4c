"""Discovery documents.

* OpenID4VCI 1.0 §12.2: Credential Issuer Metadata at ``/.well-known/openid-credential-issuer``
  inserted between host and path of the issuer identifier (§12.2.2). ``credential_issuer`` must
  equal the identifier exactly; endpoints, batch size, display and one configuration per type
  (Appendix A.3 for ``dc+sd-jwt``: ``vct``, binding methods, signing and proof algorithms,
  ``credential_metadata`` with display and claims); ``proof_types_supported`` lists ``jwt`` and,
  when key attestations can be verified, ``attestation`` (Appendix F.3), each with
  ``key_attestations_required`` for types whose policy requires one (§12.2.4: absent
  otherwise); ``credential_response_encryption`` (§10) by policy.
* RFC 8414: Authorization Server Metadata at ``/.well-known/oauth-authorization-server``, with
  OpenID4VCI §12.3's ``pre-authorized_grant_anonymous_access_supported``.
* SD-JWT VC draft-25 §5: JWT VC Issuer Metadata at ``/.well-known/jwt-vc-issuer`` with ``jwks``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from issuer.oid4vci.offer import PRE_AUTHORIZED_GRANT
from issuer.types import CredentialType

__all__ = [
    "SD_JWT_VC_FORMAT",
    "authorization_server_metadata",
    "credential_issuer_metadata",
    "jwt_vc_issuer_metadata",
    "well_known_url",
]

SD_JWT_VC_FORMAT = "dc+sd-jwt"


def well_known_url(issuer: str, name: str) -> str:
    """§12.2.2 / RFC 8414 §3.1: ``https://host/.well-known/<name>[/path]``."""
    parts = urlsplit(issuer)
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, f"/.well-known/{name}{path}", "", ""))


def _display(entries: Iterable[Mapping[str, str]], name_key: str) -> list[dict[str, str]]:
    # OpenID4VCI display objects use "locale" (BCP 47) where type metadata uses "lang".
    out = []
    for entry in entries:
        item = {"name": entry[name_key], "locale": entry["lang"]}
        if entry.get("description"):
            item["description"] = entry["description"]
        out.append(item)
    return out


def _proof_types(
    ctype: CredentialType, proof_algs: Sequence[str], *, key_attestations: bool
) -> dict[str, Any]:
    jwt: dict[str, Any] = {"proof_signing_alg_values_supported": list(proof_algs)}
    if ctype.key_attestation.required:
        jwt["key_attestations_required"] = ctype.key_attestation.metadata()
    types = {"jwt": jwt}
    if key_attestations:
        # Appendix F.3: the attestation is the proof; its requirements are those of the type.
        attestation = {
            "proof_signing_alg_values_supported": list(proof_algs),
            "key_attestations_required": ctype.key_attestation.metadata(),
        }
        types["attestation"] = attestation
    return types


def _configuration(
    ctype: CredentialType,
    issuer: str,
    signing_algs: Sequence[str],
    proof_algs: Sequence[str],
    *,
    key_attestations: bool = False,
) -> dict[str, Any]:
    return {
        "format": SD_JWT_VC_FORMAT,
        "vct": ctype.vct(issuer),
        "scope": ctype.id,
        "cryptographic_binding_methods_supported": ["jwk"],
        "credential_signing_alg_values_supported": list(signing_algs),
        "proof_types_supported": _proof_types(ctype, proof_algs, key_attestations=key_attestations),
        "credential_metadata": {
            "display": _display(ctype.display, "name"),
            "claims": [
                {
                    "path": list(claim.path),
                    "mandatory": claim.mandatory,
                    "display": _display(claim.display, "label"),
                }
                for claim in ctype.claims
            ],
        },
    }


def credential_issuer_metadata(
    *,
    issuer: str,
    name: str,
    types: Mapping[str, CredentialType],
    signing_algs: Sequence[str],
    proof_algs: Sequence[str],
    batch_size: int,
    display_names: Mapping[str, str] | None = None,
    key_attestations: bool = False,
    response_encryption: Mapping[str, Any] | None = None,
    deferred: bool = False,
) -> dict[str, Any]:
    """§12.2.4 Credential Issuer Metadata. ``display_names`` maps a language to the issuer's
    name in it; English is ``name``. ``key_attestations``: the issuer can verify them (it has
    anchors); ``response_encryption``: the §12.2.4 ``credential_response_encryption`` object;
    ``deferred``: some type waits for an operator (``deferred_credential_endpoint``, §9)."""
    names = {"en": name, **(display_names or {})}
    metadata: dict[str, Any] = {
        "credential_issuer": issuer,
        "credential_endpoint": f"{issuer}/credential",
        "nonce_endpoint": f"{issuer}/nonce",
        "notification_endpoint": f"{issuer}/notification",
        **({"deferred_credential_endpoint": f"{issuer}/deferred_credential"} if deferred else {}),
        "batch_credential_issuance": {"batch_size": batch_size},
        "display": [{"name": value, "locale": lang} for lang, value in names.items()],
        "credential_configurations_supported": {
            type_id: _configuration(
                ctype, issuer, signing_algs, proof_algs, key_attestations=key_attestations
            )
            for type_id, ctype in sorted(types.items())
        },
    }
    if response_encryption is not None:
        metadata["credential_response_encryption"] = dict(response_encryption)
    return metadata


def authorization_server_metadata(
    *,
    issuer: str,
    authorization_code: bool = False,
    scopes: Sequence[str] = (),
    dpop_algs: Sequence[str] = (),
    attestation: str = "off",
    refresh_tokens: bool = False,
) -> dict[str, Any]:
    """RFC 8414 §2. Without ``authorization_code`` the pre-authorized code flow only; with it
    HAIP 1.0 §4: PAR required (RFC 9126 §5), PKCE S256, ``iss`` in the authorization response
    (RFC 9207 §3), ``authorization_details`` of type ``openid_credential`` (RFC 9396 §10),
    DPoP algorithms (RFC 9449 §5.1) and attestation-based client authentication (ABCA §8).
    ``attestation`` is the policy: when ``required``, anonymous pre-authorized access ends
    (OpenID4VCI §12.3)."""
    methods = ["attest_jwt_client_auth"] if attestation != "off" else []
    if attestation != "required":
        methods.append("none")
    metadata: dict[str, Any] = {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/token",
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": methods,
        "pre-authorized_grant_anonymous_access_supported": attestation != "required",
    }
    if dpop_algs:
        metadata["dpop_signing_alg_values_supported"] = list(dpop_algs)
    if attestation != "off":
        metadata["client_attestation_signing_alg_values_supported"] = ["ES256"]
        metadata["client_attestation_pop_signing_alg_values_supported"] = ["ES256"]
    if authorization_code:
        grants = ["authorization_code"] + (["refresh_token"] if refresh_tokens else [])
        metadata.update(
            {
                "authorization_endpoint": f"{issuer}/authorize",
                "pushed_authorization_request_endpoint": f"{issuer}/par",
                "require_pushed_authorization_requests": True,
                "response_types_supported": ["code"],
                "response_modes_supported": ["query"],
                "grant_types_supported": [*grants, PRE_AUTHORIZED_GRANT],
                "code_challenge_methods_supported": ["S256"],
                "authorization_response_iss_parameter_supported": True,
                "authorization_details_types_supported": ["openid_credential"],
                "scopes_supported": list(scopes),
            }
        )
    return metadata


def jwt_vc_issuer_metadata(*, issuer: str, keys: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """SD-JWT VC §5.2: ``issuer`` equal to ``iss`` and the key set by value."""
    return {"issuer": issuer, "jwks": {"keys": [dict(key) for key in keys]}}
