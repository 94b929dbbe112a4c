"""Errors raised by the ``verifier`` package.

Every error carries a stable machine-readable ``code``, a technical ``message`` for logs and
developers, and :attr:`VerificationError.explanation`, the same thing in plain words for the
person at the counter. ``cause`` is the code of the lowest error in the chain (a key that could
not be resolved *because* its address is private says ``fetch_blocked_address``)::

    VerificationError             root: ``except VerificationError`` catches everything below
    ├── PresentationError         the presentation itself was rejected (signature, disclosures,
    │                             key binding, validity, type, claims, status)
    ├── TrustError                issuer not trusted, trust data or bundle unusable
    ├── RequestError              an OpenID4VP request/response broke the protocol (``error``
    │                             is the registered OAuth/OpenID4VP value, ``status`` HTTP)
    └── ServiceError              relying-party API misuse (auth, unknown request, bad input)

Errors of :mod:`credentials` and :mod:`did` are converted at this package's boundary with
:func:`from_lower_error`, keeping their code.
"""

from __future__ import annotations

from typing import TypeVar

from core.errors import CodedError
from credentials.errors import CredentialError
from did.errors import DIDError

__all__ = [
    "PresentationError",
    "RequestError",
    "ServiceError",
    "TrustError",
    "VerificationError",
    "explain",
    "from_lower_error",
    "root_code",
]

