"""The wallet's side of the authorization code flow (OpenID4VCI 1.0 §5, HAIP 1.0 §4.3): the
authorization server's metadata it needs (RFC 8414), the pushed request with PKCE S256
(RFC 9126, RFC 7636), the authorization URL the browser opens, and the redirect it comes back
with, checked for ``state`` (CSRF, RFC 6749 §10.12) and ``iss`` (RFC 9207 §2.4: "MUST compare").
Pure: keys, randomness and time are passed in; the HTTP side is :mod:`wallet.oid4vci.client`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from credentials.oauth import s256
from wallet.errors import ReceiveError
from wallet.network import describe_error

__all__ = [
    "DRUKID_CLIENT_ID",
    "AuthorizationServer",
    "PendingAuthorization",
    "authorization_url",
    "par_form",
    "parse_authorization_response",
    "parse_authorization_server",
    "parse_par_response",
]

DRUKID_CLIENT_ID = "https://wallet.drukid.bt"


@dataclass(frozen=True, slots=True)
class AuthorizationServer:
    issuer: str
    token_endpoint: str
    authorization_endpoint: str
    par_endpoint: str
    iss_parameter: bool
    dpop_algorithms: tuple[str, ...]


def _url(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ReceiveError(
            f"the issuer's authorization server has no usable {name}",
            code="authorization_code_unsupported",
        )
    return value


def parse_authorization_server(data: object, *, server: str) -> AuthorizationServer:
    """RFC 8414 metadata of an authorization server that supports PAR with PKCE S256."""
    if not isinstance(data, Mapping) or data.get("issuer") != server:
        raise ReceiveError(
            "the authorization server metadata names another issuer",
            code="issuer_metadata_invalid",
        )
    methods = data.get("code_challenge_methods_supported")
    if not isinstance(methods, list) or "S256" not in methods:
        raise ReceiveError(
            "the issuer does not support PKCE with S256; this wallet cannot sign in there",
            code="authorization_code_unsupported",
        )
    algs = data.get("dpop_signing_alg_values_supported")
    return AuthorizationServer(
        issuer=server,
        token_endpoint=_url(data, "token_endpoint"),
        authorization_endpoint=_url(data, "authorization_endpoint"),
        par_endpoint=_url(data, "pushed_authorization_request_endpoint"),
        iss_parameter=data.get("authorization_response_iss_parameter_supported") is True,
        dpop_algorithms=tuple(a for a in algs if isinstance(a, str))
        if isinstance(algs, list)
        else (),
    )


@dataclass(frozen=True, slots=True)
class PendingAuthorization:
    """What the wallet keeps while the citizen is at the agency's page: secrets (the PKCE
    verifier, the DPoP private key, ``state``), so it is kept in the vault or in memory only."""

    credential_issuer: str
    configuration_id: str
    client_id: str
    redirect_uri: str
    state: str
    code_verifier: str
    dpop_key: dict[str, str]
    server: str
    token_endpoint: str
    iss_parameter: bool

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> PendingAuthorization:
        try:
            return cls(**json.loads(text))
        except (ValueError, TypeError) as exc:
            raise ReceiveError(
                "the wallet lost track of this sign-in; start again", code="authorization_unknown"
            ) from exc

    def __repr__(self) -> str:
        return f"PendingAuthorization(issuer={self.credential_issuer!r})"


def par_form(
    pending: PendingAuthorization, *, scope: str, issuer_state: str | None = None
) -> dict[str, str]:
    """RFC 9126 §2.1 with RFC 7636 §4.3 and HAIP §4.3's ``scope``."""
    form = {
        "response_type": "code",
        "client_id": pending.client_id,
        "redirect_uri": pending.redirect_uri,
        "scope": scope,
        "state": pending.state,
        "code_challenge": s256(pending.code_verifier),
        "code_challenge_method": "S256",
        "resource": pending.credential_issuer,
    }
    if issuer_state is not None:
        form["issuer_state"] = issuer_state
    return form


def parse_par_response(status: int, body: object) -> str:
    if status not in (200, 201) or not isinstance(body, Mapping):
        raise ReceiveError(
            f"the issuer refused the sign-in request ({describe_error(body)})",
            code="issuer_rejected",
        )
    uri = body.get("request_uri")
    if not isinstance(uri, str) or not uri:
        raise ReceiveError("the issuer gave no request_uri", code="issuer_metadata_invalid")
    return uri


def authorization_url(endpoint: str, *, client_id: str, request_uri: str) -> str:
    """RFC 9126 §4: the browser gets only ``client_id`` and ``request_uri``."""
    separator = "&" if urlsplit(endpoint).query else "?"
    return endpoint + separator + urlencode({"client_id": client_id, "request_uri": request_uri})


def parse_authorization_response(redirect: str, pending: PendingAuthorization) -> str:
    """The code of the redirect back to the wallet, after the ``state`` and ``iss`` checks."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(redirect).query).items()}
    if query.get("state") != pending.state:
        raise ReceiveError(
            "the answer from the agency's page does not belong to this sign-in",
            code="authorization_state_mismatch",
        )
    iss = query.get("iss")
    if (iss is not None or pending.iss_parameter) and iss != pending.server:
        raise ReceiveError(
            "the answer came from another issuer than the one this wallet asked",
            code="authorization_response_iss_mismatch",
        )
    if "error" in query:
        raise ReceiveError(
            "you cancelled at the agency's page, or the agency refused",
            code="authorization_denied",
        )
    code = query.get("code")
    if not code:
        raise ReceiveError("the agency's page gave no code", code="authorization_denied")
    return code
