"""A bounded loopback load test of the issuer: ``python -m benchmarks.load --requests N
--concurrency C --workers W --db sqlite|postgres --batch B``.

It starts ``drukid serve issuer --workers W`` as a real server on a free loopback port (SQLite in
a temporary data directory, or a temporary PostgreSQL database that is dropped afterwards), makes
N offers, then runs N full OpenID4VCI flows (``/token`` → ``/nonce`` → ``/credential`` with B key
proofs) from C concurrent keep-alive connections, and prints:

* credentials per second over the wall clock, and p50/p99 of a whole flow;
* the server's CPU time per credential (user + system of the server and its workers, read from
  ``/proc``): what the flows cost, whatever the client (which shares the machine) costs;
* the floor measured in the same run — the proof verifications and credential signatures
  themselves, with ``cryptography`` directly — and the CPU time as a ratio to it;
* the error count, which must be 0 (the exit status is 1 otherwise).

Nothing here is a test and nothing is timed against a limit: the figures go into the README
(docs/readme/92-benchmarks.md) with the machine named.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from benchmarks._timing import machine
from credentials.jose import sign_jws
from did.keys import PrivateKey
from issuer.oid4vci.offer import PRE_AUTHORIZED_GRANT, pre_authorized_code_for
from issuer.oid4vci.proof import PROOF_TYP
from issuer.operator import OfferItem, local_actor
from issuer.runtime import build_runtime
from issuer.settings import IssuerSettings

ROOT = Path(__file__).resolve().parents[1]
CID = "11512003456"  # a demo registry person
PG_ADMIN = "postgresql://postgres@{host}:{port}/postgres"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _database(kind: str, folder: Path) -> Iterator[str | None]:
    """``None`` for SQLite in the data directory, or the URL of a new PostgreSQL database."""
    if kind == "sqlite":
        yield None
        return
    import psycopg

    host = os.environ.get("DRUKID_TEST_PG_HOST", "127.0.0.1")
    port = os.environ.get("DRUKID_TEST_PG_PORT", "5432")
    admin, name = PG_ADMIN.format(host=host, port=port), f"drukid_load_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{host}:{port}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Connection:
    """One keep-alive HTTP/1.1 connection: the smallest client, so the load generator (on the
    same cores) takes as little CPU from the server as it can."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, path: str, body: bytes, content_type: str, token: str | None = None
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        head += f"Content-Length: {len(body)}\r\n\r\n"
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        return int(status_line.split()[1]), await self.reader.readexactly(length)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


@dataclass
class Result:
    seconds: float
    flows: list[float]
    errors: list[str]


def _proof(key: PrivateKey, jwk: dict[str, str], audience: str, nonce: str) -> str:
    payload = {"aud": audience, "iat": int(time.time()), "nonce": nonce}
    return sign_jws(payload, key, typ=PROOF_TYP, headers={"jwk": jwk})