# The verifier's one table of plain words, for every code it raises or passes on (for people
# with little digital experience: short, no jargon, say what happened and, where there is one,
# what to do). Pages may add their own wording for what the person at a page does next.
_PLAIN = {
    "status_revoked": "This credential has been revoked by its issuer.",
    "status_suspended": "This credential is suspended by its issuer for now.",
    "status_not_valid": "The issuer has marked this credential as not valid.",
    "status_missing": (
        "This credential cannot be checked for revocation, and this service requires that."
    ),
    "status_index_out_of_range": "The credential's revocation entry is broken.",
    "dcql_value_mismatch": (
        "The shared information does not meet what was asked (for example, not over 18)."
    ),
    "dcql_holder_binding_missing": "The wallet did not prove it holds this credential.",
    "state_mismatch": "This answer does not belong to this request.",
    "encryption_required": "The answer must be encrypted; please update the wallet app.",
    "status_unavailable": (
        "We could not check with the issuer whether this credential is still valid. "
        "Try again when the connection is back."
    ),
    "untrusted_issuer": "This credential comes from an issuer this service does not accept.",
    "vct_not_trusted": "This issuer is not accepted for this kind of credential.",
    "vct_not_accepted": "This kind of credential is not accepted here.",
    "vct_mismatch": "This is not the kind of credential that was asked for.",
    "invalid_signature": "The credential's seal (its digital signature) is broken or forged.",
    "algorithm_not_allowed": "The credential uses a security method that is not allowed.",
    "algorithm_key_mismatch": "The credential's seal does not match its issuer's key.",
    "invalid_typ": "This is not a digital credential of the expected kind.",
    "expired": "This credential has expired.",
    "not_yet_valid": "This credential is not valid yet.",
    "issued_in_future": "This credential claims to be issued in the future; check the clock.",
    "key_binding_required": (
        "The wallet did not prove it holds this credential (the holder's proof is missing)."
    ),
    "kb_invalid_signature": "The holder's proof is not signed by the credential's own wallet.",
    "kb_invalid_typ": "The holder's proof is not of the expected kind.",
    "kb_missing_claim": "The holder's proof is incomplete.",
    "kb_iat_invalid": "The holder's proof is too old or from the future; please try again.",
    "kb_expired": "The holder's proof has expired; please try again.",
    "nonce_mismatch": "This answer was made for a different request. Please scan the new code.",
    "aud_mismatch": "This answer was made for a different organisation.",
    "sd_hash_mismatch": "The shared information was changed after the holder signed it.",
    "missing_cnf": "The credential is not tied to a wallet, so the holder cannot prove it.",
    "invalid_cnf": "The credential's wallet key is unusable.",
    "duplicate_digest": "The credential is malformed (a hidden item appears twice).",
    "duplicate_disclosure": "The answer is malformed (a shared item was sent twice).",
    "disclosure_unreferenced": "The answer contains information the issuer never sealed.",
    "disclosure_type_mismatch": "The answer is malformed (a shared item has the wrong form).",
    "claim_name_collision": "The answer is malformed (a shared item overwrites another).",
    "forbidden_selective_disclosure": "The credential hides information that must be visible.",
    "missing_claim": "Some information that was asked for was not shared.",
    "too_large": "The answer is too large.",
    "too_many_disclosures": "The answer has too many items.",
    "malformed": "The answer is not a readable digital credential.",
    "invalid_sd_jwt": "The answer is not a readable digital credential.",
    "issuer_key_unresolved": "We could not find the issuer's key to check the credential.",
    "issuer_metadata_unavailable": "We could not reach the issuer to get its key.",
    "key_mechanism_not_permitted": "The issuer's key cannot be looked up in a permitted way.",
    "request_expired": "This request has expired. Please start again and scan a new code.",
    "request_already_used": "This request was already answered. Please scan a new code.",
    "request_not_found": "This request does not exist or has been removed.",
    "access_denied": "The holder declined to share the information.",
    "dcql_claim_missing": "Some information that was asked for was not shared.",
    "dcql_vct_mismatch": "This is not the kind of credential that was asked for.",
    "dcql_unsatisfied": "The answer does not include every credential that was asked for.",
    "trust_bundle_expired": "The list of trusted issuers is out of date; it must be renewed.",
    "trust_bundle_invalid": "The list of trusted issuers is damaged or not genuine.",
    # The issuer's certificate chain (x5c, HAIP 1.0), checked at the time of presentation.
    "x5c_malformed": "The issuer's certificate in this credential is damaged.",
    "x5c_too_large": "The issuer's certificate chain in this credential is too long.",
    "x5c_chain_untrusted": (
        "The issuer's certificate is not vouched for by an authority this service trusts."
    ),
    "x5c_expired": "The issuer's certificate has expired, so its credentials cannot be accepted.",
    "x5c_not_yet_valid": "The issuer's certificate is not valid yet; check this computer's clock.",
    "x5c_self_signed_leaf": (
        "The issuer vouches for itself (a self-signed certificate); nobody else does."
    ),
    "x5c_leaf_is_ca": "The credential is sealed with an authority's certificate, which is wrong.",
    "x5c_leaf_is_anchor": "The credential is sealed with an authority's own certificate.",
    "x5c_key_usage": "The issuer's certificate does not allow sealing credentials.",
    "x5c_key_unsupported": "The issuer's certificate uses a kind of key that is not accepted.",
    "x5c_revoked": "The issuer's certificate has been revoked by the authority that gave it.",
    "x5c_crl_stale": (
        "The list of revoked certificates is out of date; load a current one and try again."
    ),
    "x5c_crl_invalid": "The list of revoked certificates is damaged or not genuine.",
    "x5c_crl_missing": "The issuer's certificate cannot be checked for revocation.",
    "x5c_san_mismatch": "The issuer's certificate belongs to another organisation.",
    "x5c_vct_not_allowed": (
        "The authority that vouches for this issuer does not vouch for this kind of credential."
    ),
    "x509_anchor_invalid": "The list of trusted authorities is not in the expected form.",
    "request_certificate_invalid": (
        "This service's own certificate is missing, expired or not for this address; an "
        "administrator must fix it."
    ),
    # What the credential itself lacks.
    "missing_vct": "The credential does not say what kind of credential it is.",
    "missing_iss": "The credential does not say who issued it.",
    "issuer_metadata_invalid": (
        "The issuer publishes its keys in a broken form, so its credentials cannot be checked."
    ),
    "issuer_metadata_mismatch": (
        "The issuer's published information belongs to someone else, so it cannot be used."
    ),
    # The OpenID4VP exchange with the wallet.
    "invalid_response": "The wallet's answer could not be read. Please try again.",
    "invalid_encrypted_response": "The wallet's answer could not be opened. Please try again.",
    "invalid_content_type": "The wallet's answer was sent in a form this service does not take.",
    "dcql_unknown_credential_id": "The answer includes a credential that was not asked for.",
    "unrequested_claims": (
        "The wallet shared more than this check asked for, and this service refuses such "
        "answers. Ask the person to share again, choosing only what is asked."
    ),
    "invalid_response_code": (
        "This result can be opened only once, and only from the device that shared it."
    ),
    # The relying-party API and the teller pages.
    "invalid_request": "Something in the request is missing or not valid.",
    "invalid_json": (
        "The request body is not strict JSON (a repeated name, NaN or Infinity, or a broken "
        "character); send plain JSON."
    ),
    "unsupported_media_type": "Send the request body as JSON (Content-Type: application/json).",
    "dcql_file_unreadable": "The DCQL query file could not be read; check its path.",
    "data_dir_unwritable": (
        "The service cannot write its data directory; its operator must fix the setting."
    ),
    "unauthorized": "A valid API key is needed to do this.",
    "database_unavailable": "The service's database cannot be reached just now; try again soon.",
    "storage_full": "The service cannot save anything: its disk is full. Tell its operator.",
    "storage_read_only": (
        "The service cannot save anything: its data directory is read-only. Tell its operator."
    ),
    "forbidden": "This API key is not allowed to do this.",
    "not_found": "There is no such item; it may have been removed.",
    "unknown_template": "There is no such kind of check.",
    "request_too_large": (
        "This request asks for too much to fit in a QR code; ask for less or use a signed request."
    ),
    "no_trusted_issuer_for_type": (
        "No trusted issuer gives this kind of credential yet; one must be added to the list of "
        "trusted issuers first."
    ),
    # The trust data this service is set up with (an administrator's task).
    "trust_invalid": "The list of trusted issuers is not in the expected form; it must be fixed.",
    "trust_file_unreadable": "The list of trusted issuers cannot be opened; check where it is.",
    "trust_authority_key_invalid": (
        "The trust authority's key is missing or not usable; check the key that was given."
    ),
    "trust_bundle_not_yet_valid": (
        "The list of trusted issuers is not valid yet; check this computer's clock."
    ),
    "issuer_discovery": (
        "That address does not publish what an issuer of digital credentials must publish."
    ),
    # The service's database (an administrator's task).
    "schema_out_of_date": (
        "The service's database must be upgraded for this version; an administrator runs "
        "`drukid verifier db upgrade` once, then starts the service again."
    ),
    "schema_too_new": (
        "The service's database was upgraded by a newer version; run that version again."
    ),
    "schema_branches": "The service's database changes are out of order; tell its developers.",
    "database_not_durable": (
        "The service's database could lose what it saved in a power cut; its settings must "
        "be fixed before the service starts."
    ),
    # Verifying with no internet (docs/offline-qr.md).
    "offline_qr_invalid": (
        "This QR code is not a drukid answer, or it is damaged. Ask the person to show it "
        "again, closer and steadier."
    ),
    "offline_qr_too_large": "This QR code holds more than an answer may; it was not read.",
    "offline_part_missing": (
        "Not every code of this answer was scanned yet. Scan the ones still missing."
    ),
    "offline_part_mismatch": (
        "These codes belong to different answers, or one was altered. Scan again the codes of "
        "one answer only."
    ),
    "offline_other_verifier": (
        "This answer was made for another verifier. Show this desk's own request QR and scan "
        "the new answer."
    ),
    "offline_nonce_unknown": (
        "This answer is for a request this desk did not make. Show this desk's request QR."
    ),
    "offline_nonce_used": (
        "This answer was already accepted once; an answer counts for one request only. Show a "
        "new request QR."
    ),
    "offline_request_expired": "The request this answers has expired. Show a new request QR.",
    "offline_no_bundle": (
        "This desk has no signed trust bundle to check answers offline. Connect to the internet "
        "and refresh it (`drukid verifier trust refresh`)."
    ),
    "offline_bundle_stale": (
        "This desk's trust data is older than this check allows. Connect to the internet, "
        "refresh it (`drukid verifier trust refresh`), then verify again."
    ),
    "offline_status_stale": (
        "This desk's revocation lists are older than this check allows, so it cannot say the "
        "credential is still valid. Connect to the internet, refresh the trust bundle, then "
        "verify again."
    ),
    "offline_needs_certificate": (
        "Offline requests must be signed with the desk's certificate; an administrator sets it "
        "up (DRUKID_VERIFIER_X509_CHAIN_FILE and DRUKID_VERIFIER_X509_KEY_FILE)."
    ),
    "trust_bundle_not_newer": (
        "The trust bundle offered is not newer than the one installed, so the installed one "
        "was kept."
    ),
    "no_bundle_url": (
        "This desk does not know where to fetch a new trust bundle: an administrator sets "
        "DRUKID_VERIFIER_TRUST_BUNDLE_URL and DRUKID_VERIFIER_TRUST_BUNDLE."
    ),
    "trust_bundle_fetch_failed": (
        "The new trust bundle could not be downloaded. Check the connection and the address "
        "(DRUKID_VERIFIER_TRUST_BUNDLE_URL), then try again."
    ),
    # Webhooks, as the relying party's server checks them.
    "webhook_signature_invalid": "This notice was not signed by the verifier service; ignore it.",
    "webhook_stale": "This notice is too old to be trusted; ignore it.",
}
_DEFAULT_PLAIN = "The credential could not be accepted."


