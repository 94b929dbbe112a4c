"""Errors raised by the ``wallet`` package.

Every error carries a stable machine ``code``, a plain-language ``message`` (what went wrong)
and a ``hint`` (what the citizen can do next). The codes are a public contract: the CLI prints
them, the web wallet will show them, tests assert them::

    WalletError                   root: ``except WalletError`` catches everything below
    ├── VaultError                passphrase, encryption envelope, wallet file integrity
    ├── StorageError              the wallet database cannot be opened or written
    ├── ReceiveError              OpenID4VCI: the offer, the issuer or a received credential
    ├── PresentError              OpenID4VP: the request, the verifier or the answer
    ├── BackupError               backup files: format, passphrase, integrity, import target
    └── NetworkError              a request to an issuer or verifier failed or was refused

Messages never contain secrets (passphrases, keys, tokens, tx codes, nonces, disclosures).
"""

from __future__ import annotations

from core.errors import CodedError

__all__ = [
    "BackupError",
    "NetworkError",
    "PresentError",
    "ReceiveError",
    "StorageError",
    "VaultError",
    "WalletError",
    "hint_for",
]

# One hint per code, so the same failure always tells people the same next step.
_HINTS: dict[str, str] = {
    # vault
    "wrong_passphrase": "Type the passphrase again; it is case-sensitive. If you forgot it, "
    "restore from a backup file with 'drukid wallet import'.",
    "vault_corrupted": "The wallet file was changed outside drukid or is damaged. Do not use it; "
    "restore your credentials from a backup file ('drukid wallet import').",
    "vault_version_unsupported": "This wallet was made by a newer drukid. Update drukid and try "
    "again.",
    "vault_header_invalid": "The wallet file was changed outside drukid or is damaged. Restore "
    "from a backup file ('drukid wallet import').",
    "weak_passphrase": "Choose a passphrase of at least 8 characters; a few unrelated words are "
    "easy to remember and hard to guess.",
    "kdf_unavailable": "This computer's cryptography library cannot open this wallet. Update "
    "drukid (pip install -U drukid) and try again.",
    # storage
    "wallet_not_found": "Create a wallet first with 'drukid wallet init', or point to yours with "
    "--wallet PATH.",
    "wallet_exists": "A wallet already exists there. Open it, or choose another place with "
    "--wallet PATH.",
    "wallet_changed_elsewhere": "The wallet was changed by another window at the same time. "
    "Close other drukid windows and try again.",
    "storage_failed": "Check that the disk is not full and that you may write to the wallet "
    "folder, then try again.",
    "credential_not_found": "Run 'drukid wallet list' to see the credentials and their ids.",
    # receive
    "offer_invalid": "The offer could not be read. Ask the issuer for a new QR code or link.",
    "offer_unsupported": "This wallet cannot accept this kind of offer yet. Ask the issuer for an "
    "offer with a pre-authorized code.",
    "tx_code_required": "The issuer sent you a code (by SMS or e-mail). Run the command again "
    "with --tx-code CODE.",
    "tx_code_invalid": "The code does not have the expected form. Check the message from the "
    "issuer and type it again.",
    "issuer_metadata_invalid": "The issuer's service is not set up correctly. Try again later or "
    "contact the issuer.",
    "issuer_rejected": "The issuer refused the request. If the offer is old or was used before, "
    "ask the issuer for a new one.",
    "credential_invalid": "The issuer sent a credential that failed the wallet's checks, so it "
    "was not saved. Contact the issuer; do not accept credentials from unknown sources.",
    "deferred_not_supported": "The issuer will issue this credential later, which this wallet "
    "does not support yet. Ask the issuer for an immediate offer.",
    # present
    "request_invalid": "The request could not be read. Ask the service for a new QR code or link.",
    "request_signature_invalid": "The request's signature is not valid, so it may not come from "
    "who it claims. Do not share anything; contact the service another way.",
    "client_id_unsupported": "This wallet cannot check who sent this request. Nothing was "
    "shared. Ask the service to use a supported verifier identity.",
    "request_unsatisfiable": "You do not hold the credentials this service asks for. Receive "
    "them from the issuer first, or refuse the request.",
    "presentation_rejected": "The service did not accept what was sent. Check the message, then "
    "ask the service what it needs.",
    "already_answered": "This request was already answered. Scan a new QR code to share again.",
    # backup
    "backup_invalid": "The file is not a drukid wallet backup, or it was damaged. Use the file "
    "made by 'drukid wallet export'.",
    "backup_wrong_passphrase": "Type the backup passphrase you chose when you made the backup. "
    "It may differ from the wallet passphrase.",
    "backup_version_unsupported": "This backup was made by a newer drukid. Update drukid and "
    "try again.",
    "wallet_not_empty": "Import a backup into a new, empty wallet: choose a new place with "
    "--wallet PATH.",
    # network
    "network_timeout": "The internet connection is slow or the service is down. Move to a "
    "better signal and try again.",
    "network_failed": "Check your internet connection and try again. If it keeps failing, the "
    "service may be down.",
    "network_refused": "The address is not allowed for safety (it is not a public https "
    "address). Do not use this QR code or link.",
    "network_response_too_large": "The service sent far more data than expected; it may be "
    "broken or hostile. Nothing was saved.",
    "network_redirect_refused": "The service tried to send the wallet elsewhere, which is not "
    "allowed here. Nothing was shared.",
    "network_bad_status": "The service answered with an error. Try again later or contact it.",
    "network_bad_response": "The service sent an answer the wallet cannot read. Try again later "
    "or contact the service.",
}
_DEFAULT_HINT = "Try again. If it keeps failing, contact the service or your local help desk."


def hint_for(code: str) -> str:
    """The next step for a person who met error ``code``."""
    return _HINTS.get(code, _DEFAULT_HINT)


class WalletError(CodedError):
    """Root of every error in :mod:`wallet`; each also carries a plain-language ``hint``."""

    code = "wallet_error"
    hint: str

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None) -> None:
        super().__init__(message, code=code)
        self.hint = hint if hint is not None else hint_for(self.code)


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
    """A request failed. ``upstream_status`` is the HTTP status when the service answered."""

    code = "network_failed"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        hint: str | None = None,
        upstream_status: int | None = None,
    ) -> None:
        super().__init__(message, code=code, hint=hint)
        self.upstream_status = upstream_status
