"""OpenID4VCI receive: the happy path, and every way a broken or hostile issuer can fail,
each with its code and with nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from did.fetch import Fetcher
from servicekit.qr import qr_png
from tests.support.wallet_issuer import FakeIssuer
from tests.unit.wallet.conftest import NOW
from wallet.errors import NetworkError, ReceiveError, WalletError, hint_for
from wallet.holder import Wallet
from wallet.settings import WalletSettings


def assert_nothing_stored(wallet: Wallet) -> None:
    assert wallet.credentials() == []
    assert wallet.catalog.credentials == {}


def fails(wallet: Wallet, offer: str, code: str, **kwargs: str) -> WalletError:
    with pytest.raises(WalletError) as info:
        wallet.receive(offer, **kwargs)
    assert info.value.code == code, info.value
    assert info.value.hint
    assert_nothing_stored(wallet)
    return info.value


def test_receive_verifies_stores_and_notifies(wallet: Wallet, issuer: FakeIssuer) -> None:
    [view] = wallet.receive(issuer.offer("foundational-id"))
    assert view.title == "National ID"
    assert view.issuer == "Department of Civil Registration"
    assert view.copies == view.fresh_copies == 5  # batch_size 5, settings.copies 5
    labels = {c.label: c.value for c in view.claims}
    assert labels["Full name"] == "Karma Wangmo"
    assert labels["Place of birth › Village"] == "Bondey"
    assert [n["event"] for n in issuer.notifications] == ["credential_accepted"]
    secret = wallet._store.read_credential(view.id)
    assert len({c.key["x"] for c in secret.copies}) == 5  # a fresh key per copy


def test_receive_several_types_in_one_offer(wallet: Wallet, issuer: FakeIssuer) -> None:
    views = wallet.receive(issuer.offer("foundational-id", "permanent-address"))
    assert sorted(v.type_id for v in views) == ["foundational-id", "permanent-address"]


def test_copies_follow_the_issuer_batch_size(wallet: Wallet, issuer: FakeIssuer) -> None:
    issuer.batch_size = 1
    [view] = wallet.receive(issuer.offer())
    assert view.copies == 1


def test_offer_by_reference_and_from_a_qr_image(
    wallet: Wallet, issuer: FakeIssuer, tmp_path: Path
) -> None:
    image = tmp_path / "offer.png"
    image.write_bytes(qr_png(issuer.offer("permanent-address", by_reference=True)))
    [view] = wallet.receive(str(image))
    assert view.type_id == "permanent-address"


@pytest.mark.parametrize("content", [b"", b"not an image at all", "cut"])
def test_a_picture_without_a_qr_code_asks_for_a_sharper_photo(
    wallet: Wallet, tmp_path: Path, content: bytes | str
) -> None:
    image = tmp_path / "blank.png"
    image.write_bytes(qr_png("x")[:50] if content == "cut" else content)
    error = fails(wallet, str(image), "qr_unreadable")
    assert "sharper" in error.hint
    assert error.hint == hint_for("qr_unreadable")  # the web wallet's words too


@pytest.mark.parametrize("typed", ["offre.png", "photos/offer", "Offer.JPG"])
def test_a_mistyped_file_name_is_no_such_file(wallet: Wallet, tmp_path: Path, typed: str) -> None:
    error = fails(wallet, str(tmp_path / typed) if "/" in typed else typed, "file_not_found")
    assert "there is no file" in error.message


def test_tx_code(wallet: Wallet, issuer: FakeIssuer) -> None:
    offer_text = issuer.offer(tx_code="493817")
    offer = wallet.load_offer(offer_text)
    assert offer.tx_code is not None
    assert offer.tx_code.length == 6
    assert "493817" not in repr(offer)
    assert offer.pre_authorized_code not in repr(offer)
    fails(wallet, offer_text, "tx_code_required")
    fails(wallet, offer_text, "tx_code_invalid", tx_code="12ab56")  # checked before sending
    fails(wallet, offer_text, "issuer_rejected", tx_code="000000")
    # The fake issuer burns the offer on a wrong code, as a strict issuer may.
    [view] = wallet.receive(issuer.offer(tx_code="111222"), tx_code="111222")
    assert view.type_id == "foundational-id"


def test_a_used_offer_is_refused(wallet: Wallet, issuer: FakeIssuer) -> None:
    offer = issuer.offer()
    wallet.receive(offer)
    error = fails_after(wallet, offer, "issuer_rejected")
    assert "expired" in error.message


def fails_after(wallet: Wallet, offer: str, code: str) -> WalletError:
    before = dict(wallet.catalog.credentials)
    with pytest.raises(WalletError) as info:
        wallet.receive(offer)
    assert info.value.code == code
    assert wallet.catalog.credentials == before
    return info.value


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("tampered", "credential_invalid"),
        ("wrong_key", "credential_invalid"),
        ("other_holder", "credential_invalid"),
        ("duplicate_copy", "credential_invalid"),
        ("wrong_vct", "credential_invalid"),
        ("expired", "credential_invalid"),
        ("other_issuer", "credential_invalid"),
        ("inconsistent_copies", "credential_invalid"),
        ("garbage", "credential_invalid"),
        ("metadata_wrong_issuer", "issuer_metadata_invalid"),
        ("metadata_redirect", "network_failed"),
        ("metadata_huge", "network_response_too_large"),
        ("deferred", "deferred_not_supported"),
        ("oversized", "network_response_too_large"),
    ],
)
def test_bad_issuers_store_nothing(
    wallet: Wallet, issuer: FakeIssuer, fault: str, code: str
) -> None:
    issuer.faults.add(fault)
    fails(wallet, issuer.offer(), code)
    assert all(n["event"] != "credential_accepted" for n in issuer.notifications)


@pytest.mark.parametrize(
    "text",
    [
        "openid-credential-offer://?nothing=here",
        "openid-credential-offer://?credential_offer=%7Bbroken",
        "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A1%7D",
        "openid-credential-offer://?credential_offer=x&credential_offer_uri=y",
        "openid-credential-offer://?credential_offer_uri=ftp%3A%2F%2Fissuer.example%2Fo",
    ],
)
def test_malformed_offers(wallet: Wallet, text: str) -> None:
    fails(wallet, text, "offer_invalid")


def test_authorization_code_offers_are_not_supported(wallet: Wallet) -> None:
    text = (
        "openid-credential-offer://?credential_offer=%7B%22credential_issuer%22%3A%22https%3A"
        "%2F%2Fissuer.example%22%2C%22credential_configuration_ids%22%3A%5B%22x%22%5D%2C"
        "%22grants%22%3A%7B%22authorization_code%22%3A%7B%7D%7D%7D"
    )
    fails(wallet, text, "offer_unsupported")


def test_production_refuses_plain_http(wallet: Wallet) -> None:
    issuer = FakeIssuer("http://127.0.0.1:9", now=NOW)
    error = fails(wallet, issuer.offer(), "network_refused")
    assert isinstance(error, NetworkError)


def test_timeouts_become_a_clear_error(tmp_path: Path, issuer: FakeIssuer) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    settings = WalletSettings(data_dir=tmp_path)
    network: Callable[[], Fetcher] = lambda: Fetcher(  # noqa: E731
        settings.fetch_policy(), transport=httpx.MockTransport(slow)
    )
    from tests.unit.wallet.conftest import FAST_KDF, PASSPHRASE

    with Wallet.create(
        tmp_path / "w.db", PASSPHRASE, settings=settings, kdf=FAST_KDF, network=network
    ) as wallet:
        error = fails(wallet, issuer.offer(), "network_timeout")
        assert "signal" in error.hint


def test_receive_error_is_a_wallet_error() -> None:
    assert issubclass(ReceiveError, WalletError)
