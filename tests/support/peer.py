"""The independent OpenID4VC peer (``tests/interop/peer``, Node.js on the published Credo/Animo
``@openid4vc/*`` and ``@sd-jwt/*`` packages) and what running it against drukid needs:

* :func:`ensure_peer` runs ``npm ci`` once into ``tests/interop/peer/node_modules`` when it is
  missing or older than ``package-lock.json``; without ``node``/``npm`` it skips loudly, and
  fails under ``CI=true`` (the rule of ``tests/conftest.py``).
* :class:`TestCA` is a throwaway certificate authority made with ``cryptography``: TLS server
  certificates for loopback (the libraries insist on ``https://`` identifiers, and did:web
  resolves over https only) and x5c chains for SD-JWT VC signing.
* :func:`serve_tls` runs an ASGI app with uvicorn over TLS on a loopback port.
* :func:`run_peer` runs one peer program and returns its JSON answer; :class:`PeerServer` starts
  a long-running one (the peer issuer or verifier) and reads its ``ready`` line.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import certifi
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from servicekit.runner import free_port

__all__ = [
    "PEER_DIR",
    "PeerResult",
    "PeerServer",
    "TestCA",
    "ensure_peer",
    "free_port",
    "run_peer",
    "serve_tls",
]

PEER_DIR = Path(__file__).resolve().parents[1] / "interop" / "peer"
NPM_CI_TIMEOUT = 300


def ensure_peer(missing: Any) -> Path:
    """``node_modules`` of the peer, installed with ``npm ci`` when missing or stale.

    ``missing(reason)`` is ``tests.conftest._missing``: skip locally, fail under CI."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing("Node.js (node and npm, Debian packages 'nodejs' and 'npm') is not installed")
    assert node is not None
    assert npm is not None
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=30, check=True
    ).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        missing(f"Node.js {version} is too old (the peer needs Node 20 or later)")
    modules = PEER_DIR / "node_modules"
    stamp = modules / ".drukid-lock-sha256"
    lock = PEER_DIR / "package-lock.json"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    # pytest-xdist workers share the folder: one installs, the others wait for it.
    with (PEER_DIR / ".npm-ci.lock").open("w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        if not (stamp.exists() and stamp.read_text() == wanted):
            done = subprocess.run(
                [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=PEER_DIR,
                capture_output=True,
                text=True,
                timeout=NPM_CI_TIMEOUT,
                check=False,
            )
            if done.returncode != 0:
                missing(f"npm ci failed in {PEER_DIR}: {done.stderr.strip()[-2000:]}")
            stamp.write_text(wanted)
    return modules


# --- certificates ------------------------------------------------------------------------------


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BT"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "drukid interop tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


@dataclass
class TestCA:
    """A root CA (and an intermediate for x5c chains) living in ``directory``."""

    directory: Path
    key: ec.EllipticCurvePrivateKey = field(init=False)
    cert: x509.Certificate = field(init=False)

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = self._sign(
            _name("drukid interop test root"), self.key, issuer=None, ca=True, path_length=1
        )
        self.ca_file.write_text(_pem(self.cert))
        # The Python side (httpx honours SSL_CERT_FILE) trusts the usual roots plus this one.
        self.bundle_file.write_text(Path(certifi.where()).read_text() + "\n" + _pem(self.cert))

    __test__ = False  # not a pytest test class despite its name

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def bundle_file(self) -> Path:
        return self.directory / "bundle.pem"

    @property
    def ca_pem(self) -> str:
        return _pem(self.cert)

    def _sign(
        self,
        subject: x509.Name,
        key: ec.EllipticCurvePrivateKey,
        *,
        issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
        ca: bool,
        path_length: int | None = None,
        san: list[x509.GeneralName] | None = None,
        server: bool = False,
    ) -> x509.Certificate:
        now = datetime.datetime.now(datetime.UTC)
        issuer_cert, issuer_key = issuer if issuer else (None, key)
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_cert.subject if issuer_cert else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
        )
        if issuer_cert is not None:
            builder = builder.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key()),  # type: ignore[arg-type]
                critical=False,
            )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
        else:
            builder = builder.add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                critical=True,
            )
        if server:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def _write_key(self, name: str, key: ec.EllipticCurvePrivateKey) -> Path:
        path = self.directory / name
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)
        return path

    def server_certificate(self, name: str = "server") -> tuple[Path, Path]:
        """A TLS certificate for ``127.0.0.1`` and ``localhost``: ``(cert_file, key_file)``."""
        key = ec.generate_private_key(ec.SECP256R1())
        san: list[x509.GeneralName] = [
            x509.IPAddress(IPv4Address("127.0.0.1")),
            x509.DNSName("localhost"),
        ]
        cert = self._sign(
            _name(f"{name} (loopback)"),
            key,
            issuer=(self.cert, self.key),
            ca=False,
            san=san,
            server=True,
        )
        cert_file = self.directory / f"{name}.crt"
        cert_file.write_text(_pem(cert))
        return cert_file, self._write_key(f"{name}.key", key)

    def signing_chain(self, uri: str, name: str = "issuer-signing") -> tuple[Path, Path]:
        """An SD-JWT VC signing key and its x5c chain (leaf, intermediate; never the root),
        the leaf naming ``uri`` (SAN URI) and its host (SAN dNSName/IP), as HAIP issuers do:
        ``(chain_file, key_file)``, both PEM."""
        intermediate_key = ec.generate_private_key(ec.SECP256R1())
        intermediate = self._sign(
            _name("drukid interop test issuing CA"),
            intermediate_key,
            issuer=(self.cert, self.key),
            ca=True,
            path_length=0,
        )
        key = ec.generate_private_key(ec.SECP256R1())
        leaf = self._sign(
            _name(f"{name}"),
            key,
            issuer=(intermediate, intermediate_key),
            ca=False,
            san=[x509.UniformResourceIdentifier(uri), x509.DNSName("localhost")],
        )
        chain_file = self.directory / f"{name}-chain.pem"
        chain_file.write_text(_pem(leaf) + _pem(intermediate))
        return chain_file, self._write_key(f"{name}.key", key)


