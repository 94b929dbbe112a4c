"""Back up, restore and change the passphrase from the web wallet's pages: the file and its
headers, a round trip into a fresh wallet (which can still present), restoring as a new wallet
from the create page, the new passphrase at the next unlock, and every refusal as a page that
says what happened (never a 500, never half a restore)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from did.fetch import Fetcher
from tests.api.wallet.conftest import (
    BASE_URL,
    FAST_KDF,
    NOW,
    PASSPHRASE,
    SessionClock,
    ask,
    create_wallet,
    csrf_of,
    receive,
    text_of,
    token,
)
from tests.support.fake_verifier import FakeVerifier, query
from tests.support.wallet_issuer import FakeIssuer
from wallet.backup import MAGIC
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.storage.database import WalletFile
from wallet.storage.repos import Meta, Records
from wallet.web import create_app

BACKUP_PASSPHRASE = "prayer flags on the pass"
NEW_PASSPHRASE = "butter lamp at dawn"
# NOW (1_800_000_000) is 2027-01-15 in UTC.
BACKUP_NAME = "drukid-wallet-backup-2027-01-15.drukid-backup"


def make_backup(
    client: TestClient,
    *,
    passphrase: str = PASSPHRASE,
    backup_passphrase: str = BACKUP_PASSPHRASE,
    confirm: str | None = None,
    csrf: str | None = "page",
) -> httpx.Response:
    data = {
        "passphrase": passphrase,
        "backup_passphrase": backup_passphrase,
        "backup_confirm": backup_passphrase if confirm is None else confirm,
    }
    if csrf is not None:
        data["csrf_token"] = token(client, "/backup") if csrf == "page" else csrf
    return client.post("/backup", data=data)


def restore(
    client: TestClient,
    content: bytes | None,
    *,
    backup_passphrase: str = BACKUP_PASSPHRASE,
    csrf: str | None = "page",
) -> httpx.Response:
    data = {"backup_passphrase": backup_passphrase}
    if csrf is not None:
        data["csrf_token"] = token(client, "/restore") if csrf == "page" else csrf
    files = {"backup": (BACKUP_NAME, content or b"", "application/octet-stream")}
    return client.post("/restore", data=data, files=files if content is not None else None)


def restore_new(
    client: TestClient,
    content: bytes,
    *,
    backup_passphrase: str = BACKUP_PASSPHRASE,
    passphrase: str = NEW_PASSPHRASE,
    confirm: str | None = None,
    csrf: str | None = "page",
) -> httpx.Response:
    data = {
        "backup_passphrase": backup_passphrase,
        "passphrase": passphrase,
        "confirm": passphrase if confirm is None else confirm,
    }
    if csrf is not None:
        page = client.get("/restore/new")
        assert page.status_code == 200, page.text
        data["csrf_token"] = csrf_of(page) if csrf == "page" else csrf
    files = {"backup": (BACKUP_NAME, content, "application/octet-stream")}
    return client.post("/restore/new", data=data, files=files)


def change(
    client: TestClient,
    *,
    current: str = PASSPHRASE,
    new: str = NEW_PASSPHRASE,
    confirm: str | None = None,
    csrf: str | None = "page",
) -> httpx.Response:
    data = {"current": current, "passphrase": new, "confirm": new if confirm is None else confirm}
    if csrf is not None:
        data["csrf_token"] = token(client, "/passphrase") if csrf == "page" else csrf
    return client.post("/passphrase", data=data)


def lock(client: TestClient) -> None:
    assert client.post("/lock", data={"csrf_token": token(client)}).status_code == 303


def unlock(client: TestClient, passphrase: str) -> httpx.Response:
    page = client.get("/unlock")
    assert page.status_code == 200, page.text
    return client.post("/unlock", data={"csrf_token": csrf_of(page), "passphrase": passphrase})


def share_age(client: TestClient, issuer: FakeIssuer, verifier: FakeVerifier) -> dict[str, Any]:
    """Share 'over 18' with the verifier; the claims it received."""
    link, ident = verifier.create_request(
        query(issuer.vct("foundational-id"), ["age_over_18"]), purpose="Open an account"
    )
    where, page = ask(client, link)
    shared = client.post(where, data={"csrf_token": csrf_of(page), "decision": "share"})
    assert shared.status_code == 303, text_of(shared)
    result = verifier.sessions[ident].result
    assert result is not None
    [claims] = result["claims"]["pid"]
    return dict(claims)


@pytest.fixture
def holding(unlocked: TestClient, issuer: FakeIssuer, verifier: FakeVerifier) -> TestClient:
    """An unlocked wallet with Karma's National ID, one share in its history, and a known
    verifier."""
    receive(unlocked, issuer.offer())
    share_age(unlocked, issuer, verifier)
    saved = unlocked.post(
        "/verifiers",
        data={"csrf_token": token(unlocked), "client_id": verifier.client_id, "name": "My bank"},
    )
    assert saved.status_code == 303
    return unlocked


@pytest.fixture
def backup_file(holding: TestClient) -> bytes:
    made = make_backup(holding)
    assert made.status_code == 200, text_of(made)
    return made.content


@pytest.fixture
def other(tmp_path: Path, transport: httpx.MockTransport) -> Iterator[TestClient]:
    """A second web wallet on 'another computer' (its own data folder), with no wallet yet."""
    settings = WalletSettings(
        mode="development", data_dir=tmp_path / "other", max_upload_bytes=256 * 1024, copies=2
    )
    app = create_app(
        settings,
        kdf=FAST_KDF,
        network=lambda: Fetcher(settings.fetch_policy(), transport=transport),
        clock=lambda: NOW,
        session_clock=SessionClock(),
    )
    with TestClient(app, base_url=BASE_URL, follow_redirects=False) as client:
        yield client


def wallet_path(client: TestClient) -> Path:
    path: Path = client.app.state.web.settings.wallet_path  # type: ignore[attr-defined]
    return path


def is_empty(client: TestClient) -> bool:
    wallets = client.get("/credentials")
    history = client.get("/history")
    empty = "Your wallet is empty." in text_of(wallets)
    return empty and "Nothing shared yet." in text_of(history)


# --- back up ---------------------------------------------------------------------------------


def test_the_backup_page_explains_in_plain_words(holding: TestClient) -> None:
    menu = holding.get("/credentials")
    assert '<a href="/backup">Back up</a>' in menu.text
    assert '<a href="/passphrase">Change passphrase</a>' in menu.text
    page = holding.get("/backup")
    assert page.status_code == 200
    words = text_of(page)
    assert "A backup is one file with a copy of everything in your wallet" in words
    assert "Your wallet holds 1 credential and 1 history entry." in words
    assert "Without the backup passphrase, the file cannot be opened" in words
    for label in (
        "Your wallet passphrase",
        "Choose a backup passphrase",
        "Type the backup passphrase again",
    ):
        assert f">{label}</label>" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text  # no inline script (the CSP forbids it anyway)


def test_the_backup_is_one_encrypted_file_to_download(holding: TestClient) -> None:
    made = make_backup(holding)
    assert made.status_code == 200
    assert made.headers["content-disposition"] == f'attachment; filename="{BACKUP_NAME}"'
    assert made.headers["cache-control"] == "no-store"
    assert made.headers["content-type"] == "application/octet-stream"
    assert made.content.startswith(MAGIC)
    for clear in (b"Karma", b"My bank", b"age_over_18", b"full_name"):
        assert clear not in made.content  # encrypted, not just packed


@pytest.mark.parametrize(
    ("form", "status", "message", "what_to_do"),
    [
        ({"csrf": None}, 403, "did not come from your wallet's own page", "Nothing was done."),
        ({"csrf": "forged"}, 403, "did not come from your wallet's own page", "Nothing was done."),
        (
            {"passphrase": "not my passphrase"},
            400,
            "Your wallet passphrase is not right.",
            "Nothing was changed.",
        ),
        (
            {"confirm": BACKUP_PASSPHRASE + "!"},
            400,
            "The two passphrases are not the same.",
            "Type the same passphrase in both boxes.",
        ),
        (
            {"backup_passphrase": "short"},
            400,
            "The passphrase is shorter than 8 characters.",
            "at least 8 characters",
        ),
    ],
    ids=["no-csrf", "forged-csrf", "wrong-wallet-passphrase", "mismatch", "weak"],
)
def test_backup_refusals_say_what_to_do_and_download_nothing(
    holding: TestClient, form: dict[str, Any], status: int, message: str, what_to_do: str
) -> None:
    refused = make_backup(holding, **form)
    assert refused.status_code == status
    assert "content-disposition" not in refused.headers
    assert refused.headers["content-type"].startswith("text/html")
    words = text_of(refused)
    assert message in words
    assert what_to_do in words


def test_wrong_wallet_passphrases_on_the_backup_page_count_as_guesses(holding: TestClient) -> None:
    for _ in range(5):
        assert make_backup(holding, passphrase="a wrong guess").status_code == 400
    slowed = make_backup(holding)  # even the right one waits now
    assert slowed.status_code == 429
    assert "Too many wrong passphrases in a row." in text_of(slowed)


# --- restore: round trip -----------------------------------------------------------------------


def test_a_backup_restores_into_a_fresh_wallet_which_can_still_present(
    backup_file: bytes, other: TestClient, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    assert create_wallet(other, "another machine pass").status_code == 303
    page = other.get("/restore")
    words = text_of(page)
    assert "the known verifiers of the backup replace the ones in this wallet" in words
    assert "this wallet keeps its own passphrase" in words
    restored = restore(other, backup_file)
    assert restored.status_code == 303, text_of(restored)
    assert restored.headers["location"] == "/credentials"
    cards = text_of(other.get("/credentials"))
    assert "Restored 1 credential, your history and your known verifiers from the backup." in cards
    assert "National ID" in cards
    history = text_of(other.get("/history"))
    assert "Bhutan National Bank" in history
    assert "My bank" in text_of(other.get("/verifiers"))
    claims = share_age(other, issuer, verifier)  # the holder key came back too
    assert claims["age_over_18"] is True
    # The restored wallet keeps its own passphrase, not the old wallet's.
    lock(other)
    assert unlock(other, PASSPHRASE).status_code == 400
    assert unlock(other, "another machine pass").status_code == 303


def test_restore_as_a_new_wallet_from_the_create_page(
    backup_file: bytes, other: TestClient, issuer: FakeIssuer, verifier: FakeVerifier
) -> None:
    create = other.get("/create")
    assert '<a href="/restore/new">Restore from a backup instead</a>' in create.text
    page = other.get("/restore/new")
    assert page.status_code == 200
    assert "Restore your wallet from a backup" in text_of(page)
    restored = restore_new(other, backup_file)
    assert restored.status_code == 303, text_of(restored)
    assert restored.headers["location"] == "/credentials"
    cards = text_of(other.get("/credentials"))
    assert "Restored 1 credential" in cards
    assert "National ID" in cards
    assert share_age(other, issuer, verifier)["age_over_18"] is True
    lock(other)
    assert unlock(other, NEW_PASSPHRASE).status_code == 303
    assert other.get("/restore/new").headers["location"] == "/unlock"  # a wallet exists now


# --- restore: refusals -------------------------------------------------------------------------


def tampered_body(content: bytes) -> bytes:
    return content[:-5] + bytes([content[-5] ^ 1]) + content[-4:]


def tampered_header(content: bytes) -> bytes:
    return content.replace(b'"created":', b'"created":1', 1)


BAD_FILES = [
    ("wrong-passphrase", None, "not my backup pass", 400, "backup passphrase is not right"),
    ("tampered-body", tampered_body, BACKUP_PASSPHRASE, 400, "backup passphrase is not right"),
    ("tampered-header", tampered_header, BACKUP_PASSPHRASE, 400, "backup passphrase is not right"),
    ("not-a-backup", lambda _: b"\x89PNG\r\n\x1a\n....", BACKUP_PASSPHRASE, 400, "not a drukid"),
    ("empty-file", lambda _: b"", BACKUP_PASSPHRASE, 400, "not a drukid wallet backup"),
    ("over-the-limit", lambda c: c + b"\0" * (256 * 1024), BACKUP_PASSPHRASE, 413, "too large"),
    ("far-too-large", lambda _: b"\0" * (512 * 1024), BACKUP_PASSPHRASE, 413, "too large"),
]


@pytest.mark.parametrize(
    ("change_file", "backup_passphrase", "status", "message"),
    [case[1:] for case in BAD_FILES],
    ids=[case[0] for case in BAD_FILES],
)
def test_a_bad_backup_file_changes_nothing_and_says_what_to_do(
    backup_file: bytes,
    other: TestClient,
    change_file: Any,
    backup_passphrase: str,
    status: int,
    message: str,
) -> None:
    content = backup_file if change_file is None else change_file(backup_file)
    create_wallet(other)
    refused = restore(other, content, backup_passphrase=backup_passphrase)
    assert refused.status_code == status
    words = text_of(refused)
    assert message in words
    assert "What to do:" in words
    assert "Nothing was changed in your wallet." in words
    assert is_empty(other)  # nothing half-imported
    assert restore(other, backup_file).status_code == 303  # the right file still works


def test_restore_without_a_file_or_a_csrf_token_is_refused(
    backup_file: bytes, other: TestClient
) -> None:
    create_wallet(other)
    missing = restore(other, None)
    assert missing.status_code == 400
    assert "You did not choose a backup file." in text_of(missing)
    for csrf in (None, "forged"):
        forged = restore(other, backup_file, csrf=csrf)
        assert forged.status_code == 403
        assert "did not come from your wallet's own page" in text_of(forged)
    assert is_empty(other)


def test_a_wallet_that_holds_something_is_not_restored_into(
    holding: TestClient, backup_file: bytes
) -> None:
    page = holding.get("/restore")
    words = text_of(page)
    assert "so a backup cannot be restored into it" in words
    assert 'action="/restore"' not in page.text  # no form to fill in for nothing
    refused = restore(holding, backup_file)
    assert refused.status_code == 409
    words = text_of(refused)
    assert "This wallet already holds credentials." in words
    assert "A backup can only go into a wallet that has no credentials and no history yet." in words


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"backup_passphrase": "not my backup pass"}, 400, "backup passphrase is not right"),
        ({"confirm": NEW_PASSPHRASE + "!"}, 400, "The two passphrases are not the same."),
        ({"passphrase": "short"}, 400, "shorter than 8 characters"),
        ({"csrf": "forged"}, 403, "did not come from your wallet's own page"),
        ({"csrf": None}, 403, "did not come from your wallet's own page"),
    ],
    ids=["wrong-backup-passphrase", "mismatch", "weak", "forged-csrf", "no-csrf"],
)
def test_restore_as_new_refusals_leave_no_wallet_behind(
    backup_file: bytes, other: TestClient, form: dict[str, Any], status: int, message: str
) -> None:
    refused = restore_new(other, backup_file, **form)
    assert refused.status_code == status
    assert message in text_of(refused)
    assert not wallet_path(other).exists()
    assert other.get("/").headers["location"] == "/create"


@pytest.mark.parametrize(
    "content", [b"not a backup at all", b"\0" * (300 * 1024)], ids=["not-a-backup", "too-large"]
)
def test_restore_as_new_refuses_bad_files_and_leaves_no_wallet(
    other: TestClient, content: bytes
) -> None:
    refused = restore_new(other, content)
    assert refused.status_code in (400, 413)
    words = text_of(refused)
    assert "not a drukid wallet backup" in words or "too large to be a wallet backup" in words
    assert not wallet_path(other).exists()


# --- change the passphrase ---------------------------------------------------------------------


def test_change_the_passphrase_then_unlock_with_the_new_one_only(holding: TestClient) -> None:
    page = holding.get("/passphrase")
    assert page.status_code == 200
    for label in ("Your current passphrase", "Choose a new passphrase"):
        assert f">{label}</label>" in page.text
    path = wallet_path(holding)
    file = WalletFile.open(path)
    try:
        with file.session() as session:
            records, meta = Records(session), Meta(session)
            before = (records.get_all("credential"), records.get_all("history"), meta.header())
    finally:
        file.close()
    changed = change(holding)
    assert changed.status_code == 303
    assert "Your passphrase is changed." in text_of(holding.get(changed.headers["location"]))
    file = WalletFile.open(path)
    try:
        with file.session() as session:
            records, meta = Records(session), Meta(session)
            after = (records.get_all("credential"), records.get_all("history"), meta.header())
    finally:
        file.close()
    # Re-wrapped: only the key header (and the catalog's counter) changed, no record.
    assert after[:2] == before[:2]
    assert after[2] != before[2]
    lock(holding)
    old = unlock(holding, PASSPHRASE)
    assert old.status_code == 400
    assert "passphrase is not right" in text_of(old)
    assert unlock(holding, NEW_PASSPHRASE).status_code == 303
    assert "National ID" in text_of(holding.get("/credentials"))
    with Wallet.open(path, NEW_PASSPHRASE) as wallet:
        assert len(wallet.credentials()) == 1


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"current": "not my passphrase"}, 400, "Your wallet passphrase is not right."),
        ({"confirm": NEW_PASSPHRASE + "!"}, 400, "The two passphrases are not the same."),
        ({"new": "short"}, 400, "shorter than 8 characters"),
        ({"csrf": "forged"}, 403, "did not come from your wallet's own page"),
        ({"csrf": None}, 403, "did not come from your wallet's own page"),
    ],
    ids=["wrong-current", "mismatch", "weak", "forged-csrf", "no-csrf"],
)
def test_passphrase_change_refusals_keep_the_old_passphrase(
    holding: TestClient, form: dict[str, Any], status: int, message: str
) -> None:
    refused = change(holding, **form)
    assert refused.status_code == status
    assert message in text_of(refused)
    lock(holding)
    assert unlock(holding, NEW_PASSPHRASE).status_code == 400
    assert unlock(holding, PASSPHRASE).status_code == 303


def test_overlong_passphrases_are_a_form_error_not_a_crash(holding: TestClient) -> None:
    refused = change(holding, new="x" * 2000)
    assert refused.status_code == 400
    assert "missing or too long" in text_of(refused)
    refused = make_backup(holding, backup_passphrase="x" * 2000)
    assert refused.status_code == 400
    assert "missing or too long" in text_of(refused)


def test_the_new_pages_need_an_unlocked_wallet(client: TestClient) -> None:
    create_wallet(client)
    lock(client)
    for path in ("/backup", "/restore", "/passphrase"):
        assert client.get(path).headers["location"].startswith("/unlock"), path
    for path in ("/backup", "/restore", "/passphrase"):
        assert client.post(path, data={}).headers["location"].startswith("/unlock"), path
