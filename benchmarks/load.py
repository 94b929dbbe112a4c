"""A bounded loopback load test of the issuer and of the verifier's response endpoint:
``python -m benchmarks.load [--service issuer|verifier] --requests N --concurrency C --workers W
--db sqlite|postgres [--batch B]``.

It starts ``drukid serve <service> --workers W`` as a real server on a free loopback port
(SQLite in a temporary data directory, or a temporary PostgreSQL database that is dropped
afterwards) and then:

* issuer: makes N offers, and runs N full OpenID4VCI flows (``/token`` → ``/nonce`` →
  ``/credential`` with B key proofs) from C concurrent keep-alive connections;
* verifier: makes N presentation requests (``kyc-basic``) and each one's encrypted wallet
  answer (``direct_post.jwt``: an ES256 SD-JWT VC presentation with key binding, from an issuer
  pinned in the trust file) before the clock starts, then posts the N answers to
  ``/oid4vp/response/{id}`` from C connections;

and prints per second (credentials or presentations) over the wall clock, p50/p99 of a flow or
response, the server's CPU time per credential or presentation (user + system of the server and
its workers, read from ``/proc``: what the work costs, whatever the client on the same cores
costs), the floor measured in the same run with ``cryptography`` directly (issuer: one proof
verification and one credential signature; verifier: one ECDH-ES key agreement with AES-GCM
decryption and two signature checks) and the CPU time as a ratio to it, and the error count,
which must be 0 (the exit status is 1 otherwise).

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
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from benchmarks._timing import machine
from credentials.jose import sign_jws
from did.keys import PrivateKey
from issuer.oid4vci.offer import PRE_AUTHORIZED_GRANT
from issuer.oid4vci.proof import PROOF_TYP
from issuer.operator import OfferItem, local_actor
from issuer.runtime import build_runtime
from issuer.settings import IssuerSettings

ROOT = Path(__file__).resolve().parents[1]
CID = "11512003456"  # a demo registry person
PG_ADMIN = "postgresql://postgres@{host}:{port}/postgres"
FORM, JSON = "application/x-www-form-urlencoded", "application/json"


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
    latencies: list[float]
    units: int
    errors: list[str]


Job = Callable[[Connection, str], Awaitable[int]]


async def _drive(
    port: int, items: list[str], concurrency: int, new_job: Callable[[], Job]
) -> Result:
    """Each of ``concurrency`` clients takes the next item until none is left; a job returns
    how many units (credentials, presentations) it got."""
    queue = iter(items)
    latencies: list[float] = []
    errors: list[str] = []
    units = 0

    async def client() -> None:
        nonlocal units
        conn, job = Connection(port), new_job()
        try:
            for item in queue:
                start = time.perf_counter()
                try:
                    done = await job(conn, item)
                except (RuntimeError, OSError, ValueError, KeyError) as exc:
                    errors.append(str(exc))
                    await conn.close()
                    conn = Connection(port)
                    continue
                latencies.append(time.perf_counter() - start)
                units += done  # after the await: ``units += await ...`` would lose updates
        finally:
            await conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    return Result(time.perf_counter() - start, latencies, units, errors)


# --- the issuer: full OpenID4VCI flows ---------------------------------------------------


def _proof(key: PrivateKey, jwk: dict[str, str], audience: str, nonce: str) -> str:
    payload = {"aud": audience, "iat": int(time.time()), "nonce": nonce}
    return sign_jws(payload, key, typ=PROOF_TYP, headers={"jwk": jwk})


def _issuance(audience: str, batch: int) -> Callable[[], Job]:
    def new_job() -> Job:
        keys = [PrivateKey.generate("ES256") for _ in range(batch)]  # one per proof
        holders = [(key, key.public_key.to_jwk()) for key in keys]

        async def flow(conn: Connection, code: str) -> int:
            grant = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
            status, body = await conn.request("/token", urlencode(grant).encode(), FORM)
            if status != 200:
                raise RuntimeError(f"/token {status}: {body[:200]!r}")
            token = json.loads(body)["access_token"]
            status, body = await conn.request("/nonce", b"", JSON)
            if status != 200:
                raise RuntimeError(f"/nonce {status}: {body[:200]!r}")
            nonce = json.loads(body)["c_nonce"]
            proofs = [_proof(key, jwk, audience, nonce) for key, jwk in holders]
            request = {"credential_configuration_id": "foundational-id", "proofs": {"jwt": proofs}}
            status, body = await conn.request(
                "/credential", json.dumps(request).encode(), JSON, token
            )
            if status != 200 or len(json.loads(body)["credentials"]) != batch:
                raise RuntimeError(f"/credential {status}: {body[:200]!r}")
            return batch

        return flow

    return new_job


def issuer_floor_seconds(rounds: int = 200) -> float:
    """Per credential: verify one ES256 proof and sign one credential, with cryptography."""
    issuer, holder = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    algorithm, data = ec.ECDSA(hashes.SHA256()), b"x" * 900
    signature, public = holder.sign(data, algorithm), holder.public_key()

    def once() -> None:
        public.verify(signature, data, algorithm)
        issuer.sign(data * 2, algorithm)

    return _best(once, rounds)


def _issuer_setup(
    folder: Path, url: str, database_url: str | None, n: int, batch: int
) -> tuple[dict[str, str], list[str]]:
    env = {
        "DRUKID_ISSUER_MODE": "development",
        "DRUKID_ISSUER_PUBLIC_URL": url,
        "DRUKID_ISSUER_DATA_DIR": str(folder / "data"),
        "DRUKID_ISSUER_BATCH_SIZE": str(max(batch, 1)),
        "DRUKID_ISSUER_ACCESS_TOKEN_LIFETIME": "3600",
        "DRUKID_ISSUER_OFFER_LIFETIME": "86400",
    }
    if database_url:
        env["DRUKID_ISSUER_DATABASE_URL"] = database_url
    settings = IssuerSettings(
        mode="development",
        public_url=url,
        data_dir=folder / "data",
        database_url=database_url,
        offer_lifetime=86400,
    )
    runtime = build_runtime(settings)
    try:
        offers = [
            offer
            for start in range(0, n, 1000)  # the operator's limit per call
            for offer in runtime.operator.offers.create_many(
                local_actor(), [OfferItem("foundational-id", CID)] * min(1000, n - start)
            )
        ]
        # Each offer's pre-authorized code, as a wallet gets it (random, sealed in the offer).
        codes = [
            str(
                runtime.preauthorized.credential_offer(o.credential_offer_uri.rsplit("/", 1)[1])[
                    "grants"
                ][PRE_AUTHORIZED_GRANT]["pre-authorized_code"]
            )
            for o in offers
        ]
    finally:
        runtime.close()
    return env, codes


# --- the verifier: direct_post.jwt responses ---------------------------------------------


def _verifier_setup(
    folder: Path, url: str, database_url: str | None, n: int
) -> tuple[dict[str, str], list[str]]:
    """The server's settings, and ``n`` prepared posts (``request id`` + form body, one line)."""
    from benchmarks.sd_jwt_verify import CLAIMS
    from core.encoding import dumps_compact
    from credentials.jose import encrypt_jwe, parse_jws
    from credentials.sd_jwt import present_sd_jwt
    from credentials.sd_jwt_vc import issue_sd_jwt_vc
    from verifier import TrustRegistry
    from verifier.runtime import build_runtime as build_verifier
    from verifier.settings import VerifierSettings

    iss = "https://registry.example.bt"
    vct = f"{iss}/types/foundational-id"
    issuer, holder = PrivateKey.generate("ES256"), PrivateKey.generate("ES256")
    kid = issuer.public_key.thumbprint()
    now = int(time.time())
    credential = issue_sd_jwt_vc(
        CLAIMS,
        issuer,
        iss=iss,
        vct=vct,
        iat=now - 60,
        exp=now + 86400,
        kid=kid,
        sd_paths=[f"/{name}" for name in CLAIMS],
        holder_key=holder.public_key,
    )
    entry = {"id": iss, "name": "Civil Registration", "types": {"foundational-id": vct}}
    jwk = {**issuer.public_key.to_jwk(), "kid": kid}
    trust = TrustRegistry.from_json({"issuers": [{**entry, "keys": [jwk]}]}).save(
        folder / "trust.json"
    )
    env = {
        "DRUKID_VERIFIER_MODE": "development",
        "DRUKID_VERIFIER_PUBLIC_URL": url,
        "DRUKID_VERIFIER_DATA_DIR": str(folder / "data"),
        "DRUKID_VERIFIER_TRUST_FILE": str(trust),
        "DRUKID_VERIFIER_REQUEST_LIFETIME_SECONDS": "3600",
    }
    if database_url:
        env["DRUKID_VERIFIER_DATABASE_URL"] = database_url
    settings = VerifierSettings(
        mode="development",
        public_url=url,
        data_dir=folder / "data",
        database_url=database_url,
        trust_file=trust,
        request_lifetime_seconds=3600,
    )
    runtime = build_verifier(settings)
    posts = []
    try:
        for _ in range(n):
            created = runtime.requests.create("load", template="kyc-basic")
            request = parse_jws(runtime.requests.request_object(created["id"])[0]).payload
            vp = present_sd_jwt(
                credential,
                disclose=["/full_name", "/cid", "/birthdate"],
                holder_key=holder,
                nonce=request["nonce"],
                aud=request["client_id"],
                iat=now,
            ).serialize()
            answer = {"vp_token": {"national_id": [vp]}, "state": request["state"]}
            key = request["client_metadata"]["jwks"]["keys"][0]
            jwe = encrypt_jwe(dumps_compact(answer).encode(), key)
            posts.append(f"{created['id']} {urlencode({'response': jwe})}")
    finally:
        runtime.close()
    return env, posts


