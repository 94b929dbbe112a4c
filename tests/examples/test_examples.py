"""The scripts in examples/ run as real programs against a real issuer and verifier.

One stack (``drukid.demo.start_stack``: issuer + verifier + web wallet on loopback, development
mode) serves the whole module. Each script runs as a subprocess (``sys.executable
examples/x.py``), and where a citizen must answer, the test reads the request link from the
script's output while it runs and answers it with the wallet library.
"""

from __future__ import annotations

import base64
import json
import os
import queue
import re
import runpy
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from did.keys import PrivateKey, PublicKey
from drukid.cli import app as drukid_cli
from drukid.demo import DemoStack, start_stack
from servicekit.qr import decode_qr_image
from servicekit.runner import free_port, serve_in_thread
from tests.support.fake_verifier import FakeVerifier, query
from verifier import (
    SIGNATURE_HEADER,
    create_trust_bundle,
    load_authority_key,
    sign_webhook,
    verify_trust_bundle,
)
from wallet import ScryptParams, Wallet

pytestmark = [pytest.mark.network, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
KARMA = "11512003456"  # Karma Wangmo, born 1994 (demo registry)
SONAM = "10711001234"  # Sonam Dorji: his credential gets revoked
DECHEN = "11410006789"  # Dechen Yangzom, born 2009: under 18
PASSPHRASE = "correct horse battery"
WAIT = 60  # seconds a step may take before the test gives up (a hung script fails, not hangs)


# --- running the scripts ------------------------------------------------------------------------


def script_env(**values: str) -> dict[str, str]:
    """The caller's environment without any DRUKID_* setting, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRUKID_")}
    env.update(PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", **values)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [values.get("PYTHONPATH"), str(ROOT)]))
    return env


def run(script: str, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=WAIT,
        check=False,
    )


class Running:
    """A script running in the background; its output read line by line as it comes."""

    def __init__(self, script: str, *args: str, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(EXAMPLES / script), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, prefix: str) -> str:
        """The rest of the first output line that starts with ``prefix``."""
        deadline = time.monotonic() + WAIT
        while True:
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                self.proc.wait(WAIT)
                pytest.fail(f"ended before {prefix!r}:\n{''.join(self.seen)}{self.stderr()}")
            self.seen.append(line)
            if line.startswith(prefix):
                return line.removeprefix(prefix).strip()

    def stderr(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.read()

    def finish(self) -> tuple[int, str, str]:
        code = self.proc.wait(WAIT)
        while (line := self.lines.get(timeout=WAIT)) is not None:
            self.seen.append(line)
        return code, "".join(self.seen), self.stderr()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(WAIT)
        self.reader.join(WAIT)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def running() -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for proc in started:
        proc.close()


def request_id_of(link: str) -> str:
    request_uri = parse_qs(urlsplit(link).query)["request_uri"][0]
    return request_uri.rstrip("/").rsplit("/", 1)[1]


# --- the services, the citizens and the bank ----------------------------------------------------


@dataclass
class Bank:
    api_key: str
    webhook_secret: str


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoStack]:
    # A port free a moment ago may be taken before uvicorn binds it (another test run, or any
    # outgoing connection's ephemeral port): start again on other ports, up to three times.
    for attempt in range(3):
        try:
            started = start_stack(
                tmp_path_factory.mktemp("stack"), ports=(free_port(), free_port(), free_port())
            )
            break
        except RuntimeError:
            if attempt == 2:
                raise
    yield started
    started.stop()


def cli(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(drukid_cli, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def bank(stack: DemoStack) -> Bank:
    """The bank's API key and webhook secret, made the way its administrator would."""
    out = cli(
        "verifier",
        "apikey",
        "create",
        "--name",
        "bank backend",
        env={
            "DRUKID_VERIFIER_MODE": "development",
            "DRUKID_VERIFIER_DATA_DIR": str(stack.data_dir / "verifier"),
        },
    )
    api_key = re.search(r"api key:\s+(\S+)", out)
    secret = re.search(r"webhook secret:\s+(\S+)", out)
    assert api_key, out
    assert secret, out
    return Bank(api_key[1], secret[1])


def offer(stack: DemoStack, cid: str) -> dict[str, Any]:
    response = httpx.post(
        f"{stack.issuer_url}/api/v1/offers",
        json={"credential_configuration_id": "foundational-id", "cid": cid, "tx_code": True},
        headers={"Authorization": f"Bearer {stack.issuer_key}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def new_wallet(folder: Path, stack: DemoStack) -> Wallet:
    # The demo's registry signs with x5c: the citizen's wallet trusts its development root.
    settings = stack.wallet_settings(folder)
    return Wallet.create(
        folder / "wallet.db", PASSPHRASE, settings=settings, kdf=ScryptParams(n=2**4)
    )


def citizen(stack: DemoStack, folder: Path, cid: str) -> Wallet:
    """A wallet holding the Foundational ID of ``cid``."""
    made = offer(stack, cid)
    wallet = new_wallet(folder, stack)
    wallet.receive(wallet.load_offer(made["offer_uri"]), tx_code=made["tx_code"])
    return wallet


@pytest.fixture(scope="module")
def karma(stack: DemoStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wallet]:
    with citizen(stack, tmp_path_factory.mktemp("karma"), KARMA) as wallet:
        yield wallet


def share(wallet: Wallet, link: str) -> None:
    session = wallet.prepare_presentation(link)
    assert session.consent.can_share, session.consent.problems
    assert wallet.approve(session).outcome == "shared"


# --- agency_issue.py ----------------------------------------------------------------------------


def issuer_env(stack: DemoStack) -> dict[str, str]:
    return script_env(DRUKID_ISSUER_URL=stack.issuer_url, DRUKID_ISSUER_API_KEY=stack.issuer_key)


def test_agency_issue_one_citizen_with_pin_and_qr(stack: DemoStack, tmp_path: Path) -> None:
    out = tmp_path / "offers"
    done = run(
        "agency_issue.py", "--cid", KARMA, "--tx-code", "--out", str(out), env=issuer_env(stack)
    )
    assert done.returncode == 0, done.stderr
    link = re.search(r"link:\s+(openid-credential-offer://\S+)", done.stdout)
    pin = re.search(r"PIN:\s+(\d{6})\b", done.stdout)
    assert link, done.stdout
    assert pin, done.stdout
    assert done.stdout.rstrip().endswith("Summary: 1 offer(s) created, 0 refused.")
    [png] = out.glob("*.png")
    assert out.stat().st_mode & 0o777 == 0o700
    assert png.stat().st_mode & 0o777 == 0o600  # the link is a bearer secret
    assert f"QR:    {png}" in done.stdout
    assert decode_qr_image(png) == [link[1]]
    # What the script printed is what a citizen needs: the wallet receives with it.
    with new_wallet(tmp_path / "wallet", stack) as wallet:
        [view] = wallet.receive(wallet.load_offer(link[1]), tx_code=pin[1])
        assert view.type_id == "foundational-id"


def test_agency_issue_from_csv_reports_each_row(stack: DemoStack, tmp_path: Path) -> None:
    rows = tmp_path / "people.csv"
    rows.write_text(f"cid,type\n{KARMA},\n{SONAM},permanent-address\n99999999999,\n\n")
    done = run(
        "agency_issue.py", "--csv", str(rows), "--out", str(tmp_path / "qr"), env=issuer_env(stack)
    )
    assert done.returncode == 1, done.stderr
    assert f"offer    {KARMA} (foundational-id)" in done.stdout
    assert f"offer    {SONAM} (permanent-address)" in done.stdout
    assert "refused  99999999999 (foundational-id): no person with CID 99999999999" in done.stdout
    assert "PIN:" not in done.stdout  # no --tx-code
    assert len(list((tmp_path / "qr").glob("*.png"))) == 2
    assert done.stdout.rstrip().endswith("Summary: 2 offer(s) created, 1 refused.")


# --- failures every HTTP script reports plainly ---------------------------------------------------


def load_main(script: str) -> Callable[[list[str]], int]:
    """The script's ``main`` (for cheap in-process checks; the flows run as subprocesses)."""
    return runpy.run_path(str(EXAMPLES / script))["main"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("script", ["agency_issue.py", "bank_kyc.py", "age_check.py"])
def test_bad_key_and_unreachable_service_are_plain_errors(
    stack: DemoStack,
    script: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    is_issuer = script == "agency_issue.py"
    role = "ISSUER" if is_issuer else "VERIFIER"
    url = stack.issuer_url if is_issuer else stack.verifier_url
    args = ["--cid", KARMA] if is_issuer else ["--no-qr", "--timeout", "5"]
    env = script_env(**{f"DRUKID_{role}_URL": url, f"DRUKID_{role}_API_KEY": "drk_not-a-key"})
    bad_key = run(script, *args, env=env)
    assert bad_key.returncode == 2
    assert "refused the API key" in bad_key.stderr
    assert "Traceback" not in bad_key.stderr
    assert "drk_not-a-key" not in bad_key.stderr + bad_key.stdout
    main = load_main(script)
    for name in os.environ:
        if name.startswith("DRUKID_"):
            monkeypatch.delenv(name)
    closed = f"http://127.0.0.1:{free_port()}"
    assert main([*args, "--url", closed, "--api-key", "drk_x"]) == 2
    assert f"cannot reach the {role.lower()} at {closed}" in capsys.readouterr().err
    with pytest.raises(SystemExit) as missing:
        main(args)
    assert missing.value.code == 2
    assert "an API key is needed" in capsys.readouterr().err


# --- bank_kyc.py --------------------------------------------------------------------------------


def verifier_env(stack: DemoStack, bank: Bank, **extra: str) -> dict[str, str]:
    return script_env(
        DRUKID_VERIFIER_URL=stack.verifier_url, DRUKID_VERIFIER_API_KEY=bank.api_key, **extra
    )


def test_bank_kyc_accepts_only_the_signed_webhook(
    stack: DemoStack, bank: Bank, karma: Wallet, running: list[Running]
) -> None:
    env = verifier_env(stack, bank, DRUKID_VERIFIER_WEBHOOK_SECRET=bank.webhook_secret)
    script = Running("bank_kyc.py", "--timeout", "30", env=env)
    running.append(script)
    receiver = script.wait_for("Webhook receiver listening on ")
    link = script.wait_for("Link: ")
    assert any("█" in line for line in script.seen), "the QR code is drawn in the terminal"
    # Someone who knows the receiver's address (and even the request id) but not the secret.
    forged = json.dumps(
        {
            "event": "presentation.completed",
            "id": request_id_of(link),
            "status": "verified",
            "claims": {"full_name": "Mallory"},
        }
    ).encode()
    now = int(time.time())
    attempts = {
        "unsigned": {},
        "wrong secret": {SIGNATURE_HEADER: sign_webhook(forged, "whsec_guess", timestamp=now)},
        "replayed": {
            SIGNATURE_HEADER: sign_webhook(forged, bank.webhook_secret, timestamp=now - 3600)
        },
    }
    for name, headers in attempts.items():
        answer = httpx.post(receiver, content=forged, headers=headers, timeout=10)
        assert answer.status_code == 401, name
    share(karma, link)
    code, out, err = script.finish()
    assert code == 0, out + err
    assert out.count("Refused a webhook call: invalid signature") == 3
    assert "(webhook_signature_invalid)" in out
    assert "(webhook_stale)" in out
    assert "Webhook received; its signature is valid." in out
    assert "Identity verified (issued by Department of Civil Registration and Census, valid)" in out
    assert "  Full name: Karma Wangmo" in out
    assert f"  Citizenship ID (CID): {KARMA}" in out
    assert "  Date of birth: 1994-03-12" in out
    assert "Mallory" not in out
    assert "polling" not in out


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        ({}, "No webhook secret given: polling for the result instead of a webhook."),
        (  # a webhook URL the verifier refuses (only https, or loopback in development)
            {"DRUKID_VERIFIER_WEBHOOK_SECRET": "whsec_x"},
            "The verifier cannot use the webhook (the verifier said: webhook_url must be an "
            "https:// URL (invalid_request)); polling instead.",
        ),
    ],
    ids=["no-secret", "webhook-refused"],
)
def test_bank_kyc_falls_back_to_polling(
    stack: DemoStack,
    bank: Bank,
    karma: Wallet,
    running: list[Running],
    extra: dict[str, str],
    said: str,
) -> None:
    args = ["--no-qr", "--timeout", "30", "--webhook-url", "http://bank.example/hook"]
    script = Running("bank_kyc.py", *args, env=verifier_env(stack, bank, **extra))
    running.append(script)
    link = script.wait_for("Link: ")
    share(karma, link)
    code, out, err = script.finish()
    assert code == 0, out + err
    assert said in out
    assert "  Full name: Karma Wangmo" in out


# --- age_check.py -------------------------------------------------------------------------------


def test_age_check_learns_only_the_age(
    stack: DemoStack, bank: Bank, karma: Wallet, running: list[Running]
) -> None:
    script = Running(
        "age_check.py", "--timeout", "30", "--interval", "0.2", env=verifier_env(stack, bank)
    )
    running.append(script)
    link = script.wait_for("Link: ")
    share(karma, link)
    code, out, err = script.finish()
    assert code == 0, out + err
    assert out.split(link, 1)[1].strip() == "Customer is over 18: yes"  # the only answer line
    for personal in ("Karma", KARMA, "1994", "birthdate", "full_name"):
        assert personal not in out
    # And the verifier really received nothing else (data minimisation end to end).
    view = httpx.get(
        f"{stack.verifier_url}/api/v1/requests/{request_id_of(link)}",
        headers={"Authorization": f"Bearer {bank.api_key}"},
        timeout=10,
    ).json()
    assert view["claims"] == {"age_over_18": True}


def test_age_check_when_the_customer_cannot_show_it(
    stack: DemoStack, bank: Bank, running: list[Running], tmp_path: Path
) -> None:
    script = Running(
        "age_check.py",
        "--no-qr",
        "--timeout",
        "30",
        "--interval",
        "0.2",
        env=verifier_env(stack, bank),
    )
    running.append(script)
    link = script.wait_for("Link: ")
    with citizen(stack, tmp_path, DECHEN) as dechen:  # 17: her wallet cannot prove "over 18"
        session = dechen.prepare_presentation(link)
        assert not session.consent.can_share
        dechen.refuse(session)
    code, out, _ = script.finish()
    assert code == 1
    assert out.rstrip().endswith("Age not checked: The holder declined to share the information.")
    silent = run(
        "age_check.py",
        "--no-qr",
        "--timeout",
        "1",
        "--interval",
        "0.2",
        env=verifier_env(stack, bank),
    )
    assert silent.returncode == 1
    assert silent.stdout.rstrip().endswith("Age not checked: the customer did not answer in time.")


# --- offline_check.py ---------------------------------------------------------------------------


@dataclass
class Offline:
    folder: Path
    bundle: Path
    authority_public: Path
    valid: Path  # Karma's presentation
    revoked: Path  # Sonam's presentation; his credential is revoked in the bundle
    nonce: dict[Path, str]
    aud: str

    def args(self, presentation: Path, *, bundle: Path | None = None) -> list[str]:
        return [
            "--bundle",
            str(bundle or self.bundle),
            "--authority-key",
            str(self.authority_public),
            "--presentation",
            str(presentation),
            f"--nonce={self.nonce[presentation]}",  # a nonce may start with "-"
            "--aud",
            self.aud,
        ]


def capture_presentation(wallet: Wallet, desk: FakeVerifier, vct: str, path: Path) -> str:
    """Let ``wallet`` answer a request of ``desk`` and keep the presentation; its nonce."""
    link, ident = desk.create_request(
        query(vct, ["full_name"], ["cid"]), response_mode="direct_post"
    )
    share(wallet, link)
    session = desk.sessions[ident]
    [presentation] = json.loads(session.raw_form["vp_token"])["pid"]
    path.write_text(presentation)
    return str(session.request["nonce"])


def status_list_of(presentation: str) -> str:
    payload = presentation.split("~", 1)[0].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["status"]["status_list"]["uri"])


@pytest.fixture(scope="module")
def offline(stack: DemoStack, karma: Wallet, tmp_path_factory: pytest.TempPathFactory) -> Offline:
    """Two presentations made for an office's verifier, then a bundle made as README says."""
    folder = tmp_path_factory.mktemp("office")
    port = free_port()
    desk = FakeVerifier(f"http://127.0.0.1:{port}", now=int(time.time()), name="Paro office")
    jwks = httpx.get(f"{stack.issuer_url}/.well-known/jwt-vc-issuer", timeout=10).json()
    desk.issuer_keys = {
        stack.issuer_url: {k["kid"]: PublicKey.from_jwk(k) for k in jwks["jwks"]["keys"]}
    }
    vct = f"{stack.issuer_url}/types/foundational-id"
    valid, revoked = folder / "karma.txt", folder / "sonam.txt"
    with serve_in_thread(desk.build_app(), port=port):
        nonces = {valid: capture_presentation(karma, desk, vct, valid)}
        with citizen(stack, folder / "sonam-wallet", SONAM) as sonam:
            nonces[revoked] = capture_presentation(sonam, desk, vct, revoked)
    # The agency revokes Sonam's credential (every copy) through its operator API.
    operator = httpx.Client(
        base_url=stack.issuer_url,
        timeout=10,
        headers={"Authorization": f"Bearer {stack.issuer_key}"},
    )
    with operator:
        for item in operator.get("/api/v1/credentials", params={"subject": SONAM}).json()["items"]:
            operator.post(f"/api/v1/credentials/{item['id']}/revoke").raise_for_status()
    # The trust authority makes the bundle (examples/README.md, "offline_check.py").
    key, public = folder / "authority.jwk", folder / "authority.public.jwk"
    public.write_text(cli("verifier", "trust", "keygen", "--out", str(key)))
    trust = folder / "trust.json"
    cli(
        "verifier",
        "trust",
        "add",
        "--issuer",
        stack.issuer_url,
        "--pin-keys",
        "--development",
        "--file",
        str(trust),
    )
    # trust add recorded the issuer's status lists from <issuer>/status (as the README says).
    entries = json.loads(trust.read_text())
    lists = {status_list_of(p.read_text()) for p in (valid, revoked)}
    assert lists <= set(entries["issuers"][0]["status_lists"])
    bundle = folder / "bundle.jwt"
    out = cli(
        "verifier",
        "trust",
        "export-bundle",
        "--authority-key",
        str(key),
        "--out",
        str(bundle),
        "--file",
        str(trust),
        "--development",
    )
    assert f"1 issuer(s), {len(lists)} status list(s)" in out
    return Offline(folder, bundle, public, valid, revoked, nonces, desk.client_id)


@pytest.fixture(scope="module")
def no_network(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment in which every socket connection and name lookup fails."""
    folder = tmp_path_factory.mktemp("no-network")
    (folder / "sitecustomize.py").write_text(
        "import socket\n"
        "def _refuse(*args, **kwargs):\n"
        "    raise OSError('network disabled by the test')\n"
        "socket.socket.connect = socket.socket.connect_ex = _refuse\n"
        "socket.create_connection = socket.getaddrinfo = _refuse\n"
    )
    return script_env(PYTHONPATH=str(folder))


def test_no_network_environment_really_has_no_network(
    stack: DemoStack, no_network: dict[str, str]
) -> None:
    probe = f"import httpx; httpx.get({stack.issuer_url + '/health'!r}, timeout=5)"
    reachable = subprocess.run([sys.executable, "-c", probe], env=script_env(), timeout=WAIT)
    assert reachable.returncode == 0
    blocked = subprocess.run(
        [sys.executable, "-c", probe], env=no_network, timeout=WAIT, capture_output=True, text=True
    )
    assert blocked.returncode != 0
    assert "network disabled by the test" in blocked.stderr


def test_offline_check_verifies_with_no_network(
    offline: Offline, no_network: dict[str, str]
) -> None:
    done = run("offline_check.py", *offline.args(offline.valid), env=no_network)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Verified offline: a credential from Department of Civil Regis")
    assert re.fullmatch(
        r"  status: valid \(status list as of \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", lines[1]
    )
    assert re.fullmatch(r"  trust data valid as of \d{4}-\d\d-\d\d \d\d:\d\d UTC", lines[2])
    assert sorted(lines[3:]) == [f'  cid: "{KARMA}"', '  full_name: "Karma Wangmo"']


def test_offline_check_refuses_a_revoked_credential(
    offline: Offline, no_network: dict[str, str]
) -> None:
    done = run("offline_check.py", *offline.args(offline.revoked), env=no_network)
    assert done.returncode == 1
    assert done.stdout.startswith("Not accepted: This credential has been revoked by its issuer.")
    assert "(status_revoked:" in done.stdout


def test_offline_check_refuses_expired_or_forged_bundles(
    offline: Offline, no_network: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    now = int(time.time())
    authority = PrivateKey.load(offline.folder / "authority.jwk")
    good = verify_trust_bundle(
        offline.bundle.read_text(), load_authority_key(str(offline.authority_public)), now=now
    )
    expired = offline.folder / "expired.jwt"
    expired.write_text(
        create_trust_bundle(
            good, key=authority, iss="drukid trust authority", iat=now - 8 * 86400, exp=now - 86400
        )
    )
    forged = offline.folder / "forged.jwt"  # the same content, signed by someone else
    forged.write_text(
        create_trust_bundle(
            good, key=PrivateKey.generate("ES256"), iss="x", iat=now, exp=now + 86400
        )
    )
    for bundle, explanation, code in (
        (
            expired,
            "The list of trusted issuers is out of date; it must be renewed.",
            "trust_bundle_expired",
        ),
        (forged, "The list of trusted issuers is damaged or not genuine.", "trust_bundle_invalid"),
    ):
        done = run("offline_check.py", *offline.args(offline.valid, bundle=bundle), env=no_network)
        assert done.returncode == 1, done.stdout
        assert done.stdout.startswith(f"Not accepted: {explanation}")
        assert f"({code}:" in done.stdout
        assert "Traceback" not in done.stderr
    # The private authority key is never what a verifier pins.
    args = offline.args(offline.valid)
    args[args.index("--authority-key") + 1] = str(offline.folder / "authority.jwk")
    assert load_main("offline_check.py")(args) == 2
    assert "must be a public JWK" in capsys.readouterr().err


# --- every script explains every option ---------------------------------------------------------


@pytest.mark.parametrize(
    "script", ["agency_issue.py", "bank_kyc.py", "age_check.py", "offline_check.py"]
)
def test_help_explains_every_option(
    script: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRUKID_VERIFIER_API_KEY", "drk_secret-in-env")
    monkeypatch.setenv("DRUKID_ISSUER_API_KEY", "drk_secret-in-env")
    monkeypatch.setenv("COLUMNS", "100")
    with pytest.raises(SystemExit) as done:
        load_main(script)(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    options = []
    for number, line in enumerate(lines):
        option = re.match(r"  (?:-\w, )?(--[a-z-]+)(?: [A-Z_]+)?(.*)", line)
        if option:
            options.append(option[1])
            # the help text follows on the same line, or starts the next (indented) line
            after = lines[number + 1] if number + 1 < len(lines) else ""
            described = option[2].strip() or re.match(r" {10,}[^-\s]", after)
            assert described, f"{script}: {option[1]} has no help text"
    assert len(options) >= 5, text
    assert "drk_secret-in-env" not in text  # --help never shows a secret default