# --- drukid over TLS ---------------------------------------------------------------------------


@contextlib.contextmanager
def serve_tls(app: Any, *, port: int, cert: Path, key: Path) -> Iterator[str]:
    """Serve ``app`` with uvicorn over TLS on ``127.0.0.1:port``; yield its https base URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="error",
        lifespan="on",
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-tls-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the TLS server on port {port} did not start")
        time.sleep(0.02)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)


# --- running the peer --------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerResult:
    """One peer program's answer: ``ok`` and the JSON it printed (``error`` when it failed)."""

    ok: bool
    body: dict[str, Any]
    stderr: str = ""

    @property
    def error(self) -> dict[str, Any]:
        error = self.body.get("error")
        return error if isinstance(error, dict) else {}

    def messages(self) -> str:
        """Every message in the error and its causes, one per line (for matching refusals)."""
        lines: list[str] = []
        node: Any = self.error
        while isinstance(node, dict) and node:
            lines.append(str(node.get("message", "")))
            response = node.get("error_response")
            if isinstance(response, dict) and response.get("error_description"):
                lines.append(str(response["error_description"]))
            details = node.get("details")
            reason = details.get("reason") if isinstance(details, dict) else None
            if isinstance(reason, dict):
                lines.extend(PeerResult(False, {"error": reason}).messages().splitlines())
            node = node.get("cause")
        return "\n".join(lines)

    def __getitem__(self, key: str) -> Any:
        return self.body[key]


def peer_env(ca: TestCA) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NODE_")}
    env["NODE_EXTRA_CA_CERTS"] = str(ca.ca_file)
    return env


def _parse_line(line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise AssertionError(
            f"the peer printed something that is not JSON: {line[:500]!r}"
        ) from exc
    assert isinstance(value, dict), line
    return value


def run_peer(
    program: str, args: Mapping[str, Any], *, ca: TestCA, timeout: float = 30.0
) -> PeerResult:
    """Run ``tests/interop/peer/<program>.mjs`` with ``args``; its last stdout line answers."""
    done = subprocess.run(
        ["node", f"{program}.mjs", "-"],
        cwd=PEER_DIR,
        input=json.dumps(args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=peer_env(ca),
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if not lines:
        raise AssertionError(f"{program} printed nothing (exit {done.returncode}): {done.stderr}")
    body = _parse_line(lines[-1])
    ok = done.returncode == 0 and body.get("ok") is True
    return PeerResult(ok, body, done.stderr)


class PeerServer:
    """A long-running peer program (issuer or verifier): ``ready`` is its first line; ``result()``
    waits for its last one. ``stop()`` ends the process this object started."""

    def __init__(self, program: str, args: Mapping[str, Any], *, ca: TestCA) -> None:
        self.program = program
        self.stderr = ""
        self.process = subprocess.Popen(
            ["node", f"{program}.mjs", json.dumps(args)],
            cwd=PEER_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=peer_env(ca),
        )
        self.ready = self._read_line(timeout=20)
        if self.ready.get("event") != "ready":
            self.stop()
            raise AssertionError(f"{program} did not start: {self.ready}")

    def _read_line(self, *, timeout: float) -> dict[str, Any]:
        assert self.process.stdout is not None
        found: list[str] = []

        def read() -> None:
            assert self.process.stdout is not None
            found.append(self.process.stdout.readline())

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if not found or not found[0].strip():
            self.stop()
            raise AssertionError(f"{self.program} said nothing within {timeout} s: {self.stderr}")
        return _parse_line(found[0])

    def result(self, timeout: float = 20) -> dict[str, Any]:
        """The final line (the verifier prints one after it checked a presentation)."""
        return self._read_line(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stderr is not None and not self.process.stderr.closed:
            self.stderr = self.process.stderr.read()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> PeerServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
