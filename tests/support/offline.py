"""The offline QR exchange's test world (issue 13): a development PKI with the verifier's
request certificate, a trust authority and its signed bundle, an issuer with a status list,
and a wallet holding a national ID and an address credential, received online beforehand."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from credentials.status_list import StatusList, create_status_list_token
from credentials.x509 import LeafPurpose
from did.fetch import Fetcher
from did.keys import PrivateKey
from drukid.devpki import DevelopmentPKI
from servicekit.qr import decode_qr_image, qr_png
from tests.support.no_network import NetworkUsed
from tests.support.wallet_issuer import FakeIssuer, asgi_transport
from verifier.bundle import create_trust_bundle
from verifier.runtime import Runtime, build_runtime
from verifier.settings import VerifierSettings
from verifier.trust import TrustRegistry
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams

__all__ = [
    "HOUR",
    "NOW",
    "PASSPHRASE",
    "World",
    "answer",
    "make_world",
    "no_network",
    "read",
    "scan",
]

NOW = 1_800_000_000
HOUR = 3600
VERIFIER_URL = "https://verifier.example.bt"
PASSPHRASE = "correct horse battery"


@dataclass
class World:
    tmp: Path
    issuer: FakeIssuer
    pki: DevelopmentPKI
    authority: PrivateKey
    settings: VerifierSettings
    wallet_settings: WalletSettings
    clock: list[int]

    def bundle(self, *, iat: int, status_iat: int | None = None) -> str:
        """A bundle signed by the trust authority, with the issuer's status list as of
        ``status_iat`` (default: the bundle's time)."""
        status_list = StatusList(1024, bits=2)
        for idx, value in self.issuer.statuses.items():
            status_list.set(idx, value)
        listed_at = iat if status_iat is None else status_iat
        token = create_status_list_token(
            status_list, uri=f"{self.issuer.base_url}/status/1", key=self.issuer.key,
            iat=listed_at, exp=listed_at + 10 * 86400, ttl=300, kid=self.issuer.kid,
            iss=self.issuer.base_url,
        )  # fmt: skip
        registry = TrustRegistry.from_json(
            {
                "issuers": [
                    {
                        "id": self.issuer.base_url,
                        "name": "Department of Civil Registration and Census",
                        "types": {
                            "foundational-id": self.issuer.vct("foundational-id"),
                            "permanent-address": self.issuer.vct("permanent-address"),
                        },
                        "keys": [{**self.issuer.key.public_key.to_jwk(), "kid": self.issuer.kid}],
                        "status_lists": [f"{self.issuer.base_url}/status/1"],
                    }
                ]
            }
        )
        return create_trust_bundle(
            registry,
            key=self.authority,
            iss="Bhutan trust authority",
            iat=iat,
            exp=iat + 30 * 86400,
            status_tokens={f"{self.issuer.base_url}/status/1": token},
        )

    def install_bundle(self, **kwargs: Any) -> None:
        assert self.settings.trust_bundle is not None
        self.settings.trust_bundle.write_text(self.bundle(**kwargs))

    def verifier(self, transport: httpx.BaseTransport | None = None) -> Runtime:
        return build_runtime(self.settings, clock=lambda: self.clock[0], transport=transport)

    def other_verifier(self, pki: DevelopmentPKI, organization: str, folder: Path) -> Runtime:
        """Another verifier (its own database and request certificate from ``pki``), with the
        same trust bundle and host name."""
        folder.mkdir(parents=True)
        key = PrivateKey.generate("ES256")
        chain = pki.issue(
            LeafPurpose.VERIFIER, key.public_key, name="Desk", organization=organization,
            san_dns=["verifier.example.bt"], days=40,
        )  # fmt: skip
        key.save(folder / "key.jwk")
        settings = self.settings.model_copy(
            update={
                "data_dir": folder / "data",
                "x509_chain_file": DevelopmentPKI.write_chain(folder / "chain.pem", chain),
                "x509_key_file": folder / "key.jwk",
            }
        )
        return build_runtime(settings, clock=lambda: self.clock[0])

    def wallet(self, network: Callable[[], Fetcher]) -> Wallet:
        path = self.tmp / "wallet" / "wallet.db"
        if path.exists():
            return Wallet.open(
                path, PASSPHRASE, settings=self.wallet_settings, network=network,
                clock=lambda: self.clock[0],
            )  # fmt: skip
        return Wallet.create(
            path, PASSPHRASE, settings=self.wallet_settings, kdf=ScryptParams(n=2**4),
            network=network, clock=lambda: self.clock[0],
        )  # fmt: skip


def no_network() -> Fetcher:
    raise NetworkUsed("the wallet reached for the network while offline")


def make_world(tmp_path: Path, now: int) -> World:
    start = dt.datetime.fromtimestamp(now, dt.UTC) - dt.timedelta(days=10)
    pki = DevelopmentPKI.create(now=start, days=60)
    key = PrivateKey.generate("ES256")
    chain = pki.issue(
        LeafPurpose.VERIFIER, key.public_key, name="KYC desk", organization="Bank of Bhutan",
        san_dns=["verifier.example.bt"], days=40,
    )  # fmt: skip
    key.save(tmp_path / "request-key.jwk")
    authority = PrivateKey.generate("ES256")
    (tmp_path / "authority.jwk").write_text(json.dumps(authority.public_key.to_jwk()))
    settings = VerifierSettings(
        public_url=VERIFIER_URL,
        data_dir=tmp_path / "verifier",
        name="Bank of Bhutan KYC desk",
        client_id_scheme="x509_hash",
        x509_chain_file=DevelopmentPKI.write_chain(tmp_path / "request-chain.pem", chain),
        x509_key_file=tmp_path / "request-key.jwk",
        trust_bundle=tmp_path / "bundle.jwt",
        trust_authority_key=str(tmp_path / "authority.jwk"),
    )
    wallet_settings = WalletSettings(
        mode="production",
        data_dir=tmp_path / "wallet",
        x509_anchor_files=(pki.write_root(tmp_path / "root.pem"),),
    )
    issuer = FakeIssuer("https://issuer.example", now=now - HOUR, with_status=True)
    found = World(tmp_path, issuer, pki, authority, settings, wallet_settings, [now])
    found.install_bundle(iat=now - 2 * HOUR)
    transport = asgi_transport({"issuer.example": issuer.build_app()})
    network = lambda: Fetcher(wallet_settings.fetch_policy(), transport=transport)  # noqa: E731
    with found.wallet(network) as wallet:  # the citizen received these online, some time ago
        wallet.receive(wallet.load_offer(issuer.offer("foundational-id")))
        wallet.receive(wallet.load_offer(issuer.offer("permanent-address")))
    return found


def scan(tmp: Path, texts: list[str], name: str) -> list[Path]:
    """Each text drawn as a PNG (what a screen shows), for the decoder to read back."""
    paths = []
    for index, text in enumerate(texts):
        path = tmp / f"{name}-{index}.png"
        path.write_bytes(qr_png(text))
        paths.append(path)
    return paths


def read(paths: list[Path]) -> list[str]:
    return [text for path in paths for text in decode_qr_image(path)]


def answer(world: World, request_png: Path, *, bank: str = "Bank of Bhutan") -> list[str]:
    """The wallet, offline, answers the request in ``request_png``: its QR texts."""
    with world.wallet(no_network) as wallet:
        session = wallet.prepare_offline(str(request_png))
        assert session.consent.can_share, session.consent.problems
        assert session.consent.verifier.certified_as == bank
        assert "shown_as_qr" in {w.code for w in session.consent.warnings}
        return list(wallet.approve_offline(session).parts)
