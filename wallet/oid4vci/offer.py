"""OpenID4VCI 1.0 §4.1 Credential Offers as the wallet reads them, and the transaction code
(§4.1.1 ``tx_code``) the citizen types.

Everything here comes from outside and is treated as untrusted (§4.1: "the Wallet MUST treat
the Credential Offer as untrusted input"): types are checked, sizes bounded, and every refusal
is a :class:`wallet.errors.ReceiveError` with a stable code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from credentials.errors import MalformedError
from credentials.jose import parse_json
from wallet.errors import ReceiveError
from wallet.network import CONTROL_CHARACTERS

__all__ = [
    "MAX_CONFIGURATIONS",
    "PRE_AUTHORIZED_GRANT",
    "CredentialOffer",
    "TxCodeSpec",
    "check_tx_code",
    "parse_offer",
    "parse_offer_text",
    "require_tx_code",
    "web_address",
]

PRE_AUTHORIZED_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
MAX_CONFIGURATIONS = 16


def _invalid(message: str, code: str = "offer_invalid") -> ReceiveError:
    return ReceiveError(message, code=code)


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


def web_address(value: object, what: str) -> str:
    """An ``https`` (or, where the fetch policy allows, ``http``) address with a host and no
    fragment; ``offer_invalid`` otherwise."""
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
        return None, web_address(by_reference[0], "the offer address")
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
    issuer = web_address(data.get("credential_issuer"), "the issuer address")
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
        text = CONTROL_CHARACTERS.sub("", description)[:300] if description else None
        tx_code = TxCodeSpec(mode, length, text)
    server = grant.get("authorization_server")
    if server is not None:
        server = web_address(server, "the authorization server address")
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


def require_tx_code(offer: CredentialOffer, tx_code: str | None) -> str | None:
    """The code to send: none for an offer without ``tx_code``; for one with it, the typed code
    once checked (``tx_code_required`` when none was typed, saying what to type)."""
    if offer.tx_code is None:
        return tx_code
    if tx_code is None:
        what = offer.tx_code.description or "the issuer sent you a one-time code"
        length = f" ({offer.tx_code.length} characters)" if offer.tx_code.length else ""
        raise ReceiveError(f"a code is needed: {what}{length}", code="tx_code_required")
    return check_tx_code(offer.tx_code, tx_code)
