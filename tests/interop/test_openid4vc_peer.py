"""Interop with an implementation drukid did not write: the Credo/Animo OpenID4VC stack (the
published ``@openid4vc/*``, ``@sd-jwt/*`` and ``dcql`` npm packages that Bhutan's NDI platform
runs on), driven by the small Node.js programs in ``tests/interop/peer`` (see its README).

Both directions, both protocols, over TLS on loopback (the libraries want ``https://``
identifiers and did:web resolves over https only; a throwaway CA signs every certificate, Node
trusts it through ``NODE_EXTRA_CA_CERTS`` and drukid through ``SSL_CERT_FILE``):

* the peer wallet receives from drukid's issuer (pre-authorized code + tx_code, batch) and
  presents to drukid's verifier (``decentralized_identifier:`` and ``redirect_uri:`` clients,
  ``direct_post`` and ``direct_post.jwt``);
* drukid's wallet receives from the peer issuer (x5c or DID signed) and presents to the peer
  verifier;
* drukid's Token Status List decodes and verifies in the peer; a revoked credential reads
  revoked.

A flow that fails today because of drukid is marked ``xfail(strict=True, raises=KnownRefusal)``
with the refusal and what drukid must change: it only counts as the expected failure when the
refusal is the documented one (anything else fails the test), and it turns red (XPASS) once
drukid is fixed, so whoever fixes it removes the mark.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

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
from wallet.errors import WalletError
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


class KnownRefusal(Exception):
    """A flow failed with the refusal its xfail mark documents (and nothing else)."""


def expect(outcome: PeerResult, refusal: str | None) -> PeerResult:
    """``outcome`` must succeed; with ``refusal`` (a regex), a failure matching it raises
    :class:`KnownRefusal` (the xfail), any other failure fails the test."""
    if outcome.ok:
        return outcome
    messages = outcome.messages()
    if refusal is not None and re.search(refusal, messages):
        raise KnownRefusal(messages)
    pytest.fail(f"the peer failed unexpectedly:\n{json.dumps(outcome.body, indent=1)[:4000]}")


def known(value: Any, *, refusal: str, reason: str) -> Any:
    return pytest.param(
        value,
        refusal,
        marks=pytest.mark.xfail(raises=KnownRefusal, strict=True, reason=reason),
        id=str(value),
    )


# --- the refusals found today (each names what drukid must change) ------------------------------

CREDO_KEY_RESOLUTION = (
    "a Credo-based wallet or verifier resolves an SD-JWT VC issuer key only from an x5c header "
    "or a DID 'iss' and refuses drukid's credentials (iss https://..., bare kid, keys only at "
    "/.well-known/jwt-vc-issuer and did:web): drukid's issuer must sign with x5c (chain to a "
    "trust anchor, leaf SAN = iss) or put its did:web in iss with a DID-URL kid"
)
CREDO_KEY_REFUSAL = r"resolves the issuer key only from an x5c header or a DID 'iss'"
WALLET_X5C = (
    "drukid's wallet ignores the x5c header and looks the key up at the issuer's "
    "/.well-known/jwt-vc-issuer, which a Credo issuer does not publish ('could not fetch the "
    "issuer's keys: 127.0.0.1 answered HTTP 404'): drukid's wallet must validate x5c chains to "
    "configured anchors (leaf SAN = iss)"
)
WALLET_X5C_REFUSAL = r"could not fetch the issuer's keys: 127\.0\.0\.1 answered HTTP 404"
WALLET_DID_ISS = (
    "drukid's wallet refuses a credential whose iss is a DID other than the offering issuer's URL "
    "or its did:web ('the credential claims to come from another issuer than the one that sent "
    "it'; Credo issuers often sign with did:jwk/did:key): drukid's wallet must accept a DID iss "
    "that the issuer's metadata or the trust list binds to it"
)
WALLET_DID_ISS_REFUSAL = r"claims to come from another issuer than the one that sent it"
WALLET_X509_CLIENT = (
    "drukid's wallet has no x509_hash:/x509_san_dns: client support ('verifiers identified by a "
    "certificate (x509) are not supported'), which HAIP requires: drukid's wallet must validate "
    "the request's x5c to configured verifier anchors"
)
WALLET_X509_REFUSAL = r"verifiers identified by a certificate \(x509\) are not supported"


# --- the stack ---------------------------------------------------------------------------------


@dataclass
class Stack:
    ca: TestCA
    tls: dict[str, str]
    issuer: Any
    issuer_url: str
    verifiers: dict[str, tuple[Any, str, str]]  # client_id_scheme -> (app, url, API token)

    def offer(self, *, tx_code: bool = True) -> Any:
        return self.issuer.state.runtime.operator.offers.create(
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


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    ensure_peer(_missing)
    tmp = tmp_path_factory.mktemp("openid4vc-peer")
    ca = TestCA(tmp / "pki")
    cert, key = ca.server_certificate()
    with pytest.MonkeyPatch.context() as env, ExitStack() as running:
        env.setenv("SSL_CERT_FILE", str(ca.bundle_file))  # drukid's fetchers trust the test CA
        issuer_port = free_port()
        issuer_url = f"https://127.0.0.1:{issuer_port}"
        issuer = create_issuer(
            IssuerSettings(
                mode="development",
                public_url=issuer_url,
                data_dir=tmp / "issuer",
                status_list_size=4096,
                seed_demo_data=True,
                status_list_ttl=1,
            )
        )
        running.enter_context(serve_tls(issuer, port=issuer_port, cert=cert, key=key))
        trust = tmp / "trust.json"
        entry = {
            "id": issuer_url,
            "name": "Department of Civil Registration and Census",
            "types": {"foundational-id": f"{issuer_url}/types/foundational-id"},
        }
        trust.write_text(json.dumps({"issuers": [entry]}))
        verifiers = {}
        for scheme in ("decentralized_identifier", "redirect_uri"):
            port = free_port()
            url = f"https://127.0.0.1:{port}"
            app = create_verifier(
                VerifierSettings(
                    mode="development",
                    public_url=url,
                    data_dir=tmp / f"verifier-{scheme}",
                    trust_file=trust,
                    name="Bank of Bhutan KYC desk",
                    client_id_scheme=scheme,
                )
            )
            running.enter_context(serve_tls(app, port=port, cert=cert, key=key))
            token, _secret = app.state.service.create_api_key("Bank of Bhutan KYC desk")
            verifiers[scheme] = (app, url, token)
        yield Stack(
            ca=ca,
            tls={"cert": str(cert), "key": str(key)},
            issuer=issuer,
            issuer_url=issuer_url,
            verifiers=verifiers,
        )


@pytest.fixture(scope="module")
def peer_held(stack: Stack) -> dict[str, Any]:
    """A drukid credential (and its holder key) held by the peer wallet, received with the
    peer's JWT VC Issuer Metadata extension (a plain Credo wallet refuses it: see below)."""
    offer = stack.offer()
    received = stack.run(
        "wallet-receive",
        {
            "offer": offer.offer_uri,
            "tx_code": offer.tx_code,
            "batch": 1,
            "allow_jwt_vc_issuer_metadata": True,
        },
    )
    assert received.ok, received.body
    held: dict[str, Any] = received["credentials"][0]
    return held


