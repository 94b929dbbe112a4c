"""Errors raised by the ``issuer`` package.

Every error carries a stable machine-readable ``code``, a human ``message`` (plain words that say
what to do next), the registered OAuth / OpenID4VCI ``error`` value it renders as, and the HTTP
``status``. Protocol errors render themselves as RFC 6749 §5.2 JSON through
:func:`servicekit.http.install_error_handlers`::

    IssuerError                       root: ``except IssuerError`` catches everything below
    ├── InvalidRequestError           400 invalid_request: malformed or missing parameters
    ├── UnsupportedGrantTypeError     400 unsupported_grant_type (token endpoint)
    ├── InvalidGrantError             400 invalid_grant: wrong/expired/used code, wrong tx_code
    ├── InvalidTokenError             401 invalid_token: missing, unknown or expired access token
    ├── InvalidClientError            401 invalid_client: wallet attestation missing or refused
    │                                     (``use_fresh_attestation`` when it is too old)
    ├── InvalidDPoPProofError         400 invalid_dpop_proof (401 + WWW-Authenticate: DPoP at
    │                                     the credential endpoints); ``use_dpop_nonce`` with a
    │                                     fresh DPoP-Nonce when the server nonce is missing/stale
    ├── InvalidScopeError             400 invalid_scope: no credential this issuer offers
    ├── InvalidTargetError            400 invalid_target: ``resource`` is not this issuer
    ├── InvalidAuthorizationDetailsError  400 invalid_authorization_details (RFC 9396 §5)
    ├── UnsupportedResponseTypeError  400 unsupported_response_type (PAR)
    ├── CredentialRequestError        400 OpenID4VCI 1.0 §8.3.1.2 credential request errors
    │   ├── InvalidCredentialRequestError       invalid_credential_request
    │   ├── UnknownCredentialConfigurationError unknown_credential_configuration
    │   ├── InvalidProofError                   invalid_proof
    │   ├── InvalidNonceError                   invalid_nonce
    │   ├── CredentialRequestDeniedError        credential_request_denied
    │   ├── InvalidEncryptionParametersError    invalid_encryption_parameters (§10)
    │   ├── IssuancePendingError                issuance_pending (deferred, not yet approved)
    │   └── InvalidTransactionIdError           invalid_transaction_id (deferred, §9.3)
    ├── InsufficientScopeError        403 insufficient_scope: the token is for another credential
    ├── NotificationError             400 invalid_notification_request
    │   └── InvalidNotificationIdError      invalid_notification_id
    ├── OfferNotFoundError            404 not_found: no such offer
    ├── OfferGoneError                410 gone: the offer expired, was used or was burned
    ├── NotFoundError                 404 not_found: no such credential, record, list or type
    ├── ConflictError                 409 conflict: the action does not fit the current state
    ├── UnauthorizedError             401 unauthorized: operator API without a valid API key
    ├── ForbiddenError                403 forbidden: the API key's role does not allow this
    ├── RegistryError                 400 invalid_record: a registry record or CSV row is invalid
    ├── TemporarilyUnavailableError   503 temporarily_unavailable: busy or database unreachable
    └── ConfigurationError            500 configuration_error: settings, type files, key store

The messages themselves are plain words that say what happened (and usually what to do);
:data:`NEXT_STEPS` is the issuer's one table of what a person can do next for the codes whose
message does not say it (also the operator pages' own codes), read as :attr:`IssuerError.hint`
and by the pages' error screen (:func:`next_step`).
"""

from __future__ import annotations

from collections.abc import Mapping

from core.errors import CodedError

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "CredentialRequestDeniedError",
    "CredentialRequestError",
    "ForbiddenError",
    "InsufficientScopeError",
    "InvalidAuthorizationDetailsError",
    "InvalidClientError",
    "InvalidCredentialRequestError",
    "InvalidDPoPProofError",
    "InvalidEncryptionParametersError",
    "InvalidGrantError",
    "InvalidNonceError",
    "InvalidNotificationIdError",
    "InvalidProofError",
    "InvalidRequestError",
    "InvalidScopeError",
    "InvalidTargetError",
    "InvalidTokenError",
    "InvalidTransactionIdError",
    "IssuancePendingError",
    "IssuerError",
    "NotFoundError",
    "NotificationError",
    "OfferGoneError",
    "OfferNotFoundError",
    "RegistryError",
    "TemporarilyUnavailableError",
    "UnauthorizedError",
    "UnknownCredentialConfigurationError",
    "UnsupportedGrantTypeError",
    "UnsupportedResponseTypeError",
    "ascii_description",
    "next_step",
]

