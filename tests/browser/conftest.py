"""Browser fixtures: Playwright (Python) driving Debian's Chromium at /usr/bin/chromium.

The tests never run ``playwright install`` or download a browser. Without Chromium they skip
loudly on a laptop and fail under ``CI=true`` (see tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser(chromium_path: str) -> Iterator[object]:
    # Module scope, not session: Playwright's sync API keeps an event loop running in this
    # thread while it is open, which breaks later non-browser tests that call asyncio.run().
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    """A fresh context (no shared cookies) at phone width, as most citizens will see it."""
    context = browser.new_context(viewport=PHONE, locale="en-GB")  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def screenshot(page: object, artifacts_dir: Path, name: str) -> Path:
    """Save a full-page screenshot as a test artifact and return its path."""
    path = artifacts_dir / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path
