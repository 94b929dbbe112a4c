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
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import wallet.runtime as wallet_runtime
from drukid.devpki import DevelopmentPKI
from servicekit.qr import qr_version
from tests.support.no_network import forbid_network
from tests.support.offline import (
    HOUR,
    NOW,
    PASSPHRASE,
    World,
    answer,
    make_world,
    no_network,
    read,
    scan,
)
from tests.support.wallet_issuer import asgi_transport
from verifier.cli import app as verifier_app
from verifier.commands import common
from verifier.errors import VerificationError
from verifier.runtime import Runtime
from wallet.cli import app as wallet_app
from wallet.errors import WalletError


@pytest.fixture
def held(tmp_path: Path) -> World:
    """The citizen's wallet holds a national ID and an address credential."""
    return make_world(tmp_path, NOW)


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
        with held.wallet(no_network) as wallet:
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
    other = held.other_verifier(held.pki, "Other Bank", tmp_path / "other")
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
    # A look-alike: the same organisation name, certified by an authority the wallet lacks.
    runtime = held.other_verifier(stranger, "Bank of Bhutan", tmp_path / "stranger")
    try:
        request = runtime.offline.create_request(template="kyc-basic")
        with held.wallet(no_network) as wallet, pytest.raises(WalletError) as refused:
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


def test_the_commands_withno_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``drukid verifier offline-request``, ``drukid wallet offline-present`` and ``drukid
    verifier offline-verify`` on the real clock, each machine with no network."""
    world = make_world(tmp_path, int(time.time()))
    forbid_network(monkeypatch)
    monkeypatch.setattr(common, "settings", lambda: world.settings)
    monkeypatch.setattr(wallet_runtime, "Fetcher", lambda *a, **k: no_network())
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
