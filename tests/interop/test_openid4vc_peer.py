"""Interop with an implementation drukid did not write: the Credo/Animo OpenID4VC stack (the
published ``@openid4vc/*``, ``@sd-jwt/*`` and ``dcql`` npm packages that Bhutan's NDI platform
runs on), driven by the small Node.js programs in ``tests/interop/peer`` (see its README).

Both directions, both protocols, over TLS on loopback (the libraries want ``https://``
identifiers and did:web resolves over https only; a throwaway CA signs every TLS certificate,
Node trusts it through ``NODE_EXTRA_CA_CERTS`` and drukid through ``SSL_CERT_FILE``). A
development PKI (:mod:`drukid.devpki`, standing in for the national digital-identity agency)
certifies drukid's issuer and verifiers:

* the peer wallet receives from drukid's issuer (pre-authorized code + tx_code, batch; x5c as
  HAIP 1.0 wants it, and JWT VC Issuer Metadata from an uncertified drukid issuer) and presents
  to drukid's verifier (``decentralized_identifier:``, ``redirect_uri:`` by value,
  ``x509_hash:`` and ``x509_san_dns:``; ``direct_post`` and ``direct_post.jwt``);
* drukid's wallet receives from the peer issuer (x5c, did:web, did:jwk) and presents to the
  peer verifier (did:web, did:jwk, ``redirect_uri:``, ``x509_hash:`` with a registration
  certificate), including drukid's own x5c credential, and a revoked one that the peer
  verifier refuses;
* drukid's Token Status List decodes and verifies in the peer; a revoked credential reads
  revoked.

There are no expected failures left: each flow that the peer once refused (see the README's
history) passes, and a regression fails the test with the peer's own refusal.
"""

from __future__ import annotations

import json
import ssl
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from credentials.jose import parse_jws
from credentials.x509 import LeafPurpose
from did.keys import PrivateKey
from drukid.devpki import DevelopmentPKI, pem
from issuer.api.app import create_app as create_issuer
from issuer.operator import OfferItem, local_actor
from issuer.settings import IssuerSettings
from tests.conftest import _missing
from tests.support.peer import (
    PeerResult,
    PeerServer,
    TestCA,
    ensure_peer,
    free_port,
    run_peer,
    serve_tls,
)
from verifier.api.app import create_app as create_verifier
from verifier.settings import VerifierSettings
from wallet.errors import PresentError
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams

pytestmark = [pytest.mark.interop, pytest.mark.network, pytest.mark.slow]

KARMA = "11512003456"
PASSPHRASE = "interop passphrase 1234"
PEER_TX_CODE = "493536"
PEER_CLAIMS = {
    "given_name": "Karma",
    "family_name": "Wangmo",
    "birthdate": "1994-03-12",
    "age_over_18": True,
}
TYPES = ("foundational-id", "permanent-address", "business-licence")
SCHEMES = ("decentralized_identifier", "redirect_uri", "x509_hash", "x509_san_dns")


def expect(outcome: PeerResult) -> PeerResult:
    """``outcome`` must succeed; otherwise the test fails with the peer's whole answer."""
    if not outcome.ok:
        pytest.fail(f"the peer failed:\n{json.dumps(outcome.body, indent=1)[:4000]}")
    return outcome


# --- the stack ---------------------------------------------------------------------------------


@dataclass
class Stack:
    ca: TestCA
    pki: DevelopmentPKI
    root_file: Path
    tls: dict[str, str]
    issuer: Any  # certified: signs with x5c (HAIP)
    issuer_url: str
    plain: Any  # no certificate: JWT VC Issuer Metadata and did:web only
    plain_url: str
    verifiers: dict[str, tuple[Any, str, str]]  # client_id_scheme -> (app, url, API token)

    @property
    def root_pem(self) -> str:
        return pem([self.pki.root]).decode("ascii")

    def offer(self, *, certified: bool = True, tx_code: bool = True) -> Any:
        app = self.issuer if certified else self.plain
        return app.state.runtime.operator.offers.create(
            local_actor(), OfferItem("foundational-id", KARMA, tx_code=tx_code)
        )

    def run(self, program: str, args: dict[str, Any]) -> PeerResult:
        return run_peer(program, args, ca=self.ca)

    def request(self, scheme: str, *, template: str, mode: str) -> dict[str, Any]:
        with self.bank(scheme) as bank:
            created = bank.post(
                "/api/v1/requests", json={"template": template, "response_mode": mode}
            )
        assert created.status_code == 201, created.text
        body: dict[str, Any] = created.json()
        return body

    def bank(self, scheme: str) -> httpx.Client:
        _app, url, token = self.verifiers[scheme]
        return httpx.Client(
            base_url=url,
            verify=ssl.create_default_context(cafile=self.ca.bundle_file),
            timeout=10,
            headers={"Authorization": f"Bearer {token}"},
        )

    def result(self, scheme: str, request_id: str) -> dict[str, Any]:
        with self.bank(scheme) as bank:
            body: dict[str, Any] = bank.get(f"/api/v1/requests/{request_id}").json()
        return body


