"""OpenID4VP present: consent, approval, refusal, copy rotation, and every way a broken or
hostile verifier can fail (each with its code, nothing sent, nothing recorded as shared)."""

from __future__ import annotations

from typing import Any

import pytest

from credentials.jose import parse_jws
from tests.support.fake_verifier import FakeVerifier, query
from tests.support.wallet_issuer import FakeIssuer
from wallet.errors import NetworkError, PresentError, WalletError
from wallet.holder import Wallet


@pytest.fixture
def pid(wallet: Wallet, issuer: FakeIssuer) -> str:
    [view] = wallet.receive(issuer.offer("foundational-id"))
    return view.id


def name_query(issuer: FakeIssuer, *paths: list[Any]) -> dict[str, Any]:
    return query(issuer.vct("foundational-id"), *(paths or (["full_name"], ["age_over_18"])))


@pytest.mark.parametrize("mode", ["direct_post.jwt", "direct_post"])
def test_present_shares_exactly_what_consent_says(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str, mode: str
) -> None:
    link, session_id = verifier.create_request(name_query(issuer), response_mode=mode)
    session = wallet.prepare_presentation(link)
    consent = session.consent
    assert consent.can_share
    assert consent.purpose == "Open a bank account"
    assert consent.verifier.name == "Bhutan National Bank"
    assert not consent.verifier.known
    [share] = consent.credentials
    assert {c.label for c in share.shared} == {"Full name", "Age over 18"}
    assert "Date of birth" in {c.label for c in share.hidden}
    codes = {w.code for w in consent.warnings}
    assert "unknown_verifier" in codes
    assert ("not_encrypted" in codes) == (mode == "direct_post")
    outcome = wallet.approve(session)
    assert outcome.outcome == "shared"
    assert outcome.redirect_uri == "https://verifier.example/done#response_code=abc"
    result = verifier.sessions[session_id].result
    assert result is not None, verifier.sessions[session_id].error
    [claims] = result["claims"]["pid"]
    assert {k for k in claims if k not in ("iss", "vct", "iat", "exp", "cnf")} == {
        "full_name",
        "age_over_18",
    }
    kb = parse_jws(result["vp_token"]["pid"][0].rsplit("~", 1)[1])
    assert kb.payload["aud"] == verifier.client_id  # the full, prefixed client_id
    [entry] = wallet.history()
    assert entry.outcome == "shared"
    assert entry.verifier_id == verifier.client_id
    assert entry.disclosed == ("Full name", "Age over 18")


