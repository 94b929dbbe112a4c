"""The teller page's offline check in Chromium with a fake camera (issue 13): the page shows
the signed request QR, the customer's wallet (offline, in this process) answers with two
codes, Chromium's fake video device plays them (``--use-fake-device-for-media-stream
--use-file-for-fake-video-capture=<y4m>``), the page posts the frames to the local verifier
service, which decodes them with zxing-cpp and verifies the answer from its trust bundle."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from servicekit.qr import decode_qr_image, qr_png
from tests.browser.conftest import CHROMIUM_ARGS
from tests.support.offline import NOW, World, make_world, no_network
from tests.support.servers import free_port, serve_app
from verifier.api.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.network]

WIDTH, HEIGHT = 640, 480


def write_y4m(path: Path, texts: list[str], *, frames_each: int = 5) -> None:
    """A grey-scale YUV4MPEG2 video showing each code for ``frames_each`` frames, in turn."""
    frames = []
    for text in texts:
        code = Image.open(io.BytesIO(qr_png(text, box_size=4))).convert("L")
        canvas = Image.new("L", (WIDTH, HEIGHT), 255)
        canvas.paste(code, ((WIDTH - code.width) // 2, (HEIGHT - code.height) // 2))
        plane = canvas.tobytes()
        chroma = bytes([128]) * (WIDTH * HEIGHT // 4)
        frames.extend([b"FRAME\n" + plane + chroma + chroma] * frames_each)
    header = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F5:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + b"".join(frames))


def _answer(world: World, request_text: str) -> list[str]:
    with world.wallet(no_network) as wallet:
        session = wallet.prepare_offline(request_text)
        assert session.consent.can_share, session.consent.problems
        return list(wallet.approve_offline(session).parts)


def test_the_teller_scans_the_answer_through_a_fake_camera(
    tmp_path: Path, chromium_path: str, artifacts_dir: Path
) -> None:
    from playwright.sync_api import sync_playwright

    world = make_world(tmp_path, NOW)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    world.settings = world.settings.model_copy(update={"mode": "development", "public_url": url})
    app = create_app(world.settings, clock=lambda: world.clock[0], start_workers=False)
    video = tmp_path / "camera.y4m"
    write_y4m(video, ["not yet"])  # replaced by the answer before the camera starts
    errors: list[str] = []
    with serve_app(app, port=port), sync_playwright() as playwright:
        desk_key, _ = app.state.service.create_api_key("Counter 2, Thimphu main branch")
        browser = playwright.chromium.launch(
            executable_path=chromium_path,
            headless=True,
            args=[
                *CHROMIUM_ARGS,
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={video}",
            ],
        )
        try:
            context = browser.new_context(viewport={"width": 1024, "height": 900})
            context.grant_permissions(["camera"], origin=url)
            page: Any = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"{url}/teller")
            page.fill("#f-api_key", desk_key)
            page.click("form[action='/teller/sign-in'] button")
            page.click("#offline-link")
            page.click("button[data-template='kyc-basic']")
            page.wait_for_selector("img.qr")
            shown = page.request.get(f"{url}/teller/offline/qr.png")
            assert shown.ok
            [request_text] = decode_qr_image(shown.body())
            assert request_text.startswith("DKR1:")
            parts = _answer(world, request_text)
            assert len(parts) == 2
            write_y4m(video, parts)
            page.click("#camera-start")
            page.wait_for_selector(".offline-result", timeout=60_000)
            text = page.locator(".offline-result").inner_text()
            page.screenshot(path=str(artifacts_dir / "offline-teller.png"), full_page=True)
        finally:
            browser.close()
    assert "Verified, offline" in text, text
    assert "status valid as of" in text
    assert "Trust bundle of" in text
    assert "Karma Wangmo" in text
    assert errors == []
