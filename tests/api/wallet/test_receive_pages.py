"""Receiving through the web wallet: a pasted link or an uploaded QR photo, the PIN step, the
language switch, and every bad input as a 4xx page in plain words."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from starlette.testclient import TestClient

from servicekit.qr import qr_png
from tests.api.wallet.conftest import csrf_of, receive, text_of, token
from tests.support.wallet_issuer import FakeIssuer


def post_receive(
    client: TestClient, *, link: str = "", photo: bytes | None = None, name: str = "qr.png"
) -> object:
    files = {"photo": (name, photo, "image/png")} if photo is not None else None
    return client.post("/receive", data={"csrf_token": token(client), "link": link}, files=files)


def credentials_page(client: TestClient) -> str:
    return text_of(client.get("/credentials"))


def test_receive_by_pasted_link_shows_the_card(unlocked: TestClient, issuer: FakeIssuer) -> None:
    page = receive(unlocked, issuer.offer())
    assert page.status_code == 200
    words = text_of(page)
    assert "Received and checked" in words
    assert "National ID" in words  # the display name from the type metadata
    assert "Issued by Department of Civil Registration" in words  # from issuer metadata
    assert "Citizen ID number 11512003456" in words  # a key claim, labelled
    cards = credentials_page(unlocked)
    assert "National ID" in cards
    assert "Full name Karma Wangmo" in cards


def test_an_offer_with_a_pin_asks_for_it_and_a_wrong_pin_can_be_corrected(
    unlocked: TestClient, issuer: FakeIssuer
) -> None:
    posted = post_receive(unlocked, link=issuer.offer(tx_code="4321"))
    assert posted.status_code == 303  # type: ignore[attr-defined]
    where = posted.headers["location"]  # type: ignore[attr-defined]
    pin_page = unlocked.get(where)
    words = text_of(pin_page)
    assert "Type the PIN the agency gave you" in words
    assert "4 digits." in words
    assert "The agency says: Enter the code we sent to your phone" in words
    empty = unlocked.post(where, data={"csrf_token": csrf_of(pin_page), "tx_code": ""})
    assert empty.status_code == 400
    assert "The code is empty." in text_of(empty)
    wrong = unlocked.post(where, data={"csrf_token": csrf_of(pin_page), "tx_code": "1111"})
    assert wrong.status_code == 400
    words = text_of(wrong)
    assert "The issuer says: wrong code" in words
    assert "What to do: Check the PIN and try again" in words
    assert "Type the PIN the agency gave you" in words  # the form is there to try again
    assert "Your wallet is empty" in credentials_page(unlocked)
    right = unlocked.post(where, data={"csrf_token": csrf_of(pin_page), "tx_code": "4321"})
    assert right.status_code == 303
    assert "Received and checked" in text_of(unlocked.get(right.headers["location"]))
    again = unlocked.post(where, data={"csrf_token": csrf_of(pin_page), "tx_code": "4321"})
    assert again.status_code == 303  # a second press shows the result, receives nothing more
    assert issuer.credential_requests == 1


def test_receive_from_an_uploaded_qr_photo(unlocked: TestClient, issuer: FakeIssuer) -> None:
    posted = post_receive(unlocked, photo=qr_png(issuer.offer(by_reference=True)))
    assert posted.status_code == 303, text_of(posted)  # type: ignore[arg-type]
    page = unlocked.get(posted.headers["location"])  # type: ignore[attr-defined]
    assert "Received and checked" in text_of(page)
    assert "National ID" in credentials_page(unlocked)


def _blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (200, 200), 255).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("link", "photo", "status", "message", "what_to_do"),
    [
        ("", None, 400, "You did not paste a link", "Paste the whole offer link"),
        ("hello", None, 400, "This is not an offer link.", "starts with openid-credential"),
        ("/etc/passwd", None, 400, "This is not an offer link.", "copy the whole link"),
        (
            "openid4vp://?client_id=x&request_uri=y",
            None,
            400,
            "This is not an offer link.",
            "This is a request to SHARE",
        ),
        ("openid-credential-offer://?x=1", None, 400, "offer", "Ask the issuer for a new"),
        ("x" * 20_000 + "://", None, 400, "far longer than any offer link", "Copy only"),
        ("", b"this is not an image", 400, "Could not read the photo", "Take a sharper"),
        ("", _blank_png()[:120], 400, "Could not read the photo", "Take a sharper"),
        ("", b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n", 400, "Could not read", "PNG"),
        ("", _blank_png(), 400, "No QR code was found", "Take a sharper, closer photo"),
        (
            "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fnowhere.example%2Fo",
            None,
            502,
            "",
            "Check your internet connection",
        ),
    ],
    ids=[
        "empty",
        "words",
        "file path",
        "request link",
        "garbage offer",
        "too long",
        "not an image",
        "truncated png",
        "eps file",
        "no QR code",
        "issuer unreachable",
    ],
)
def test_bad_offers_get_a_plain_page_with_what_to_do(
    unlocked: TestClient,
    link: str,
    photo: bytes | None,
    status: int,
    message: str,
    what_to_do: str,
) -> None:
    response = post_receive(unlocked, link=link, photo=photo)
    assert response.status_code == status, text_of(response)  # type: ignore[attr-defined,arg-type]
    words = text_of(response)  # type: ignore[arg-type]
    assert message in words
    assert "What to do:" in words
    assert what_to_do in words
    assert "Receive a credential" in words  # the form again, to try once more


def test_a_photo_over_the_limit_is_refused_with_a_page(unlocked: TestClient) -> None:
    huge = b"\x89PNG" + b"\0" * (300 * 1024)  # the test settings allow 256 KiB
    response = post_receive(unlocked, photo=huge)
    assert response.status_code == 413  # type: ignore[attr-defined]
    words = text_of(response)  # type: ignore[arg-type]
    assert "too large" in words
    assert "What to do:" in words


def test_a_photo_just_over_the_limit_is_refused_by_the_form_too(unlocked: TestClient) -> None:
    response = post_receive(unlocked, photo=b"\x89PNG" + b"\0" * (270 * 1024))
    assert response.status_code == 413  # type: ignore[attr-defined]
    words = text_of(response)  # type: ignore[arg-type]
    assert "The photo is too large (over 256 KB)." in words
    assert "What to do: Take the photo again at a lower resolution" in words


def test_a_used_or_expired_offer_says_to_ask_for_a_new_one(
    unlocked: TestClient, issuer: FakeIssuer
) -> None:
    link = issuer.offer()
    receive(unlocked, link)
    again = post_receive(unlocked, link=link)
    assert again.status_code == 400  # type: ignore[attr-defined]
    words = text_of(again)  # type: ignore[arg-type]
    assert "it may have expired or been used already" in words
    assert "ask the issuer for a new one" in words


def test_a_credential_that_fails_the_checks_is_not_saved(
    unlocked: TestClient, issuer: FakeIssuer
) -> None:
    issuer.faults.add("tampered")
    response = post_receive(unlocked, link=issuer.offer())
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "failed the wallet's checks" in text_of(response)  # type: ignore[arg-type]
    assert "Your wallet is empty" in credentials_page(unlocked)


def test_an_unknown_ticket_is_a_plain_404(unlocked: TestClient) -> None:
    for response in (
        unlocked.get("/receive/AAAAAAAAAAAAAAAA"),
        unlocked.post("/receive/AAAAAAAAAAAAAAAA", data={"csrf_token": token(unlocked)}),
    ):
        assert response.status_code == 404
        assert "This offer is no longer open here." in text_of(response)
    assert unlocked.get("/receive/<script>").status_code == 404


def test_names_and_labels_follow_the_chosen_language(
    unlocked: TestClient, issuer: FakeIssuer
) -> None:
    receive(unlocked, issuer.offer())
    dz = unlocked.get("/credentials?lang=dz")
    assert "ངོ་སྤྲོད་ལག་ཁྱེར" in text_of(dz)
    assert "drukid_wallet_lang=dz" in dz.headers["set-cookie"]
    assert "ངོ་སྤྲོད་ལག་ཁྱེར" in credentials_page(unlocked)  # the cookie remembers it
    english = unlocked.get("/credentials?lang=en")
    assert "National ID" in text_of(english)
    unknown = unlocked.get("/credentials?lang=xx")  # not offered: ignored
    assert "National ID" in text_of(unknown)
    assert "drukid_wallet_lang=xx" not in unknown.headers.get("set-cookie", "")