def _responses() -> Job:
    async def post(conn: Connection, item: str) -> int:
        request_id, form = item.split(" ", 1)
        status, body = await conn.request(f"/oid4vp/response/{request_id}", form.encode(), FORM)
        if status != 200:
            raise RuntimeError(f"/oid4vp/response {status}: {body[:200]!r}")
        return 1

    return post


def verifier_floor_seconds(rounds: int = 200) -> float:
    """Per presentation: one ECDH-ES P-256 key agreement and AES-GCM decryption of a response,
    and two ES256 signature checks (the credential's and the key binding's)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    recipient, sender = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    signer = ec.generate_private_key(ec.SECP256R1())
    algorithm, data = ec.ECDSA(hashes.SHA256()), b"x" * 1500
    signature, public, peer = signer.sign(data, algorithm), signer.public_key(), sender.public_key()
    aead, nonce = AESGCM(b"k" * 16), b"n" * 12
    sealed = aead.encrypt(nonce, data * 2, None)

    def once() -> None:
        recipient.exchange(ec.ECDH(), peer)
        aead.decrypt(nonce, sealed, None)
        public.verify(signature, data, algorithm)
        public.verify(signature, data, algorithm)

    return _best(once, rounds)


# --- running it ----------------------------------------------------------------------------


def _best(fn: Callable[[], None], rounds: int) -> float:
    """Best of 15 short runs: the floor is what the cores do when no neighbour interrupts."""
    best = float("inf")
    for _ in range(15):
        start = time.perf_counter()
        for _ in range(rounds):
            fn()
        best = min(best, (time.perf_counter() - start) / rounds)
    return best


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes (their own, not their children's)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _workers_started(pid: int) -> int:
    started = 0
    for child in _children(pid):
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            started += b"spawn_main" in command and b"resource_tracker" not in command
    return started


def _backend_pids(database_url: str | None) -> list[int]:
    """The PostgreSQL server processes serving this database (their CPU is the database's
    share of the work); none for SQLite, which runs inside the server's processes."""
    if not database_url:
        return []
    import psycopg

    host = os.environ.get("DRUKID_TEST_PG_HOST", "127.0.0.1")
    port = os.environ.get("DRUKID_TEST_PG_PORT", "5432")
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN.format(host=host, port=port), autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (name,))
        return [int(pid) for (pid,) in rows.fetchall()]


