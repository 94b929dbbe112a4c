"""The offline QR exchange end to end (issue 13): a verifier with no network shows a signed
request QR, a wallet with no network answers with presentation QR(s), the verifier verifies
them from its signed trust bundle alone, says how fresh its knowledge is, and once back online
flags a credential revoked in the meantime (and tells the relying party's webhook).

Every QR image goes through a real decoder (zxing-cpp); network access is forbidden by a
socket guard for the whole offline part (the verifier side has no transport at all)."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import wallet.runtime as wallet_runtime
from credentials.status_list import StatusList, create_status_list_token
from credentials.x509 import LeafPurpose
from did.fetch import Fetcher
from did.keys import PrivateKey
from drukid.devpki import DevelopmentPKI
from servicekit.qr import decode_qr_image, qr_png, qr_version
from tests.support.no_network import NetworkUsed, forbid_network
from tests.support.wallet_issuer import FakeIssuer, asgi_transport
from verifier.bundle import create_trust_bundle
from verifier.cli import app as verifier_app
from verifier.commands import common
from verifier.errors import VerificationError
from verifier.runtime import Runtime, build_runtime
from verifier.settings import VerifierSettings
from verifier.trust import TrustRegistry
from wallet.cli import app as wallet_app
from wallet.errors import WalletError
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams

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


def _no_network() -> Fetcher:
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


@pytest.fixture
def held(tmp_path: Path) -> World:
    """The citizen's wallet holds a national ID and an address credential."""
    return make_world(tmp_path, NOW)


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
    with world.wallet(_no_network) as wallet:
        session = wallet.prepare_offline(str(request_png))
        assert session.consent.can_share, session.consent.problems
        assert session.consent.verifier.certified_as == bank
        assert "shown_as_qr" in {w.code for w in session.consent.warnings}
        return list(wallet.approve_offline(session).parts)