REVIEWED = "address-review"


def _review_type(folder: Path) -> Path:
    """An extra type, the permanent address an officer approves first (deferred issuance)."""
    from issuer.types import __file__ as types_file

    data = json.loads((Path(types_file).parent / "permanent-address.json").read_text())
    data.update({"id": REVIEWED, "approval": "operator"})
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{REVIEWED}.json").write_text(json.dumps(data))
    return folder


def _write_key_and_chain(
    directory: Path, name: str, chain: tuple[Any, ...], key: PrivateKey
) -> tuple[Path, Path]:
    chain_file = DevelopmentPKI.write_chain(directory / f"{name}-chain.pem", chain)
    key_file = directory / f"{name}.jwk"
    key.save(key_file)
    return chain_file, key_file


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    ensure_peer(_missing)
    tmp = tmp_path_factory.mktemp("openid4vc-peer")
    ca = TestCA(tmp / "pki")
    pki = DevelopmentPKI.create()
    root_file = pki.write_root(tmp / "national-root.pem")
    cert, key = ca.server_certificate()
    with pytest.MonkeyPatch.context() as env, ExitStack() as running:
        env.setenv("SSL_CERT_FILE", str(ca.bundle_file))  # drukid's fetchers trust the test CA
        issuers = {}
        for kind in ("certified", "plain"):
            port = free_port()
            url = f"https://127.0.0.1:{port}"
            x509: dict[str, Any] = {}
            if kind == "certified":
                signing = PrivateKey.generate("ES256")
                chain = pki.issue(
                    LeafPurpose.ISSUER,
                    signing.public_key,
                    name="Civil registry signing",
                    organization="Department of Civil Registration and Census",
                    san_uris=[url],
                )
                chain_file, key_file = _write_key_and_chain(tmp, "issuer", chain, signing)
                x509 = {
                    "x509_chain_file": chain_file,
                    "x509_key_file": key_file,
                    "x509_anchor_files": (root_file,),
                    "x509_required": True,
                }
            app = create_issuer(
                IssuerSettings(
                    mode="development",
                    public_url=url,
                    data_dir=tmp / f"issuer-{kind}",
                    status_list_size=4096,
                    seed_demo_data=True,
                    status_list_ttl=1,
                    types_dir=_review_type(tmp / f"types-{kind}"),
                    **x509,
                )
            )
            running.enter_context(serve_tls(app, port=port, cert=cert, key=key))
            issuers[kind] = (app, url)
        trust = tmp / "trust.json"
        issuer_url, plain_url = issuers["certified"][1], issuers["plain"][1]
        entries = [
            {
                "id": url,
                "name": "Department of Civil Registration and Census",
                "types": {t: f"{url}/types/{t}" for t in TYPES},
            }
            for url in (issuer_url, plain_url)
        ]
        anchor = {
            "name": "drukid development root",
            "certificate": pem([pki.root]).decode("ascii"),
            "types": {t: f"{issuer_url}/types/{t}" for t in TYPES},
        }
        trust.write_text(json.dumps({"issuers": entries, "anchors": [anchor]}))
        verifiers = {}
        for scheme in SCHEMES:
            port = free_port()
            # x509_san_dns: wallets check that the answer goes to the certificate's host.
            host = "localhost" if scheme == "x509_san_dns" else "127.0.0.1"
            url = f"https://{host}:{port}"
            x509 = {}
            if scheme.startswith("x509_"):
                signing = PrivateKey.generate("ES256")
                chain = pki.issue(
                    LeafPurpose.VERIFIER,
                    signing.public_key,
                    name="KYC desk",
                    organization="Bank of Bhutan",
                    san_dns=["localhost"],
                )
                chain_file, key_file = _write_key_and_chain(tmp, scheme, chain, signing)
                x509 = {"x509_chain_file": chain_file, "x509_key_file": key_file}
            app = create_verifier(
                VerifierSettings(
                    mode="development",
                    public_url=url,
                    data_dir=tmp / f"verifier-{scheme}",
                    trust_file=trust,
                    name="Bank of Bhutan KYC desk",
                    client_id_scheme=scheme,
                    **x509,
                )
            )
            running.enter_context(serve_tls(app, port=port, cert=cert, key=key))
            token, _secret = app.state.service.create_api_key("Bank of Bhutan KYC desk")
            verifiers[scheme] = (app, url, token)
        yield Stack(
            ca=ca,
            pki=pki,
            root_file=root_file,
            tls={"cert": str(cert), "key": str(key)},
            issuer=issuers["certified"][0],
            issuer_url=issuer_url,
            plain=issuers["plain"][0],
            plain_url=plain_url,
            verifiers=verifiers,
        )


