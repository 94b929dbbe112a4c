"""Fixtures for issuer API tests: each test gets its own data directory and database, an app
built by ``create_app`` inside ``TestClient`` (so the lifespan runs), a settable clock, an
admin API key and a minimal wallet."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from issuer.api.app import create_app
from issuer.operator import local_actor
from issuer.settings import IssuerSettings
from tests.support.oid4vci_client import WalletClient

ISSUER = "http://127.0.0.1:8101"
KARMA = "11512003456"  # Karma Wangmo, born 1994, owns BL-2024-00117
DECHEN = "11410006789"  # Dechen Yangzom, born 2009-09-15: under 18 until 2027-09-15


class Clock:
    """A clock that tests move forward; starts at the real time so wallet proofs line up."""

    def __init__(self) -> None:
        self.now = int(time.time())

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds


def make_settings(data_dir: Path, **overrides: Any) -> IssuerSettings:
    values: dict[str, Any] = {
        "mode": "development",
        "public_url": ISSUER,
        "data_dir": data_dir,
        "status_list_size": 4096,
        "seed_demo_data": True,
    }
    values.update(overrides)
    return IssuerSettings(**values)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A fresh data directory, in memory when /dev/shm exists (SQLite fsyncs are slow on disk)."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path / "issuer"
        return
    path = Path(tempfile.mkdtemp(dir=shm, prefix="drukid-issuer-test-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def settings(data_dir: Path) -> IssuerSettings:
    return make_settings(data_dir)


@pytest.fixture
def client(settings: IssuerSettings, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock)) as test_client:
        yield test_client


def api_key(client: TestClient, role: str) -> dict[str, str]:
    new = client.app.state.runtime.operator.admin.create_api_key(
        local_actor(), role=role, label="test"
    )  # type: ignore[attr-defined]
    return {"Authorization": f"Bearer {new.token}"}


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    return api_key(client, "admin")


@pytest.fixture
def wallet(client: TestClient) -> WalletClient:
    return WalletClient(client, issuer=ISSUER)


def create_offer(
    client: TestClient,
    headers: dict[str, str],
    type_id: str = "foundational-id",
    *,
    cid: str | None = KARMA,
    licence: str | None = None,
    tx_code: bool = False,
) -> dict[str, Any]:
    response = client.post(
        "/api/v1/offers",
        json={
            "credential_configuration_id": type_id,
            "cid": cid,
            "licence_number": licence,
            "tx_code": tx_code,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result
