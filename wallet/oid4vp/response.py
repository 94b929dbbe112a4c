"""OpenID4VP 1.0 §8 answers as the wallet sends them: the ``vp_token`` (SD-JWT+KB per
credential query), the ``direct_post`` form or ``direct_post.jwt`` JWE that carries it, the
§8.5 refusal, and what the verifier's reply may say back.

A ``redirect_uri`` in the verifier's reply is returned to be *shown*, never opened.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.encoding import dumps_compact
from credentials.errors import CredentialError
from credentials.jose import encrypt_jwe
from credentials.sd_jwt import present_sd_jwt
from did.keys import PrivateKey
from wallet.errors import PresentError
from wallet.network import describe_error, service_error
from wallet.oid4vp.request import DIRECT_POST_JWT, AuthorizationRequest

__all__ = [
    "PresentedCopy",
    "SendResult",
    "answer_form",
    "build_vp_token",
    "parse_reply",
    "refusal_form",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SendResult:
    """The verifier's reply: a ``redirect_uri`` to show the citizen, if it gave one."""

    redirect_uri: str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PresentedCopy:
    query_id: str
    sd_jwt: str = field(repr=False)
    key: PrivateKey = field(repr=False)
    disclose: tuple[tuple[str | int, ...], ...] = ()


def build_vp_token(
    request: AuthorizationRequest, copies: Sequence[PresentedCopy], *, now: int
) -> dict[str, list[str]]:
    """§8.1 ``vp_token``: each credential query id to its presentations (SD-JWT+KB, RFC 9901
    §4.3, ``aud`` the full client_id as §5.9.1 requires)."""
    token: dict[str, list[str]] = {}
    for copy in copies:
        presentation = present_sd_jwt(
            copy.sd_jwt,
            disclose=copy.disclose,
            holder_key=copy.key,
            nonce=request.nonce,
            aud=request.client_id,
            iat=now,
        )
        token.setdefault(copy.query_id, []).append(presentation.serialize())
    return token


def answer_form(
    request: AuthorizationRequest, vp_token: Mapping[str, Sequence[str]]
) -> dict[str, str]:
    """§8.2 ``direct_post`` form fields (``vp_token``, ``state``), or for §8.3
    ``direct_post.jwt`` the one ``response`` field: those fields as an ECDH-ES JWE to the
    verifier's key."""
    payload: dict[str, Any] = {"vp_token": dict(vp_token)}
    if request.state is not None:
        payload["state"] = request.state
    if request.response_mode == DIRECT_POST_JWT:
        assert request.encryption_jwk is not None
        try:
            jwe = encrypt_jwe(
                dumps_compact(payload).encode("utf-8"),
                request.encryption_jwk,
                enc=request.encryption_enc,
            )
        except CredentialError as exc:
            raise PresentError(
                f"the answer could not be encrypted to the verifier's key ({exc.code})"
            ) from exc
        return {"response": jwe}
    form = {"vp_token": dumps_compact(payload["vp_token"])}
    if request.state is not None:
        form["state"] = request.state
    return form


def refusal_form(request: AuthorizationRequest, *, reason: str = "access_denied") -> dict[str, str]:
    """§8.5 error response: the citizen said no (or the wallet cannot answer)."""
    form = {"error": reason, "error_description": "The holder declined to share."}
    if request.state is not None:
        form["state"] = request.state
    return form


def parse_reply(status: int, body: object) -> SendResult:
    """The verifier's reply to an answer (``body`` its JSON, ``None`` when none): a 2xx, with a
    ``redirect_uri`` to show when it gives one, or ``presentation_rejected`` in the service's
    own words."""
    if not 200 <= status < 300:
        # The citizen reads the service's own words and code; the protocol detail goes to the log.
        log.info("response refused: HTTP %s %s", status, describe_error(body))
        raise service_error(
            body,
            status=status,
            said_by="the service",
            kind=PresentError,
            fallback="presentation_rejected",
            unexplained="the service did not accept your answer and gave no reason",
        )
    redirect = body.get("redirect_uri") if isinstance(body, Mapping) else None
    if isinstance(redirect, str) and redirect.startswith(("https://", "http://")):
        return SendResult(redirect_uri=redirect[:2048])
    return SendResult()