@pytest.fixture(scope="module")
def peer_held(stack: Stack) -> dict[str, Any]:
    """A drukid credential (x5c-signed) and its holder key, held by the peer wallet."""
    offer = stack.offer()
    received = expect(
        stack.run(
            "wallet-receive",
            {
                "offer": offer.offer_uri,
                "tx_code": offer.tx_code,
                "batch": 1,
                "trusted_certificates": [stack.root_pem],
            },
        )
    )
    held: dict[str, Any] = received["credentials"][0]
    return held


def drukid_wallet_settings(stack: Stack, data_dir: Path) -> WalletSettings:
    """drukid's wallet trusting the national root stand-in and the CA of the peer's
    certificates (its issuer's x5c and its verifiers' request signing)."""
    return WalletSettings(
        mode="development",
        data_dir=data_dir,
        x509_anchor_files=(stack.root_file, stack.ca.ca_file),
    )


@pytest.fixture
def drukid_wallet(stack: Stack, tmp_path: Path) -> Iterator[Wallet]:
    with Wallet.create(
        tmp_path / "wallet" / "wallet.db",
        PASSPHRASE,
        settings=drukid_wallet_settings(stack, tmp_path / "wallet"),
        kdf=ScryptParams(n=2**4),
    ) as wallet:
        yield wallet


def peer_issuer(stack: Stack, signer: str, **extra: Any) -> PeerServer:
    port = free_port()
    signing: dict[str, Any]
    if signer == "x5c":
        chain, key = stack.ca.signing_chain(f"https://127.0.0.1:{port}", name=f"issuer-{port}")
        signing = {"method": "x5c", "chain_file": str(chain), "key_file": str(key)}
    else:
        signing = {"method": "did", "did_method": signer.removeprefix("did:")}
    args = {
        "port": port,
        "tls": stack.tls,
        "signer": signing,
        "tx_code": PEER_TX_CODE,
        "claims": PEER_CLAIMS,
        "batch_size": 3,
        **extra,
    }
    return PeerServer("issuer", args, ca=stack.ca)


# --- the peer wallet and drukid's issuer --------------------------------------------------------


@pytest.mark.parametrize("resolution", ["x5c", "jwt-vc-issuer"])
def test_peer_wallet_receives_from_drukid_issuer(stack: Stack, resolution: str) -> None:
    """Pre-authorized code with tx_code, nonce endpoint, ``proofs.jwt`` batch of 2, then
    @sd-jwt/sd-jwt-vc verification: signature, status list, Type Metadata. ``x5c`` is what a
    Credo wallet does (it reads no JWT VC Issuer Metadata): drukid's certified issuer signs with
    its chain. ``jwt-vc-issuer`` is drukid's uncertified issuer, through the peer's own
    metadata extension: that path keeps working for the verifiers that use it."""
    certified = resolution == "x5c"
    offer = stack.offer(certified=certified)
    assert offer.tx_code
    outcome = expect(
        stack.run(
            "wallet-receive",
            {
                "offer": offer.offer_uri,
                "tx_code": offer.tx_code,
                "batch": 2,
                "trusted_certificates": [stack.root_pem] if certified else [],
                "allow_jwt_vc_issuer_metadata": not certified,
                "load_type_metadata": True,
            },
        )
    )
    issuer_url = stack.issuer_url if certified else stack.plain_url
    credentials = outcome["credentials"]
    assert len(credentials) == 2  # one per proof key
    assert credentials[0]["holder_public_key"] != credentials[1]["holder_public_key"]
    for claims in outcome["claims"]:
        assert claims["iss"] == issuer_url
        assert claims["vct"] == f"{issuer_url}/types/foundational-id"
        assert claims["cid"] == KARMA
        assert claims["place_of_birth"]["dzongkhag"] == "Paro"
    assert outcome["statuses"] == [0, 0]
    assert outcome["type_metadata"]["vct"] == f"{issuer_url}/types/foundational-id"
    # The credentials and their status list token, both found the same way.
    assert {entry["method"] for entry in outcome["key_resolution"]} == {resolution}
    assert {entry["typ"] for entry in outcome["key_resolution"]} == {
        "dc+sd-jwt",
        "statuslist+jwt",
    }
    assert [n["event"] for n in outcome["notifications"]] == ["credential_accepted"]
    assert all(n["ok"] for n in outcome["notifications"])
    if certified:
        header = parse_jws(credentials[0]["credential"].split("~", 1)[0]).header
        assert len(header["x5c"]) == 2  # the signing certificate and the intermediate


