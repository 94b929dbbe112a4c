"""SQLModel tables of the wallet. Nothing here is plaintext personal data: the rows hold the
vault header (KDF settings, wrapped key) and AES-GCM envelopes (see :mod:`wallet.vault`)."""

from wallet.storage.models import WalletMeta, WalletRecord

__all__ = ["WalletMeta", "WalletRecord"]
