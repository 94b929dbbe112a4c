"""Two verifier worker processes on one PostgreSQL database (a bank's desks behind its proxy):
a teller signs in at A, starts a check at B, sees it waiting at A; failed sign-ins are counted
once over both; signing out at B ends the session at A and deletes the check."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import col, select

from servicekit.runner import free_port
from tests.support.fake_issuer import FakeIssuer
from tests.support.workers import ServiceProcess
from verifier.runtime import Runtime, build_runtime
from verifier.settings import VerifierSettings
from verifier.storage.models import RequestRecord

pytestmark = [pytest.mark.postgres, pytest.mark.network]

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
LINK = re.compile(r'id="request-link">([^<]+)<')


@dataclass
class Verifier:
    a: ServiceProcess
    b: ServiceProcess
    runtime: Runtime


@pytest.fixture(scope="module")
def verifier(
    postgres_url_module: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Verifier]:
    root = tmp_path_factory.mktemp("verifier-workers")
    trust = root / "trust.json"
    trust.write_text(json.dumps({"issuers": [FakeIssuer().trusted_entry()]}))
    port_a, port_b = free_port(), free_port()
    env = {
        "DRUKID_VERIFIER_MODE": "development",
        "DRUKID_VERIFIER_PUBLIC_URL": f"http://127.0.0.1:{port_a}",
        "DRUKID_VERIFIER_DATA_DIR": str(root / "data"),
        "DRUKID_VERIFIER_DATABASE_URL": postgres_url_module,
        "DRUKID_VERIFIER_TRUST_FILE": str(trust),
    }
    a = ServiceProcess("verifier", env, port=port_a, log=root / "a.log", ready_path="/health")
    b = ServiceProcess("verifier", env, port=port_b, log=root / "b.log", ready_path="/health")
    try:
        a.start(), b.start()  # at once, on an empty database
        a.wait_ready(), b.wait_ready()
        settings = VerifierSettings(
            mode="development",
            public_url=env["DRUKID_VERIFIER_PUBLIC_URL"],
            data_dir=root / "data",
            database_url=postgres_url_module,
            trust_file=trust,
        )
        runtime = build_runtime(settings)
        try:
            yield Verifier(a, b, runtime)
        finally:
            runtime.close()
    finally:
        a.stop()
        b.stop()


def _browser(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=30, follow_redirects=False)


def _csrf(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:2000]
    return found.group(1)


def _sign_in(web: httpx.Client, key: str, **headers: str) -> httpx.Response:
    token = _csrf(web.get("/teller", headers=headers))
    return web.post("/teller/sign-in", data={"csrf_token": token, "api_key": key}, headers=headers)


def _checks(verifier: Verifier, key_id: str) -> int:
    with verifier.runtime.context.session() as s:
        rows = s.exec(select(RequestRecord).where(col(RequestRecord.rp_key_id) == key_id)).all()
    return len(rows)


def test_a_teller_signs_in_at_one_worker_and_runs_a_check_at_the_other(
    verifier: Verifier,
) -> None:
    key, _ = verifier.runtime.api_keys.create("Counter 7, Phuentsholing")
    key_id = key.split("_")[1]
    with _browser(verifier.a.url) as at_a, _browser(verifier.b.url) as at_b:
        assert _sign_in(at_a, key).status_code == 303
        at_b.cookies = at_a.cookies
        token = _csrf(at_b.get("/teller"))
        started = at_b.post("/teller/start", data={"csrf_token": token, "template": "kyc-basic"})
        assert started.status_code == 303, started.text[:500]
        waiting = at_a.get("/teller/check")  # the check B started, in the session A reads
        assert waiting.status_code == 200, waiting.text[:500]
        assert LINK.search(waiting.text)
        assert at_b.get("/teller/check/status").json() == {"status": "pending"}
        assert _checks(verifier, key_id) == 1
        out = at_b.post("/teller/sign-out", data={"csrf_token": token})
        assert out.status_code == 303
        assert at_a.get("/teller/check/status").json() == {"status": "signed_out"}
        assert _checks(verifier, key_id) == 0  # the session took its check with it


def test_failed_teller_sign_ins_are_counted_once_over_the_workers(verifier: Verifier) -> None:
    key, _ = verifier.runtime.api_keys.create("Counter 8")
    client = {"X-Forwarded-For": "10.1.2.3"}
    limit = int(VerifierSettings.model_fields["teller_max_failed_sign_ins"].default)
    with _browser(verifier.a.url) as at_a, _browser(verifier.b.url) as at_b:
        for n in range(limit):
            wrong = _sign_in((at_a, at_b)[n % 2], "drk_000000000000_" + "y" * 43, **client)
            assert wrong.status_code in (400, 401), wrong.text[:300]
        for web in (at_a, at_b):
            refused = _sign_in(web, key, **client)
            assert refused.status_code == 429, refused.text[:300]
        assert _sign_in(at_b, key, **{"X-Forwarded-For": "10.1.2.4"}).status_code == 303