def test_peer_wallet_deferred_issuance_from_drukid_issuer(stack: Stack) -> None:
    """OpenID4VCI §8.3/§9 with the peer's client: 202 with transaction_id and interval, an
    operator approves, retrieveDeferredCredentials collects a credential bound to the proven
    key. drukid sends notification_id with the deferred 200 as §9.2 allows; the library's
    schema refuses that ("'notification_id' MUST NOT be defined when 'credentials' is not
    defined" fires although credentials are defined: docs/dev/haip-issuance.md surprise 22),
    so that refusal, and only that one, is accepted here as the library's bug."""
    operator = stack.issuer.state.runtime.operator
    offer = operator.offers.create(local_actor(), OfferItem(REVIEWED, KARMA, tx_code=True))
    requested = expect(
        stack.run(
            "wallet-deferred",
            {"phase": "request", "offer": offer.offer_uri, "tx_code": offer.tx_code},
        )
    ).body
    assert requested["deferred_credential_endpoint"] == f"{stack.issuer_url}/deferred_credential"
    assert requested["interval"] == 60
    fetch_args = {
        "phase": "fetch",
        "credential_issuer": requested["credential_issuer"],
        "transaction_id": requested["transaction_id"],
        "access_token": requested["access_token"],
        "holder_key": requested["holder_key"],
        "trusted_certificates": [stack.root_pem],
    }
    waiting = stack.run("wallet-deferred", fetch_args)
    assert not waiting.ok  # the library has no polling: issuance_pending is its refusal
    assert "issuance_pending" in json.dumps(waiting.body)
    [request] = operator.approvals.page(local_actor()).items
    assert request.credential_configuration_id == REVIEWED
    operator.approvals.approve(local_actor(), request.ref)
    fetched = stack.run("wallet-deferred", fetch_args)
    msg = fetched.error["message"]
    print("DEFERRED-FETCH", msg[:200], "....", msg[-400:])
    if fetched.ok:
        [claims] = fetched.body["claims"]
        assert claims["vct"] == f"{stack.issuer_url}/types/{REVIEWED}"
        return
    assert "notification_id" in fetched.messages(), fetched.body
    issued = stack.issuer.state.runtime.operator.credentials.page(local_actor(), subject=KARMA)
    assert any(c.credential_configuration_id == REVIEWED for c in issued.items)


def test_peer_wallet_refuses_drukid_x5c_without_the_root(stack: Stack) -> None:
    offer = stack.offer()
    outcome = stack.run(
        "wallet-receive", {"offer": offer.offer_uri, "tx_code": offer.tx_code, "batch": 1}
    )
    assert not outcome.ok
    assert "no trusted certificates are configured for x5c" in outcome.messages()


def test_peer_wallet_wrong_tx_code_is_refused_by_drukid(stack: Stack) -> None:
    offer = stack.offer()
    outcome = stack.run("wallet-receive", {"offer": offer.offer_uri, "tx_code": "000000"})
    assert not outcome.ok
    assert "invalid_grant" in json.dumps(outcome.body)


# --- the peer wallet and drukid's verifier ------------------------------------------------------

