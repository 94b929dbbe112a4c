"""Wallet settings from the environment (prefix ``DRUKID_WALLET_``), see docs/dev/contracts.md.

``mode`` decides what the network may reach: ``production`` (default) fetches only public
``https://`` addresses; ``development`` (explicit) also allows ``http://`` and loopback, so the
issuer, verifier and wallet can run together on one laptop. Nothing else changes with the mode:
every credential and request is checked the same way.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from did.fetch import FetchPolicy
from drukid.common.settings import Mode

__all__ = ["DEFAULT_DATA_DIR", "WalletSettings"]

DEFAULT_DATA_DIR = Path("~/.drukid/wallet")


class WalletSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DRUKID_WALLET_", extra="ignore")

    mode: Mode = "production"
    data_dir: Path = DEFAULT_DATA_DIR
    # The wallet file; defaults to <data_dir>/wallet.db.
    path: Path | None = None
    # Language for type names and claim labels (BCP 47: "en", "dz").
    language: str = "en"
    # Seconds for one request, redirects included. Generous: rural links are slow, not absent.
    timeout: float = Field(default=15.0, gt=0, le=120)
    # Largest answer accepted from an issuer or verifier (credentials with a photo are ~100 KB).
    max_response_bytes: int = Field(default=2 * 1024 * 1024, gt=0, le=16 * 1024 * 1024)
    # Copies to ask for per credential (fewer if the issuer allows fewer); each presentation
    # uses a copy this verifier has not seen, so more copies mean fewer linkable visits.
    copies: int = Field(default=5, ge=1, le=20)
    # Read by the CLI only; never logged.
    passphrase: SecretStr | None = None

    @property
    def wallet_path(self) -> Path:
        return (self.path or self.data_dir / "wallet.db").expanduser()

    def fetch_policy(self) -> FetchPolicy:
        development = self.mode == "development"
        return FetchPolicy(
            timeout=self.timeout,
            max_bytes=self.max_response_bytes,
            max_redirects=3,
            allow_http=development,
            allow_private=development,
        )
