"""``drukid demo``: the whole journey, on this machine, through the real HTTP endpoints.

It starts the issuer (the civil registry), the verifier (a bank) and the citizen's web wallet on
loopback ports in development mode with demo data, then walks the journey in the terminal:

1. the registry makes an offer for a citizen in its registry (operator API) → QR code + PIN;
2. the citizen's wallet receives the Foundational ID over OpenID4VCI (with the PIN);
3. the bank asks for name, CID and "over 18" (relying-party API) → QR code;
4. the wallet shows the consent summary in plain words and presents (OpenID4VP);
5. the bank reads the verified result;
6. the registry revokes the credential (operator API);
7. the bank's next check fails with "revoked".

X.509 as HAIP 1.0 wants it: a **development PKI** made on this machine (:mod:`drukid.devpki`:
a root standing in for the national digital-identity agency, an intermediate, and certificates
for the registry's signing key and the bank's request-signing key) lets the registry sign with
``x5c``, the bank identify itself as ``x509_hash:`` and check issuers against that root, and the
wallet trust it. The demo says so when it starts; it is never a setup for real data.

Afterwards the services keep running and the three page URLs are printed until Ctrl-C
(``--once`` exits after the journey). Nothing is shortcut: every step is an HTTP request a real
agency system, wallet or bank backend would make.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from core.terminal import out, styled
from credentials.x509 import LeafPurpose
from did.keys import PrivateKey
from drukid.devpki import DevelopmentPKI
from issuer.api.app import create_app as create_issuer_app
from issuer.operator import local_actor
from issuer.settings import IssuerSettings
from servicekit.qr import qr_terminal
from servicekit.runner import ServerThread, free_port, port_is_free
from verifier.api.app import create_app as create_verifier_app
from verifier.settings import VerifierSettings
from wallet.errors import WalletError
from wallet.holder import Wallet
from wallet.settings import WalletSettings

__all__ = ["DEMO_CITIZEN_CID", "DemoStack", "demo_command", "run_journey", "start_stack"]

DEMO_CITIZEN_CID = "11512003456"  # Karma Wangmo in the issuer's demo registry
DEMO_PASSPHRASE = "tashi delek demo wallet"  # noqa: S105 - printed for the demo on purpose
DEMO_PORTS = (8101, 8102, 8103)
BANK_NAME = "Bank of Bhutan — account opening desk"
BANK_ORGANIZATION = BANK_NAME  # the name its (development) certificate is issued to
REGISTRY_NAME = "Department of Civil Registration and Census"
STATUS_TTL = 3  # seconds a verifier may cache the status list; short so revocation shows fast
TYPES = ("foundational-id", "permanent-address", "business-licence")


@dataclass
class DemoStack:
    """The three running services and the credentials the demo uses to drive them."""

    data_dir: Path
    issuer_url: str
    verifier_url: str
    wallet_url: str | None
    issuer_key: str
    verifier_key: str
    wallet_path: Path
    root_file: Path | None = None  # the development PKI's root (what the wallet trusts)
    verifier_webhook_secret: str = ""
    passphrase: str = DEMO_PASSPHRASE
    servers: list[ServerThread] = field(default_factory=list)

    def stop(self) -> None:
        for server in reversed(self.servers):
            server.stop()

    def wallet_settings(self, data_dir: Path | None = None) -> WalletSettings:
        """Settings for a citizen's wallet that trusts the demo's development root."""
        return WalletSettings(
            mode="development",
            data_dir=data_dir or self.wallet_path.parent,
            x509_anchor_files=(self.root_file,) if self.root_file else (),
        )


def _ports(preferred: tuple[int, ...]) -> list[int]:
    """The preferred ports where free; 0 (or a taken port) means any free port."""
    return [port if port and port_is_free(port) else free_port() for port in preferred]


def _wallet_app(settings: WalletSettings) -> Any | None:
    """The web wallet's app, when this installation has it."""
    try:
        from wallet.web.app import create_app
    except ImportError:
        return None
    return create_app(settings)


def _key(path: Path) -> PrivateKey:
    if path.exists():
        return PrivateKey.load(path)
    key = PrivateKey.generate("ES256")
    key.save(path)
    return key


def _development_pki(folder: Path, issuer_url: str) -> dict[str, Path]:
    """The demo's development PKI (kept in ``folder``) and the certificate files of the
    registry's signing key and the bank's request-signing key."""
    pki = DevelopmentPKI.open(folder)
    files = {"root": pki.write_root(folder / "root.pem")}
    for role, purpose, uris, dns in (
        ("issuer", LeafPurpose.ISSUER, [issuer_url], []),
        ("verifier", LeafPurpose.VERIFIER, [], ["localhost"]),
    ):
        key = _key(folder / f"{role}-signing.jwk")
        organization = REGISTRY_NAME if role == "issuer" else BANK_ORGANIZATION
        chain = pki.issue(
            purpose,
            key.public_key,
            name=f"demo {role}",
            organization=organization,
            san_uris=uris,
            san_dns=dns,
        )
        files[f"{role}_chain"] = pki.write_chain(folder / f"{role}-chain.pem", chain)
        files[f"{role}_key"] = folder / f"{role}-signing.jwk"
    return files


