"""Wallet settings from the environment (prefix ``DRUKID_WALLET_``), see docs/dev/contracts.md.

``mode`` decides what the network may reach: ``production`` (default) fetches only public
``https://`` addresses; ``development`` (explicit) also allows ``http://`` and loopback, so the
issuer, verifier and wallet can run together on one laptop. Nothing else changes with the mode:
every credential and request is checked the same way.

The web wallet (``drukid serve wallet``) is a personal app: it listens on loopback only, and
refuses any other address unless ``allow_non_loopback`` says so (the risk is in the name: the
pages would travel unencrypted to anyone on the network who can reach the port).
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from credentials.oauth.key_attestation import SOFTWARE_KEY_STORAGE
from did.fetch import FetchPolicy
from servicekit.settings import LOOPBACK_HOSTS, Mode

__all__ = ["DEFAULT_DATA_DIR", "WalletSettings", "is_loopback"]

DEFAULT_DATA_DIR = Path("~/.drukid/wallet")
_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


def is_loopback(host: str) -> bool:
    """``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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
    # X.509 (HAIP 1.0): certificate authorities (PEM files: roots or intermediates) whose
    # certificates the wallet accepts for issuers (x5c) and verifiers (x509_san_dns/x509_hash),
    # besides those shipped in wallet/anchors/ and those added with `drukid wallet trust
    # add-root`; and revocation lists (PEM or DER files, never fetched).
    x509_anchor_files: tuple[Path, ...] = ()
    x509_crl_files: tuple[Path, ...] = ()
    # HAIP 1.0 wallet attestation, sent at the issuer's PAR and token endpoints: the
    # attestation JWT from the wallet provider and the wallet instance's private key (JWK); for
    # development made by `drukid pki wallet-attestation`. Its sub is the wallet's client_id.
    attestation_file: Path | None = None
    attestation_key_file: Path | None = None
    # The client_id without an attestation (the drukid wallet's, registered at drukid issuers).
    client_id: str = "https://wallet.drukid.bt"
    # Encrypted credential responses (OpenID4VCI 1.0 §10): ask for one, with a fresh key per
    # request, whenever the issuer offers it (an issuer that requires it is always asked).
    response_encryption: bool = True
    # Key attestations (OpenID4VCI 1.0 Appendix D), for development: a wallet-provider signing
    # certificate chain (PEM, leaf first, no root: `drukid pki issue --purpose wallet-provider
    # --chain`) and its private key file. With both, every key proof carries a key attestation
    # saying what key_storage / user_authentication levels this wallet has (Q10: the drukid
    # wallet keeps software keys in an encrypted file, and says so).
    key_attestation_chain_file: Path | None = None
    key_attestation_key_file: Path | None = None
    key_storage: tuple[str, ...] = (SOFTWARE_KEY_STORAGE,)
    user_authentication: tuple[str, ...] = ()

    # --- the web wallet (drukid serve wallet) ---
    host: str = "127.0.0.1"
    port: int = Field(default=8103, ge=1, le=65535)
    # Listening on anything but loopback exposes the unlocked wallet to the network.
    allow_non_loopback: bool = False
    # Lock the wallet after this many seconds without a page being used, and after this many
    # seconds in any case.
    session_idle_seconds: int = Field(default=600, ge=10, le=24 * 3600)
    session_max_seconds: int = Field(default=4 * 3600, ge=60, le=7 * 24 * 3600)
    # The largest uploaded QR photo (the QR reader refuses more than 10 MB anyway).
    max_upload_bytes: int = Field(default=8 * 1024 * 1024, ge=64 * 1024, le=10 * 1024 * 1024)
    # Languages offered by the web wallet's switch, for names and labels from type metadata.
    languages: tuple[str, ...] = ("en", "dz")

    @field_validator("languages")
    @classmethod
    def _language_tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [tag for tag in value if not _LANGUAGE_TAG.match(tag)]
        if bad or not value:
            raise ValueError(f"languages must be tags like 'en' or 'dz' (not {bad})")
        return value

    @model_validator(mode="after")
    def _key_attestation_pair(self) -> Self:
        if (self.key_attestation_chain_file is None) != (self.key_attestation_key_file is None):
            raise ValueError(
                "key_attestation_chain_file and key_attestation_key_file go together: set both "
                "(or neither)"
            )
        return self

    @model_validator(mode="after")
    def _loopback_only(self) -> Self:
        if not self.allow_non_loopback and not is_loopback(self.host):
            raise ValueError(
                f"host {self.host!r} is not this machine; the web wallet listens on 127.0.0.1 "
                "(set DRUKID_WALLET_ALLOW_NON_LOOPBACK=true only if you understand the risk)"
            )
        return self

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