MODES = ("direct_post", "direct_post.jwt")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_peer_wallet_presents_to_drukid_verifier(
    stack: Stack, peer_held: dict[str, Any], scheme: str, mode: str
) -> None:
    """Every client id prefix drukid's verifier offers. Formerly refused: the signed request
    object carried ``iss`` = the prefixed client_id (the library wants it absent or the bare
    DID), and the unsigned ``redirect_uri:`` request was plain JSON at ``request_uri`` (the
    library wants a JWT there, and accepts no unsigned one): the JAR has no ``iss`` now, and
    ``redirect_uri:`` requests come by value. ``x509_*`` requests are signed with ``x5c`` and
    checked by the library against the trusted root; the credential's own ``x5c`` is checked
    by drukid at the presentation time."""
    request = stack.request(scheme, template="kyc-basic", mode=mode)
    if scheme == "redirect_uri":
        assert "request_uri=" not in request["uri"]
        assert "dcql_query=" in request["uri"]
    outcome = expect(
        stack.run(
            "wallet-present",
            {
                "request": request["uri"],
                "credential": peer_held["credential"],
                "holder_key": peer_held["holder_key"],
                "trusted_certificates": [stack.root_pem],
            },
        )
    )
    client_id = request["client_id"]
    assert client_id.startswith(scheme + ":")
    assert outcome["client"]["effective"] == client_id
    assert outcome["signed"] is (scheme != "redirect_uri")
    assert outcome["kb"]["aud"] == client_id  # the full, prefixed client_id (OpenID4VP §B.3.6)
    assert outcome["disclosed"] == {
        "national_id": {"full_name": True, "cid": True, "birthdate": True}
    }
    assert outcome["verifier"]["status"] == 200
    body = stack.result(scheme, request["id"])
    assert body["status"] == "verified", body
    [seen] = body["credentials"]["national_id"]
    assert seen["claims"] == {"full_name": "Karma Wangmo", "cid": KARMA, "birthdate": "1994-03-12"}
    assert seen["status"] == "valid"
    assert seen["key_mechanism"] == "x5c"  # the trust file's anchor vouches for the issuer


def test_peer_wallet_refuses_a_drukid_x509_request_from_an_unknown_root(
    stack: Stack, peer_held: dict[str, Any], tmp_path: Path
) -> None:
    request = stack.request("x509_hash", template="kyc-basic", mode="direct_post.jwt")
    outcome = stack.run(
        "wallet-present",
        {
            "request": request["uri"],
            "credential": peer_held["credential"],
            "holder_key": peer_held["holder_key"],
            "trusted_certificates": [TestCA(tmp_path / "stranger").ca_pem],
        },
    )
    assert not outcome.ok
    assert "does not lead to a trusted certificate" in outcome.messages()


# --- the peer against itself (what the peer does for the flows above) ---------------------------


@pytest.mark.parametrize(
    ("signer", "method"), [("x5c", "x5c"), ("did:web", "did"), ("did:jwk", "did")]
)
def test_peer_wallet_receives_from_peer_issuer(stack: Stack, signer: str, method: str) -> None:
    with peer_issuer(stack, signer) as issuer:
        outcome = stack.run(
            "wallet-receive",
            {
                "offer": issuer.ready["offer_uri"],
                "tx_code": PEER_TX_CODE,
                "batch": 3,
                "trusted_certificates": [stack.ca.ca_pem],
            },
        )
    assert outcome.ok, outcome.body
    assert len(outcome["credentials"]) == 3
    assert {entry["method"] for entry in outcome["key_resolution"]} == {method}
    assert {claims["iss"] for claims in outcome["claims"]} == {issuer.ready["iss"]}


def test_peer_wallet_refuses_x5c_from_an_untrusted_ca(stack: Stack, tmp_path: Path) -> None:
    stranger = TestCA(tmp_path / "other-ca")
    with peer_issuer(stack, "x5c") as issuer:
        outcome = stack.run(
            "wallet-receive",
            {
                "offer": issuer.ready["offer_uri"],
                "tx_code": PEER_TX_CODE,
                "trusted_certificates": [stranger.ca_pem],
            },
        )
    assert not outcome.ok
    assert "does not lead to a trusted certificate" in outcome.messages()