def start_stack(data_dir: Path, *, ports: tuple[int, ...] = DEMO_PORTS) -> DemoStack:
    """Start issuer, verifier and web wallet on loopback with demo data; return when ready."""
    issuer_port, verifier_port, wallet_port = _ports(ports)
    issuer_url = f"http://127.0.0.1:{issuer_port}"
    verifier_url = f"http://127.0.0.1:{verifier_port}"
    pki = _development_pki(data_dir / "pki", issuer_url)
    issuer_app = create_issuer_app(
        IssuerSettings(
            mode="development",
            public_url=issuer_url,
            data_dir=data_dir / "issuer",
            name=REGISTRY_NAME,
            seed_demo_data=True,
            status_list_size=16_384,
            status_list_ttl=STATUS_TTL,
            x509_chain_file=pki["issuer_chain"],
            x509_key_file=pki["issuer_key"],
            x509_anchor_files=(pki["root"],),
        )
    )
    trust_file = data_dir / "verifier-trust.json"
    _write_trust(trust_file, issuer_url, pki["root"])
    verifier_app = create_verifier_app(
        VerifierSettings(
            mode="development",
            public_url=verifier_url,
            data_dir=data_dir / "verifier",
            trust_file=trust_file,
            name=BANK_NAME,
            client_id_scheme="x509_hash",
            x509_chain_file=pki["verifier_chain"],
            x509_key_file=pki["verifier_key"],
        )
    )
    wallet_settings = WalletSettings(
        mode="development",
        data_dir=data_dir / "wallet",
        port=wallet_port,
        x509_anchor_files=(pki["root"],),
    )
    wallet_app = _wallet_app(wallet_settings)
    stack = DemoStack(
        data_dir=data_dir,
        issuer_url=issuer_url,
        verifier_url=verifier_url,
        wallet_url=None,
        issuer_key="",
        verifier_key="",
        wallet_path=wallet_settings.wallet_path,
        root_file=pki["root"],
    )
    try:
        stack.servers.append(ServerThread(issuer_app, port=issuer_port).start())
        stack.servers.append(ServerThread(verifier_app, port=verifier_port).start())
        if wallet_app is not None:
            stack.servers.append(ServerThread(wallet_app, port=wallet_port).start())
            stack.wallet_url = f"http://127.0.0.1:{wallet_port}"
        # What an administrator does once with `drukid issuer apikey create` and
        # `drukid verifier apikey create`: make the keys the agency system and the bank use.
        stack.issuer_key = issuer_app.state.runtime.operator.admin.create_api_key(
            local_actor(), role="admin", label="demo registry system"
        ).token
        stack.verifier_key, stack.verifier_webhook_secret = (
            verifier_app.state.service.create_api_key(BANK_NAME)
        )
    except BaseException:
        stack.stop()
        raise
    return stack


def _write_trust(path: Path, issuer_url: str, root: Path) -> None:
    import json

    types = {type_id: f"{issuer_url}/types/{type_id}" for type_id in TYPES}
    entry = {
        "id": issuer_url,
        "valid_as_of": int(time.time()),  # the bank's trust list was reviewed just now
        "name": REGISTRY_NAME,
        "types": types,
    }
    # The development root vouches for the registry's certificate (x5c), as the national
    # agency's root would.
    anchor = {
        "name": "drukid development root",
        "certificate": root.read_text(encoding="ascii"),
        "types": types,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"issuers": [entry], "anchors": [anchor]}, indent=2), encoding="utf-8"
    )


# --- the journey ------------------------------------------------------------------------------


def _step(console: Console, number: int, text: str) -> None:
    console.print()
    console.print(Panel.fit(styled((f"{number}. {text}", "bold")), border_style="dark_orange"))


def _show_qr(console: Console, link: str, *, show: bool) -> None:
    if show:
        console.print(qr_terminal(link))
    console.print(styled("   link: ", (link, "cyan")))


def _ask_bank(bank: httpx.Client, console: Console, *, show_qr: bool) -> dict[str, Any]:
    response = bank.post("/api/v1/requests", json={"template": "account-opening"})
    response.raise_for_status()
    request: dict[str, Any] = response.json()
    console.print("   The bank's screen shows this QR code for the customer to scan:")
    _show_qr(console, request["uri"], show=show_qr)
    return request


