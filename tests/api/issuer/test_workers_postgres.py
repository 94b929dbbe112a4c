"""Several issuer worker processes on one PostgreSQL database, as a national issuer runs them
behind its TLS proxy: two ``drukid serve issuer`` processes (A and B, started at the same time
on one fresh database and one data directory), and a ``--workers 2`` server.

* An operator signs in at A and acts at B: one session, one CSRF token, the notice set at B
  shown at A, signed out at A means signed out at B.
* Failed sign-ins are counted once, wherever they were typed.
* A revocation made at A is in the status list B serves at once.
* 1,000 concurrent issuances over A and B: 1,000 distinct status indexes, 1,000 records.
* kill -9 of one worker of ``--workers 2`` in the middle of a burst: every credential answered
  200 has its record, no status index is used twice, and the server carries on (uvicorn starts
  a new worker). The PostgreSQL twin of tests/unit/wallet/test_crash.py.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from credentials.jose import parse_jws
from credentials.status_list import StatusReference, status_of, verify_status_list_token
from did.keys import PublicKey
from issuer.operator import OfferItem, local_actor
from issuer.runtime import Runtime, build_runtime
from issuer.settings import IssuerSettings
from issuer.storage.models import CredentialRow, SigningKeyRow
from servicekit.runner import free_port
from tests.support.oid4vci_client import WalletClient
from tests.support.workers import ServiceProcess, worker_pids

pytestmark = [pytest.mark.postgres, pytest.mark.network]

PEOPLE = ["11512003456", "10711001234", "11005004567", "10303002345", "11410006789"]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Issuer:
    """The public URL both processes answer as, the processes, and a runtime in this test
    process on the same database (the operator's local commands)."""

    public_url: str
    a: ServiceProcess
    b: ServiceProcess
    runtime: Runtime


def _env(data_dir: Path, database_url: str, public_url: str) -> dict[str, str]:
    return {
        "DRUKID_ISSUER_MODE": "development",
        "DRUKID_ISSUER_PUBLIC_URL": public_url,
        "DRUKID_ISSUER_DATA_DIR": str(data_dir),
        "DRUKID_ISSUER_DATABASE_URL": database_url,
        "DRUKID_ISSUER_STATUS_LIST_SIZE": "16384",
    }


def _settings(env: dict[str, str]) -> IssuerSettings:
    return IssuerSettings(
        mode="development",
        public_url=env["DRUKID_ISSUER_PUBLIC_URL"],
        data_dir=Path(env["DRUKID_ISSUER_DATA_DIR"]),
        database_url=env["DRUKID_ISSUER_DATABASE_URL"],
        status_list_size=int(env["DRUKID_ISSUER_STATUS_LIST_SIZE"]),
    )


@pytest.fixture(scope="module")
def issuer(postgres_url_module: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Issuer]:
    root = tmp_path_factory.mktemp("issuer-workers")
    port_a, port_b = free_port(), free_port()
    public_url = f"http://127.0.0.1:{port_a}"  # what the proxy would be; both answer as it
    env = _env(root / "data", postgres_url_module, public_url)
    ready = "/.well-known/openid-credential-issuer"
    a = ServiceProcess("issuer", env, port=port_a, log=root / "a.log", ready_path=ready)
    b = ServiceProcess("issuer", env, port=port_b, log=root / "b.log", ready_path=ready)
    try:
        a.start(), b.start()  # at once, on an empty database: one migrates, one waits
        a.wait_ready(), b.wait_ready()
        runtime = build_runtime(_settings(env))
        try:
            yield Issuer(public_url, a, b, runtime)
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
    page = web.get("/operator/sign-in", headers=headers)
    assert page.status_code == 200, page.text[:500]
    return web.post(
        "/operator/sign-in", data={"csrf_token": _csrf(page), "api_key": key}, headers=headers
    )


def _receive(http: httpx.Client, issuer: Issuer, cid: str = PEOPLE[0]) -> str:
    offer = issuer.runtime.operator.offers.create(local_actor(), OfferItem("foundational-id", cid))
    return str(WalletClient(http, issuer=issuer.public_url).receive(offer.offer_uri).credentials[0])


def test_an_operator_signs_in_at_one_worker_and_acts_at_the_other(issuer: Issuer) -> None:
    admin = issuer.runtime.operator.admin.create_api_key(local_actor(), role="admin").token
    with _browser(issuer.a.url) as at_a, _browser(issuer.b.url) as at_b:
        _receive(at_a, issuer)
        signed = _sign_in(at_a, admin)
        assert signed.status_code == 303, signed.text[:500]
        at_b.cookies = at_a.cookies  # the same browser; the proxy sent it elsewhere
        listed = at_b.get("/operator/credentials")
        assert listed.status_code == 200, listed.text[:500]
        token = _csrf(listed)
        assert _csrf(at_a.get("/operator/credentials")) == token  # one session, one token
        page = issuer.runtime.operator.credentials.page(local_actor()).to_json()
        credential_id = page["items"][0]["id"]
        revoked = at_b.post(
            f"/operator/credentials/{credential_id}/revoke",
            data={"csrf_token": token, "reason": "reported stolen"},
        )
        assert revoked.status_code == 303, revoked.text[:500]
        shown = at_a.get(revoked.headers["location"])  # the notice set at B, shown at A
        assert "is now revoked" in unescape(shown.text)
        assert "is now revoked" not in unescape(at_a.get("/operator/credentials").text)
        out = at_a.post("/operator/sign-out", data={"csrf_token": token})
        assert out.status_code == 303
        at_b.cookies.set("drukid_operator", signed.cookies["drukid_operator"], path="/operator")
        ended = at_b.get("/operator/credentials")
        assert ended.status_code == 303
        assert "reason=ended" in ended.headers["location"]
        forged = at_b.post(
            f"/operator/credentials/{credential_id}/suspend", data={"csrf_token": token}
        )
        assert forged.status_code == 303  # no session: to the sign-in form, nothing changed
    changed = issuer.runtime.operator.credentials.get(local_actor(), credential_id)
    assert changed.status == "revoked"


def test_failed_sign_ins_are_counted_once_over_the_workers(issuer: Issuer) -> None:
    """Five wrong keys (the limit), some typed at A and some at B, from one address (the proxy
    says which in X-Forwarded-For): the sixth try is refused at either, even with the right
    key."""
    admin = issuer.runtime.operator.admin.create_api_key(local_actor(), role="admin").token
    client = {"X-Forwarded-For": "10.20.30.40"}
    with _browser(issuer.a.url) as at_a, _browser(issuer.b.url) as at_b:
        for web in (at_a, at_b, at_a, at_b, at_a):
            wrong = _sign_in(web, "drk_000000000000_" + "x" * 43, **client)
            assert wrong.status_code == 401, wrong.text[:500]
        for web in (at_b, at_a):
            refused = _sign_in(web, admin, **client)
            assert refused.status_code == 429, refused.text[:500]
            assert int(refused.headers["retry-after"]) > 0
        elsewhere = _sign_in(at_b, admin, **{"X-Forwarded-For": "10.20.30.41"})
        assert elsewhere.status_code == 303  # another address is not held back


def _status_bit(http: httpx.Client, issuer: Issuer, credential: str) -> int:
    claims = parse_jws(credential.split("~")[0]).payload
    reference = StatusReference.from_claims(claims)
    assert reference is not None
    response = http.get(reference.uri.removeprefix(issuer.public_url))
    assert response.status_code == 200
    kid = parse_jws(response.text).header["kid"]
    [jwk] = [k for k in issuer.runtime.signing.jwks() if k["kid"] == kid]
    token = verify_status_list_token(
        response.text, PublicKey.from_jwk(jwk), uri=reference.uri, now=int(time.time())
    )
    return status_of(token, reference)


def test_a_revocation_at_one_worker_is_served_by_the_other_at_once(issuer: Issuer) -> None:
    admin = issuer.runtime.operator.admin.create_api_key(local_actor(), role="admin").token
    with _browser(issuer.a.url) as at_a, _browser(issuer.b.url) as at_b:
        credential = _receive(at_a, issuer, PEOPLE[1])
        assert _status_bit(at_b, issuer, credential) == 0  # B signed and cached the list
        listed = at_a.get(
            "/api/v1/credentials",
            params={"subject": PEOPLE[1]},
            headers={"Authorization": f"Bearer {admin}"},
        )
        credential_id = listed.json()["items"][0]["id"]
        revoked = at_a.post(
            f"/api/v1/credentials/{credential_id}/revoke",
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert revoked.status_code == 200, revoked.text
        assert _status_bit(at_b, issuer, credential) == 1  # B re-signs: no stale cache
        assert _status_bit(at_a, issuer, credential) == 1


def _issue_all(
    bases: list[str], public_url: str, offer_uris: list[str], *, threads: int
) -> list[str | BaseException]:
    """Redeem each offer (offer → token → nonce → credential), spread over ``bases``; each
    result is the credential, or what went wrong."""
    local = threading.local()
    clients: list[httpx.Client] = []
    lock = threading.Lock()

    def one(numbered: tuple[int, str]) -> str | BaseException:
        n, offer_uri = numbered
        if not hasattr(local, "wallets"):
            local.wallets = []
            for base in bases:
                http = httpx.Client(base_url=base, timeout=120)
                with lock:
                    clients.append(http)
                local.wallets.append(WalletClient(http, issuer=public_url))
        try:
            return str(local.wallets[n % len(bases)].receive(offer_uri).credentials[0])
        except (httpx.HTTPError, AssertionError, KeyError, ValueError) as exc:
            return exc

    try:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(one, enumerate(offer_uris)))
    finally:
        for http in clients:
            http.close()


def _positions(credentials: list[str]) -> list[tuple[str, int, str]]:
    """(status list id, index, holder key thumbprint) of each credential."""
    out = []
    for credential in credentials:
        claims = parse_jws(credential.split("~")[0]).payload
        reference = claims["status"]["status_list"]
        holder = PublicKey.from_jwk(claims["cnf"]["jwk"]).thumbprint()
        out.append((reference["uri"].rsplit("/", 1)[-1], reference["idx"], holder))
    return out


def _stored(runtime: Runtime) -> list[tuple[str, int, str]]:
    with runtime.context.session() as s:
        rows = s.exec(
            select(
                CredentialRow.status_list_id,
                CredentialRow.status_idx,
                CredentialRow.holder_thumbprint,
            )
        ).all()
    return [(str(a), int(b), str(c)) for a, b, c in rows]


@pytest.mark.slow
def test_1000_concurrent_issuances_over_two_workers(issuer: Issuer) -> None:
    before = len(_stored(issuer.runtime))
    items = [OfferItem("foundational-id", cid=PEOPLE[i % len(PEOPLE)]) for i in range(1000)]
    offers = issuer.runtime.operator.offers.create_many(local_actor(), items)
    results = _issue_all(
        [issuer.a.url, issuer.b.url], issuer.public_url, [o.offer_uri for o in offers], threads=16
    )
    failed = [r for r in results if isinstance(r, BaseException)]
    assert not failed, failed[:3]
    issued = _positions([r for r in results if isinstance(r, str)])
    assert len({(lst, idx) for lst, idx, _ in issued}) == 1000
    stored = _stored(issuer.runtime)
    assert len(stored) == before + 1000
    assert set(issued) <= set(stored)


@pytest.mark.slow
def test_kill_9_of_one_worker_mid_burst_loses_nothing_answered_200(
    postgres_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = _env(tmp_path / "data", postgres_url, f"http://127.0.0.1:{port}")
    server = ServiceProcess(
        "issuer",
        env,
        port=port,
        log=tmp_path / "server.log",
        workers=2,
        ready_path="/.well-known/openid-credential-issuer",
    )
    runtime: Runtime | None = None
    try:
        server.start().wait_ready()
        runtime = build_runtime(_settings(env))
        first = worker_pids(server.pid)
        assert len(first) == 2
        items = [OfferItem("foundational-id", cid=PEOPLE[i % len(PEOPLE)]) for i in range(300)]
        offers = runtime.operator.offers.create_many(local_actor(), items)
        done: list[str | BaseException] = []
        burst = threading.Thread(
            target=lambda: done.extend(
                _issue_all([server.url], server.url, [o.offer_uri for o in offers], threads=12)
            )
        )
        burst.start()
        deadline = time.monotonic() + 120
        while len(_stored(runtime)) < 80 and time.monotonic() < deadline:
            time.sleep(0.05)
        stored_at_kill = len(_stored(runtime))
        os.kill(first[0], signal.SIGKILL)  # mid-burst: some requests are mid-transaction
        burst.join(timeout=300)
        assert not burst.is_alive()
        answered = [r for r in done if isinstance(r, str)]
        issued = _positions(answered)
        stored = _stored(runtime)
        assert set(issued) <= set(stored), "a credential answered 200 has no record"
        assert len({(lst, idx) for lst, idx, _ in stored}) == len(stored)
        assert len(answered) > stored_at_kill  # the burst went on after the kill
        deadline = time.monotonic() + 60  # uvicorn replaces the dead worker
        while time.monotonic() < deadline:
            now = worker_pids(server.pid)
            if len(now) == 2 and first[0] not in now:
                break
            time.sleep(0.2)
        assert first[0] not in worker_pids(server.pid)
        assert len(worker_pids(server.pid)) == 2
        with httpx.Client(base_url=server.url, timeout=60) as http:  # and nothing is stuck
            offer = runtime.operator.offers.create(
                local_actor(), OfferItem("foundational-id", PEOPLE[2])
            )
            assert WalletClient(http, issuer=server.url).receive(offer.offer_uri).credentials
    finally:
        if runtime is not None:
            runtime.close()
        server.stop()


def test_concurrent_key_rotations_at_both_workers_leave_one_active_key(issuer: Issuer) -> None:
    """Issue 15, finding 8: rotations racing at A and B (each a read of the active key, then a
    write) left two active signing keys; the rotation lock serialises them."""
    key = issuer.runtime.operator.admin.create_api_key(local_actor(), role="admin").token
    headers = {"Authorization": f"Bearer {key}"}
    urls = [issuer.a.url, issuer.b.url] * 4
    start = threading.Barrier(len(urls))

    def rotate(url: str) -> int:
        with httpx.Client(base_url=url, timeout=60) as http:
            start.wait()
            return http.post("/api/v1/keys/rotate", headers=headers).status_code

    with ThreadPoolExecutor(len(urls)) as pool:
        statuses = list(pool.map(rotate, urls))
    assert statuses == [200] * len(urls)
    with issuer.runtime.context.session() as s:
        active = s.exec(
            select(SigningKeyRow.kid).where(col(SigningKeyRow.retired_at).is_(None))
        ).all()
    assert len(active) == 1, active
    for url in (issuer.a.url, issuer.b.url):
        listed = httpx.get(f"{url}/api/v1/keys", headers=headers, timeout=30).json()
        assert [k["kid"] for k in listed if k["active"]] == [active[0][0]]