@pytest.fixture(scope="module")
def peer_pair(stack: Stack) -> Iterator[tuple[dict[str, Any], str]]:
    """A peer-issued credential held by the peer wallet, and its vct; the issuer keeps running
    (verifiers resolve its did:web when they check a presentation)."""
    with peer_issuer(stack, "did:web") as issuer:
        received = stack.run(
            "wallet-receive",
            {"offer": issuer.ready["offer_uri"], "tx_code": PEER_TX_CODE, "batch": 1},
        )
        assert received.ok, received.body
        yield received["credentials"][0], issuer.ready["vct"]


@pytest.mark.parametrize("kb_aud", [None, "https://someone-else.example"])
def test_peer_wallet_presents_to_peer_verifier(
    stack: Stack, peer_pair: tuple[dict[str, Any], str], kb_aud: str | None
) -> None:
    held, vct = peer_pair
    with peer_verifier(stack, "did:jwk", "direct_post.jwt", vct) as verifier:
        args = {"request": verifier.ready["request"], **held}
        outcome = stack.run("wallet-present", {**args, "kb_aud": kb_aud} if kb_aud else args)
        result = verifier.result()
    if kb_aud is None:
        assert outcome.ok, result
        assert result["verified"] is True
        assert result["claims"]["pid"]["given_name"] == "Karma"
    else:  # the peer verifier checks what @sd-jwt leaves to its caller
        assert not outcome.ok
        assert result["verified"] is False
        assert (
            "KB-JWT aud 'https://someone-else.example' is not the client_id"
            in (result["error"]["message"])
        )


# --- drukid's wallet and the peer issuer --------------------------------------------------------


@pytest.mark.parametrize("signer", ["did:web", "did:jwk", "x5c"])
def test_drukid_wallet_receives_from_peer_issuer(
    stack: Stack, drukid_wallet: Wallet, signer: str
) -> None:
    """Formerly refused: ``x5c`` (the wallet looked for JWT VC Issuer Metadata, which a Credo
    issuer does not publish) and ``did:jwk`` (an ``iss`` other than the issuer's URL): the wallet
    validates x5c to its trust store and accepts self-certifying DIDs (OpenID4VCI 1.0 §12.3)."""
    with peer_issuer(stack, signer) as issuer:
        offer = drukid_wallet.load_offer(issuer.ready["offer_uri"])
        assert offer.tx_code is not None
        assert offer.tx_code.length == len(PEER_TX_CODE)
        [view] = drukid_wallet.receive(offer, tx_code=PEER_TX_CODE)
        assert view.type_id == issuer.ready["configuration_id"]
        assert view.copies == 3  # batch: one key per copy
        assert {c.label: c.value for c in view.claims}["given_name"] == "Karma"
        assert drukid_wallet.catalog.credentials[view.id].iss == issuer.ready["iss"]
        issued, notified = issuer.result(), issuer.result()
        assert issued == {"event": "issued", "count": 3, "subject": issued["subject"]}
        assert notified["event"] == "notification"
        assert notified["body"]["event"] == "credential_accepted"


def test_drukid_wallet_refuses_peer_x5c_from_an_untrusted_ca(stack: Stack, tmp_path: Path) -> None:
    settings = WalletSettings(
        mode="development", data_dir=tmp_path, x509_anchor_files=(stack.root_file,)
    )
    with (
        Wallet.create(
            tmp_path / "wallet.db", PASSPHRASE, settings=settings, kdf=ScryptParams(n=2**4)
        ) as wallet,
        peer_issuer(stack, "x5c") as issuer,
    ):
        with pytest.raises(Exception) as refused:
            wallet.receive(wallet.load_offer(issuer.ready["offer_uri"]), tx_code=PEER_TX_CODE)
        assert getattr(refused.value, "code", None) == "issuer_certificate_untrusted"
        assert not wallet.credentials()


# --- drukid's wallet and the peer verifier ------------------------------------------------------

PEER_QUERY_CLAIMS = [{"path": ["given_name"]}, {"path": ["age_over_18"], "values": [True]}]
PEER_NAME = "Peer verifier (Credo/Animo libraries)"


@dataclass
class Holding:
    wallet: Wallet
    vct: str


@pytest.fixture(scope="module")
def peer_issued(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Holding]:
    """drukid's wallet holding a credential from the peer issuer (did:web)."""
    tmp = tmp_path_factory.mktemp("drukid-wallet")
    with (
        Wallet.create(
            tmp / "wallet.db",
            PASSPHRASE,
            settings=drukid_wallet_settings(stack, tmp),
            kdf=ScryptParams(n=2**4),
        ) as wallet,
        peer_issuer(stack, "did:web") as issuer,
    ):
        wallet.receive(wallet.load_offer(issuer.ready["offer_uri"]), tx_code=PEER_TX_CODE)
        yield Holding(wallet, issuer.ready["vct"])