@pytest.fixture
def drukid_wallet(tmp_path: Path) -> Iterator[Wallet]:
    settings = WalletSettings(mode="development", data_dir=tmp_path / "wallet")
    with Wallet.create(
        tmp_path / "wallet" / "wallet.db",
        PASSPHRASE,
        settings=settings,
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


def drukid_refusal(refusal: str | None) -> Any:
    """A context for a drukid wallet call: a WalletError matching ``refusal`` is the known
    one."""

    class _Guard:
        def __enter__(self) -> None:
            return None

        def __exit__(self, kind: Any, error: Any, _tb: Any) -> bool:
            if isinstance(error, WalletError) and refusal and re.search(refusal, str(error)):
                raise KnownRefusal(str(error)) from error
            return False

    return _Guard()


# --- the peer wallet and drukid's issuer --------------------------------------------------------


@pytest.mark.parametrize(
    ("resolution", "refusal"),
    [
        known("credo", refusal=CREDO_KEY_REFUSAL, reason=CREDO_KEY_RESOLUTION),
        pytest.param("jwt-vc-issuer", None, id="jwt-vc-issuer"),
    ],
)
def test_peer_wallet_receives_from_drukid_issuer(
    stack: Stack, resolution: str, refusal: str | None
) -> None:
    """Pre-authorized code with tx_code, nonce endpoint, ``proofs.jwt`` batch of 2, then
    @sd-jwt/sd-jwt-vc verification: signature, status list, Type Metadata. ``jwt-vc-issuer``
    adds the peer's own JWT VC Issuer Metadata lookup, to show the rest of drukid's credential
    passes the libraries' checks."""
    offer = stack.offer()
    assert offer.tx_code
    outcome = expect(
        stack.run(
            "wallet-receive",
            {
                "offer": offer.offer_uri,
                "tx_code": offer.tx_code,
                "batch": 2,
                "allow_jwt_vc_issuer_metadata": resolution == "jwt-vc-issuer",
                "load_type_metadata": True,
            },
        ),
        refusal,
    )
    credentials = outcome["credentials"]
    assert len(credentials) == 2  # one per proof key
    assert credentials[0]["holder_public_key"] != credentials[1]["holder_public_key"]
    for claims in outcome["claims"]:
        assert claims["iss"] == stack.issuer_url
        assert claims["vct"] == f"{stack.issuer_url}/types/foundational-id"
        assert claims["cid"] == KARMA
        assert claims["place_of_birth"]["dzongkhag"] == "Paro"
    assert outcome["statuses"] == [0, 0]
    assert outcome["type_metadata"]["vct"] == f"{stack.issuer_url}/types/foundational-id"
    assert {entry["method"] for entry in outcome["key_resolution"]} == {"jwt-vc-issuer"}
    assert [n["event"] for n in outcome["notifications"]] == ["credential_accepted"]
    assert all(n["ok"] for n in outcome["notifications"])


def test_peer_wallet_wrong_tx_code_is_refused_by_drukid(stack: Stack) -> None:
    offer = stack.offer()
    outcome = stack.run("wallet-receive", {"offer": offer.offer_uri, "tx_code": "000000"})
    assert not outcome.ok
    assert "invalid_grant" in json.dumps(outcome.body)


# --- the peer wallet and drukid's verifier ------------------------------------------------------

MODES = ("direct_post", "direct_post.jwt")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scheme", ["decentralized_identifier", "redirect_uri"])
def test_peer_wallet_presents_to_drukid_verifier(
    stack: Stack, peer_held: dict[str, Any], scheme: str, mode: str
) -> None:
    """Formerly refused: the signed request object carried ``iss`` = the prefixed client_id
    (the library wants it absent or the bare DID), and the unsigned ``redirect_uri:`` request
    was plain JSON at ``request_uri`` (the library wants a JWT there, and accepts no unsigned
    one): drukid's JAR has no ``iss`` now, and ``redirect_uri:`` requests come by value."""
    request = stack.request(scheme, template="kyc-basic", mode=mode)
    if scheme == "redirect_uri":
        assert "request_uri=" not in request["uri"]
        assert "dcql_query=" in request["uri"]
    presented(stack, peer_held, scheme, request, request["uri"], None)


def presented(
    stack: Stack,
    held: dict[str, Any],
    scheme: str,
    request: dict[str, Any],
    uri: str,
    refusal: str | None,
) -> None:
    outcome = expect(
        stack.run(
            "wallet-present",
            {"request": uri, "credential": held["credential"], "holder_key": held["holder_key"]},
        ),
        refusal,
    )
    client_id = request["client_id"]
    assert outcome["client"]["effective"] == client_id
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


# --- the peer against itself (the peer side of flows drukid cannot do yet, e.g. x5c) -----------


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


@pytest.mark.parametrize(
    ("signer", "refusal"),
    [
        pytest.param("did:web", None, id="did:web"),
        known("did:jwk", refusal=WALLET_DID_ISS_REFUSAL, reason=WALLET_DID_ISS),
        known("x5c", refusal=WALLET_X5C_REFUSAL, reason=WALLET_X5C),
    ],
)
def test_drukid_wallet_receives_from_peer_issuer(
    stack: Stack, drukid_wallet: Wallet, signer: str, refusal: str | None
) -> None:
    with peer_issuer(stack, signer) as issuer:
        offer = drukid_wallet.load_offer(issuer.ready["offer_uri"])
        assert offer.tx_code is not None
        assert offer.tx_code.length == len(PEER_TX_CODE)
        with drukid_refusal(refusal):
            [view] = drukid_wallet.receive(offer, tx_code=PEER_TX_CODE)
        assert view.type_id == issuer.ready["configuration_id"]
        assert view.copies == 3  # batch: one key per copy
        assert {c.label: c.value for c in view.claims}["given_name"] == "Karma"
        issued, notified = issuer.result(), issuer.result()
        assert issued == {"event": "issued", "count": 3, "subject": issued["subject"]}
        assert notified["event"] == "notification"
        assert notified["body"]["event"] == "credential_accepted"


# --- drukid's wallet and the peer verifier ------------------------------------------------------

PEER_QUERY_CLAIMS = [{"path": ["given_name"]}, {"path": ["age_over_18"], "values": [True]}]


@dataclass
class Holding:
    wallet: Wallet
    vct: str


@pytest.fixture(scope="module")
def peer_issued(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Holding]:
    """drukid's wallet holding a credential from the peer issuer (did:web, which it accepts)."""
    tmp = tmp_path_factory.mktemp("drukid-wallet")
    settings = WalletSettings(mode="development", data_dir=tmp)
    with (
        Wallet.create(
            tmp / "wallet.db", PASSPHRASE, settings=settings, kdf=ScryptParams(n=2**4)
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


def share(wallet: Wallet, verifier: PeerServer, refusal: str | None) -> dict[str, Any]:
    """drukid's wallet answers the peer verifier's request; the verifier's verdict. A refusal
    comes from the wallet itself or, relayed by it, from the verifier's error answer."""
    with drukid_refusal(refusal):
        session = wallet.prepare_presentation(verifier.ready["request"])
        consent = session.consent
        assert consent.can_share, consent.problems
        assert consent.verifier.client_id == verifier.ready["client_id"]
        assert consent.verifier.name == "Peer verifier (Credo/Animo libraries)"
        outcome = wallet.approve(session)
    assert outcome.outcome == "shared"
    return verifier.result()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("prefix", "refusal"),
    [
        pytest.param("did:web", None, id="decentralized_identifier-did:web"),
        pytest.param("did:jwk", None, id="decentralized_identifier-did:jwk"),
        pytest.param("redirect_uri", None, id="redirect_uri"),
        known("x509_hash", refusal=WALLET_X509_REFUSAL, reason=WALLET_X509_CLIENT),
    ],
)
def test_drukid_wallet_presents_to_peer_verifier(
    stack: Stack, peer_issued: Holding, prefix: str, refusal: str | None, mode: str
) -> None:
    with peer_verifier(stack, prefix, mode, peer_issued.vct) as verifier:
        result = share(peer_issued.wallet, verifier, refusal)
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


@pytest.mark.parametrize(
    ("resolution", "refusal"),
    [
        known("credo", refusal=CREDO_KEY_REFUSAL, reason=CREDO_KEY_RESOLUTION),
        pytest.param("jwt-vc-issuer", None, id="jwt-vc-issuer"),
    ],
)
def test_drukid_credential_from_drukid_wallet_at_peer_verifier(
    stack: Stack, drukid_wallet: Wallet, resolution: str, refusal: str | None
) -> None:
    offer = stack.offer()
    drukid_wallet.receive(drukid_wallet.load_offer(offer.offer_uri), tx_code=offer.tx_code)
    vct = f"{stack.issuer_url}/types/foundational-id"
    with peer_verifier(
        stack,
        "did:web",
        "direct_post.jwt",
        vct,
        claims=[{"path": ["full_name"]}, {"path": ["age_over_18"], "values": [True]}],
        allow_jwt_vc_issuer_metadata=resolution == "jwt-vc-issuer",
    ) as verifier:
        result = share(drukid_wallet, verifier, refusal)
    assert result["verified"] is True, result
    assert result["claims"]["pid"]["full_name"] == "Karma Wangmo"
    assert result["claims"]["pid"]["age_over_18"] is True
    assert "cid" not in result["claims"]["pid"]


# --- drukid's Token Status List in the peer ------------------------------------------------------


@pytest.mark.parametrize(
    ("resolution", "refusal"),
    [
        known("credo", refusal=CREDO_KEY_REFUSAL, reason=CREDO_KEY_RESOLUTION),
        pytest.param("jwt-vc-issuer", None, id="jwt-vc-issuer"),
    ],
)
def test_status_list_in_peer(stack: Stack, resolution: str, refusal: str | None) -> None:
    offer = stack.offer()
    received = stack.run(
        "wallet-receive",
        {
            "offer": offer.offer_uri,
            "tx_code": offer.tx_code,
            "batch": 1,
            "allow_jwt_vc_issuer_metadata": True,
        },
    )
    assert received.ok, received.body
    reference = received["claims"][0]["status"]["status_list"]
    args = {
        "uri": reference["uri"],
        "idx": reference["idx"],
        "allow_jwt_vc_issuer_metadata": resolution == "jwt-vc-issuer",
    }
    before = expect(stack.run("status", args), refusal)
    assert before["status"] == 0
    assert before["content_type"].startswith("application/statuslist+jwt")
    assert before["sub"] == reference["uri"]
    assert before["bits"] in (1, 2, 4, 8)
    assert before["size"] >= 4096
    operator = stack.issuer.state.runtime.operator
    [issued] = operator.credentials.of_offer(local_actor(), offer.ref).credentials
    operator.credentials.change_status(local_actor(), issued.id, "revoke", reason="interop test")
    deadline = time.monotonic() + 10
    while (after := expect(stack.run("status", args), refusal))["status"] == 0:
        assert time.monotonic() < deadline, "the revocation never showed in the status list"
        time.sleep(0.5)
    assert after["status"] == 1  # INVALID
