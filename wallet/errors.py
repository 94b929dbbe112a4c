"""Errors raised by the ``wallet`` package.

Every error carries a stable machine ``code``, a plain-language ``message`` (what went wrong)
and a ``hint`` (what the citizen can do next). The codes are a public contract: the CLI prints
them, the web wallet shows them, tests assert them::

    WalletError                   root: ``except WalletError`` catches everything below
    ├── VaultError                passphrase, encryption envelope, wallet file integrity
    ├── StorageError              the wallet database cannot be opened or written
    ├── ReceiveError              OpenID4VCI: the offer, the issuer or a received credential
    ├── PresentError              OpenID4VP: the request, the verifier or the answer
    ├── BackupError               backup files: format, passphrase, integrity, import target
    └── NetworkError              a request to an issuer or verifier failed or was refused

Messages never contain secrets (passphrases, keys, tokens, tx codes, nonces, disclosures).

The plain words are one table (``_WORDS``), one row per code: the hint (the library's and the
command line's next step), the web wallet's wording where its next step is on a page rather than
a command (:attr:`WalletError.page_hint`), and the HTTP status a page answers with. Words the web
wallet builds around its own inputs (a blurred photo, a link pasted on the wrong page) stay in
:mod:`wallet.web`.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import CodedError

__all__ = [
    "BackupError",
    "NetworkError",
    "PresentError",
    "ReceiveError",
    "StorageError",
    "VaultError",
    "WalletError",
    "Words",
    "hint_for",
    "known_code",
]


@dataclass(frozen=True, slots=True)
class Words:
    """The plain words of one code: ``hint`` (what to do next, in the library's and the command
    line's words), ``page_hint`` (the web wallet's, where its next step is on a page rather
    than a command; ``None``: the same as ``hint``) and ``status`` (the HTTP status a page
    answers with; ``None``: the error class's)."""

    hint: str | None = None
    page_hint: str | None = None
    status: int | None = None


# One row per code, so the same failure always tells people the same next step.
_WORDS: dict[str, Words] = {
    # vault
    "wrong_passphrase": Words(
        "Type the passphrase again; it is case-sensitive. If you forgot it, restore from a backup "
        "file with 'drukid wallet import'.",
        page_hint=(
            "Type the passphrase again; it is case-sensitive, so check Caps Lock. If you forgot "
            "it, only a backup file and its own passphrase can bring your credentials back."
        ),
    ),
    "vault_corrupted": Words(
        "The wallet file was changed outside drukid or is damaged. Do not use it; restore your "
        "credentials from a backup file ('drukid wallet import').",
        status=409,
    ),
    "vault_version_unsupported": Words(
        "This wallet was made by a newer drukid. Update drukid and try again.",
        status=409,
    ),
    "vault_header_invalid": Words(
        "The wallet file was changed outside drukid or is damaged. Restore from a backup file "
        "('drukid wallet import').",
        status=409,
    ),
    "weak_passphrase": Words(
        "Choose a passphrase of at least 8 characters; a few unrelated words are easy to remember "
        "and hard to guess.",
    ),
    "passphrase_needed": Words(
        "Run the command in a terminal, or set DRUKID_WALLET_PASSPHRASE (for scripts).",
    ),
    "kdf_unavailable": Words(
        "This computer's cryptography library cannot open this wallet. Update drukid (pip install "
        "-U drukid) and try again.",
        status=503,
    ),
    # storage
    "wallet_not_found": Words(
        "Create a wallet first with 'drukid wallet init', or point to yours with --wallet PATH.",
        page_hint="Create a wallet first.",
    ),
    "wallet_exists": Words(
        "A wallet already exists there. Open it, or choose another place with --wallet PATH.",
        page_hint="A wallet already exists on this computer. Unlock it instead.",
        status=409,
    ),
    "wallet_changed_elsewhere": Words(
        "The wallet was changed by another window at the same time. Close other drukid windows and "
        "try again.",
        page_hint=(
            "The wallet was changed in another window or by the command line. Lock the wallet, "
            "unlock it again, and repeat what you were doing."
        ),
        status=409,
    ),
    "storage_failed": Words(
        "Check that the disk is not full and that you may write to the wallet folder, then try "
        "again.",
        status=503,
    ),
    "credential_not_found": Words(
        "Run 'drukid wallet list' to see the credentials and their ids.",
        page_hint="Go to 'My credentials' to see what your wallet holds.",
        status=404,
    ),
    # what the citizen hands the wallet (wallet.links; the web wallet's photo upload too)
    "file_not_found": Words(
        "Check the file's name and folder (for example with 'ls'), or paste the link itself in "
        "quotes instead.",
    ),
    "qr_unreadable": Words(
        "Take a sharper, closer photo of the whole QR code in good light (PNG or JPEG), or paste "
        "the link instead.",
    ),
    # receive
    "offer_invalid": Words(
        "The offer could not be read. Ask the issuer for a new QR code or link.",
    ),
    "offer_unsupported": Words(
        "This wallet cannot accept this kind of offer yet. Ask the issuer for an offer with a "
        "pre-authorized code.",
    ),
    "tx_code_required": Words(
        "The issuer sent you a code (by SMS or e-mail). Run the command again with --tx-code CODE.",
        page_hint="Type the PIN the agency gave you (by SMS, e-mail or on paper).",
    ),
    "tx_code_invalid": Words(
        "Check the PIN the agency gave you (by SMS, e-mail or on paper), then run the command "
        "again with --tx-code PIN.",
        page_hint="Check the PIN the agency gave you (by SMS, e-mail or on paper) and type it "
        "again.",
    ),
    "issuer_metadata_invalid": Words(
        "The issuer's service is not set up correctly. Try again later or contact the issuer.",
    ),
    "authorization_code_unsupported": Words(
        "This issuer does not offer signing in from the wallet. Ask the agency for an offer (a QR "
        "code) instead.",
    ),
    "authorization_state_mismatch": Words(
        "The agency's page answered for another sign-in. Start again from the wallet, and do not "
        "open sign-in links someone sent you.",
    ),
    "authorization_response_iss_mismatch": Words(
        "The answer did not come from the agency this wallet asked. Start again from the wallet.",
    ),
    "authorization_denied": Words(
        "The credential was not added: you cancelled, or the agency refused. Start again from "
        "the wallet if you want to try again.",
    ),
    "authorization_timeout": Words(
        "Finish the steps on the agency's page within ten minutes, or start again.",
    ),
    "authorization_unknown": Words(
        "The wallet lost track of this sign-in. Start again from the wallet.",
    ),
    "token_not_sender_constrained": Words(
        "The issuer did not bind its answer to this wallet, so the wallet stopped for your "
        "safety. Try again later or contact the issuer.",
    ),
    "wallet_attestation_missing": Words(
        "The wallet's attestation files cannot be read. Check DRUKID_WALLET_ATTESTATION_FILE and "
        "DRUKID_WALLET_ATTESTATION_KEY_FILE.",
    ),
    "refresh_unsupported": Words(
        "This credential came from an offer, so it cannot be refreshed. Ask the issuer for a new "
        "offer.",
    ),
    "issuer_rejected": Words(
        "The issuer refused the request. If the offer is old or was used before, ask the issuer "
        "for a new one.",
    ),
    "credential_invalid": Words(
        "The issuer sent a credential that failed the wallet's checks, so it was not saved. "
        "Contact the issuer; do not accept credentials from unknown sources.",
    ),
    "issuer_certificate_untrusted": Words(
        "The issuer's certificate is not vouched for by an authority your wallet trusts, so the "
        "credential was not saved. If you know the authority is genuine (for example your "
        "country's digital-identity agency), add its root certificate with 'drukid wallet trust "
        "add-root FILE' and receive the credential again.",
        page_hint=(
            "The issuer's certificate is not vouched for by an authority your wallet trusts, so "
            "the credential was not saved. Ask the issuer which authority vouches for it."
        ),
    ),
    "issuer_certificate_invalid": Words(
        "The issuer's certificate is expired, revoked or not for this issuer, so the credential "
        "was not saved. Contact the issuer.",
    ),
    "response_not_encrypted": Words(
        "The issuer sent the credential without the encryption this wallet asked for, so the "
        "wallet did not keep it. Try again later; if it keeps happening, tell the issuer.",
    ),
    "key_attestation_files": Words(
        "Check the key attestation files in the settings (DRUKID_WALLET_KEY_ATTESTATION_CHAIN_FILE "
        "and ..._KEY_FILE): both must exist and be readable.",
    ),
    "issuance_denied": Words(
        "The agency decided not to issue this credential. Contact the agency to ask why.",
    ),
    "issuance_expired": Words(
        "The agency no longer knows this request (it expired or was already collected). Ask "
        "the agency for a new offer.",
    ),
    "deferred_not_supported": Words(
        "The issuer will issue this credential later, which this wallet does not support yet. Ask "
        "the issuer for an immediate offer.",
    ),
    # present
    "request_invalid": Words(
        "The request could not be read. Ask the service for a new QR code or link.",
    ),
    "request_signature_invalid": Words(
        "The request's signature is not valid, so it may not come from who it claims. Do not share "
        "anything; contact the service another way.",
    ),
    "verifier_certificate_invalid": Words(
        "The service's certificate is expired, revoked or not its own, so the wallet cannot "
        "check who is asking. Nothing was shared; do not share with this service.",
    ),
    "trust_root_invalid": Words(
        "Use the certificate file of the authority itself (a CA certificate, PEM), as its "
        "publisher gives it.",
    ),
    "trust_root_not_found": Words(
        "Run 'drukid wallet trust roots' to see the authorities and their fingerprints.",
        status=404,
    ),
    "client_id_unsupported": Words(
        "This wallet cannot check who sent this request. Nothing was shared. Ask the service to "
        "use a supported verifier identity.",
    ),
    "request_unsatisfiable": Words(
        "You do not hold the credentials this service asks for. Receive them from the issuer "
        "first, or refuse the request.",
    ),
    "presentation_rejected": Words(
        "The service did not accept what was sent. Check the message, then ask the service what it "
        "needs.",
    ),
    # a service refused a credential for its status (the verifier's codes, passed on)
    "status_revoked": Words(
        "The credential was revoked by the agency that issued it, so services no longer accept "
        "it. Contact that agency to ask why, or for a new one.",
    ),
    "status_suspended": Words(
        "The agency that issued the credential has suspended it for now, so services do not "
        "accept it. Contact that agency to ask why and when it is valid again.",
    ),
    "already_answered": Words(
        "This request was already answered. Scan a new QR code to share again.",
        page_hint=(
            "This request was already answered. Ask the service for a new QR code or link to share "
            "again."
        ),
    ),
    # backup
    "backup_invalid": Words(
        "The file is not a drukid wallet backup, or it was damaged. Use the file made by 'drukid "
        "wallet export'.",
        page_hint=(
            "Choose the backup file the wallet saved for you (its name ends in .drukid-backup). If "
            "it is the right file, it was damaged: use another copy. Nothing was changed in your "
            "wallet."
        ),
    ),
    "backup_wrong_passphrase": Words(
        "Type the backup passphrase you chose when you made the backup. It may differ from the "
        "wallet passphrase.",
        page_hint=(
            "Type the backup passphrase you chose when you made the backup (it may differ from "
            "your wallet passphrase). If the passphrase is right, the file was changed or damaged: "
            "use another copy. Nothing was changed in your wallet."
        ),
    ),
    "backup_version_unsupported": Words(
        "This backup was made by a newer drukid. Update drukid and try again.",
    ),
    "wallet_not_empty": Words(
        "Import a backup into a new, empty wallet: choose a new place with --wallet PATH.",
        page_hint=(
            "A backup can only go into a wallet that has no credentials and no history yet. "
            "Nothing was changed. Use the backup on a computer where the wallet is new."
        ),
        status=409,
    ),
    # network
    "network_timeout": Words(
        "The internet connection is slow or the service is down. Move to a better signal and try "
        "again.",
        status=504,
    ),
    "network_failed": Words(
        "Check your internet connection and try again. If it keeps failing, the service may be "
        "down.",
    ),
    "network_refused": Words(
        "The address is not allowed for safety (it is not a public https address). Do not use this "
        "QR code or link.",
    ),
    "network_response_too_large": Words(
        "The service sent far more data than expected; it may be broken or hostile. Nothing was "
        "saved.",
    ),
    "network_redirect_refused": Words(
        "The service tried to send the wallet elsewhere, which is not allowed here. Nothing was "
        "shared.",
    ),
    "network_bad_status": Words(
        "The service answered with an error. Try again later or contact it.",
    ),
    "network_bad_response": Words(
        "The service sent an answer the wallet cannot read. Try again later or contact the "
        "service.",
    ),
    # raised by the web wallet, with its own words (wallet.web.inputs)
    "photo_too_large": Words(status=413),
}
_DEFAULT_HINT = "Try again. If it keeps failing, contact the service or your local help desk."
_NONE = Words()


def hint_for(code: str) -> str:
    """The next step for a person who met error ``code``."""
    return _WORDS.get(code, _NONE).hint or _DEFAULT_HINT


def known_code(code: str) -> bool:
    """Whether ``code`` has its own row of plain words here."""
    return _WORDS.get(code, _NONE).hint is not None


class WalletError(CodedError):
    """Root of every error in :mod:`wallet`; each also carries a plain-language ``hint`` (the
    one given, else its code's), and the HTTP ``status`` of its code for the web wallet."""

    code = "wallet_error"
    hint: str

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, code=code)
        words = _WORDS.get(self.code, _NONE)
        self.hint = hint if hint is not None else hint_for(self.code)
        if words.status is not None:
            self.status = words.status

    @property
    def page_hint(self) -> str:
        """What to do next when the web wallet shows this error: its code's page wording
        where the command line's next step would be a command, else :attr:`hint`."""
        return _WORDS.get(self.code, _NONE).page_hint or self.hint


class VaultError(WalletError):
    code = "vault_corrupted"


class StorageError(WalletError):
    code = "storage_failed"


class ReceiveError(WalletError):
    code = "credential_invalid"


class PresentError(WalletError):
    code = "request_invalid"


class BackupError(WalletError):
    code = "backup_invalid"


class NetworkError(WalletError):
    """A request failed. ``upstream_status`` is the HTTP status when the service answered;
    ``not_sent``: the request certainly never left the device (no connection was made)."""

    code = "network_failed"
    status = 502  # a page about a service the wallet could not use: a bad gateway

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
        upstream_status: int | None = None,
        not_sent: bool = False,
    ) -> None:
        super().__init__(message, code=code, hint=hint)
        self.upstream_status = upstream_status
        self.not_sent = not_sent
