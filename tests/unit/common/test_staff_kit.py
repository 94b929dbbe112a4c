"""servicekit.staff and servicekit.pages on a role of the tests' own: signing in and out, the
CSRF token of every form, the form reader's refusals, the session ending with its key, and
every failure under the prefix as a page in the role's words while other paths keep JSON —
with the sessions in memory and in the database (servicekit.page_state), alike."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import MetaData, create_engine
from starlette.testclient import TestClient

from servicekit.http import BodySizeLimitMiddleware, install_error_handlers
from servicekit.page_state import DatabaseSessionStore, DatabaseSignInThrottle, page_state_tables
from servicekit.pages import PageProblem, app_state
from servicekit.sessions import PageSessions, Session, SessionStore
from servicekit.staff import (
    SignedIn,
    SignInLimiter,
    SignInThrottle,
    StaffPages,
    StaffSite,
    StaffWords,
)


def _problem(status: int, code: str) -> PageProblem:
    return PageProblem(status, f"Refused: {code}.", f"What to do about {code}.", code=code)


WORDS = StaffWords(
    stale_form=_problem(403, "stale_form"),
    bad_input=_problem(400, "bad_input"),
    no_page=_problem(404, "no_page"),
    wrong_method=_problem(405, "wrong_method"),
    refused=_problem(400, "refused"),
    server_error=_problem(500, "server_error"),
    not_a_form=_problem(415, "not_a_form"),
    form_too_long=_problem(413, "form_too_long"),
    form_unreadable=_problem(400, "form_unreadable"),
    unexpected_field=_problem(400, "unexpected_field"),
    too_large=lambda limit: PageProblem(413, f"Over {limit} bytes.", "Send less."),
    sign_in_notes={"ended": "Your session ended.", "key_revoked": "Your key was revoked."},
)
SITE = StaffSite("desk", WORDS, sign_in_page="/sign-in", sign_in_token_seconds=600)
KEYS = {"good-key": "Counter 1"}
TEMPLATES = {
    "layout.html": '{% extends "staff/layout.html" %}'
    '{% block menu %}<li id="who">{{ visit.name }}</li>{% endblock %}',
    "problem.html": '{% extends "staff/problem.html" %}'
    '{% block way_back %}<a href="{{ prefix }}">Back</a>{% endblock %}',
    "sign_in.html": '{% extends "desk/layout.html" %}{% import "staff/macros.html" as staff %}'
    '{% block page %}{{ staff.sign_in_form(prefix, sign_in_token, note, problem, "Key", '
    '"Paste it.") }}{% endblock %}',
    "home.html": '{% extends "desk/layout.html" %}{% block page %}<p id="note">{{ note }}</p>'
    "{% endblock %}",
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True, slots=True)
class Clerk(SignedIn):
    name: str


def identify(_request: Request, session: Session) -> Clerk | None:
    name = KEYS.get(str(session.data.get("key")))
    return Clerk(session, name) if name is not None else None


PagesDep = Annotated[StaffPages[Clerk], Depends(app_state("pages"))]


def _clerk(request: Request, pages: PagesDep) -> Clerk:
    return pages.visit(request)


ClerkDep = Annotated[Clerk, Depends(_clerk)]
router = APIRouter()


@router.get("")
def home(request: Request, pages: PagesDep, clerk: ClerkDep) -> HTMLResponse:
    return pages.render(request, "home.html", {"note": "home"}, visit=clerk)


@router.get("/sign-in")
def sign_in_page(request: Request, pages: PagesDep, reason: str | None = None) -> Response:
    return pages.sign_in_page(request, reason=reason)


@router.post("/sign-in")
async def sign_in(request: Request, pages: PagesDep) -> Response:
    key = (await pages.sign_in_form(request)).get("api_key")
    if key not in KEYS:
        return pages.sign_in_page(request, problem=PageProblem(401, "Not that key."))
    return pages.start_session(request, "", key=key)


@router.post("/sign-out")
async def sign_out(request: Request, pages: PagesDep, clerk: ClerkDep) -> Response:
    await pages.form(request, clerk)
    return pages.end_session(request, clerk)


@router.post("/note")
async def note(request: Request, pages: PagesDep, clerk: ClerkDep) -> HTMLResponse:
    form = await pages.form(request, clerk, "note")
    return pages.render(request, "home.html", {"note": form.get("note")}, visit=clerk)


@router.post("/remember")
async def remember(request: Request, pages: PagesDep, clerk: ClerkDep) -> Response:
    form = await pages.form(request, clerk, "note")
    clerk.session.data["note"] = form.get("note")
    clerk.flash("ok", "Kept.")
    return pages.redirect(request, "/recall")


@router.get("/recall")
def recall(request: Request, pages: PagesDep, clerk: ClerkDep) -> HTMLResponse:
    note = str(clerk.session.data.get("note", ""))
    return pages.render(request, "home.html", {"note": note}, visit=clerk)


@router.get("/boom")
def boom(clerk: ClerkDep) -> None:
    raise RuntimeError("the secret detail")


def make_app(templates: Path, store: str = "memory") -> FastAPI:
    app = FastAPI()
    install_error_handlers(app, [])

    @app.get("/api/thing")
    def api_thing() -> dict[str, str]:
        return {"ok": "yes"}

    sessions: PageSessions = SessionStore()
    throttle: SignInLimiter = SignInThrottle(clock=lambda: 0.0)
    if store == "database":
        metadata = MetaData()
        tables = page_state_tables(metadata, sessions="desk_session", failures="desk_failure")
        engine = create_engine(f"sqlite:///{templates / 'desk.db'}")
        metadata.create_all(engine)
        sessions = DatabaseSessionStore(lambda: engine, tables.sessions, clock=time.time)
        throttle = DatabaseSignInThrottle(lambda: engine, tables.failures, clock=lambda: 0.0)
    pages = StaffPages(
        SITE,
        identify=identify,
        sessions=sessions,
        throttle=throttle,
        secure_cookies=True,
        templates=templates,
    )
    app.state.pages = pages
    static = templates / "static"
    static.mkdir()
    pages.install(
        app, routers=[router], static=("/static/desk", static), problem_for=lambda *_: None
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=64 * 1024, response=pages.too_large)
    return app


@pytest.fixture(params=["memory", "database"])
def client(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    folder = tmp_path / "desk"
    folder.mkdir()
    for name, text in TEMPLATES.items():
        (folder / name).write_text(text)
    app = make_app(tmp_path, request.param)
    with TestClient(
        app, base_url="https://desk.example", follow_redirects=False, raise_server_exceptions=False
    ) as test_client:
        yield test_client


def signed_in(client: TestClient) -> str:
    token = CSRF.search(client.get("/desk/sign-in").text)
    assert token
    done = client.post("/desk/sign-in", data={"csrf_token": token[1], "api_key": "good-key"})
    assert done.status_code == 303
    assert done.headers["location"] == "/desk"
    found = CSRF.search(client.get("/desk").text)
    assert found
    return found[1]


def test_sign_in_and_out_with_scoped_cookies(client: TestClient) -> None:
    first = client.get("/desk")
    assert (first.status_code, first.headers["location"]) == (303, "/desk/sign-in")
    form = client.get("/desk/sign-in")
    cookie = form.headers["set-cookie"].lower()
    for attribute in ("drukid_desk_sign_in=", "path=/desk/sign-in", "max-age=600", "secure"):
        assert attribute in cookie
    wrong = client.post(
        "/desk/sign-in", data={"csrf_token": CSRF.findall(form.text)[0], "api_key": "bad"}
    )
    assert wrong.status_code == 401
    assert "Not that key." in wrong.text
    token = signed_in(client)
    session_cookie = client.cookies.get("drukid_desk")
    assert session_cookie
    home = client.get("/desk")
    assert '<li id="who">Counter 1</li>' in home.text
    assert home.headers["cache-control"] == "no-store"
    out = client.post("/desk/sign-out", data={"csrf_token": token})
    assert out.headers["location"] == "/desk/sign-in?reason=signed_out"
    assert 'drukid_desk=""' in out.headers["set-cookie"]
    client.cookies.set("drukid_desk", session_cookie)
    ended = client.get("/desk")
    assert ended.headers["location"] == "/desk/sign-in?reason=ended"


def test_a_revoked_key_ends_the_session(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    signed_in(client)
    monkeypatch.delitem(KEYS, "good-key")
    gone = client.get("/desk")
    assert gone.headers["location"] == "/desk/sign-in?reason=key_revoked"
    note = client.get(gone.headers["location"])
    assert "Your key was revoked." in note.text


def test_sign_in_needs_the_double_submitted_token(client: TestClient) -> None:
    refused = client.post("/desk/sign-in", data={"csrf_token": "x" * 43, "api_key": "good-key"})
    assert refused.status_code == 403
    assert "Refused: stale_form." in refused.text
    assert "drukid_desk=" not in refused.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        ("note=hi", "application/x-www-form-urlencoded", 403, "stale_form"),  # no token
        ("", "", 403, "stale_form"),  # an empty form is a stale form
        ('{"note": "hi"}', "application/json", 415, "not_a_form"),
        (
            "csrf_token=T&note=" + "a" * 9000,
            "application/x-www-form-urlencoded",
            413,
            "form_too_long",
        ),
        ("csrf_token=T&note", "application/x-www-form-urlencoded", 400, "form_unreadable"),
        ("csrf_token=T&colour=red", "application/x-www-form-urlencoded", 400, "unexpected_field"),
        (
            "csrf_token=T&note=a&note=b",
            "application/x-www-form-urlencoded",
            400,
            "unexpected_field",
        ),
    ],
)
def test_forms_are_refused_in_the_roles_words(
    client: TestClient, body: str, content_type: str, status: int, code: str
) -> None:
    token = signed_in(client)
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/desk/note", content=body.replace("=T", f"={token}"), headers=headers)
    assert response.status_code == status
    assert f"Refused: {code}." in response.text
    assert f"What to do about {code}." in response.text
    assert '<li id="who">Counter 1</li>' in response.text  # the menu of the signed-in clerk


def test_a_form_with_its_token_is_read(client: TestClient) -> None:
    token = signed_in(client)
    response = client.post("/desk/note", data={"csrf_token": token, "note": "  hello  "})
    assert response.status_code == 200
    assert '<p id="note">hello</p>' in response.text


def test_failures_under_the_prefix_are_pages_and_the_api_keeps_json(client: TestClient) -> None:
    signed_in(client)
    missing = client.get("/desk/nothing")
    assert missing.status_code == 404
    assert "<title>Not found" in missing.text
    assert "Refused: no_page." in missing.text
    wrong = client.put("/desk/note")
    assert (wrong.status_code, wrong.headers["allow"]) == (405, "POST")
    assert "Refused: wrong_method." in wrong.text
    broken = client.get("/desk/boom")
    assert broken.status_code == 500
    assert "Refused: server_error." in broken.text
    assert "the secret detail" not in broken.text
    assert 'id="who"' not in broken.text  # no menu after an unexpected failure
    api = client.get("/api/nothing")
    assert api.status_code == 404
    assert api.json()["error"] == "not_found"


def test_a_body_over_the_cap_is_a_page_under_the_prefix_only(client: TestClient) -> None:
    page = client.post("/desk/note", content="a=" + "b" * 70_000)
    assert page.status_code == 413
    assert "Over 65536 bytes." in page.text
    assert page.headers["content-type"].startswith("text/html")
    api = client.post("/api/thing", content="a=" + "b" * 70_000)
    assert api.status_code == 413
    assert api.json()["error"] == "request_too_large"


def test_problems_are_copied_not_reused() -> None:
    original = PageProblem(404, "Gone.", "Look elsewhere.", code="gone", headers={"X-A": "1"})
    copy = original.copy(status=410)
    assert (copy.status, copy.message, copy.hint, copy.code) == (
        410,
        "Gone.",
        "Look elsewhere.",
        "gone",
    )
    assert copy.headers == {"X-A": "1"}
    assert copy is not original
    assert original.status == 404


def test_what_a_request_keeps_in_its_session_is_there_at_the_next(client: TestClient) -> None:
    """Changes to the session during one request (a value, a one-time notice) are saved before
    its response leaves, whatever the store: the next request, maybe at another worker, has
    them, and the notice shows once."""
    token = signed_in(client)
    kept = client.post("/desk/remember", data={"csrf_token": token, "note": "counter 2"})
    assert kept.status_code == 303
    first = client.get("/desk/recall")
    assert '<p id="note">counter 2</p>' in first.text
    assert "Kept." in first.text
    again = client.get("/desk/recall")
    assert '<p id="note">counter 2</p>' in again.text
    assert "Kept." not in again.text