def test_refusal_sends_access_denied_and_is_recorded(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    link, session_id = verifier.create_request(name_query(issuer))
    session = wallet.prepare_presentation(link)
    outcome = wallet.refuse(session)
    assert outcome.outcome == "refused"
    assert outcome.verifier_notified
    assert verifier.sessions[session_id].error == "access_denied"
    assert verifier.sessions[session_id].raw_form["state"] == session.request.state
    [entry] = wallet.history()
    assert entry.outcome == "refused"
    assert entry.credentials == ()
    assert all(not c.shown_to for c in wallet.catalog.credentials[pid].copies)
    with pytest.raises(PresentError) as info:
        wallet.approve(session)
    assert info.value.code == "already_answered"


def test_each_presentation_uses_a_fresh_copy(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    seen_keys = set()
    for _ in range(5):
        link, session_id = verifier.create_request(name_query(issuer))
        session = wallet.prepare_presentation(link)
        assert "linkable" not in {w.code for w in session.consent.warnings}
        wallet.approve(session)
        [claims] = verifier.sessions[session_id].result["claims"]["pid"]  # type: ignore[index]
        seen_keys.add(claims["cnf"]["jwk"]["x"])
    assert len(seen_keys) == 5  # five verifier visits, five unlinkable copies
    link, _ = verifier.create_request(name_query(issuer))
    session = wallet.prepare_presentation(link)
    assert "linkable" in {w.code for w in session.consent.warnings}
    assert wallet.credential(pid).fresh_copies == 0


def test_a_copy_shown_to_one_verifier_is_not_reused_for_it(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    entry = wallet.catalog.credentials[pid]
    copies = [c.copy_id for c in entry.copies]
    from dataclasses import replace

    from wallet.oid4vp.matching import choose_copy as _choose_copy

    used = replace(
        entry,
        copies=tuple(
            replace(c, shown_to=("A",) if i == 0 else ("B",)) for i, c in enumerate(entry.copies)
        ),
    )
    assert _choose_copy(used, "A", set()).copy_id != copies[0]
    assert _choose_copy(used, "B", set()).copy_id == copies[0]


def test_unsatisfiable_request_offers_only_refusal(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    link, session_id = verifier.create_request(
        query(issuer.vct("business-licence"), ["licence_number"])
    )
    session = wallet.prepare_presentation(link)
    assert not session.consent.can_share
    assert "no credential" in session.consent.problems[0]
    with pytest.raises(PresentError) as info:
        wallet.approve(session)
    assert info.value.code == "request_unsatisfiable"
    assert verifier.sessions[session_id].raw_form == {}  # nothing was sent
    wallet.refuse(session)
    assert verifier.sessions[session_id].error == "access_denied"


def test_claim_sets_values_and_credential_sets(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    vct = issuer.vct("foundational-id")
    dcql = {
        "credentials": [
            {
                "id": "pid",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [vct]},
                "claims": [
                    {"id": "a", "path": ["age_over_21"], "values": [True]},
                    {"id": "b", "path": ["birthdate"]},
                    {"id": "c", "path": ["citizenship"], "values": ["IN"]},
                ],
                "claim_sets": [["c"], ["a"], ["b"]],
            },
            {
                "id": "address",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [issuer.vct("permanent-address")]},
            },
        ],
        "credential_sets": [{"options": [["pid"]]}, {"options": [["address"]], "required": False}],
    }
    link, session_id = verifier.create_request(dcql)
    session = wallet.prepare_presentation(link)
    [share] = session.consent.credentials  # the optional address is not held: not asked
    assert [c.label for c in share.shared] == ["Age over 21"]  # first satisfiable claim set
    wallet.approve(session)
    assert verifier.sessions[session_id].result is not None


def test_consent_warns_about_more_than_needed(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    link, _ = verifier.create_request(
        name_query(issuer, ["birthdate"], ["cid"]), purpose="Check that you are over 18"
    )
    consent = wallet.prepare_presentation(link).consent
    codes = {w.code for w in consent.warnings}
    assert {"more_than_needed", "identity_number", "unknown_verifier"} <= codes
    text = "\n".join(consent.lines())
    assert "Age over 18" in text
    assert "Citizen ID number: 11512003456" in text


def test_known_verifier(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    wallet.trust_verifier(verifier.client_id, "BNB (my bank)")
    link, _ = verifier.create_request(name_query(issuer))
    consent = wallet.prepare_presentation(link).consent
    assert consent.verifier.known
    assert consent.verifier.known_as == "BNB (my bank)"
    assert "unknown_verifier" not in {w.code for w in consent.warnings}


def test_redirect_uri_client_by_value(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    client_id = "redirect_uri:https://verifier.example/response/x"
    link, _ = verifier.create_request(
        name_query(issuer), client_id=client_id, response_mode="direct_post", by_value=True
    )
    session = wallet.prepare_presentation(link)
    assert session.request.prefix == "redirect_uri"
    assert not session.request.signed


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("bad_signature", "request_signature_invalid"),
        ("foreign_kid", "request_signature_invalid"),
        ("wrong_typ", "request_signature_invalid"),
        ("unsigned", "request_signature_invalid"),
        ("link_client_mismatch", "request_signature_invalid"),
        ("request_redirect", "network_redirect_refused"),
        ("request_huge", "network_response_too_large"),
    ],
)
def test_bad_requests_are_refused_before_anything_is_shown(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str, fault: str, code: str
) -> None:
    verifier.faults.add(fault)
    link, session_id = verifier.create_request(name_query(issuer))
    with pytest.raises(WalletError) as info:
        wallet.prepare_presentation(link)
    assert info.value.code == code
    assert info.value.hint
    assert verifier.sessions[session_id].raw_form == {}
    assert wallet.history() == []


def test_signed_redirect_uri_requests_are_refused(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    verifier.faults.add("sign_redirect")
    link, _ = verifier.create_request(
        name_query(issuer), client_id="redirect_uri:https://verifier.example/r"
    )
    with pytest.raises(PresentError) as info:
        wallet.prepare_presentation(link)
    assert info.value.code == "request_signature_invalid"


@pytest.mark.parametrize(
    "client_id",
    [
        "verifier_attestation:verifier.example",
        "https://verifier.example",
        "bank-client",
    ],
)
def test_unsupported_client_id_prefixes(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str, client_id: str
) -> None:
    link, _ = verifier.create_request(name_query(issuer), client_id=client_id)
    with pytest.raises(PresentError) as info:
        wallet.prepare_presentation(link)
    assert info.value.code == "client_id_unsupported"


@pytest.mark.parametrize(
    "text",
    [
        "openid4vp://",
        "openid4vp://?client_id=x",
        "openid4vp://?request_uri=https%3A%2F%2Fverifier.example%2Fr",
        "openid4vp://?client_id=a&client_id=b&request_uri=x",
        "openid4vp://?response_type=vp_token&dcql_query=%7Bbad",
    ],
)
def test_malformed_request_links(wallet: Wallet, text: str) -> None:
    with pytest.raises(PresentError) as info:
        wallet.prepare_presentation(text)
    assert info.value.code == "request_invalid"


def test_a_verifier_that_redirects_the_answer_is_recorded_as_uncertain(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    link, _ = verifier.create_request(name_query(issuer))
    session = wallet.prepare_presentation(link)
    verifier.faults.add("response_redirect")
    with pytest.raises(NetworkError) as info:
        wallet.approve(session)
    assert info.value.code == "network_redirect_refused"
    [entry] = wallet.history()
    assert entry.outcome == "uncertain"  # the data may have been received: say so
    assert sum(1 for c in wallet.catalog.credentials[pid].copies if c.shown_to) == 1


def test_a_verifier_that_rejects_is_recorded(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    link, session_id = verifier.create_request(name_query(issuer))
    session = wallet.prepare_presentation(link)
    verifier.sessions[session_id].request["nonce"] = "changed"  # the verifier disagrees
    with pytest.raises(PresentError) as info:
        wallet.approve(session)
    assert info.value.code == "presentation_rejected"
    assert wallet.history()[0].outcome == "rejected"


def test_expired_credentials_are_not_offered(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    later = issuer.now + 400 * 86400
    wallet._runtime.clock = lambda: later
    link, _ = verifier.create_request(name_query(issuer))
    session = wallet.prepare_presentation(link)
    assert not session.consent.can_share
    assert wallet.credential(pid).expired(later)


def test_no_purpose_and_json_view(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    link, _ = verifier.create_request(name_query(issuer), purpose=None)
    consent = wallet.prepare_presentation(link).consent
    assert "no_purpose" in {w.code for w in consent.warnings}
    assert "Why: they did not say." in consent.lines()
    data = consent.to_json()
    assert data["verifier"]["client_id"] == verifier.client_id
    assert data["credentials"][0]["shared"][0]["label"] == "Full name"
    assert data["can_share"] is True


def test_a_timeout_while_answering_is_recorded_as_uncertain(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    import httpx

    from did.fetch import Fetcher

    link, _ = verifier.create_request(name_query(issuer))
    session = wallet.prepare_presentation(link)

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    wallet._runtime.network = lambda: Fetcher(
        wallet.settings.fetch_policy(), transport=httpx.MockTransport(slow)
    )
    with pytest.raises(NetworkError) as info:
        wallet.approve(session)
    assert info.value.code == "network_timeout"
    [entry] = wallet.history()
    assert entry.outcome == "uncertain"
    assert entry.disclosed == ("Full name", "Age over 18")


def test_a_refused_connection_while_answering_is_not_unclear(
    wallet: Wallet, issuer: FakeIssuer, verifier: FakeVerifier, pid: str
) -> None:
    import httpx

    from did.fetch import Fetcher

    link, _ = verifier.create_request(name_query(issuer))
    session = wallet.prepare_presentation(link)

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    wallet._runtime.network = lambda: Fetcher(
        wallet.settings.fetch_policy(), transport=httpx.MockTransport(down)
    )
    with pytest.raises(NetworkError) as info:
        wallet.approve(session)
    assert info.value.code == "network_failed"
    assert info.value.not_sent
    assert "did not answer" in info.value.message
    assert "nothing was shared" in info.value.message
    assert "ConnectError" not in info.value.message
    assert "running" in info.value.hint
    assert wallet.history() == []  # certainly not arrived: no "unclear" entry


def test_a_credential_that_expires_while_the_wallet_is_open_is_no_longer_offered(
    wallet: Wallet, issuer: FakeIssuer, pid: str
) -> None:
    from credentials.dcql import DCQLQuery

    query = DCQLQuery.from_json(name_query(issuer))
    assert wallet.match(query).satisfied
    expires_at = wallet.credential(pid).expires_at
    assert expires_at is not None
    wallet._runtime.clock = lambda: expires_at  # no change to the catalog meanwhile
    assert not wallet.match(query).satisfied
