"""Verifier service settings, from ``DRUKID_VERIFIER_*`` environment variables.

Production is the default: the public URL must be ``https://`` and the fetcher refuses plain
HTTP and private addresses. ``mode=development`` (explicit) allows ``http://127.0.0.1`` so the
issuer, wallet and verifier can run on one laptop (docs/dev/contracts.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit.database import sqlite_url
from servicekit.settings import Mode, check_public_url
from verifier.policy import StatusPolicy

__all__ = ["DEFAULT_TIMEZONE", "VerifierSettings"]

DEFAULT_TIMEZONE = "Asia/Thimphu"  # UTC+06:00 all year; used even where tzdata is missing


class VerifierSettings(BaseSettings):
    """Every option, with its environment variable ``DRUKID_VERIFIER_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="DRUKID_VERIFIER_", extra="ignore")

    mode: Mode = "production"
    public_url: str = "http://127.0.0.1:8102"
    host: str = "127.0.0.1"
    port: int = Field(default=8102, ge=1, le=65535)
    # The TLS proxy's addresses (comma-separated): only its X-Forwarded-For/-Proto are believed
    # (the client address that teller sign-in throttles count).
    forwarded_allow_ips: str = Field(default="127.0.0.1", min_length=1, max_length=2000)
    data_dir: Path = Path("./data/verifier")
    database_url: str | None = None
    name: str = Field(default="drukid verifier", min_length=1, max_length=120)
    logo_uri: str | None = None
    trust_file: Path | None = None
    trust_bundle: Path | None = None
    trust_authority_key: str | None = None  # the pinned public JWK (JSON text or a file path)
    status_policy: StatusPolicy = "reject"
    # Claims a wallet disclosed that the request did not ask for: dropped from the result (and
    # named in its dropped_claims), or the presentation refused (unrequested_claims).
    unrequested_claims: Literal["drop", "refuse"] = "drop"
    client_id_scheme: Literal[
        "decentralized_identifier", "redirect_uri", "x509_san_dns", "x509_hash"
    ] = "decentralized_identifier"
    # X.509 (HAIP 1.0): the request-signing certificate for the x509_san_dns / x509_hash
    # client ids (PEM: the certificate, then its intermediates, never the root; made with
    # `drukid pki issue --purpose verifier --chain`) and its private JWK (mode 0600).
    x509_chain_file: Path | None = None
    x509_key_file: Path | None = None
    # Certificate revocation lists (PEM or DER files) for the issuers' certificate chains;
    # read at start-up, never fetched. Trust anchors themselves live in the trust file/bundle.
    x509_crl_files: tuple[Path, ...] = ()
    # Accept a CRL past its next update (a warning instead of a refusal): for offline desks.
    x509_accept_stale_crl: bool = False
    response_mode: Literal["direct_post.jwt", "direct_post"] = "direct_post.jwt"
    request_lifetime_seconds: int = Field(default=300, ge=30, le=3600)
    result_retention_seconds: int = Field(default=900, ge=0, le=30 * 86400)
    leeway_seconds: int = Field(default=60, ge=0, le=300)
    kb_max_age_seconds: int = Field(default=300, ge=10, le=3600)
    fetch_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    max_body_bytes: int = Field(default=1024 * 1024, ge=16 * 1024, le=16 * 1024 * 1024)
    webhook_max_attempts: int = Field(default=8, ge=1, le=20)
    webhook_backoff_seconds: float = Field(default=2.0, gt=0, le=3600)
    prune_interval_seconds: float = Field(default=60.0, gt=0, le=3600)
    # The teller pages (/teller): a desk signs in with its API key.
    teller_idle_seconds: int = Field(default=15 * 60, ge=60, le=8 * 3600)
    teller_result_seconds: int = Field(default=120, ge=10, le=1800)
    teller_max_failed_sign_ins: int = Field(default=5, ge=1, le=100)
    teller_sign_in_window_seconds: int = Field(default=300, ge=10, le=86400)
    # Where the teller pages' sessions and failed sign-ins are kept: in the database, shared by
    # every worker and kept across restarts; or in memory (one process only; a restart signs
    # every desk out and ends its check).
    teller_sessions: Literal["database", "memory"] = "database"
    timezone: str = Field(default=DEFAULT_TIMEZONE, min_length=1, max_length=64)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        if value != DEFAULT_TIMEZONE:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(
                    f"DRUKID_VERIFIER_TIMEZONE {value!r} is not a known time zone "
                    "(for example Asia/Thimphu or UTC)"
                ) from exc
        return value

    @model_validator(mode="after")
    def _check(self) -> Self:
        self.public_url = check_public_url(self.public_url, self.mode)
        if self.mode == "production" and "*" in self.forwarded_allow_ips:
            raise ValueError(
                "DRUKID_VERIFIER_FORWARDED_ALLOW_IPS='*' lets any client choose its own address; "
                "name the TLS proxy's addresses"
            )
        if self.trust_bundle is not None and not self.trust_authority_key:
            raise ValueError(
                "DRUKID_VERIFIER_TRUST_BUNDLE needs DRUKID_VERIFIER_TRUST_AUTHORITY_KEY "
                "(the trust authority's public JWK) to check the bundle's signature"
            )
        certificate = self.x509_chain_file is not None or self.x509_key_file is not None
        if certificate and (self.x509_chain_file is None or self.x509_key_file is None):
            raise ValueError(
                "DRUKID_VERIFIER_X509_CHAIN_FILE and DRUKID_VERIFIER_X509_KEY_FILE go together"
            )
        if self.client_id_scheme.startswith("x509_") and not certificate:
            raise ValueError(
                f"client_id_scheme {self.client_id_scheme} needs the request-signing certificate: "
                "set DRUKID_VERIFIER_X509_CHAIN_FILE and DRUKID_VERIFIER_X509_KEY_FILE "
                "(drukid pki issue --purpose verifier --san-dns HOST --chain FILE)"
            )
        if self.logo_uri is not None and not self.logo_uri.startswith("https://"):
            raise ValueError("DRUKID_VERIFIER_LOGO_URI must be an https:// URL")
        return self

    @property
    def development(self) -> bool:
        return self.mode == "development"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or sqlite_url(self.data_dir / "verifier.db")

    @property
    def signing_key_path(self) -> Path:
        return self.data_dir / "verifier-signing-key.jwk"
