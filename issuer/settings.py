"""Issuer settings, read from ``DRUKID_ISSUER_*`` environment variables (pydantic-settings).

Production is the default and fails closed: the public URL must be ``https://``, the status
list must be large enough to hide one credential among many (herd privacy), demo people are not
seeded, and a database password may not be a placeholder. ``mode=development`` (explicit) allows
``http://127.0.0.1:PORT`` so the whole system runs on one laptop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from servicekit.database import sqlite_url
from servicekit.settings import Mode, check_public_url, check_secret

__all__ = ["DEFAULT_PORT", "MIN_PRODUCTION_STATUS_LIST_SIZE", "IssuerSettings"]

DEFAULT_PORT = 8101
# HAIP / Token Status List §12.5: a list much larger than the number of credentials any one
# verifier sees keeps a status fetch from revealing which credential is being checked.
MIN_PRODUCTION_STATUS_LIST_SIZE = 100_000


class IssuerSettings(BaseSettings):
    """Every setting has a safe default except the public URL in production."""

    model_config = SettingsConfigDict(env_prefix="DRUKID_ISSUER_", extra="ignore")

    mode: Mode = "production"
    public_url: str = Field(
        default="", description="the issuer's public base URL, e.g. https://id.example.gov.bt"
    )
    host: str = "127.0.0.1"
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)
    # The TLS proxy's addresses (comma-separated): only its X-Forwarded-For/-Proto are believed
    # (the client address that sign-in throttles count).
    forwarded_allow_ips: str = Field(default="127.0.0.1", min_length=1, max_length=2000)
    data_dir: Path = Path("data/issuer")
    database_url: str | None = None
    name: str = "Department of Civil Registration and Census"
    signing_alg: Literal["ES256", "EdDSA"] = "ES256"
    # X.509 (HAIP 1.0): the signing key's certificate chain (PEM: the key's certificate, then its
    # intermediates, never the root; `drukid pki issue --purpose issuer --chain`). With it every
    # credential and status list token carries x5c. x509_key_file: that key's private JWK (mode
    # 0600), imported into the key store on first start; leave it out when the certificate was
    # issued for a key the issuer made (`drukid issuer keys prepare`).
    x509_chain_file: Path | None = None
    x509_key_file: Path | None = None
    # Roots the issuer validates its own chain against before signing (what wallets trust).
    x509_anchor_files: tuple[Path, ...] = ()
    # Never sign without a certificate (HAIP): rotation then needs the new key's certificate.
    x509_required: bool = False
    offer_lifetime: int = Field(default=600, ge=60, le=30 * 86400)
    access_token_lifetime: int = Field(default=300, ge=30, le=3600)
    nonce_lifetime: int = Field(default=300, ge=30, le=3600)
    # A wallet on a flaky link may lose a response and ask again with the same access token.
    max_credential_requests: int = Field(default=3, ge=1, le=10)
    tx_code_length: int = Field(default=6, ge=4, le=10)
    tx_code_max_attempts: int = Field(default=5, ge=1, le=10)
    proof_max_age: int = Field(default=300, ge=30, le=3600)
    clock_leeway: int = Field(default=60, ge=0, le=300)
    batch_size: int = Field(default=10, ge=1, le=100)
    validity_days: dict[str, int] = Field(default_factory=dict)
    types_dir: Path | None = None
    seed_demo_data: bool | None = None
    status_list_size: int = Field(default=131_072, ge=8, le=8_388_608)
    status_list_ttl: int = Field(default=300, ge=1, le=86400)
    status_list_lifetime: int = Field(default=86400, ge=60, le=30 * 86400)
    max_body_bytes: int = Field(default=1024 * 1024, ge=4096, le=64 * 1024 * 1024)
    page_size_max: int = Field(default=500, ge=10, le=10_000)
    # Operator pages (/operator): signed out after this many idle seconds; times shown in this
    # zone, minutes east of UTC (Bhutan Time, UTC+06:00, has no daylight saving).
    operator_session_idle: int = Field(default=900, ge=60, le=8 * 3600)
    operator_utc_offset: int = Field(default=360, ge=-720, le=840)
    # Where the operator pages' sessions and failed sign-ins are kept: in the database, shared
    # by every worker and kept across restarts; or in memory (one process only; a restart
    # signs everyone out).
    operator_sessions: Literal["database", "memory"] = "database"

    # --- HAIP 1.0 authorization code flow (issue #12; README "HAIP issuance") ---------------
    # PAR + PKCE S256 + /authorize with the citizen's sign-in at the agency.
    authorization_code_flow: bool = True
    par_lifetime: int = Field(default=60, ge=5, le=600)  # FAPI 2.0: 5-600 s
    authorization_code_lifetime: int = Field(default=60, ge=5, le=60)  # FAPI 2.0: at most 60 s
    # DPoP (RFC 9449): "required" = every authorization-code and refresh token request, and
    # every request with a DPoP-bound token, needs a proof; "optional" = bound when one is sent.
    dpop: Literal["required", "optional"] = "required"
    # Server nonces (DPoP-Nonce): freshness by the server's clock, not the phone's.
    dpop_nonce: Literal["required", "off"] = "required"
    dpop_nonce_lifetime: int = Field(default=300, ge=30, le=3600)
    dpop_max_age: int = Field(default=300, ge=30, le=3600)  # iat window when nonces are off
    dpop_leeway: int = Field(default=60, ge=0, le=300)
    dpop_algorithms: tuple[Literal["ES256", "EdDSA"], ...] = ("ES256",)
    # RISK: access tokens for the pre-authorized flow that are not bound to a key (plain
    # Bearer): whoever copies one can use it. Default: on in development (older wallets and
    # today's tests), off in production.
    allow_unbound_bearer_tokens: bool | None = None
    # Wallet attestation (OAuth 2.0 Attestation-Based Client Authentication) at PAR and token:
    # "required" refuses requests without a valid one; "optional" checks one when sent; "off"
    # ignores the headers. Default: required in production, optional in development.
    wallet_attestation: Literal["required", "optional", "off"] | None = None
    # Wallet-provider CA certificates (PEM) the attestation's x5c must chain to. Name the
    # provider's own CA, not the national root (any agency certificate chains to that).
    wallet_provider_anchor_files: tuple[Path, ...] = ()
    # A JWK set (JSON file) of wallet-provider keys by kid, for providers without certificates.
    wallet_provider_jwks_file: Path | None = None
    wallet_attestation_max_age: int = Field(default=86400, ge=60, le=366 * 86400)
    # The registered wallets: {"clients": [{"client_id", "name", "redirect_uris": [...]}]}.
    # Without a file, development registers the drukid wallet (client_id
    # https://wallet.drukid.bt, loopback redirects); production registers none.
    wallet_clients_file: Path | None = None
    refresh_tokens: bool = True
    refresh_token_lifetime: int = Field(default=30 * 86400, ge=3600, le=366 * 86400)
    grant_lifetime: int = Field(default=365 * 86400, ge=86400, le=366 * 86400)
    # Sign-in codes the agency gives a citizen (counter, phone): digits, lifetime, tries.
    signin_code_length: int = Field(default=8, ge=6, le=12)
    signin_code_lifetime: int = Field(default=600, ge=60, le=86400)
    signin_code_max_attempts: int = Field(default=5, ge=1, le=10)
    # Failed citizen sign-ins per client address within the window (then 429).
    signin_failures_per_address: int = Field(default=20, ge=1, le=1000)
    signin_failure_window: int = Field(default=600, ge=10, le=86400)
    # Method (b): signing in by presenting the Foundational ID to the agency's own drukid
    # verifier (its relying-party API with this API key). fid_vct / fid_trusted_issuers default
    # to this issuer's own Foundational ID.
    fid_signin: bool = False
    fid_verifier_url: str | None = None
    fid_verifier_api_key: SecretStr | None = None
    fid_template: str = Field(default="agency-sign-in", max_length=64)
    fid_vct: str | None = None
    fid_trusted_issuers: tuple[str, ...] = ()
    fid_result_max_age: int = Field(default=120, ge=10, le=3600)
    # Key attestations (OpenID4VCI 1.0 Appendix D, HAIP 4.5.1): the wallet-provider CA
    # certificates (PEM) that key attestations must chain to; without them the issuer does not
    # advertise or accept key attestations. Per-type policy is in the type files
    # ("key_attestation"); key_attestation_required overrides it (type id -> policy object).
    key_attestation_anchors: tuple[Path, ...] = ()
    key_attestation_required: dict[str, Any] = Field(default_factory=dict)
    # The pre-1.0 typ "keyattestation+jwt" that some wallet libraries still send.
    accept_legacy_key_attestation_typ: bool = False
    # Encrypted credential responses (OpenID4VCI 1.0 §10): off = not offered (a request asking
    # for one is refused); optional = encrypted when the wallet asks; required = every
    # credential request must ask (metadata encryption_required: true).
    credential_response_encryption: Literal["off", "optional", "required"] = "optional"
    # Deferred issuance (OpenID4VCI 1.0 §9) for types with "approval": "operator": the interval
    # (seconds) wallets are told to wait between polls, and how long a request waits for an
    # operator before it expires.
    deferred_interval: int = Field(default=60, ge=1, le=86400)
    deferred_lifetime: int = Field(default=7 * 86400, ge=60, le=90 * 86400)

    @model_validator(mode="after")
    def _check(self) -> IssuerSettings:
        if not self.public_url:
            if self.mode != "development":
                raise ValueError(
                    "DRUKID_ISSUER_PUBLIC_URL is not set; set it to the issuer's https:// address"
                )
            self.public_url = f"http://127.0.0.1:{self.port}"
        self.public_url = check_public_url(self.public_url, self.mode)
        if self.mode == "production":
            if "*" in self.forwarded_allow_ips:
                raise ValueError(
                    "forwarded_allow_ips='*' lets any client choose its own address; "
                    "name the TLS proxy's addresses"
                )
            if self.status_list_size < MIN_PRODUCTION_STATUS_LIST_SIZE:
                raise ValueError(
                    f"status_list_size must be at least {MIN_PRODUCTION_STATUS_LIST_SIZE} "
                    "in production (herd privacy)"
                )
            if self.seed_demo_data:
                raise ValueError("seed_demo_data puts invented people in the registry: dev only")
            if self.database_url:
                password = _password_of(self.database_url)
                if password is not None:
                    check_secret(password, name="the database password", mode=self.mode)
        if self.x509_key_file is not None and self.x509_chain_file is None:
            raise ValueError(
                "DRUKID_ISSUER_X509_KEY_FILE needs DRUKID_ISSUER_X509_CHAIN_FILE (its certificate)"
            )
        if (
            self.wallet_attestation == "required"
            and not self.wallet_provider_anchor_files
            and self.wallet_provider_jwks_file is None
        ):
            raise ValueError(
                "wallet_attestation is required: set DRUKID_ISSUER_WALLET_PROVIDER_ANCHOR_FILES "
                "(the wallet provider's CA certificate) or DRUKID_ISSUER_WALLET_PROVIDER_"
                "JWKS_FILE, or set DRUKID_ISSUER_WALLET_ATTESTATION=optional"
            )
        if self.fid_signin and (not self.fid_verifier_url or self.fid_verifier_api_key is None):
            raise ValueError(
                "fid_signin needs DRUKID_ISSUER_FID_VERIFIER_URL and "
                "DRUKID_ISSUER_FID_VERIFIER_API_KEY (the agency's verifier and its API key)"
            )
        for type_id, days in self.validity_days.items():
            if days < 1 or days > 50 * 366:
                raise ValueError(f"validity_days[{type_id!r}] must be 1 to 18300 days")
        return self

    @property
    def seed_demo(self) -> bool:
        """Demo people and businesses are seeded only in development, unless turned off."""
        if self.seed_demo_data is None:
            return self.mode == "development"
        return self.seed_demo_data

    @property
    def unbound_bearer_allowed(self) -> bool:
        """Whether the pre-authorized flow may still hand out unbound Bearer tokens."""
        if self.allow_unbound_bearer_tokens is None:
            return self.mode == "development"
        return self.allow_unbound_bearer_tokens

    @property
    def attestation_policy(self) -> Literal["required", "optional", "off"]:
        if self.wallet_attestation is None:
            return "optional" if self.mode == "development" else "required"
        return self.wallet_attestation

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return sqlite_url(self.data_dir.resolve() / "issuer.sqlite")

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"


def _password_of(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None