def _present(wallet: Wallet, console: Console, uri: str, *, explain: bool = True) -> None:
    session = wallet.prepare_presentation(uri)
    consent = session.consent
    if not explain:
        shared = ", ".join(i.label for share in consent.credentials for i in share.shared)
        console.print(f"   The wallet shows the same consent screen ({shared}); Karma shares.")
        _approve(wallet, session, console)
        return
    who = consent.verifier
    if who.known:
        known = "a verifier you marked as known"
    elif who.certified_as:
        known = f"checked: its certificate is vouched for by {who.certified_by}"
    else:
        known = "not in your list of known verifiers"
    console.print(styled("   ", ("Who asks:", "bold"), f" {who.display_name} ({known})"))
    console.print(f"             {who.client_id}")
    console.print(styled("   ", ("Why:", "bold"), f" {consent.purpose or '(no reason given)'}"))
    for share in consent.credentials:
        console.print(styled("   ", (f"From your {share.title}:", "bold")))
        for item in share.shared:
            console.print(styled("     ", ("shared", "green"), f"  {item.label}: {item.value}"))
        hidden = ", ".join(item.label for item in share.hidden)
        console.print(styled("     ", (f"stays hidden: {hidden}", "dim")))
    for warning in consent.warnings:
        console.print(styled("   ", ("note:", "yellow"), f" {warning.text}"))
    if not consent.can_share:
        raise RuntimeError("; ".join(consent.problems))
    console.print(styled("   The citizen taps ", ("Share", "bold"), "."))
    _approve(wallet, session, console)


def _approve(wallet: Wallet, session: Any, console: Console) -> None:
    try:
        outcome = wallet.approve(session)
    except WalletError as exc:  # the verifier refused the answer and said why
        console.print(f"   wallet: {exc.message}")
        return
    console.print(f"   wallet: {outcome.outcome}")


