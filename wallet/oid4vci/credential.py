"""OpenID4VCI 1.0 §8 Credential Endpoint as the wallet uses it: the request (one proof per fresh
holder key, §8.2), the response (§8.3), and the checks every received credential passes before
the wallet keeps it.

Each credential is checked: the issuer's signature (with a key found by ``issuer_key``: the
``x5c`` chain validated to the wallet's trust store, the issuer's DID, or JWT VC Issuer
Metadata), ``typ`` ``dc+sd-jwt``, ``vct`` equal to the offered configuration's, ``exp``/``nbf``,
that ``iss`` is acceptable for the issuer the wallet talked to (:func:`check_issuer`), that
``cnf`` is one of the keys just made (each key used once), and that all batch copies say the
same thing.

Which ``iss`` a wallet accepts from the issuer it talked to (SD-JWT VC "Issuer Verification
Key Discovery and Validation"; OpenID4VCI 1.0 §12.3 "The Wallet MAY check the binding between
the Credential Issuer Identifier and the Issuer Identifier in the issued Credential"):

* the credential issuer identifier itself (its key from ``x5c`` or JWT VC Issuer Metadata);
* the ``did:web`` of that identifier (the same host: its DID document is the issuer's own);
* a self-certifying DID (``did:jwk``, ``did:key``): the DID *is* the key, resolving it contacts
  nobody, and the credential still had to come from the issuer the citizen chose, over TLS, in
  answer to the wallet's own proofs. Verifiers judge that ``iss`` by their own trust lists;
* anything else is refused before any key lookup, above all a ``did:web`` or URL of another
  host: resolving it would make the wallet contact a server the citizen never chose, and
  nothing binds it to the issuer that sent it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from credentials.errors import CredentialError, X509Error
from credentials.issuer_keys import IssuerKeyResolverLike
from credentials.jose import parse_jws
from credentials.sd_jwt import decode_sd_jwt
from credentials.sd_jwt_vc import verify_sd_jwt_vc
from credentials.type_metadata import TypeMetadata
from did.errors import DIDError
from did.keys import PrivateKey
from did.methods.web import did_web_from_url
from wallet.errors import ReceiveError
from wallet.network import service_error
from wallet.oid4vci.metadata import Configuration, IssuerMetadata
from wallet.trust import certificate_refusal

__all__ = [
    "SELF_CERTIFYING_DIDS",
    "IssuedCredentials",
    "ReceivedCredential",
    "check_issuer",
    "credential_request",
    "nonce_rejected",
    "parse_credential_response",
    "verify_issued",
]


def credential_request(
    proofs: Sequence[str], *, configuration_id: str, identifier: str | None
) -> dict[str, Any]:
    """§8.2: the proofs, and the credential named by its identifier (when the token response
    gave one) or else by its configuration id."""
    request: dict[str, Any] = {"proofs": {"jwt": list(proofs)}}
    if identifier is not None:
        request["credential_identifier"] = identifier
    else:
        request["credential_configuration_id"] = configuration_id
    return request


def nonce_rejected(status: int, body: object) -> bool:
    """§8.3.1.2 ``invalid_nonce``: fetch a fresh nonce and prove again (once)."""
    error = body.get("error") if isinstance(body, Mapping) else None
    return status == 400 and error == "invalid_nonce"


@dataclass(frozen=True, slots=True)
class IssuedCredentials:
    """§8.3: the credentials as sent (not yet checked) and the ``notification_id``."""

    texts: tuple[str, ...] = field(repr=False)
    notification_id: str | None = None


def parse_credential_response(status: int, body: object, *, count: int) -> IssuedCredentials:
    """The response to a request with ``count`` proofs: at least one and at most ``count``
    credentials, each a string."""
    if status == 202:
        raise ReceiveError("the issuer will issue later", code="deferred_not_supported")
    if status != 200:
        raise service_error(
            body,
            status=status,
            said_by="the issuer",
            kind=ReceiveError,
            fallback="issuer_rejected",
            unexplained="the issuer refused to issue the credential",
        )
    if not isinstance(body, Mapping):
        raise ReceiveError("the issuer's credential response is empty", code="issuer_rejected")
    items = body.get("credentials")
    if not isinstance(items, list) or not items or len(items) > count:
        raise ReceiveError(
            f"the issuer sent {len(items) if isinstance(items, list) else 'no'} credentials "
            f"for {count} keys",
            code="credential_invalid",
        )
    texts = [i.get("credential") if isinstance(i, Mapping) else None for i in items]
    if not all(isinstance(t, str) for t in texts):
        raise ReceiveError("a credential in the response is not text", code="credential_invalid")
    notification = body.get("notification_id")
    return IssuedCredentials(
        tuple(t for t in texts if isinstance(t, str)),
        notification if isinstance(notification, str) else None,
    )


@dataclass(frozen=True, slots=True)
class ReceivedCredential:
    """A verified credential and its copies, each with the private key its ``cnf`` names."""

    configuration_id: str
    vct: str
    iss: str
    claims: Mapping[str, Any]
    disclosable: tuple[tuple[str | int, ...], ...]
    copies: tuple[tuple[str, PrivateKey], ...] = field(repr=False)
    issuer_names: Mapping[str, str] = field(default_factory=dict)
    type_metadata: TypeMetadata | None = None
    notification_id: str | None = None


# Per copy by design: its own holder key, and (HAIP) its own status list index so that
# status checks cannot link the copies either.
_PER_COPY = frozenset({"cnf", "iat", "status"})


def _without_cnf(claims: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in claims.items() if k not in _PER_COPY}


SELF_CERTIFYING_DIDS = ("did:jwk:", "did:key:")


def check_issuer(iss: str, credential_issuer: str) -> None:
    """The rule in the module docstring: ``credential_invalid`` for an unacceptable ``iss``."""
    if iss == credential_issuer or iss.startswith(SELF_CERTIFYING_DIDS):
        return
    try:
        if iss == did_web_from_url(credential_issuer):
            return
    except DIDError:
        pass
    raise ReceiveError(
        "the credential claims to come from another issuer than the one that sent it",
        code="credential_invalid",
    )


def verify_issued(
    issued: IssuedCredentials,
    keys: Sequence[PrivateKey],
    *,
    metadata: IssuerMetadata,
    configuration: Configuration,
    issuer_key: IssuerKeyResolverLike,
    now: int,
    type_metadata: Callable[[str, Mapping[str, Any]], TypeMetadata | None] = lambda _v, _p: None,
) -> ReceivedCredential:
    """Check every copy in ``issued`` against the ``keys`` its proofs were made with; one
    :class:`ReceivedCredential` or ``credential_invalid``. ``issuer_key`` finds the issuer's
    key and ``type_metadata(vct, payload)`` the type's display names (either may fetch)."""
    unused = {key.public_key.thumbprint(): key for key in keys}
    copies: list[tuple[str, PrivateKey]] = []
    first: Any = None
    for text in issued.texts:
        try:
            # Before any key lookup: a credential naming another issuer would make the
            # wallet fetch from a host the citizen never chose.
            claimed = parse_jws(text.split("~", 1)[0]).payload.get("iss")
            check_issuer(claimed if isinstance(claimed, str) else "", metadata.credential_issuer)
            verified = verify_sd_jwt_vc(
                text,
                issuer_key=issuer_key,
                now=now,
                require_key_binding=False,
                vct_values=(configuration.vct,),
            )
            if verified.sd_jwt.key_binding is not None:
                raise ReceiveError("an issued credential carries a key binding JWT")
            decoded = decode_sd_jwt(text)
        except X509Error as exc:
            raise certificate_refusal(exc, "the issuer") from exc
        except CredentialError as exc:
            raise ReceiveError(
                f"a received credential failed verification ({exc.code}: {exc.message})",
                code="credential_invalid",
            ) from exc
        except DIDError as exc:
            raise ReceiveError(
                f"the issuer's key could not be found ({exc.message})",
                code="credential_invalid",
            ) from exc
        holder = verified.holder_key
        key = unused.pop(holder.thumbprint(), None) if holder is not None else None
        if key is None:
            raise ReceiveError(
                "a received credential is bound to a key this wallet did not make "
                "(or to one key twice)",
                code="credential_invalid",
            )
        summary = (verified.vct, verified.iss, decoded.claims.keys() - _PER_COPY)
        if first is None:
            first = (summary, decoded)
        elif summary != first[0] or _without_cnf(decoded.claims) != _without_cnf(first[1].claims):
            raise ReceiveError(
                "the copies of the credential do not say the same thing",
                code="credential_invalid",
            )
        copies.append((text, key))
    decoded = first[1]
    return ReceivedCredential(
        configuration_id=configuration.id,
        vct=configuration.vct,
        iss=first[0][1],
        claims=decoded.claims,
        disclosable=tuple(
            tuple(p for p in path if p is not None) for path in decoded.selectively_disclosable
        ),
        copies=tuple(copies),
        issuer_names=dict(metadata.names),
        type_metadata=type_metadata(configuration.vct, decoded.payload),
        notification_id=issued.notification_id,
    )