def explain(code: str) -> str:
    """The plain-language sentence for ``code`` (a general sentence for codes without one)."""
    if code.startswith("fetch_"):
        return "We could not reach the issuer's server to check this credential."
    if code.startswith("status_list_"):
        return _PLAIN["status_unavailable"]
    return _PLAIN.get(code, _DEFAULT_PLAIN)


def root_code(exc: BaseException) -> str | None:
    """The ``code`` of the deepest drukid error in ``exc``'s ``__cause__`` chain."""
    found: str | None = None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, CodedError):
            found = current.code
        current = current.__cause__
    return found


class VerificationError(CodedError):
    """Root of every error in :mod:`verifier`; :attr:`plain` is its :attr:`explanation`."""

    code = "verification_failed"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        cause: str | None = None,
        checks: tuple[tuple[str, str, str], ...] = (),
    ) -> None:
        super().__init__(message, code=code)
        self.cause = cause
        self.checks = checks

    @property
    def explanation(self) -> str:
        return explain(self.code if self.cause is None or self.code in _PLAIN else self.cause)

    @property
    def plain(self) -> str:
        return self.explanation


class PresentationError(VerificationError):
    code = "presentation_rejected"


class TrustError(VerificationError):
    code = "untrusted_issuer"


class RequestError(VerificationError):
    code = "invalid_request"
    error = "invalid_request"

    def __init__(
        self, message: str, *, code: str | None = None, error: str | None = None, status: int = 400
    ) -> None:
        super().__init__(message, code=code)
        if error is not None:
            self.error = error
        self.status = status


class ServiceError(VerificationError):
    code = "invalid_request"

    def __init__(self, message: str, *, code: str | None = None, status: int = 400) -> None:
        super().__init__(message, code=code)
        self.status = status


E = TypeVar("E", bound=VerificationError)


def from_lower_error(
    exc: CredentialError | DIDError,
    kind: type[E],
    *,
    checks: tuple[tuple[str, str, str], ...] = (),
) -> E:
    """``kind`` with ``exc``'s code and message; raise it ``from exc``."""
    cause = root_code(exc)
    error = kind(exc.message, code=exc.code, cause=cause if cause != exc.code else None)
    error.checks = checks
    return error
