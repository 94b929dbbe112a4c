"""The browser itself works: a page served by our shared kit renders and its CSS loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from servicekit.pages import create_templates, mount_common_static
from tests.browser.conftest import screenshot
from tests.support.servers import serve_app

pytestmark = [pytest.mark.browser, pytest.mark.network]


def _app(tmp_path: Path) -> FastAPI:
    (tmp_path / "hello.html").write_text(
        '{% extends "drukid/base.html" %}{% block content %}<h1>Kuzuzangpo</h1>{% endblock %}'
    )
    templates = create_templates(tmp_path, service_name="Smoke test")
    app = FastAPI()
    mount_common_static(app)

    @app.get("/", response_class=HTMLResponse)
    def hello(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(request, "hello.html", {})

    return app


def test_shared_layout_renders_in_chromium(
    page: object, tmp_path: Path, artifacts_dir: Path
) -> None:
    with serve_app(_app(tmp_path)) as url:
        page.goto(url)  # type: ignore[attr-defined]
        assert page.locator("h1").inner_text() == "Kuzuzangpo"  # type: ignore[attr-defined]
        colour = page.evaluate(  # type: ignore[attr-defined]
            "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
        )
        assert colour == "rgb(27, 27, 31)"  # the stylesheet loaded from /static/drukid
        screenshot(page, artifacts_dir, "smoke")
