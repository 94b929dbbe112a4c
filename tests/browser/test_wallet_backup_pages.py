"""Back up and change the passphrase in the web wallet with Chromium at phone width, then
restore the downloaded file on "another computer" from its create page. The back-up form is
filled and sent with the keyboard only; every page is saved as a screenshot artifact and
checked at 320 pixels wide."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import PHONE
from tests.browser.test_wallet_pages import menu, snap, tab_to
from tests.support.servers import serve_app
from wallet.backup import MAGIC
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams
from wallet.web import create_app

pytestmark = [pytest.mark.browser, pytest.mark.network]

PASSPHRASE = "yak butter tea morning"
BACKUP_PASSPHRASE = "prayer flags on the pass"
NEW_PASSPHRASE = "butter lamp at dawn"


def _wallet_url(folder: Path) -> Iterator[str]:
    settings = WalletSettings(mode="development", data_dir=folder)
    # Cheap KDF for wallets and backups made in the browser; the default stays strong.
    with serve_app(create_app(settings, kdf=ScryptParams(n=2**4))) as url:
        yield url


@pytest.fixture
def wallet_url(tmp_path: Path) -> Iterator[str]:
    yield from _wallet_url(tmp_path / "wallet")


@pytest.fixture
def other_url(tmp_path: Path) -> Iterator[str]:
    yield from _wallet_url(tmp_path / "other")


def test_back_up_change_the_passphrase_and_restore_elsewhere(
    page: Page, browser: Browser, wallet_url: str, other_url: str, artifacts_dir: Path
) -> None:
    page.goto(wallet_url)
    page.get_by_label("Choose a passphrase").fill(PASSPHRASE)
    page.get_by_label("Type the same passphrase again").fill(PASSPHRASE)
    page.get_by_role("button", name="Create my wallet").click()
    expect(page.get_by_text("Your wallet is ready.")).to_be_visible()

    # Back up, with the keyboard only.
    menu(page, "Back up", "/backup")
    expect(page.get_by_role("heading", name="Back up your wallet")).to_be_visible()
    snap(page, artifacts_dir, "backup")
    page.locator("body").click(position={"x": 1, "y": 1})
    tab_to(page, page.get_by_label("Your wallet passphrase"))
    page.keyboard.type(PASSPHRASE)
    page.keyboard.press("Tab")
    page.keyboard.type(BACKUP_PASSPHRASE)
    page.keyboard.press("Tab")
    page.keyboard.type(BACKUP_PASSPHRASE)
    tab_to(page, page.get_by_role("button", name="Download the backup file"))
    with page.expect_download() as downloading:
        page.keyboard.press("Enter")
    download = downloading.value
    assert re.fullmatch(
        r"drukid-wallet-backup-\d{4}-\d{2}-\d{2}\.drukid-backup", download.suggested_filename
    )
    backup = Path(download.path())
    assert backup.read_bytes().startswith(MAGIC)

    # Change the passphrase; the old one no longer unlocks.
    menu(page, "Change passphrase", "/passphrase")
    page.get_by_label("Your current passphrase").fill(PASSPHRASE)
    page.get_by_label("Choose a new passphrase").fill(NEW_PASSPHRASE)
    page.get_by_label("Type the new passphrase again").fill(NEW_PASSPHRASE)
    snap(page, artifacts_dir, "passphrase")
    page.get_by_role("button", name="Change my passphrase").click()
    expect(page.get_by_text("Your passphrase is changed.")).to_be_visible()
    page.get_by_role("button", name="Lock wallet").click()
    page.get_by_label("Your passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_role("alert")).to_contain_text("passphrase is not right")
    page.get_by_label("Your passphrase").fill(NEW_PASSPHRASE)
    page.get_by_role("button", name="Unlock").click()
    expect(page.get_by_text("Your wallet is unlocked.")).to_be_visible()

    # Another computer: restore the file from the create page (its own browser profile).
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    try:
        elsewhere = context.new_page()
        elsewhere.goto(other_url)
        elsewhere.get_by_role("link", name="Restore from a backup instead").click()
        expect(
            elsewhere.get_by_role("heading", name="Restore your wallet from a backup")
        ).to_be_visible()
        elsewhere.get_by_label("Choose the backup file").set_input_files(str(backup))
        elsewhere.get_by_label("The backup passphrase").fill(BACKUP_PASSPHRASE)
        elsewhere.get_by_label("Choose a passphrase for this wallet").fill(PASSPHRASE)
        elsewhere.get_by_label("Type the same passphrase again").fill(PASSPHRASE)
        snap(elsewhere, artifacts_dir, "restore-new")
        elsewhere.get_by_role("button", name="Restore my wallet").click()
        expect(elsewhere.get_by_text("Restored 0 credentials")).to_be_visible()
        snap(elsewhere, artifacts_dir, "restored")
    finally:
        context.close()
