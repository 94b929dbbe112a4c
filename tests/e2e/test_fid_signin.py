"""Method (b) of the agency sign-in (issue #12 §6.2): the citizen signs in by presenting the
Foundational ID their wallet already holds to the agency's own drukid verifier, over loopback
sockets. The issuer talks to the verifier only through its relying-party API (the
``agency-sign-in`` template, ``response_code_in: query``); the wallet answers the verifier and
shows the way back, which the browser (httpx here) follows into the same authorization session.
A way back opened in another browser is refused (``fid_session_mismatch``)."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from issuer.api.app import create_app as create_issuer
from issuer.operator import OfferItem, local_actor
from issuer.settings import IssuerSettings
from issuer.storage.models import AuditRow
from tests.support.haip import HaipWallet
from tests.support.servers import free_port, serve_app
from verifier.api.app import create_app as create_verifier
from verifier.settings import VerifierSettings
from wallet.holder import Wallet
from wallet.settings import WalletSettings
from wallet.vault import ScryptParams

pytestmark = pytest.mark.network

KARMA = "11512003456"


def field(page: httpx.Response, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def test_sign_in_by_presenting_the_foundational_id(tmp_path: Path) -> None:
    issuer_port, verifier_port = free_port(), free_port()
    issuer_url = f"http://127.0.0.1:{issuer_port}"
    verifier_url = f"http://127.0.0.1:{verifier_port}"
    trust = tmp_path / "trust.json"
    entry = {
        "id": issuer_url,
        "name": "DCRC",
        "types": {"foundational-id": f"{issuer_url}/types/foundational-id"},
    }
    trust.write_text(json.dumps({"issuers": [entry]}))
    verifier = create_verifier(
        VerifierSettings(
            mode="development", public_url=verifier_url, data_dir=tmp_path / "verifier",
            trust_file=trust, name="DCRC sign-in",
        )
    )  # fmt: skip
    with serve_app(verifier, port=verifier_port):
        api_key, _ = verifier.state.service.create_api_key("DCRC agency sign-in")
        issuer = create_issuer(
            IssuerSettings(
                mode="development", public_url=issuer_url, data_dir=tmp_path / "issuer",
                status_list_size=4096, seed_demo_data=True, fid_signin=True,
                fid_verifier_url=verifier_url, fid_verifier_api_key=api_key,
            )
        )  # fmt: skip
        with (
            serve_app(issuer, port=issuer_port),
            Wallet.create(
                tmp_path / "wallet.db",
                "correct horse battery",
                settings=WalletSettings(mode="development", data_dir=tmp_path / "w"),
                kdf=ScryptParams(n=2**4),
            ) as citizen_wallet,
        ):
            offer = issuer.state.runtime.operator.offers.create(
                local_actor(), OfferItem("foundational-id", KARMA)
            )
            citizen_wallet.receive(offer.offer_uri)
            with httpx.Client(base_url=issuer_url, timeout=30, follow_redirects=False) as browser:
                wallet_app = HaipWallet(browser, issuer_url, None)
                pushed = wallet_app.par()
                assert pushed.status_code == 201, pushed.text
                page = wallet_app.authorize(pushed.json()["request_uri"])
                assert "Use my national ID in this wallet" in page.text
                form = {"ref": field(page, "ref"), "csrf": field(page, "csrf")}
                shown = browser.post("/authorize/fid", data=form)
                assert shown.status_code == 200, shown.text
                link = unescape(re.search(r'href="(openid4vp://[^"]+)"', shown.text).group(1))  # type: ignore[union-attr]
                assert 'src="data:image/svg+xml;base64,' in shown.text

                session = citizen_wallet.prepare_presentation(link)
                assert "sign you in at the agency" in session.consent.purpose
                outcome = citizen_wallet.approve(session)
                assert outcome.outcome == "shared"
                assert outcome.redirect_uri is not None
                back = urlpath(outcome.redirect_uri, issuer_url)
                assert back.startswith("/authorize/presented?response_code=")

                with httpx.Client(base_url=issuer_url, timeout=30) as stranger:
                    refused = stranger.get(back)  # another browser: no session of its own
                    assert refused.status_code == 400
                    assert "fid_session_mismatch" in refused.text

                landed = browser.get(back)
                assert landed.status_code == 303, landed.text
                consent = browser.get(landed.headers["location"])
                assert "Is this you?" in consent.text
                assert KARMA in consent.text
                done = wallet_app.consent(consent)
                assert done.status_code == 303
                code = done.headers["location"].split("code=")[1].split("&")[0]
                token = wallet_app.token(code)
                assert token.status_code == 200, token.text
                issued = wallet_app.credential(token.json()["access_token"])
                assert issued.status_code == 200, issued.text
            with issuer.state.runtime.context.session() as s:
                actions = [row.action for row in s.exec(select(AuditRow)).all()]
            assert "signin.fid_presented" in actions


def urlpath(url: str, base: str) -> str:
    assert url.startswith(base), url
    return url[len(base) :]