def peer_verifier(stack: Stack, prefix: str, mode: str, vct: str, **extra: Any) -> PeerServer:
    port = free_port()
    args: dict[str, Any] = {
        "port": port,
        "tls": stack.tls,
        "response_mode": mode,
        "dcql_query": {
            "credentials": [
                {
                    "id": "pid",
                    "format": "dc+sd-jwt",
                    "meta": {"vct_values": [vct]},
                    "claims": extra.pop("claims", PEER_QUERY_CLAIMS),
                }
            ]
        },
        **extra,
    }
    if prefix.startswith("did:"):
        args.update(client_id_prefix="decentralized_identifier", did_method=prefix[4:])
    else:
        args["client_id_prefix"] = prefix
    if prefix.startswith("x509"):
        chain, key = stack.ca.signing_chain(f"https://127.0.0.1:{port}", name=f"verifier-{port}")
        args["signing"] = {"chain_file": str(chain), "key_file": str(key)}
    return PeerServer("verifier", args, ca=stack.ca)


def share(wallet: Wallet, verifier: PeerServer, *, purpose: str | None = None) -> dict[str, Any]:
    """drukid's wallet answers the peer verifier's request; the verifier's verdict."""
    session = wallet.prepare_presentation(verifier.ready["request"])
    consent = session.consent
    assert consent.can_share, consent.problems
    assert consent.verifier.client_id == verifier.ready["client_id"]
    assert consent.verifier.name == PEER_NAME
    if purpose is not None:
        assert consent.purpose == purpose
    outcome = wallet.approve(session)
    assert outcome.outcome == "shared"
    return verifier.result()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "prefix",
    ["did:web", "did:jwk", "redirect_uri", "x509_hash"],
    ids=[
        "decentralized_identifier-did:web",
        "decentralized_identifier-did:jwk",
        "redirect_uri",
        "x509_hash",
    ],
)
def test_drukid_wallet_presents_to_peer_verifier(
    stack: Stack, peer_issued: Holding, prefix: str, mode: str
) -> None:
    """``x509_hash`` (formerly refused: drukid's wallet had no x509 client ids; HAIP requires
    them) is validated to the wallet's trust store, and the verifier is named by its
    certificate."""
    with peer_verifier(stack, prefix, mode, peer_issued.vct) as verifier:
        if prefix == "x509_hash":
            session = peer_issued.wallet.prepare_presentation(verifier.ready["request"])
            who = session.consent.verifier
            assert who.certified_as == "drukid interop tests"
            assert not who.certificate_untrusted
            assert session.consent.purpose is None  # a standard verifier that did not say
        result = share(peer_issued.wallet, verifier)
    assert result["verified"] is True, result
    claims = result["claims"]["pid"]
    assert claims["given_name"] == "Karma"
    assert claims["age_over_18"] is True
    assert "birthdate" not in claims  # only what was asked
    assert "family_name" not in claims
    kb = result["kb"]["pid"]
    assert kb["aud"] == verifier.ready["client_id"]
    assert kb["nonce"] == verifier.ready["nonce"]
    assert result["jarm"] == ({"type": "Encrypted"} if mode == "direct_post.jwt" else None)


def test_drukid_wallet_reads_the_purpose_of_a_registration_certificate(
    stack: Stack, peer_issued: Holding
) -> None:
    """OpenID4VP 1.0 has no ``purpose``: a standard verifier says why in ``verifier_info``."""
    chain, key = stack.ca.signing_chain("https://registrar.example", name="registrar")
    purpose = [{"lang": "en", "name": "To check that you are an adult before opening an account"}]
    with peer_verifier(
        stack,
        "x509_hash",
        "direct_post.jwt",
        peer_issued.vct,
        registration={"chain_file": str(chain), "key_file": str(key), "purpose": purpose},
    ) as verifier:
        result = share(peer_issued.wallet, verifier, purpose=purpose[0]["name"])
    assert result["verified"] is True, result


