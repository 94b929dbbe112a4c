"""Server-rendered pages shared look and feel: one Jinja2 environment per service that sees the
common templates (``drukid/base.html``, ``drukid/macros.html``) and the role's own, plus the
common static files (one CSS file, one small script). No CDN, no build step: pages must work
with no internet at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

__all__ = ["COMMON_STATIC_URL", "create_templates", "mount_common_static"]

_HERE = Path(__file__).parent / "web"
COMMON_STATIC_URL = "/static/drukid"


def create_templates(role_templates: Path, **globals_: Any) -> Jinja2Templates:
    """Templates from the role's folder first, then the common ones; autoescaping always on."""
    environment = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(str(role_templates)), FileSystemLoader(str(_HERE / "templates"))]
        ),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update({"common_static": COMMON_STATIC_URL, **globals_})
    return Jinja2Templates(env=environment)


def mount_common_static(app: FastAPI) -> None:
    app.mount(COMMON_STATIC_URL, StaticFiles(directory=str(_HERE / "static")), name="drukid-static")
