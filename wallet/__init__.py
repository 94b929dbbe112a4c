"""The citizen's wallet: an encrypted credential store, OpenID4VCI and OpenID4VP clients, a
plain-language consent summary, history, backups, and the status of held credentials.
:class:`Wallet` is the facade."""

from wallet.consent import ConsentSummary, ConsentWarning, CredentialShare, Verifier
from wallet.errors import (
    BackupError,
    NetworkError,
    PresentError,
    ReceiveError,
    StorageError,
    VaultError,
    WalletError,
    hint_for,
)
from wallet.history import HistoryEntry, SharedCredential
from wallet.holder import PresentationOutcome, PresentationSession, Wallet
from wallet.settings import WalletSettings
from wallet.status import StatusRecord, StatusText
from wallet.vault import DEFAULT_KDF, Argon2idParams, ScryptParams
from wallet.views import CredentialView

__all__ = [
    "DEFAULT_KDF",
    "Argon2idParams",
    "BackupError",
    "ConsentSummary",
    "ConsentWarning",
    "CredentialShare",
    "CredentialView",
    "HistoryEntry",
    "NetworkError",
    "PresentError",
    "PresentationOutcome",
    "PresentationSession",
    "ReceiveError",
    "ScryptParams",
    "SharedCredential",
    "StatusRecord",
    "StatusText",
    "StorageError",
    "VaultError",
    "Verifier",
    "Wallet",
    "WalletError",
    "WalletSettings",
    "hint_for",
]
