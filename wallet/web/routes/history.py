"""Who saw what, and when (with a JSON or CSV download), and the verifiers the citizen knows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from servicekit.pages import PageProblem
from wallet.history import export_csv, export_json
from wallet.web.deps import CheckedForm, Unlocked, Web
from wallet.web.pages import flash, redirect
from wallet.web.words import BAD_FORMAT, NEEDS_BOTH

__all__ = ["router"]

router = APIRouter()

_FORMATS = {"json": ("application/json", export_json), "csv": ("text/csv", export_csv)}


@router.get("/history")
def history(request: Request, web: Web, unlocked: Unlocked) -> Response:
    with unlocked.opened.use() as wallet:
        entries = list(reversed(wallet.history()))
    return web.pages.show(request, "wallet/history.html", unlocked.session, entries=entries)


@router.get("/history/export")
def export(
    request: Request,
    web: Web,
    unlocked: Unlocked,
    chosen_format: Annotated[str, Query(alias="format", max_length=8)] = "json",
) -> Response:
    chosen = _FORMATS.get(chosen_format)
    if chosen is None:
        with unlocked.opened.use() as wallet:
            entries = list(reversed(wallet.history()))
        return web.pages.show(
            request, "wallet/history.html", unlocked.session, problem=BAD_FORMAT, entries=entries
        )
    media_type, write = chosen
    with unlocked.opened.use() as wallet:
        text = write(wallet.history())
        day = datetime.fromtimestamp(wallet.now(), UTC).strftime("%Y-%m-%d")
    return Response(
        text,
        media_type=f"{media_type}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="drukid-history-{day}.{chosen_format}"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/verifiers")
def verifiers(request: Request, web: Web, unlocked: Unlocked) -> Response:
    return _verifiers_page(request, web, unlocked)


@router.post("/verifiers")
def add_verifier(
    request: Request,
    web: Web,
    unlocked: CheckedForm,
    client_id: Annotated[str, Form(max_length=512)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    back: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    client_id, name = client_id.strip(), " ".join(name.split())
    if not client_id or not name:
        return _verifiers_page(request, web, unlocked, problem=NEEDS_BOTH)
    with unlocked.opened.use() as wallet:
        wallet.trust_verifier(client_id, name)
    flash(unlocked.session, f"{name} is now a known verifier.")
    return redirect(back if back.startswith("/present/") else "/verifiers")


@router.post("/verifiers/remove")
def remove_verifier(
    web: Web, unlocked: CheckedForm, client_id: Annotated[str, Form(max_length=512)] = ""
) -> Response:
    with unlocked.opened.use() as wallet:
        name = wallet.catalog.trusted_verifiers.get(client_id)
        if name is not None:
            wallet.forget_verifier(client_id)
    if name is not None:
        flash(unlocked.session, f"{name} is no longer a known verifier.")
    return redirect("/verifiers")


def _verifiers_page(
    request: Request, web: Web, unlocked: Unlocked, *, problem: PageProblem | None = None
) -> Response:
    with unlocked.opened.use() as wallet:
        known = sorted(wallet.catalog.trusted_verifiers.items(), key=lambda item: item[1])
    return web.pages.show(
        request, "wallet/verifiers.html", unlocked.session, problem=problem, known=known
    )
