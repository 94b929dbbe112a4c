"""The issuer's re-check of a Foundational-ID sign-in result (issue #12 §6.2) and the verifier
client's plain failure when the verifier does not answer; the verifier's query option for the
response_code."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from did.fetch import Fetcher, FetchPolicy
from issuer.errors import IssuerError
from issuer.signin.presentation import FoundationalIdResult, VerifierRP, signed_in_cid
from verifier.oid4vp.response_code import ResponseCode, redirect_with_response_code

ISS = "https://id.gov.bt"
GOOD = FoundationalIdResult(
    status="verified",
    vct=f"{ISS}/types/foundational-id",
    issuer=ISS,
    claims={"cid": "11512003456", "full_name": "Karma Wangmo"},
    credential_status="valid",
    completed_at=1000,
    error_code=None,
)


def check(result: FoundationalIdResult) -> str:
    return signed_in_cid(
        result, expected_vct=f"{ISS}/types/foundational-id", trusted_issuers=[ISS], now=1030,
        max_age=120,
    )  # fmt: skip


def test_good_result() -> None:
    assert check(GOOD) == "11512003456"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"status": "rejected"}, "fid_presentation_rejected"),
        ({"vct": f"{ISS}/types/permanent-address"}, "fid_wrong_type"),
        ({"issuer": "https://elsewhere.example"}, "fid_untrusted_issuer"),
        ({"credential_status": "revoked"}, "fid_presentation_rejected"),
        ({"completed_at": 100}, "fid_result_stale"),
        ({"claims": {"full_name": "Karma Wangmo"}}, "fid_presentation_rejected"),
    ],
)
def test_refusals(change: dict[str, object], code: str) -> None:
    with pytest.raises(IssuerError) as caught:
        check(replace(GOOD, **change))  # type: ignore[arg-type]
    assert caught.value.code == code


def test_verifier_down_is_said_in_words() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    fetcher = Fetcher(
        FetchPolicy(allow_http=True, allow_private=True), transport=httpx.MockTransport(down)
    )
    client = VerifierRP(fetcher, url="http://127.0.0.1:9", api_key="k", template="agency-sign-in")
    with pytest.raises(IssuerError) as caught:
        client.start(return_url="http://127.0.0.1:8101/authorize/presented")
    assert caught.value.code == "verifier_unavailable"
    assert "sign-in code" in caught.value.message


def test_verifier_response_code_in_query() -> None:
    code = ResponseCode("abc", "digest")
    assert (
        redirect_with_response_code("https://a.bt/back", code)
        == "https://a.bt/back#response_code=abc"
    )
    assert (
        redirect_with_response_code("https://a.bt/back", code, in_query=True)
        == "https://a.bt/back?response_code=abc"
    )
