"""Issue 15, finding 5: an ``age-over-18`` request answered with ``age_over_18``, ``cid`` and
``birthdate`` disclosed was ``verified`` and handed all three to the relying party. Claims the
query did not ask for are dropped (and named in ``dropped_claims``), or refused by policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from tests.api.verifier.conftest import NOW, auth, create, make_settings, open_request, path_of
from tests.support.fake_issuer import FakeIssuer
from tests.support.fake_wallet import FakeWallet
from verifier.api.app import create_app

OVERSHARE = ["/age_over_18", "/cid", "/birthdate"]


def _overshare(client: TestClient, rp: dict[str, str], wallet: FakeWallet) -> tuple[Any, Any]:
    created = create(client, rp, template="age-over-18")
    request = open_request(client, created)
    presentation = wallet.present(
        wallet.credentials[0], OVERSHARE, nonce=request["nonce"], aud=request["client_id"], iat=NOW
    )
    answer = client.post(
        path_of(request["response_uri"]), data=wallet.form(request, {"national_id": [presentation]})
    )
    return answer, client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()


def test_unrequested_disclosures_are_dropped_and_named(client, rp, wallet) -> None:
    answer, result = _overshare(client, rp, wallet)
    assert answer.status_code == 200, answer.text
    assert result["status"] == "verified"
    assert result["claims"] == {"age_over_18": True}
    assert result["dropped_claims"] == ["/birthdate", "/cid"]
    [seen] = result["credentials"]["national_id"]
    assert seen["claims"] == {"age_over_18": True}
    assert seen["dropped_claims"] == ["/birthdate", "/cid"]


def test_a_request_that_asks_for_everything_drops_nothing(client, rp, wallet) -> None:
    created = create(client, rp, template="kyc-basic")
    request = open_request(client, created)
    form = wallet.form(request, wallet.vp_token(request, iat=NOW))
    client.post(path_of(request["response_uri"]), data=form)
    result = client.get(f"/api/v1/requests/{created['id']}", headers=auth(rp)).json()
    assert result["status"] == "verified"
    assert result["dropped_claims"] == []


def test_policy_refuse(tmp_path: Path, issuer: FakeIssuer, wallet: FakeWallet, clock) -> None:
    settings = make_settings(tmp_path, issuer, unrequested_claims="refuse")
    app = create_app(
        settings, clock=clock, transport=issuer.transport(now=clock), start_workers=False
    )
    with TestClient(app, base_url=settings.public_url) as client:
        token, _ = app.state.service.create_api_key("Bank of Bhutan KYC desk")
        answer, result = _overshare(client, {"Authorization": f"Bearer {token}"}, wallet)
    assert answer.status_code == 400
    assert answer.json()["code"] == "unrequested_claims"
    assert result["status"] == "rejected"
    assert result["error"]["code"] == "unrequested_claims"
    assert "cid" not in str(result.get("claims"))