# OpenID4VCI 1.0 §8.3.1.2 / RFC 6749 §5.2: error_description is limited to these characters.
_ALLOWED = frozenset(chr(c) for c in (*range(0x20, 0x22), *range(0x23, 0x5C), *range(0x5D, 0x7F)))


# What to do next, by code: one sentence for a person (agency staff or a citizen).
NEXT_STEPS: dict[str, str] = {
    "role_forbidden": "If you need to do this, ask an administrator for a key with the right role.",
    "csrf_failed": "Go back, reload the page, and do it again.",
    "no_page": "Check the address, or use the menu above.",
    "wrong_method": "Use the links and buttons on the pages instead of typing addresses.",
    "temporarily_unavailable": "Wait a minute, then reload the page.",
    "database_unavailable": "Wait a minute, then reload the page. If it keeps happening, tell "
    "your IT staff.",
    # the command line's own codes
    "file_not_found": "Check the file's name and folder (for example with 'ls'), then run the "
    "command again.",
    "invalid_csv": "Fix the file (a header row of field names, UTF-8 text), then run the command "
    "again; nothing was changed.",
    "file_unreadable": "Give the PEM file the certificate authority made (text, ASCII).",
    "bad_role": "Use one of the roles listed.",
    "storage_full": "Tell your IT staff: the disk that holds the issuer's data is full. Nothing "
    "was saved; try again once they have freed space.",
    "storage_read_only": "Tell your IT staff: the issuer's data directory cannot be written. "
    "Nothing was saved.",
    "data_dir_unwritable": "Make the data directory (DRUKID_ISSUER_DATA_DIR) writable by the "
    "user the service runs as, or point the setting at one that is, then start again.",
    # The citizen's authorization pages (/authorize) and the wallet-facing OAuth endpoints.
    "par_required": "Start again from your wallet: it opens this page with the right link.",
    "par_request_uri_unknown": "Start again from your wallet.",
    "par_request_uri_expired": "Start again from your wallet; the link is valid for a minute.",
    "par_request_uri_used": "Start again from your wallet, on this phone or computer.",
    "par_client_mismatch": "Start again from your wallet.",
    "signin_failed": "Check your CID and the sign-in code the agency gave you, then try again.",
    "signin_attempts_exhausted": "Start again from your wallet.",
    "signin_throttled": "Wait a few minutes, then try again.",
    "signin_code_exhausted": "Ask the agency for a new sign-in code.",
    "client_attestation_untrusted": "Use a wallet app this agency accepts, or update yours.",
    "client_attestation_expired": "Open the wallet app again so it can renew its attestation.",
    "client_unknown": "Use a wallet app this agency accepts.",
    # Key attestations (OpenID4VCI 1.0 Appendix D): what the wallet's maker must fix.
    "key_attestation_required": "This credential needs a wallet that can prove its keys are "
    "kept safely (a key attestation). Use a wallet app that supports key attestations.",
    "key_attestation_untrusted": "The wallet's maker is not one this agency trusts. Use another "
    "wallet app, or ask the agency which wallets it accepts.",
    "key_storage_insufficient": "This credential needs keys kept in stronger hardware than this "
    "wallet offers. Use a wallet app with a secure element.",
    "user_authentication_insufficient": "This credential needs a wallet that asks for your PIN "
    "or fingerprint in a stronger way. Use another wallet app.",
    # Encrypted credential responses (OpenID4VCI 1.0 §10).
    "encryption_required": "This agency sends credentials only encrypted. Update the wallet app.",
    "encryption_key_invalid": "The wallet sent an encryption key this agency cannot use (it "
    "needs a public P-256 key for ECDH-ES). Update the wallet app.",
    # Deferred issuance (OpenID4VCI 1.0 §9).
    "issuance_pending": "The agency has not approved the credential yet. The wallet will ask "
    "again later; nothing needs doing.",
    "issuance_denied": "The agency decided not to issue this credential. Contact the agency to "
    "ask why.",
    "transaction_expired": "The agency did not decide in time. Ask the agency for a new offer.",
    "approval_decided": "Someone already decided this request; reload the list.",
}


def next_step(code: str) -> str | None:
    """What a person can do next after an error with ``code`` (``None``: the message says)."""
    return NEXT_STEPS.get(code)


def ascii_description(text: str) -> str:
    """``text`` reduced to the character set OAuth allows in ``error_description``."""
    cleaned = "".join(c if c in _ALLOWED else ("'" if c in '"‘’“”' else "?") for c in text)
    return cleaned[:500]


class IssuerError(CodedError):
    """Root of every error in :mod:`issuer`; messages are cut to the characters OAuth allows in
    ``error_description``."""

    code = "issuer_error"
    error = "invalid_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(ascii_description(message), code=code, headers=headers)
        self.hint = next_step(self.code)


