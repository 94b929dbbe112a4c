"""The status of held credentials: the record kept in the sealed index, how copies combine,
what an unreachable issuer or a forged list does to it (never "valid"), and what the consent
screen says about a revoked or suspended credential."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from credentials.status_list import STATUS_INVALID, STATUS_SUSPENDED, STATUS_VALID
from did.fetch import Fetcher
from tests.support.clock import Clock
from tests.support.fake_verifier import FakeVerifier, query
from tests.support.wallet_issuer import FakeIssuer
from tests.unit.wallet.conftest import FAST_KDF, NOW, PASSPHRASE
from wallet.consent import ConsentSummary
from wallet.history import format_time
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.status import StatusRecord, describe_status
from wallet.storage.catalog import Catalog, CredentialEntry
from wallet.views import CredentialView


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def held(
    tmp_path: Path,
    settings: WalletSettings,
    network: Callable[[], Fetcher],
    issuer: FakeIssuer,
    clock: Clock,
) -> Iterator[Wallet]:
    """A wallet on a clock the test moves, holding one National ID (5 copies) whose issuer
    publishes a status list."""
    issuer.with_status = True
    with Wallet.create(
        tmp_path / "held.db", PASSPHRASE, settings=settings, kdf=FAST_KDF, network=network,
        clock=clock,
    ) as opened:  # fmt: skip
        opened.receive(issuer.offer("foundational-id"))
        yield opened


def current(view: CredentialView) -> str:
    assert view.status is not None
    return view.status.current


# --- the record ------------------------------------------------------------------------------


def test_the_record_round_trips_and_old_wallet_indexes_still_open() -> None:
    record = StatusRecord("revoked", NOW - 5, NOW, "fetch_timeout", False)
    assert StatusRecord.from_json(json.loads(json.dumps(record.to_json()))) == record
    entry = CredentialEntry("c1", "urn:t", "https://i.example", "t", {}, (), NOW, (), {}, record)
    assert CredentialEntry.from_json(entry.to_json()) == entry
    # A wallet written before status checks existed: no "status" member at all.
    old = entry.to_json()
    del old["status"]
    raw = {"version": 1, "generation": 3, "credentials": [old], "history": []}
    raw["trusted_verifiers"] = {}
    catalog = Catalog.from_bytes(json.dumps(raw).encode())
    assert catalog.credentials["c1"].status is None
    assert describe_status(None, format_time).word == "Not checked yet"


def test_an_unknown_status_word_in_the_index_is_refused() -> None:
    with pytest.raises(ValueError):
        StatusRecord.from_json({"known": "fine", "as_of": 1, "checked_at": 1})


def test_a_new_credential_is_not_checked_yet(held: Wallet) -> None:
    [view] = held.credentials()
    assert view.status is None
    assert view.status_text.kind == "unchecked"


# --- checking --------------------------------------------------------------------------------


def test_valid_then_one_copy_revoked_revokes_the_credential(
    held: Wallet, issuer: FakeIssuer, clock: Clock
) -> None:
    [view] = held.check_status()
    assert view.status == StatusRecord("valid", issuer.now, NOW)
    assert view.status_text.word == "Valid"
    assert view.status_text.as_of == f"as of {format_time(issuer.now)}"
    issuer.set_status(STATUS_INVALID, 3)  # the fourth copy only
    issuer.now = clock.now = NOW + 600
    [view] = held.check_status(view.id[:6])
    assert view.status == StatusRecord("revoked", NOW + 600, NOW + 600)
    assert view.status_text.word == "Revoked"
    assert "services will refuse it" in view.status_text.note


def test_suspended_then_reinstated(held: Wallet, issuer: FakeIssuer) -> None:
    issuer.set_status(STATUS_SUSPENDED)
    [view] = held.check_status()
    assert current(view) == "suspended"
    assert view.status_text.word == "Suspended"
    issuer.set_status(STATUS_VALID)
    [view] = held.check_status()
    assert current(view) == "valid"


def test_the_status_is_kept_in_the_wallet_file(
    held: Wallet, issuer: FakeIssuer, settings: WalletSettings, tmp_path: Path
) -> None:
    issuer.set_status(STATUS_INVALID)
    held.check_status()
    path = held.path
    held.close()
    with Wallet.open(path, PASSPHRASE, settings=settings) as reopened:
        [view] = reopened.credentials()
        assert current(view) == "revoked"
    assert b"revoked" not in path.read_bytes()  # sealed like every other record


@pytest.mark.parametrize("down", ["status_down", "timeout", "no_network"])
def test_an_unreachable_issuer_keeps_the_last_known_status(
    held: Wallet, issuer: FakeIssuer, clock: Clock, down: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    issuer.set_status(STATUS_SUSPENDED)
    held.check_status()
    clock.now = NOW + 3600
    if down == "status_down":
        issuer.faults.add("status_down")
    else:
        error = httpx.ReadTimeout if down == "timeout" else httpx.ConnectError

        def handler(request: httpx.Request) -> httpx.Response:
            raise error("unreachable", request=request)

        policy = held.settings.fetch_policy()
        offline = httpx.MockTransport(handler)
        monkeypatch.setattr(held._runtime, "network", lambda: Fetcher(policy, transport=offline))
    [view] = held.check_status()  # never an exception to the citizen
    record = view.status
    assert record is not None
    assert (record.known, record.as_of, record.checked_at) == ("suspended", NOW, NOW + 3600)
    assert record.problem in ("fetch_http_status", "fetch_timeout", "fetch_failed")
    assert not record.refused
    assert record.current == "suspended"
    text = view.status_text
    assert text.word == "Suspended"
    assert text.as_of == f"as of {format_time(NOW)}"
    assert "could not be reached" in text.note
    assert "last known status" in text.note


def test_never_checked_and_unreachable_is_unknown(held: Wallet, issuer: FakeIssuer) -> None:
    issuer.faults.add("status_down")
    [view] = held.check_status()
    assert view.status is not None
    assert view.status.current == "unknown"
    assert view.status_text.word == "Unknown"
    assert "could not be reached" in view.status_text.note


def test_one_failed_list_is_fetched_once_per_check(held: Wallet, issuer: FakeIssuer) -> None:
    calls: list[str] = []
    transport = held._runtime.network()._transport  # type: ignore[attr-defined]

    class Counting(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            calls.append(request.url.path)
            return transport.handle_request(request)  # type: ignore[no-any-return]

    issuer.faults.add("status_down")
    policy = held.settings.fetch_policy()
    held._runtime.network = lambda: Fetcher(policy, transport=Counting())
    held.check_status()
    assert calls.count("/status/1") == 1  # five copies, one list, one try


@pytest.mark.parametrize("forgery", ["status_tampered", "status_unsigned", "status_other_key"])
def test_a_forged_status_list_never_reads_valid(
    held: Wallet, issuer: FakeIssuer, forgery: str
) -> None:
    issuer.set_status(STATUS_INVALID)
    issuer.faults.add(forgery)  # each says "all valid"
    [view] = held.check_status()
    record = view.status
    assert record is not None
    assert record.refused
    assert record.current == "unknown"
    assert view.status_text.word == "Unknown"
    assert "failed the wallet's checks" in view.status_text.note


def test_a_forged_list_after_a_genuine_one_is_unknown_but_remembers(
    held: Wallet, issuer: FakeIssuer
) -> None:
    issuer.statuses[999] = STATUS_INVALID  # someone else's: the genuine list is not "all valid"
    held.check_status()
    issuer.faults.add("status_tampered")
    [view] = held.check_status()
    assert view.status is not None
    assert view.status.current == "unknown"
    assert "Last known: valid" in view.status_text.note


def test_a_credential_without_a_status_list(wallet: Wallet, issuer: FakeIssuer) -> None:
    wallet.receive(issuer.offer("foundational-id"))  # with_status off: no reference
    [view] = wallet.check_status()
    assert current(view) == "none"
    assert view.status_text.word == "Cannot be revoked"


def test_checking_an_empty_wallet_does_nothing(wallet: Wallet) -> None:
    assert wallet.check_status() == []


# --- presenting ------------------------------------------------------------------------------


def age_check(held: Wallet, issuer: FakeIssuer, verifier: FakeVerifier) -> ConsentSummary:
    link, _ = verifier.create_request(query(issuer.vct("foundational-id"), ["age_over_18"]))
    return held.prepare_presentation(link).consent


def test_consent_warns_about_a_revoked_credential_without_blocking(
    held: Wallet, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    issuer.set_status(STATUS_INVALID)
    held.check_status()
    consent = age_check(held, issuer, verifier)
    assert consent.can_share  # the citizen decides; the screen says it plainly
    [warning] = [w for w in consent.warnings if w.code == "credential_revoked"]
    assert warning.text.startswith("The issuer has revoked your National ID")
    assert "Bhutan National Bank will refuse it" in warning.text
    assert any("revoked" in line for line in consent.lines())
    assert consent.credentials[0].status == "revoked"


def test_consent_warns_about_a_suspended_credential(
    held: Wallet, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    issuer.set_status(STATUS_SUSPENDED)
    held.check_status()
    codes = {w.code for w in age_check(held, issuer, verifier).warnings}
    assert "credential_suspended" in codes
    assert "credential_revoked" not in codes


def test_a_valid_credential_is_chosen_over_a_revoked_one(
    held: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, clock: Clock
) -> None:
    [old] = held.credentials()
    clock.now += 10
    [new] = held.receive(issuer.offer("foundational-id"))
    issuer.set_status(STATUS_INVALID, *range(5, 10))  # the newer credential's copies
    held.check_status()
    consent = age_check(held, issuer, verifier)
    [share] = consent.credentials
    assert share.credential_id == old.id
    assert not {"credential_revoked", "credential_suspended"} & {w.code for w in consent.warnings}
    assert {v.id: v.status_text.word for v in held.credentials()} == {
        old.id: "Valid",
        new.id: "Revoked",
    }


# --- one list, many entries and issuers (review findings) -------------------------------------

APPLICATION_SPECIFIC = 3  # a 2-bit value §7.1 leaves to applications: not an answer


def test_an_odd_entry_does_not_hide_a_revoked_copy(held: Wallet, issuer: FakeIssuer) -> None:
    issuer.set_status(APPLICATION_SPECIFIC, 0)
    issuer.set_status(STATUS_INVALID, 3)
    [view] = held.check_status()
    assert view.status == StatusRecord("revoked", NOW, NOW)


def test_an_odd_entry_does_not_hide_another_credentials_revocation(
    held: Wallet, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    [address] = held.receive(issuer.offer("permanent-address"))
    assert {current(v) for v in held.check_status()} == {"valid"}
    issuer.set_status(APPLICATION_SPECIFIC, 0)  # the National ID's first copy
    issuer.set_status(STATUS_INVALID, *range(5, 10))  # every copy of the address
    views = {v.id: v for v in held.check_status()}
    assert views[address.id].status == StatusRecord("revoked", NOW, NOW)
    national = next(v for i, v in views.items() if i != address.id)
    assert current(national) == "unknown"  # its own odd entry: no answer for it
    link, _ = verifier.create_request(query(issuer.vct("permanent-address"), ["address"]))
    codes = {w.code for w in held.prepare_presentation(link).consent.warnings}
    assert "credential_revoked" in codes


def test_an_older_list_never_replaces_a_newer_answer(
    held: Wallet, issuer: FakeIssuer, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = issuer.status_list_token()  # genuine, unexpired, all valid: what a cache kept
    issuer.now = clock.now = NOW + 600
    issuer.set_status(STATUS_INVALID)
    [view] = held.check_status()
    assert view.status == StatusRecord("revoked", NOW + 600, NOW + 600)
    monkeypatch.setattr(issuer, "_served_status_list", lambda: stale)
    clock.now = NOW + 1200
    [view] = held.check_status()
    assert view.status == StatusRecord("revoked", NOW + 600, NOW + 1200)
    assert view.status_text.word == "Revoked"


def test_a_list_is_read_only_for_the_issuer_that_signed_it(
    tmp_path: Path, settings: WalletSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issuer B's credentials point at issuer A's list: whichever was received first, B's
    are never read from A's list (A's key is not B's), and A's own stay valid."""
    import tests.support.wallet_issuer as support

    a = FakeIssuer("https://issuer-a.example", now=NOW)
    b = FakeIssuer("https://issuer-b.example", now=NOW)
    a.with_status = b.with_status = True
    issue = support.issue_sd_jwt_vc

    def pointing_at_a(*args: object, iss: str, status: dict | None = None, **kw: object) -> object:
        if iss == b.base_url and status is not None:
            idx = status["status_list"]["idx"]
            status = {"status_list": {"idx": idx, "uri": f"{a.base_url}/status/1"}}
        return issue(*args, iss=iss, status=status, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(support, "issue_sd_jwt_vc", pointing_at_a)
    transport = support.asgi_transport(
        {"issuer-a.example": a.build_app(), "issuer-b.example": b.build_app()}
    )
    for order in ((a, b), (b, a)):
        path = tmp_path / f"{order[0].base_url[8:]}.db"
        with Wallet.create(
            path, PASSPHRASE, settings=settings, kdf=FAST_KDF,
            network=lambda: Fetcher(settings.fetch_policy(), transport=transport),
            clock=lambda: NOW,
        ) as opened:  # fmt: skip
            for who in order:
                opened.receive(who.offer("foundational-id"))
            found = {v.iss: v.status for v in opened.check_status()}
        assert found[a.base_url] == StatusRecord("valid", NOW, NOW), order
        b_record = found[b.base_url]
        assert b_record is not None
        assert b_record.current == "unknown", order
        assert b_record.refused


def test_an_unusable_reference_in_a_held_credential_stays_with_that_credential(
    held: Wallet, issuer: FakeIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A credential received by an older version with a reference this one refuses (receiving
    now refuses it): that credential reads unknown; the others are still checked."""
    from credentials.errors import StatusListError

    [broken] = held.credentials()
    [other] = held.receive(issuer.offer("permanent-address"))
    issuer.set_status(STATUS_INVALID)
    real = held._status_references

    def references(credential_id: str) -> object:
        if credential_id == broken.id:
            raise StatusListError("'idx' must be an integer", code="invalid_status_reference")
        return real(credential_id)

    monkeypatch.setattr(held, "_status_references", references)
    views = {v.id: v for v in held.check_status()}
    assert views[other.id].status == StatusRecord("revoked", NOW, NOW)
    record = views[broken.id].status
    assert record is not None
    assert (record.current, record.problem) == ("unknown", "invalid_status_reference")


def test_receiving_refuses_an_unusable_status_reference(
    wallet: Wallet, issuer: FakeIssuer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tests.support.wallet_issuer as support
    from credentials.jose import parse_jws, sign_jws
    from credentials.sd_jwt import SDJWT
    from wallet.errors import ReceiveError

    issuer.with_status = True
    issue = support.issue_sd_jwt_vc

    def string_index(
        claims: object, key: Any, *, status: dict | None = None, **kw: object
    ) -> SDJWT:
        # issue_sd_jwt_vc refuses a malformed status itself, so the issuer JWT is re-signed.
        assert status is not None
        issued = issue(claims, key, status=status, **kw)  # type: ignore[arg-type]
        jws = parse_jws(issued.jwt)
        payload = {**jws.payload, "status": {"status_list": {**status["status_list"], "idx": "3"}}}
        jwt = sign_jws(payload, key, typ=jws.header["typ"], kid=jws.header.get("kid"))
        return SDJWT(jwt, issued.disclosures)

    monkeypatch.setattr(support, "issue_sd_jwt_vc", string_index)
    with pytest.raises(ReceiveError) as refused:
        wallet.receive(issuer.offer("foundational-id"))
    assert "invalid_status_reference" in refused.value.message
    assert wallet.credentials() == []
