"""The citizen's web wallet: local pages over :class:`wallet.holder.Wallet`
(``drukid serve wallet``). :func:`create_app` builds it."""

from wallet.web.app import create_app

__all__ = ["create_app"]