class InvalidRequestError(IssuerError):
    code = "invalid_request"
    error = "invalid_request"


class UnsupportedGrantTypeError(IssuerError):
    code = "unsupported_grant_type"
    error = "unsupported_grant_type"


class InvalidGrantError(IssuerError):
    code = "invalid_grant"
    error = "invalid_grant"


class InvalidTokenError(IssuerError):
    """RFC 6750 §3.1: 401 with a ``WWW-Authenticate: Bearer`` challenge."""

    code = "invalid_token"
    error = "invalid_token"
    status = 401

    def __init__(
        self, message: str, *, code: str | None = None, challenge: str | None = None
    ) -> None:
        super().__init__(
            message,
            code=code,
            headers={"WWW-Authenticate": challenge or 'Bearer error="invalid_token"'},
        )


class InvalidClientError(IssuerError):
    """RFC 6749 §5.2 ``invalid_client`` (401): the wallet's attestation is missing or refused
    (Attestation-Based Client Authentication §7.4; ``use_fresh_attestation`` by instance)."""

    code = "invalid_client"
    error = "invalid_client"
    status = 401


class InvalidDPoPProofError(IssuerError):
    """RFC 9449 §5 (token endpoint, 400) and §7.1 (resource endpoints, 401 with a
    ``WWW-Authenticate: DPoP`` challenge); ``use_dpop_nonce`` (§8, §9) carries ``DPoP-Nonce``."""

    code = "invalid_dpop_proof"
    error = "invalid_dpop_proof"


class InvalidScopeError(IssuerError):
    code = "invalid_scope"
    error = "invalid_scope"


class InvalidTargetError(IssuerError):
    code = "invalid_target"
    error = "invalid_target"


class InvalidAuthorizationDetailsError(IssuerError):
    code = "authorization_details_invalid"
    error = "invalid_authorization_details"


class UnsupportedResponseTypeError(IssuerError):
    code = "response_type_unsupported"
    error = "unsupported_response_type"


class CredentialRequestError(IssuerError):
    code = "invalid_credential_request"
    error = "invalid_credential_request"


class InvalidCredentialRequestError(CredentialRequestError):
    pass


class UnknownCredentialConfigurationError(CredentialRequestError):
    code = "unknown_credential_configuration"
    error = "unknown_credential_configuration"


class InvalidProofError(CredentialRequestError):
    code = "invalid_proof"
    error = "invalid_proof"


class InvalidNonceError(CredentialRequestError):
    code = "invalid_nonce"
    error = "invalid_nonce"


class CredentialRequestDeniedError(CredentialRequestError):
    code = "credential_request_denied"
    error = "credential_request_denied"


class InvalidEncryptionParametersError(CredentialRequestError):
    code = "invalid_encryption_parameters"
    error = "invalid_encryption_parameters"


class IssuancePendingError(CredentialRequestError):
    """The operator has not decided yet; ``Retry-After`` says how many seconds to wait."""

    code = "issuance_pending"
    error = "issuance_pending"

    def __init__(self, message: str, *, interval: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(interval)})
        self.interval = interval


class InvalidTransactionIdError(CredentialRequestError):
    code = "invalid_transaction_id"
    error = "invalid_transaction_id"


class NotificationError(IssuerError):
    code = "invalid_notification_request"
    error = "invalid_notification_request"


class InvalidNotificationIdError(NotificationError):
    code = "invalid_notification_id"
    error = "invalid_notification_id"


class InsufficientScopeError(IssuerError):
    """RFC 6750 §3.1: the access token does not cover the requested credential."""

    code = "insufficient_scope"
    error = "insufficient_scope"
    status = 403


class OfferNotFoundError(IssuerError):
    code = "offer_not_found"
    error = "not_found"
    status = 404


class OfferGoneError(IssuerError):
    code = "offer_gone"
    error = "gone"
    status = 410


class NotFoundError(IssuerError):
    code = "not_found"
    error = "not_found"
    status = 404


class ConflictError(IssuerError):
    code = "conflict"
    error = "conflict"
    status = 409


class UnauthorizedError(IssuerError):
    code = "unauthorized"
    error = "invalid_token"
    status = 401

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"WWW-Authenticate": "Bearer"})


class ForbiddenError(IssuerError):
    code = "forbidden"
    error = "insufficient_scope"
    status = 403


class RegistryError(IssuerError):
    code = "invalid_record"
    error = "invalid_request"


class TemporarilyUnavailableError(IssuerError):
    code = "temporarily_unavailable"
    error = "temporarily_unavailable"
    status = 503

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, headers={"Retry-After": "2"})


class ConfigurationError(IssuerError):
    code = "configuration_error"
    error = "server_error"
    status = 500
