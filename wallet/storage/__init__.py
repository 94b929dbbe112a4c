"""The wallet's storage: one SQLite file (:mod:`.database`) with two tables (:mod:`.models`),
queried through repositories over the session of one unit of work (:mod:`.repos`), and
:class:`~wallet.storage.store.WalletStore`, the encrypted store over them, whose index is the
catalog (:mod:`.catalog`). Nothing in the file is plaintext personal data: the rows hold the
vault header (KDF settings, wrapped key) and AES-GCM envelopes (see :mod:`wallet.vault`)."""

from wallet.storage.models import WalletMeta, WalletRecord

__all__ = ["WalletMeta", "WalletRecord"]