@pytest.mark.parametrize("resolution", ["x5c", "jwt-vc-issuer"])
def test_drukid_credential_from_drukid_wallet_at_peer_verifier(
    stack: Stack, drukid_wallet: Wallet, resolution: str
) -> None:
    """drukid's x5c credential is accepted by a Credo verifier given the root (formerly
    refused: it resolves issuer keys only from x5c or a DID); the uncertified issuer's through
    the peer's JWT VC Issuer Metadata extension."""
    certified = resolution == "x5c"
    offer = stack.offer(certified=certified)
    drukid_wallet.receive(drukid_wallet.load_offer(offer.offer_uri), tx_code=offer.tx_code)
    issuer_url = stack.issuer_url if certified else stack.plain_url
    with peer_verifier(
        stack,
        "did:web",
        "direct_post.jwt",
        f"{issuer_url}/types/foundational-id",
        claims=[{"path": ["full_name"]}, {"path": ["age_over_18"], "values": [True]}],
        trusted_certificates=[stack.root_pem] if certified else [],
        allow_jwt_vc_issuer_metadata=not certified,
    ) as verifier:
        result = share(drukid_wallet, verifier)
    assert result["verified"] is True, result
    assert result["claims"]["pid"]["full_name"] == "Karma Wangmo"
    assert result["claims"]["pid"]["age_over_18"] is True
    assert "cid" not in result["claims"]["pid"]
    assert {entry["method"] for entry in result["key_resolution"]} == {resolution}


def test_a_revoked_drukid_credential_is_refused_by_the_peer_verifier(
    stack: Stack, drukid_wallet: Wallet
) -> None:
    offer = stack.offer()
    drukid_wallet.receive(drukid_wallet.load_offer(offer.offer_uri), tx_code=offer.tx_code)
    operator = stack.issuer.state.runtime.operator
    for issued in operator.credentials.of_offer(local_actor(), offer.ref).credentials:
        operator.credentials.change_status(local_actor(), issued.id, "revoke", reason="interop")
    time.sleep(1.5)  # the status list's ttl is 1 s
    with peer_verifier(
        stack,
        "did:web",
        "direct_post.jwt",
        f"{stack.issuer_url}/types/foundational-id",
        claims=[{"path": ["full_name"]}],
        trusted_certificates=[stack.root_pem],
    ) as verifier:
        session = drukid_wallet.prepare_presentation(verifier.ready["request"])
        with pytest.raises(PresentError):  # the verifier said no, and the wallet says so
            drukid_wallet.approve(session)
        result = verifier.result()
    assert result["verified"] is False
    # @sd-jwt/sd-jwt-vc read drukid's status list (x5c-signed) and found the entry set.
    assert result["error"]["message"] == "Status is not valid"
    assert drukid_wallet.history()[-1].outcome == "rejected"


# --- drukid's Token Status List in the peer ------------------------------------------------------


@pytest.mark.parametrize("resolution", ["x5c", "jwt-vc-issuer"])
def test_status_list_in_peer(stack: Stack, resolution: str) -> None:
    certified = resolution == "x5c"
    offer = stack.offer(certified=certified)
    trusted = [stack.root_pem] if certified else []
    received = expect(
        stack.run(
            "wallet-receive",
            {
                "offer": offer.offer_uri,
                "tx_code": offer.tx_code,
                "batch": 1,
                "trusted_certificates": trusted,
                "allow_jwt_vc_issuer_metadata": not certified,
            },
        )
    )
    reference = received["claims"][0]["status"]["status_list"]
    args = {
        "uri": reference["uri"],
        "idx": reference["idx"],
        "trusted_certificates": trusted,
        "allow_jwt_vc_issuer_metadata": not certified,
    }
    before = expect(stack.run("status", args))
    assert before["status"] == 0
    assert before["key_resolution"] == resolution
    assert before["content_type"].startswith("application/statuslist+jwt")
    assert before["sub"] == reference["uri"]
    assert before["bits"] in (1, 2, 4, 8)
    assert before["size"] >= 4096
    app = stack.issuer if certified else stack.plain
    operator = app.state.runtime.operator
    [issued] = operator.credentials.of_offer(local_actor(), offer.ref).credentials
    operator.credentials.change_status(local_actor(), issued.id, "revoke", reason="interop test")
    deadline = time.monotonic() + 10
    while (after := expect(stack.run("status", args)))["status"] == 0:
        assert time.monotonic() < deadline, "the revocation never showed in the status list"
        time.sleep(0.5)
    assert after["status"] == 1  # INVALID