@contextlib.contextmanager
def _serve(
    service: str, env: dict[str, str], port: int, workers: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    import httpx

    command = [sys.executable, "-c", "from drukid.cli import main; main()", "serve", service]
    command += ["--port", str(port), "--workers", str(workers)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DRUKID_")}
    with log.open("wb") as out:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**clean, "PYTHONPATH": str(ROOT), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the workers stop with it
        )
    ready = {"issuer": "/.well-known/openid-credential-issuer", "verifier": "/health"}[service]
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the {service} did not start:\n{log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.get(f"http://127.0.0.1:{port}{ready}", timeout=5)
                if answer.status_code == 200 and (
                    workers == 1 or _workers_started(server.pid) == workers
                ):
                    break
            time.sleep(0.2)
        print(f"{service} serving as process {server.pid} on {port}", file=sys.stderr)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)


def load(
    *,
    requests: int,
    concurrency: int,
    workers: int,
    db: str,
    batch: int = 1,
    service: str = "issuer",
) -> dict[str, Any]:
    """Run one configuration; its figures (see the module docstring)."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with (
        tempfile.TemporaryDirectory(prefix="drukid-load-") as name,
        _database(db, Path(name)) as database_url,
    ):
        folder = Path(name)
        if service == "issuer":
            env, items = _issuer_setup(folder, url, database_url, requests, batch)
            new_job, floor = _issuance(url, batch), issuer_floor_seconds()
        else:
            env, items = _verifier_setup(folder, url, database_url, requests)
            new_job, floor = _responses, verifier_floor_seconds()
        with _serve(service, env, port, workers, folder / "server.log") as server:
            warm = min(len(items) // 10, 4 * concurrency)
            asyncio.run(_drive(port, items[:warm], concurrency, new_job))
            pids = [server.pid, *_children(server.pid)]
            backends = _backend_pids(database_url)
            before = _cpu_seconds(pids), _cpu_seconds(backends)
            result = asyncio.run(_drive(port, items[warm:], concurrency, new_job))
            added = [pid for pid in _backend_pids(database_url) if pid not in backends]
            server_cpu = _cpu_seconds(pids) - before[0]
            database_cpu = _cpu_seconds(backends) - before[1] + _cpu_seconds(added)
    units = max(result.units, 1)
    latencies = sorted(result.latencies) or [0.0]
    return {
        "units": result.units,
        "errors": len(result.errors),
        "first_error": result.errors[0] if result.errors else "",
        "per_second": result.units / result.seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "server_cpu_ms": server_cpu / units * 1000,
        "database_cpu_ms": database_cpu / units * 1000,
        "floor_ms": floor * 1000,
        "cpu_to_floor": server_cpu / units / floor,
    }


def describe(figures: dict[str, Any], *, label: str, unit: str) -> str:
    cpu, floor = figures["server_cpu_ms"], figures["floor_ms"]
    database = (
        f"; database {figures['database_cpu_ms']:.2f} ms" if figures["database_cpu_ms"] else ""
    )
    lines = [
        label,
        f"  {figures['per_second']:8.1f} {unit}s/s   p50 {figures['p50_ms']:.1f} ms  p99 "
        f"{figures['p99_ms']:.1f} ms   errors {figures['errors']}",
        f"  server CPU {cpu:.2f} ms/{unit} = {figures['cpu_to_floor']:.1f}x the floor "
        f"({floor:.3f} ms){database}; {1000 / cpu:.0f} {unit}s/s per core of server CPU",
    ]
    if figures["errors"]:
        lines.append(f"  first error: {figures['first_error']}")
    return "\n".join(lines)


UNITS = {"issuer": "credential", "verifier": "presentation"}


def _postgres_reachable() -> bool:
    host = os.environ.get("DRUKID_TEST_PG_HOST", "127.0.0.1")
    port = int(os.environ.get("DRUKID_TEST_PG_PORT", "5432"))
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def report() -> str:
    """``make bench``: a short run of each configuration (the PostgreSQL ones when a server is
    reachable on the test host); the README's figures come from longer runs of :func:`main`."""
    runs = [("issuer", "sqlite", 1, 1, 300), ("issuer", "sqlite", 1, 10, 60)]
    runs.append(("verifier", "sqlite", 1, 1, 300))
    if _postgres_reachable():
        runs += [("issuer", "postgres", 2, 1, 300), ("issuer", "postgres", 2, 10, 60)]
        runs.append(("verifier", "postgres", 2, 1, 300))
    lines = [f"load over loopback, concurrency 8 ({time.strftime('%Y-%m-%d')})"]
    for service, db, workers, batch, n in runs:
        figures = load(
            requests=n, concurrency=8, workers=workers, db=db, batch=batch, service=service
        )
        shape = f", batch {batch}" if service == "issuer" else ""
        label = f"{service}: {n} {UNITS[service]} requests{shape}, {workers} worker(s), {db}"
        lines.append(describe(figures, label=label, unit=UNITS[service]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.load",
        description="A bounded loopback load test (see benchmarks/load.py).",
    )
    parser.add_argument("--service", choices=tuple(UNITS), default="issuer")
    parser.add_argument("--requests", type=int, default=1000, help="flows or responses (N)")
    parser.add_argument("--concurrency", type=int, default=8, help="connections at once (C)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (W)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--batch", type=int, default=1, help="issuer: key proofs per request")
    args = parser.parse_args(argv)
    if args.workers > 1 and args.db != "postgres":
        parser.error("--workers above 1 needs --db postgres")
    if args.requests < 10 or args.concurrency < 1 or args.batch < 1:
        parser.error("--requests must be at least 10, --concurrency and --batch at least 1")
    figures = load(
        requests=args.requests,
        concurrency=args.concurrency,
        workers=args.workers,
        db=args.db,
        batch=args.batch,
        service=args.service,
    )
    shape = f", batch {args.batch}" if args.service == "issuer" else ""
    print(f"machine: {machine()}")
    label = (
        f"{args.service} load: {args.requests} requests{shape}, concurrency "
        f"{args.concurrency}, {args.workers} worker(s), {args.db}"
    )
    print(describe(figures, label=label, unit=UNITS[args.service]))
    return 1 if figures["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
