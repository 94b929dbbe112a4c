"""Suite-wide fixtures and the rule for optional infrastructure.

Tests that need PostgreSQL or Chromium skip with a loud reason on a laptop without them, but
when ``CI=true`` they fail instead: CI installs both, so a skip there would hide a regression.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Timing-based deadlines flake on shared 2-core machines; example counts bound the cost instead.
settings.register_profile("default", deadline=None)
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_HOST = os.environ.get("DRUKID_TEST_PG_HOST", "127.0.0.1")
POSTGRES_PORT = int(os.environ.get("DRUKID_TEST_PG_PORT", "5432"))
CHROMIUM = os.environ.get("DRUKID_TEST_CHROMIUM", "/usr/bin/chromium")
settings.load_profile("ci" if IN_CI else "default")


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}; CI must run this test, not skip it")
    pytest.skip(f"!!! SKIPPED: {reason} (CI runs this; install it to run locally)")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database; dropped afterwards."""
    if not _port_open(POSTGRES_HOST, POSTGRES_PORT):
        _missing(f"PostgreSQL is not reachable at {POSTGRES_HOST}:{POSTGRES_PORT}")
    import psycopg

    name = f"drukid_test_{uuid.uuid4().hex[:12]}"
    admin = f"postgresql://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/postgres"
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        _missing(f"cannot create a PostgreSQL test database ({exc})")
    try:
        yield f"postgresql+psycopg://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    with _postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def postgres_url_module() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for a module's tests (e.g. services started once
    for the module); dropped afterwards."""
    with _postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _missing(f"Chromium is not installed at {CHROMIUM} (Debian package 'chromium')")
    return CHROMIUM


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests leave screenshots and other artifacts for humans (and CI uploads)."""
    path = Path(os.environ.get("DRUKID_TEST_ARTIFACTS", "test-artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path