def test_the_whole_exchange_with_no_network(
    held: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    refused = forbid_network(monkeypatch)
    runtime = held.verifier()  # no transport: the verifier side has no network at all
    try:
        for template, claims in (
            ("kyc-basic", {"full_name", "cid", "birthdate"}),
            ("age-over-18", {"age_over_18"}),
            ("address", {"address"}),
        ):
            request = runtime.offline.create_request(template=template)
            [request_png] = scan(tmp_path, [request.text], f"request-{template}")
            assert read([request_png]) == [request.text]  # round trip through zxing-cpp
            parts = answer(held, request_png)
            shuffled = scan(tmp_path, parts, f"answer-{template}")
            random.Random(13).shuffle(shuffled)
            verdict = runtime.offline.verify(read(shuffled))
            [[result]] = verdict.results.values()
            assert set(result.claims) >= claims
            assert result.status == "valid"
            words = "\n".join(verdict.lines())
            assert "status valid as of" in words
            assert "Trust bundle of" in words
            assert "2 h old" in words
        with held.wallet(_no_network) as wallet:
            assert [e.outcome for e in wallet.history()][-3:] == ["shared"] * 3
            assert "QR code" in wallet.history()[-1].detail
    finally:
        runtime.close()
    assert refused == []


def _accepted(
    world: World, tmp_path: Path, runtime: Runtime, bank: str = "Bank of Bhutan"
) -> list[str]:
    request = runtime.offline.create_request(template="kyc-basic")
    [png] = scan(tmp_path, [request.text], "request")
    return answer(world, png, bank=bank)


def test_refusals_each_have_their_own_code(
    held: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    forbid_network(monkeypatch)
    runtime = held.verifier()
    try:
        parts = _accepted(held, tmp_path, runtime)
        runtime.offline.verify(parts)
        with pytest.raises(VerificationError) as replayed:
            runtime.offline.verify(parts)
        assert replayed.value.code == "offline_nonce_used"

        # Tampered: one character of the base45 body changed.
        parts = _accepted(held, tmp_path, runtime)
        body = parts[0]
        spot = len(body) - 40
        flipped = body[:spot] + ("A" if body[spot] != "A" else "B") + body[spot + 1 :]
        with pytest.raises(VerificationError) as tampered:
            runtime.offline.verify([flipped, *parts[1:]])
        assert tampered.value.code in {"offline_qr_invalid", "offline_part_mismatch"}
        runtime.offline.verify(parts)  # the genuine codes still work: the nonce was not used

        # A missing part of a multi-part answer: clear progress, no crash; then the last part
        # arrives and the answer is accepted.
        parts = _accepted(held, tmp_path, runtime)
        assert len(parts) == 2
        with pytest.raises(VerificationError) as missing:
            runtime.offline.verify(parts[1:])
        assert missing.value.code == "offline_part_missing"
        assert "1 of 2 scanned; still missing part 1" in missing.value.message
        runtime.offline.verify(parts)
    finally:
        runtime.close()


def test_an_answer_for_another_verifier_is_refused(
    held: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    forbid_network(monkeypatch)
    runtime = held.verifier()
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    key = PrivateKey.generate("ES256")
    chain = held.pki.issue(
        LeafPurpose.VERIFIER, key.public_key, name="Other", organization="Other Bank",
        san_dns=["verifier.example.bt"], days=40,
    )  # fmt: skip
    key.save(other_dir / "key.jwk")
    other_settings = held.settings.model_copy(
        update={
            "data_dir": other_dir / "data",
            "x509_chain_file": DevelopmentPKI.write_chain(other_dir / "chain.pem", chain),
            "x509_key_file": other_dir / "key.jwk",
        }
    )
    other = build_runtime(other_settings, clock=lambda: held.clock[0])
    try:
        parts = _accepted(held, tmp_path, other, bank="Other Bank")
        with pytest.raises(VerificationError) as refused:
            runtime.offline.verify(parts)
        assert refused.value.code == "offline_other_verifier"
    finally:
        other.close()
        runtime.close()


def test_a_request_signed_by_an_untrusted_verifier_is_refused_by_the_wallet(
    held: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    forbid_network(monkeypatch)
    stranger = DevelopmentPKI.create(
        now=dt.datetime.fromtimestamp(NOW, dt.UTC) - dt.timedelta(days=1), days=30
    )
    key = PrivateKey.generate("ES256")
    chain = stranger.issue(
        LeafPurpose.VERIFIER, key.public_key, name="Fake", organization="Bank of Bhutan",
        san_dns=["verifier.example.bt"], days=40,
    )  # fmt: skip
    key.save(tmp_path / "stranger.jwk")
    settings = held.settings.model_copy(
        update={
            "data_dir": tmp_path / "stranger",
            "x509_chain_file": DevelopmentPKI.write_chain(tmp_path / "stranger.pem", chain),
            "x509_key_file": tmp_path / "stranger.jwk",
        }
    )
    runtime = build_runtime(settings, clock=lambda: held.clock[0])
    try:
        request = runtime.offline.create_request(template="kyc-basic")
        with held.wallet(_no_network) as wallet, pytest.raises(WalletError) as refused:
            wallet.prepare_offline(request.text)
        assert refused.value.code == "offline_request_untrusted"
    finally:
        runtime.close()


def test_stale_bundle_and_stale_status_are_refused_in_words(
    held: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    forbid_network(monkeypatch)
    runtime = held.verifier()
    try:
        # KYC allows a bundle of at most 7 days.
        held.install_bundle(iat=NOW - 8 * 86400)
        parts = _accepted(held, tmp_path, runtime)
        with pytest.raises(VerificationError) as stale:
            runtime.offline.verify(parts)
        assert stale.value.code == "offline_bundle_stale"
        assert "8 days old" in stale.value.message
        assert "trust refresh" in stale.value.message

        # A fresh bundle, but carrying a status list 30 h old: over KYC's 24 h ...
        held.install_bundle(iat=NOW - HOUR, status_iat=NOW - 30 * HOUR)
        with pytest.raises(VerificationError) as old_status:
            runtime.offline.verify(parts)
        assert old_status.value.code == "offline_status_stale"
        assert "1 day 6 h old" in old_status.value.message
        # ... yet within the age check's 7 days.
        request = runtime.offline.create_request(template="age-over-18")
        [png] = scan(tmp_path, [request.text], "age")
        verdict = runtime.offline.verify(answer(held, png))
        assert "1 day 6 h ago" in "\n".join(verdict.lines())
    finally:
        runtime.close()


def test_recheck_flags_a_credential_revoked_after_acceptance(
    held: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    received: list[dict[str, Any]] = []

    def hooks(request: httpx.Request) -> httpx.Response:
        received.append(json.loads(request.read()))
        return httpx.Response(204)

    offline = held.verifier()
    try:
        offline.service.create_api_key("desk")
        rp = offline.api_keys.all()[0].key_id
        request = offline.offline.create_request(
            template="kyc-basic", rp_key_id=rp, webhook_url="https://bank.example/hooks"
        )
        [png] = scan(tmp_path, [request.text], "request")
        with monkeypatch.context() as guarded:
            forbid_network(guarded)
            offline.offline.verify(answer(held, png))
    finally:
        offline.close()

    held.issuer.set_status(1)  # revoked by the issuer while the desk was offline
    held.clock[0] = NOW + 2 * HOUR
    apps = asgi_transport({"issuer.example": held.issuer.build_app()})
    transport = httpx.MockTransport(
        lambda r: hooks(r) if r.url.host == "bank.example" else apps.handle_request(r)
    )
    online = held.verifier(transport)
    try:
        report = online.offline.recheck()
        assert report.checked == 1
        assert [status for _, status, _ in report.flagged] == ["revoked"]
        online.webhooks.run_once()
        [flagged] = [r for r in online.offline.results() if r.recheck == "revoked"]
        assert flagged.rechecked_at == NOW + 2 * HOUR
    finally:
        online.close()
    assert [body["event"] for body in received] == ["result.revoked_after_acceptance"]
    assert received[0]["status"] == "revoked"


@pytest.mark.parametrize("chain", ["full", "leaf"])
def test_sizes_stay_within_their_ceilings(
    held: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, chain: str
) -> None:
    """The measured sizes (docs/offline-qr.md §5) as ceilings: the request fits one code at
    level M (version 30 with the whole chain, 26 with the leaf alone, for wallets that hold
    the intermediate); each presentation needs at most two codes of version 21 or lower."""
    forbid_network(monkeypatch)
    if chain == "leaf":
        held.settings = held.settings.model_copy(update={"offline_request_chain": "leaf"})
        intermediate = held.tmp / "intermediate.pem"
        DevelopmentPKI.write_chain(intermediate, [held.pki.intermediate])
        held.wallet_settings = held.wallet_settings.model_copy(
            update={"x509_anchor_files": (intermediate,)}
        )
    runtime = held.verifier()
    sizes: dict[str, Any] = {}
    try:
        for template in ("kyc-basic", "age-over-18", "address"):
            request = runtime.offline.create_request(template=template)
            [png] = scan(tmp_path, [request.text], f"size-{template}")
            parts = answer(held, png)
            sizes[template] = {
                "request": (len(request.text), qr_version(request.text)),
                "parts": [(len(p), qr_version(p)) for p in parts],
            }
    finally:
        runtime.close()
    print(chain, json.dumps(sizes))
    for measured in sizes.values():
        chars, version = measured["request"]
        assert (chars, version) <= ((2000, 30) if chain == "full" else (1600, 26))
        assert len(measured["parts"]) <= 2
        assert all(version <= 21 for _, version in measured["parts"])


def test_the_commands_with_no_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``drukid verifier offline-request``, ``drukid wallet offline-present`` and ``drukid
    verifier offline-verify`` on the real clock, each machine with no network."""
    world = make_world(tmp_path, int(time.time()))
    forbid_network(monkeypatch)
    monkeypatch.setattr(common, "settings", lambda: world.settings)
    monkeypatch.setattr(wallet_runtime, "Fetcher", lambda *a, **k: _no_network())
    monkeypatch.setenv("DRUKID_WALLET_PATH", str(tmp_path / "wallet" / "wallet.db"))
    monkeypatch.setenv("DRUKID_WALLET_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("DRUKID_WALLET_X509_ANCHOR_FILES", json.dumps([str(tmp_path / "root.pem")]))
    monkeypatch.delenv("DRUKID_WALLET_MODE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    made = runner.invoke(verifier_app, ["offline-request", "--out", str(tmp_path / "req.png")])
    assert made.exit_code == 0, made.output
    assert "QR version 30 (level M)" in made.output

    shown = runner.invoke(
        wallet_app, ["offline-present", str(tmp_path / "req.png"), "--yes", "--out", str(tmp_path)]
    )
    assert shown.exit_code == 0, shown.output
    assert "Bank of Bhutan" in shown.output
    assert "Code 2 of 2" in shown.output
    pngs = sorted(tmp_path.glob("answer-*-of-2.png"))
    assert len(pngs) == 2

    partial = runner.invoke(verifier_app, ["offline-verify", str(pngs[1])])
    assert partial.exit_code == 1
    assert "1 of 2 scanned; still missing part 1" in partial.output
    assert "[offline_part_missing]" in partial.output

    verified = runner.invoke(verifier_app, ["offline-verify", str(pngs[1]), str(pngs[0])])
    assert verified.exit_code == 0, verified.output
    assert "VERIFIED: Department of Civil Registration and Census" in verified.output
    assert "status valid as of" in verified.output
    assert "Trust bundle of" in verified.output
    assert '"Karma Wangmo"' in verified.output

    again = runner.invoke(verifier_app, ["offline-verify", "--json", str(pngs[0]), str(pngs[1])])
    assert again.exit_code == 1
    assert json.loads(again.output)["code"] == "offline_nonce_used"
