"""servicekit.access_log: what an access log line may show of a request's path."""

from __future__ import annotations

import logging

import pytest

from servicekit.access_log import AccessLogRedactor, install_access_log_redaction, redact_path

OFFER_ID = "q3Zb0cM1x9Hk2LwVq3Zb0cM1x9Hk2LwVq3Zb0cM1x9H"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        (f"/offers/{OFFER_ID}/qr.png", "/offers/…/qr.png"),
        ("/offers/abcdefgh", "/offers/…"),  # a short secret after a known prefix
        ("/api/v1/registry/search?q=11512003456", "/api/v1/registry/search?…"),
        ("/api/v1/registry/people/11512003456", "/api/v1/registry/people/…"),
        ("/api/v1/requests/aB3dE5fG7hI9jK1lM2nO4p?response_code=x", "/api/v1/requests/…?…"),
        ("/later/route/11512003456/x", "/later/route/…/x"),  # a CID anywhere
        (f"/later/{OFFER_ID}", "/later/…"),  # a token-like segment anywhere
        ("/.well-known/openid-credential-issuer", "/.well-known/openid-credential-issuer"),
        ("/types/foundational-id", "/types/foundational-id"),
        (
            "/api/v1/offers/off_0123456789abcdef/revoke",
            "/api/v1/offers/off_0123456789abcdef/revoke",
        ),
        ("/offers/", "/offers/"),
        ("/", "/"),
    ],
)
def test_redact_path(path: str, shown: str) -> None:
    assert redact_path(path, ("/offers/", "/api/v1/registry/people/", "/api/v1/requests/")) == shown


def test_the_filter_rewrites_uvicorns_path_argument() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/offers/{OFFER_ID}?x=1", "1.1", 200), None,
    )  # fmt: skip
    assert AccessLogRedactor(("/offers/",)).filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /offers/…?… HTTP/1.1" 200'


def test_installed_once_with_every_roles_prefixes() -> None:
    logger = logging.getLogger("uvicorn.access")
    before = list(logger.filters)
    try:
        first = install_access_log_redaction(("/a/",))
        assert install_access_log_redaction(("/b/", "/a/")) is first
        assert {"/a/", "/b/"} <= set(first.secret_prefixes)
        assert sum(isinstance(f, AccessLogRedactor) for f in logger.filters) == 1
    finally:
        logger.filters[:] = before