def _await_result(bank: httpx.Client, request_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = bank.get(f"/api/v1/requests/{request_id}").json()
        if body.get("status") != "pending" or time.monotonic() > deadline:
            return body
        time.sleep(0.3)


def _show_result(console: Console, body: dict[str, Any]) -> bool:
    if body.get("status") == "verified":
        table = Table(title="What the bank received (verified)", show_header=False)
        for items in body.get("credentials", {}).values():
            for item in items:
                for name, value in item.get("claims", {}).items():
                    table.add_row(name, str(value))
                issuer = item.get("issuer_name") or item.get("issuer")
                table.add_row(styled(("issued by", "dim")), str(issuer))
                table.add_row(styled(("status", "dim")), str(item.get("status")))
                if item.get("key_mechanism") == "x5c":
                    table.add_row(styled(("issuer checked by", "dim")), "its certificate (x5c)")
                for key, label in (
                    ("status_checked_at", "status list as of"),
                    ("trust_valid_as_of", "trust data valid as of"),
                ):
                    if isinstance(item.get(key), int):
                        table.add_row(styled((label, "dim")), _when(item[key]))
        console.print(table)
        console.print(styled("   ", ("✔ Verified", "bold green")))
        return True
    error = body.get("error") or {}
    why = error.get("explanation") or body.get("status")
    console.print(
        styled(
            "   ", ("✘ Not accepted", "bold red"), f": {why}  ", (f"({error.get('code')})", "dim")
        )
    )
    return False


def _when(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def run_journey(stack: DemoStack, console: Console, *, show_qr: bool = True) -> bool:
    """Walk the journey; True when every step ended as it should (including the final refusal)."""
    registry = httpx.Client(
        base_url=stack.issuer_url,
        headers={"Authorization": f"Bearer {stack.issuer_key}"},
        timeout=30,
    )
    bank = httpx.Client(
        base_url=stack.verifier_url,
        headers={"Authorization": f"Bearer {stack.verifier_key}"},
        timeout=30,
    )
    wallet_settings = stack.wallet_settings()
    with registry, bank:
        _step(console, 1, "The civil registry issues a Foundational ID to Karma Wangmo")
        person = registry.get(f"/api/v1/registry/people/{DEMO_CITIZEN_CID}")
        person.raise_for_status()
        console.print(
            f"   registry record: {person.json().get('full_name')}, CID {DEMO_CITIZEN_CID}"
        )
        offer = registry.post(
            "/api/v1/offers",
            json={
                "credential_configuration_id": "foundational-id",
                "cid": DEMO_CITIZEN_CID,
                "tx_code": True,
            },
        )
        offer.raise_for_status()
        made = offer.json()
        console.print("   The clerk shows this QR code and tells the citizen the PIN separately:")
        _show_qr(console, made["offer_uri"], show=show_qr)
        console.print(styled("   PIN: ", (str(made["tx_code"]), "bold")))

        _step(console, 2, "Karma's wallet receives it (OpenID4VCI, with the PIN)")
        existing = stack.wallet_path.exists()
        opener = Wallet.open if existing else Wallet.create
        with opener(stack.wallet_path, stack.passphrase, settings=wallet_settings) as wallet:
            loaded = wallet.load_offer(made["offer_uri"])
            [view] = wallet.receive(loaded, tx_code=made["tx_code"])
            console.print(
                styled(
                    "   received ",
                    (view.title, "bold"),
                    f" from {view.issuer} — {view.copies} one-time copies, each with its own key",
                )
            )
            for claim in view.claims[:8]:
                value = claim.value if len(claim.value) < 60 else claim.value[:57] + "…"
                console.print(f"     {claim.label}: {value}")

            _step(console, 3, "A bank asks for name, CID and 'over 18' to open an account")
            request = _ask_bank(bank, console, show_qr=show_qr)

            _step(console, 4, "The wallet explains the request in plain words; Karma shares")
            _present(wallet, console, request["uri"])

            _step(console, 5, "The bank sees the verified result")
            first_ok = _show_result(console, _await_result(bank, request["id"]))

            _step(console, 6, "The registry revokes the credential")
            revoked = registry.post(
                f"/api/v1/offers/{made['offer_ref']}/revoke",
                json={"reason": "Demo: the citizen reported her phone stolen"},
            )
            revoked.raise_for_status()
            changed = revoked.json()["changed"]
            console.print(
                f"   {changed} copies from offer {made['offer_ref']} revoked in one step; "
                "the status list now says so."
            )
            console.print(
                f"   Verifiers may cache the list for {STATUS_TTL} s (its ttl); waiting for that."
            )
            time.sleep(STATUS_TTL + 1)

            _step(console, 7, "The bank checks again: the revocation shows")
            request = _ask_bank(bank, console, show_qr=show_qr)
            _present(wallet, console, request["uri"], explain=False)
            second = _await_result(bank, request["id"])
            second_refused = not _show_result(console, second)
            revoked_reason = (second.get("error") or {}).get("code") == "status_revoked"

            console.print("   Karma's wallet asks the registry about its credentials:")
            [checked] = wallet.check_status(view.id)
            words = checked.status_text
            console.print(
                styled(f"     {checked.title}: ", (words.word, "bold"), f" {words.as_of}")
            )
            console.print(f"     {words.note}")
    ok = first_ok and second_refused and revoked_reason
    console.print()
    console.print(
        styled(("Journey complete.", "bold green")) if ok else styled(("Unexpected.", "bold red"))
    )
    return ok


@contextlib.contextmanager
def _data_dir(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="drukid-demo-") as tmp:
        yield Path(tmp)


def demo_command(
    once: Annotated[bool, typer.Option("--once", help="exit after the journey")] = False,
    data_dir: Annotated[
        Path | None, typer.Option(help="keep the demo's data here (default: a temporary folder)")
    ] = None,
    no_qr: Annotated[bool, typer.Option("--no-qr", help="print links instead of QR codes")] = False,
) -> None:
    """Start issuer, verifier and web wallet on this machine and walk the whole journey."""
    console = out
    # Library warnings (e.g. "did:web over plain HTTP (development mode)") as quiet log lines.
    logging.basicConfig(level=logging.WARNING, format="   log: %(message)s")
    with _data_dir(data_dir) as folder:
        console.print(
            styled(("drukid demo", "bold"), ": starting the registry, the bank and the wallet…")
        )
        stack = start_stack(folder)
        console.print(
            "   This is a development setup: a certificate authority made on this machine "
            f"({stack.root_file}) stands in for the national digital-identity agency. The "
            "registry signs with a certificate from it, the bank identifies itself with one, "
            "and the wallet trusts it. Never use it for real data."
        )
        try:
            ok = run_journey(stack, console, show_qr=not no_qr)
            if not once:
                _serve_until_interrupted(stack, console)
        finally:
            stack.stop()
    if not ok:
        raise typer.Exit(1)


def _serve_until_interrupted(stack: DemoStack, console: Console) -> None:
    console.print()
    console.print("The services keep running. Open the pages in a browser:")
    lines = [
        f"  agency operator: {stack.issuer_url}/operator   (API key: {stack.issuer_key})",
        f"  bank teller:     {stack.verifier_url}/teller   (API key: {stack.verifier_key})",
        f"  bank webhooks are signed with: {stack.verifier_webhook_secret}",
    ]
    if stack.wallet_url:
        lines.append(f"  citizen wallet:  {stack.wallet_url}   (passphrase: {stack.passphrase})")
    for line in lines:  # never wrapped: the keys must stay copyable
        console.print(line, soft_wrap=True, highlight=False)
    console.print("Press Ctrl-C to stop.")
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(1)
