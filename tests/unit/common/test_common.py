"""servicekit: QR codes, API keys, sessions, settings rules, HTTP plumbing."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from starlette.testclient import TestClient

from core.errors import CodedError
from servicekit.apikeys import create_api_key, parse_api_key, verify_secret
from servicekit.http import (
    BodySizeLimitMiddleware,
    SecurityHeadersMiddleware,
    install_error_handlers,
)
from servicekit.qr import QRDecodeError, decode_qr_image, qr_png, qr_svg, qr_terminal
from servicekit.sessions import SessionStore, cookie_options
from servicekit.settings import check_public_url, check_secret

LINK = "openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3Abank.example.bt&request_uri=https%3A%2F%2Fbank.example.bt%2Fr%2Fabc"


def test_qr_png_round_trips_through_the_decoder() -> None:
    assert decode_qr_image(qr_png(LINK)) == [LINK]


def test_qr_svg_and_terminal_forms() -> None:
    assert qr_svg(LINK).lstrip().startswith("<svg")
    rows = qr_terminal(LINK).splitlines()
    assert len({len(row) for row in rows}) == 1  # a rectangle
    assert len(rows) > 10


@pytest.mark.parametrize("payload", ["", "x" * 2049])
def test_qr_payload_bounds(payload: str) -> None:
    with pytest.raises(ValueError, match="QR payload"):
        qr_png(payload)


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_unreadable_images_are_clear_errors(data: bytes) -> None:
    with pytest.raises(QRDecodeError) as caught:
        decode_qr_image(data)
    assert caught.value.code == "qr_unreadable"


def _png(size: int = 64) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (size, size), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def _gradient_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.linear_gradient("L").save(buffer, format="PNG")
    return buffer.getvalue()


EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"


@pytest.mark.parametrize(
    "data",
    [
        _png()[:60],
        _gradient_png()[: len(_gradient_png()) // 2],
        EPS,
        b"GIF89a" + b"\0" * 20,
        b"BM" + b"\xff" * 60,
    ],
    ids=["truncated header", "truncated data", "eps", "broken gif", "broken bmp"],
)
def test_every_decoder_failure_is_the_plain_unreadable_error(data: bytes) -> None:
    """Issue 15, finding 6: a truncated PNG made Pillow raise SyntaxError (a 500 in the web
    wallet); EPS would be opened by Pillow's Ghostscript plugin. Only the photo formats open."""
    with pytest.raises(QRDecodeError, match="could not read the photo") as caught:
        decode_qr_image(data)
    assert caught.value.code == "qr_unreadable"


def test_eps_is_never_handed_to_its_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import EpsImagePlugin

    def forbidden(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the EPS plugin was asked to open an upload")

    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", forbidden)
    with pytest.raises(QRDecodeError, match="could not read the photo"):
        decode_qr_image(EPS)


def test_pixel_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    import servicekit.qr

    monkeypatch.setattr(servicekit.qr, "MAX_IMAGE_PIXELS", 32 * 32)
    with pytest.raises(QRDecodeError, match="too many pixels"):
        decode_qr_image(_png(64))


def test_image_without_a_qr_code(tmp_path: pytest.TempPathFactory) -> None:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, format="PNG")
    with pytest.raises(QRDecodeError, match="no QR code"):
        decode_qr_image(buffer.getvalue())


def test_api_keys_hash_only_and_compare() -> None:
    new = create_api_key()
    assert new.secret_hash not in new.token
    parsed = parse_api_key(new.token)
    assert parsed is not None
    key_id, secret = parsed
    assert key_id == new.key_id
    assert verify_secret(secret, new.secret_hash)
    assert not verify_secret(secret + "x", new.secret_hash)
    assert new.token not in repr(new)


@pytest.mark.parametrize(
    "token",
    ["", "drk", "drk_abc_def", "xyz_0123456789ab_" + "a" * 40, "drk_0123456789aZ_" + "a" * 40],
)
def test_malformed_api_keys_parse_to_none(token: str) -> None:
    assert parse_api_key(token) is None


def test_sessions_expire_idle_and_absolute() -> None:
    now = [0.0]
    ended: list[str] = []
    store = SessionStore(
        idle_seconds=10,
        absolute_seconds=25,
        clock=lambda: now[0],
        on_expire=lambda s: ended.append(s.id),
    )
    session = store.create(role="admin")
    assert store.get(session.id) is session
    assert session.csrf_ok(session.csrf_token)
    assert not session.csrf_ok("forged")
    assert not session.csrf_ok(None)
    for step in (8, 16, 24):  # kept alive by use ...
        now[0] = step
        assert store.get(session.id) is session
    now[0] = 26  # ... but not past the absolute limit
    assert store.get(session.id) is None
    assert ended == [session.id]
    idle = store.create()
    now[0] = 37
    assert store.sweep() == 1
    assert ended[-1] == idle.id
    assert store.snapshot() == []
    assert store.get(None) is None