async def _flow(conn: Connection, code: str, audience: str, holders: list[PrivateKey]) -> None:
    form = urlencode({"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}).encode()
    status, body = await conn.request("/token", form, "application/x-www-form-urlencoded")
    if status != 200:
        raise RuntimeError(f"/token {status}: {body[:200]!r}")
    token = json.loads(body)["access_token"]
    status, body = await conn.request("/nonce", b"", "application/json")
    if status != 200:
        raise RuntimeError(f"/nonce {status}: {body[:200]!r}")
    nonce = json.loads(body)["c_nonce"]
    proofs = [_proof(k, k.public_key.to_jwk(), audience, nonce) for k in holders]
    request = {"credential_configuration_id": "foundational-id", "proofs": {"jwt": proofs}}
    status, body = await conn.request(
        "/credential", json.dumps(request).encode(), "application/json", token
    )
    if status != 200 or len(json.loads(body)["credentials"]) != len(holders):
        raise RuntimeError(f"/credential {status}: {body[:200]!r}")


async def _run(port: int, codes: list[str], audience: str, concurrency: int, batch: int) -> Result:
    queue = iter(codes)
    flows: list[float] = []
    errors: list[str] = []

    async def client() -> None:
        conn = Connection(port)
        holders = [PrivateKey.generate("ES256") for _ in range(batch)]
        try:
            for code in queue:
                start = time.perf_counter()
                try:
                    await _flow(conn, code, audience, holders)
                except (RuntimeError, OSError, ValueError, KeyError) as exc:
                    errors.append(str(exc))
                    await conn.close()
                    conn = Connection(port)
                    continue
                flows.append(time.perf_counter() - start)
        finally:
            await conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return Result(time.perf_counter() - start, flows, errors)


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes (their own, not their children's)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _server_pids(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *map(int, children)]


def floor_seconds(batch: int, rounds: int = 400) -> float:
    """Per credential: verify one ES256 proof and sign one credential, with cryptography."""
    issuer, holder = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    algorithm, data = ec.ECDSA(hashes.SHA256()), b"x" * 900
    signature, public = holder.sign(data, algorithm), holder.public_key()
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(rounds):
            public.verify(signature, data, algorithm)
            issuer.sign(data * 2, algorithm)
        best = min(best, (time.perf_counter() - start) / rounds)
    return best


def _workers_started(pid: int) -> int:
    return sum(
        b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
        and b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes()
        for child in _server_pids(pid)[1:]
        if Path(f"/proc/{child}/cmdline").exists()
    )


def _wait_ready(url: str, process: subprocess.Popen[bytes], workers: int, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the issuer exited early")
        with contextlib.suppress(httpx.HTTPError):
            ready = httpx.get(url + "/.well-known/openid-credential-issuer", timeout=5)
            if ready.status_code == 200 and (
                workers == 1 or _workers_started(process.pid) == workers
            ):
                return
        time.sleep(0.2)
    raise SystemExit(f"the issuer did not start in {timeout} s")


def load(*, requests: int, concurrency: int, workers: int, db: str, batch: int) -> dict[str, float]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with (
        tempfile.TemporaryDirectory(prefix="drukid-load-") as folder,
        _database(db, Path(folder)) as database_url,
    ):
        env = {
            "DRUKID_ISSUER_MODE": "development",
            "DRUKID_ISSUER_PUBLIC_URL": url,
            "DRUKID_ISSUER_DATA_DIR": str(Path(folder) / "data"),
            "DRUKID_ISSUER_BATCH_SIZE": str(max(batch, 1)),
            "DRUKID_ISSUER_ACCESS_TOKEN_LIFETIME": "3600",
            "DRUKID_ISSUER_OFFER_LIFETIME": "86400",
        }
        if database_url:
            env["DRUKID_ISSUER_DATABASE_URL"] = database_url
        settings = IssuerSettings(
            mode="development",
            public_url=url,
            data_dir=Path(env["DRUKID_ISSUER_DATA_DIR"]),
            database_url=database_url,
            offer_lifetime=86400,
        )
        runtime = build_runtime(settings)
        try:
            offers = [
                offer
                for start in range(0, requests, 1000)  # the operator's limit per call
                for offer in runtime.operator.offers.create_many(
                    local_actor(), [OfferItem("foundational-id", CID)] * min(1000, requests - start)
                )
            ]
        finally:
            runtime.close()
        codes = [pre_authorized_code_for(o.credential_offer_uri.rsplit("/", 1)[1]) for o in offers]
        command = [sys.executable, "-c", "from drukid.cli import main; main()", "serve", "issuer"]
        command += ["--port", str(port), "--workers", str(workers)]
        clean = {k: v for k, v in os.environ.items() if not k.startswith("DRUKID_")}
        with (Path(folder) / "server.log").open("wb") as log:
            server = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**clean, "PYTHONPATH": str(ROOT), **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            _wait_ready(url, server, workers, timeout=120)
            floor = floor_seconds(batch)
            warm = min(len(codes) // 10, 4 * concurrency)
            asyncio.run(_run(port, codes[:warm], url, concurrency, batch))
            pids = _server_pids(server.pid)
            cpu_before = _cpu_seconds(pids)
            result = asyncio.run(_run(port, codes[warm:], url, concurrency, batch))
            cpu = _cpu_seconds(pids) - cpu_before
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=30)
    credentials = len(result.flows) * batch
    flows = sorted(result.flows) or [0.0]
    cpu_per_credential = cpu / max(credentials, 1)
    return {
        "credentials": credentials,
        "errors": len(result.errors),
        "first_error": result.errors[0] if result.errors else "",  # type: ignore[dict-item]
        "credentials_per_second": credentials / result.seconds,
        "p50_ms": statistics.median(flows) * 1000,
        "p99_ms": flows[min(len(flows) - 1, int(len(flows) * 0.99))] * 1000,
        "server_cpu_ms_per_credential": cpu_per_credential * 1000,
        "floor_ms_per_credential": floor * 1000,
        "cpu_to_floor": cpu_per_credential / floor,
        "capacity_per_core": 1 / cpu_per_credential if cpu_per_credential else 0.0,
    }


def describe(figures: dict[str, float], *, label: str) -> str:
    return "\n".join(
        [
            label,
            f"  {figures['credentials_per_second']:8.1f} credentials/s   flow p50 "
            f"{figures['p50_ms']:.1f} ms  p99 {figures['p99_ms']:.1f} ms   errors "
            f"{figures['errors']:.0f}",
            f"  server CPU {figures['server_cpu_ms_per_credential']:.2f} ms/credential "
            f"= {figures['cpu_to_floor']:.1f}x the floor ({figures['floor_ms_per_credential']:.3f}"
            f" ms: proof verify + credential sign); {figures['capacity_per_core']:.0f} "
            "credentials/s per core of server CPU",
        ]
        + ([f"  first error: {figures['first_error']}"] if figures["errors"] else [])
    )


def _postgres_reachable() -> bool:
    host = os.environ.get("DRUKID_TEST_PG_HOST", "127.0.0.1")
    port = int(os.environ.get("DRUKID_TEST_PG_PORT", "5432"))
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def report() -> str:
    """``make bench``: a short run of each configuration (PostgreSQL ones when a server is
    reachable on the test host); the README's figures come from longer runs of :func:`main`."""
    runs = [("sqlite", 1, 1, 300), ("sqlite", 1, 10, 60)]
    if _postgres_reachable():
        runs += [("postgres", 2, 1, 300), ("postgres", 2, 10, 60)]
    lines = [f"issuance load over loopback, concurrency 8 ({time.strftime('%Y-%m-%d')})"]
    for db, workers, batch, flows in runs:
        figures = load(requests=flows, concurrency=8, workers=workers, db=db, batch=batch)
        label = f"{flows} flows, batch {batch}, {workers} worker(s), {db}"
        lines.append(describe(figures, label=label))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    parser.add_argument("--requests", type=int, default=1000, help="full flows (N)")
    parser.add_argument("--concurrency", type=int, default=8, help="connections at once (C)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (W)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--batch", type=int, default=1, help="key proofs per credential request")
    args = parser.parse_args(argv)
    if args.workers > 1 and args.db != "postgres":
        parser.error("--workers above 1 needs --db postgres")
    figures = load(
        requests=args.requests,
        concurrency=args.concurrency,
        workers=args.workers,
        db=args.db,
        batch=args.batch,
    )
    print(f"machine: {machine()}")
    label = (
        f"issuance load: {args.requests} flows, batch {args.batch}, concurrency "
        f"{args.concurrency}, {args.workers} worker(s), {args.db}"
    )
    print(describe(figures, label=label))
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