def test_cookie_options_are_strict() -> None:
    options = cookie_options(secure=True, max_age=60)
    assert options == {
        "httponly": True,
        "samesite": "strict",
        "secure": True,
        "path": "/",
        "max_age": 60,
    }


@pytest.mark.parametrize(
    ("url", "mode", "ok"),
    [
        ("https://id.example.gov.bt/", "production", True),
        ("http://127.0.0.1:8101", "development", True),
        ("http://127.0.0.1:8101", "production", False),
        ("http://id.example.gov.bt", "development", False),
        ("https://id.example.gov.bt/?q=1", "production", False),
        ("ftp://id.example.gov.bt", "development", False),
    ],
)
def test_public_url_rules(url: str, mode: str, ok: bool) -> None:
    if ok:
        assert not check_public_url(url, mode).endswith("/")  # type: ignore[arg-type]
    else:
        with pytest.raises(ValueError):
            check_public_url(url, mode)  # type: ignore[arg-type]


def test_placeholder_secrets_are_refused_in_production() -> None:
    with pytest.raises(ValueError):
        check_secret("changeme", name="secret", mode="production")
    assert check_secret("changeme", name="secret", mode="development") == "changeme"
    assert check_secret("x" * 32, name="secret", mode="production") == "x" * 32


class _Ours(CodedError):
    code = "thing_refused"
    status = 409
    error = "invalid_request"

    def __init__(self) -> None:
        super().__init__("the thing was refused")


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app, [_Ours])

    @app.post("/echo")
    async def echo(body: dict[str, int]) -> dict[str, int]:
        return body

    @app.get("/ours")
    def ours() -> None:
        raise _Ours

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail")

    @app.get("/page")
    def page() -> PlainTextResponse:
        return PlainTextResponse("ok", headers={"Cache-Control": "max-age=60"})

    app.add_middleware(BodySizeLimitMiddleware, max_bytes=64)
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def test_errors_render_as_json_without_details() -> None:
    with TestClient(_app(), raise_server_exceptions=False) as client:
        ours = client.get("/ours")
        assert ours.status_code == 409
        assert ours.json() == {
            "error": "invalid_request",
            "error_description": "the thing was refused",
            "code": "thing_refused",
        }
        bad = client.post("/echo", json={"a": "not a number"})
        assert bad.status_code == 400
        assert bad.json()["error"] == "invalid_request"
        missing = client.get("/nowhere")
        assert missing.status_code == 404
        assert missing.json()["error"] == "not_found"
        boom = client.get("/boom")
        assert boom.status_code == 500
        assert boom.json() == {
            "error": "server_error",
            "error_description": "internal error",
            "code": "server_error",
        }
        assert "secret detail" not in boom.text


def test_body_cap_and_security_headers() -> None:
    with TestClient(_app()) as client:
        big = client.post("/echo", content=b"{" + b" " * 100 + b"}")
        assert big.status_code == 413
        assert big.json()["error"] == "request_too_large"
        streamed = client.post("/echo", content=iter([b"{", b" " * 100, b"}"]))
        assert streamed.status_code == 413
        page = client.get("/page")
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "max-age=60"  # a route's own choice wins
        assert client.get("/ours").headers["cache-control"] == "no-store"


def test_sign_in_throttle_window_and_reset() -> None:
    from servicekit.staff.signin import SignInThrottle

    now = [0.0]
    throttle = SignInThrottle(clock=lambda: now[0], limit=3, window=60)
    for _ in range(3):
        assert throttle.retry_after("10.0.0.1") == 0
        throttle.failed("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 61
    assert throttle.retry_after("10.0.0.2") == 0  # per client
    now[0] = 61
    assert throttle.retry_after("10.0.0.1") == 0  # the window slid past
    throttle.failed("10.0.0.1")
    throttle.succeeded("10.0.0.1")
    assert throttle.retry_after("10.0.0.1") == 0


def test_sign_in_form_token_is_double_submitted() -> None:
    from servicekit.staff.signin import form_token, form_token_ok

    fresh = form_token({}, "c")
    assert len(fresh) == 43
    assert form_token({"c": fresh}, "c") == fresh  # the browser keeps its token
    assert form_token({"c": "short"}, "c") != "short"
    assert form_token_ok({"c": fresh}, "c", fresh)
    assert not form_token_ok({"c": fresh}, "c", fresh[:-1] + "x")
    assert not form_token_ok({}, "c", fresh)
    assert not form_token_ok({"c": fresh}, "c", None)
