"""The agency operator pages (/operator) over ASGI: sign-in and sessions, CSRF, roles, registry
search, offers (QR + PIN), status changes and the audit log — and every bad input answered with
a 4xx page in plain words, never a 500."""

from __future__ import annotations

import re
import warnings
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from issuer.api.app import create_app
from issuer.operator import local_actor
from issuer.settings import IssuerSettings
from servicekit.qr import decode_qr_image
from tests.api.issuer.conftest import DECHEN, ISSUER, KARMA, Clock, create_offer, make_settings
from tests.support.oid4vci_client import WalletClient

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

KARMA_LICENCE = "BL-2024-00117"
FORM = "application/x-www-form-urlencoded"


# --- helpers -------------------------------------------------------------------------------


def new_key(client: TestClient, role: str, label: str = "counter 3") -> str:
    operator = client.app.state.runtime.operator  # type: ignore[attr-defined]
    token: str = operator.admin.create_api_key(local_actor(), role=role, label=label).token
    return token


def new_browser(client: TestClient, base_url: str = "http://testserver") -> TestClient:
    """Another browser on the same running app: its own cookie jar."""
    return TestClient(client.app, base_url=base_url, follow_redirects=False)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def text_of(html: str) -> str:
    """The page's visible words, roughly: tags removed, entities decoded, spaces collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def sign_in(web: TestClient, key: str) -> Any:
    page = web.get("/operator/sign-in")
    assert page.status_code == 200
    return web.post(
        "/operator/sign-in",
        data={"csrf_token": csrf_of(page.text), "api_key": key},
        follow_redirects=False,
    )


def signed_in(client: TestClient, role: str) -> tuple[TestClient, str]:
    """A browser signed in with a new key of ``role``, and the CSRF token of its session."""
    web = new_browser(client)
    assert sign_in(web, new_key(client, role)).status_code == 303
    page = web.get("/operator/credentials")
    assert page.status_code == 200, page.text
    return web, csrf_of(page.text)


def assert_page(response: Any, status: int, *words: str) -> str:
    """An HTML page with ``status``, never cached, that says ``words``."""
    assert response.status_code == status, text_of(response.text)[:500]
    assert response.headers["content-type"].startswith("text/html")
    assert "no-store" in response.headers["cache-control"]
    text = text_of(response.text)
    for word in words:
        assert word.lower() in text.lower(), (word, text[:800])
    return text


def audit(client: TestClient) -> list[dict[str, Any]]:
    operator = client.app.state.runtime.operator  # type: ignore[attr-defined]
    items: list[dict[str, Any]] = operator.admin.audit(local_actor(), limit=500).to_json()["items"]
    return items


def issue_credential(client: TestClient, cid: str = KARMA) -> str:
    """A credential really issued (offer by the API, collected by a wallet); its id."""
    admin = {"Authorization": f"Bearer {new_key(client, 'admin', 'api')}"}
    offer = create_offer(client, admin, cid=cid)
    WalletClient(client, issuer=ISSUER).receive(offer["offer_uri"])
    listed = client.get("/api/v1/credentials", params={"subject": cid}, headers=admin).json()
    credential_id: str = listed["items"][0]["id"]
    return credential_id


def collect_copies(client: TestClient, copies: int, cid: str = KARMA) -> tuple[str, list[str]]:
    """An offer whose wallet collected ``copies`` batch copies: (offer_ref, ids in copy order)."""
    admin = {"Authorization": f"Bearer {new_key(client, 'admin', 'api')}"}
    offer = create_offer(client, admin, cid=cid)
    WalletClient(client, issuer=ISSUER).receive(offer["offer_uri"], keys=copies)
    operator = client.app.state.runtime.operator  # type: ignore[attr-defined]
    found = operator.credentials.of_offer(local_actor(), offer["offer_ref"]).to_json()[
        "credentials"
    ]
    return offer["offer_ref"], [c["id"] for c in found]


def status_of(client: TestClient, credential_id: str) -> str:
    operator = client.app.state.runtime.operator  # type: ignore[attr-defined]
    status: str = operator.credentials.get(local_actor(), credential_id).status
    return status


@pytest.fixture
def admin_web(client: TestClient) -> tuple[TestClient, str]:
    return signed_in(client, "admin")


# --- signing in and out --------------------------------------------------------------------


def test_sign_in_session_cookie_and_sign_out(client: TestClient) -> None:
    web = new_browser(client)
    assert web.get("/operator/search").headers["location"] == "/operator/sign-in"
    key = new_key(client, "issue", "counter 3")

    response = sign_in(web, key)
    assert response.status_code == 303
    assert response.headers["location"] == "/operator/search"
    cookie = next(c for c in response.headers.get_list("set-cookie") if "drukid_operator=" in c)
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/operator"} <= attributes
    assert "secure" not in attributes  # http://127.0.0.1 in development
    assert key not in str(response.headers)
    secret = key.split("_", 2)[2]
    for name, value in web.cookies.items():
        assert secret not in value, name

    page = web.get("/operator/search")
    assert_page(page, 200, "Signed in as counter 3", "Issues offers", "Find a person")
    assert secret not in page.text

    session_id = web.cookies["drukid_operator"]
    out = web.post("/operator/sign-out", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303
    assert out.headers["location"] == "/operator/sign-in?reason=signed_out"
    assert_page(web.get(out.headers["location"]), 200, "You are signed out.")
    # The session is gone on the server: replaying the old cookie does not sign anyone in.
    replay = new_browser(client)
    replay.cookies.set("drukid_operator", session_id, path="/operator")
    assert replay.get("/operator/search").headers["location"].startswith("/operator/sign-in")


def test_cookie_is_secure_when_the_public_url_is_https(data_dir: Any, clock: Clock) -> None:
    settings = make_settings(data_dir, public_url="https://registry.example.bt")
    with TestClient(create_app(settings, clock=clock), base_url="https://testserver") as client:
        web = new_browser(client, "https://testserver")
        response = sign_in(web, new_key(client, "admin"))
        assert response.status_code == 303
        cookies = response.headers.get_list("set-cookie")
        session = next(c for c in cookies if "drukid_operator=" in c)
        assert "secure" in session.lower()


def test_wrong_and_revoked_keys_get_a_plain_message(client: TestClient) -> None:
    web = new_browser(client)
    for wrong in ["drk_000000000000_" + "x" * 43, "not a key", new_key(client, "admin")[:-1]]:
        response = sign_in(web, wrong)
        assert_page(response, 401, "That key is not right", "starts with drk_")
        assert "drukid_operator" not in web.cookies
    revoked = new_key(client, "admin")
    client.app.state.runtime.operator.admin.revoke_api_key(local_actor(), revoked.split("_")[1])  # type: ignore[attr-defined]
    assert_page(sign_in(web, revoked), 401, "This key was revoked")
    assert_page(sign_in(web, ""), 400, "Paste your API key")


def test_failed_sign_ins_are_throttled_per_client(client: TestClient, clock: Clock) -> None:
    web = new_browser(client)
    key = new_key(client, "admin")
    for _ in range(5):
        assert sign_in(web, "drk_000000000000_" + "y" * 43).status_code == 401
    # Even the right key waits: otherwise guessing could go on at full speed.
    refused = sign_in(web, key)
    assert_page(refused, 429, "Too many wrong keys", "Wait")
    assert 1 <= int(refused.headers["retry-after"]) <= 61
    clock.advance(61)
    assert sign_in(web, key).status_code == 303


def test_idle_session_expires(client: TestClient, clock: Clock, settings: IssuerSettings) -> None:
    web, _ = signed_in(client, "admin")
    clock.advance(settings.operator_session_idle - 5)
    assert web.get("/operator/audit").status_code == 200  # activity keeps it alive
    clock.advance(settings.operator_session_idle + 1)
    response = web.get("/operator/audit")
    assert response.status_code == 303
    assert response.headers["location"] == "/operator/sign-in?reason=ended"
    assert_page(web.get(response.headers["location"]), 200, "signed out because the page was not")


def test_revoking_the_key_ends_its_sessions_at_once(client: TestClient) -> None:
    web = new_browser(client)
    key = new_key(client, "admin")
    sign_in(web, key)
    assert web.get("/operator/audit").status_code == 200
    client.app.state.runtime.operator.admin.revoke_api_key(local_actor(), key.split("_")[1])  # type: ignore[attr-defined]
    response = web.get("/operator/audit")
    assert response.headers["location"] == "/operator/sign-in?reason=key_revoked"


# --- CSRF ----------------------------------------------------------------------------------


def test_every_form_refuses_a_missing_or_wrong_csrf_token(client: TestClient) -> None:
    offer_ref, [credential_id, other_copy] = collect_copies(client, 2)
    web, csrf = signed_in(client, "admin")
    before = len(audit(client))
    posts = [
        ("/operator/offers", {"type": "foundational-id", "cid": KARMA, "pin": "on"}),
        (f"/operator/credentials/{credential_id}/revoke", {"reason": "lost phone"}),
        (f"/operator/offers/{offer_ref}/revoke", {"reason": "lost phone"}),
        ("/operator/sign-out", {}),
    ]
    for path, data in posts:
        for token in (None, "", csrf[:-1] + ("A" if csrf[-1] != "A" else "B")):
            body = dict(data) if token is None else {**data, "csrf_token": token}
            assert_page(web.post(path, data=body), 403, "out of date")
    assert len(audit(client)) == before
    assert status_of(client, credential_id) == status_of(client, other_copy) == "valid"
    assert web.get("/operator/audit").status_code == 200  # still signed in

    # The sign-in form (no session yet): the token must match the browser's own cookie.
    other = new_browser(client)
    page = other.get("/operator/sign-in")
    key = new_key(client, "admin")
    stranger = new_browser(client)  # a cross-site form post arrives without our cookie
    forged = stranger.post(
        "/operator/sign-in", data={"csrf_token": csrf_of(page.text), "api_key": key}
    )
    assert_page(forged, 403, "out of date")
    assert "drukid_operator" not in stranger.cookies


# --- roles ---------------------------------------------------------------------------------


def test_an_issue_key_cannot_change_status_or_read_the_audit_log(client: TestClient) -> None:
    credential_id = issue_credential(client)
    web, csrf = signed_in(client, "issue")
    before = len(audit(client))
    listing = assert_page(web.get("/operator/credentials"), 200, credential_id, "Valid")
    assert "Change status" not in listing
    assert "Revoke" not in listing
    assert "Audit log" not in listing  # the menu shows only what the role may use
    assert_page(web.get(f"/operator/credentials/{credential_id}/revoke"), 403, "role 'issue'")
    for action in ("revoke", "suspend"):
        refused = web.post(
            f"/operator/credentials/{credential_id}/{action}",
            data={"csrf_token": csrf, "reason": "testing roles"},
        )
        assert_page(refused, 403, "may not do this", "administrator")
    offer_ref = client.app.state.runtime.operator.credentials.get(
        local_actor(), credential_id
    ).offer_ref  # type: ignore[attr-defined]
    assert_page(web.get(f"/operator/offers/{offer_ref}/revoke"), 403, "role 'issue'")
    refused = web.post(
        f"/operator/offers/{offer_ref}/revoke", data={"csrf_token": csrf, "reason": "roles"}
    )
    assert_page(refused, 403, "may not do this")
    assert_page(web.get("/operator/audit"), 403)
    assert status_of(client, credential_id) == "valid"
    assert len(audit(client)) == before


def test_a_revoke_key_cannot_search_or_make_offers(client: TestClient) -> None:
    web, csrf = signed_in(client, "revoke")
    assert web.get("/operator/").headers["location"] == "/operator/credentials"
    menu = assert_page(web.get("/operator/credentials"), 200, "Revokes and suspends")
    assert "Find a person" not in menu
    assert_page(web.get("/operator/search", params={"q": KARMA}), 403)
    offer = web.post(
        "/operator/offers", data={"csrf_token": csrf, "type": "foundational-id", "cid": KARMA}
    )
    assert_page(offer, 403)
    assert not [e for e in audit(client) if e["action"] == "offer.create"]


# --- search and offers ---------------------------------------------------------------------


def test_search_by_cid_by_name_and_by_licence(
    client: TestClient, admin_web: tuple[TestClient, str]
) -> None:
    web, _ = admin_web
    found = web.get("/operator/search", params={"q": KARMA})
    by_cid = assert_page(
        found,
        200,
        "Karma Wangmo",
        f"CID {KARMA}",
        "Dzongkhag Thimphu",
        "Druk Mountain Homestay",  # the business she owns, for a licence credential
        "Require a PIN (tx_code)",
    )
    assert "Sonam Dorji" not in by_cid
    by_name = assert_page(
        web.get("/operator/search", params={"q": "  wANGmo "}), 200, "Karma Wangmo"
    )
    assert KARMA in by_name
    assert_page(
        web.get("/operator/search", params={"q": "bl-2024"}),
        200,
        "Druk Mountain Homestay",
        "Karma Wangmo (CID",
    )
    assert_page(
        web.get("/operator/search", params={"q": "Zzyzx"}), 200, "No one in the registry matches"
    )
    # SQL wildcards are plain characters here, not "match anything".
    assert_page(
        web.get("/operator/search", params={"q": "%%"}), 200, "No one in the registry matches"
    )
    assert_page(web.get("/operator/search", params={"q": "k"}), 400, "at least 2 letters")
    # The PIN box is ticked by default.
    assert (
        len(re.findall(r'type="checkbox" id="pin-[^"]+" name="pin" value="on" checked', found.text))
        == 2
    )


def test_credential_names_switch_between_english_and_dzongkha(
    admin_web: tuple[TestClient, str],
) -> None:
    web, _ = admin_web
    english = web.get("/operator/search", params={"q": KARMA}).text
    assert ">Foundational ID</option>" in english
    dzongkha = web.get("/operator/search", params={"q": KARMA, "lang": "dz"}).text
    assert 'lang="dz">གཞི་རྩའི་ངོ་རྟགས་</option>' in dzongkha
    assert ">ཚོང་ལས་ཆོག་ཐམ་</option>" in dzongkha  # business licence
    # The choice sticks to the session until switched back.
    assert "གཞི་རྩའི་ངོ་རྟགས་" in web.get("/operator/search", params={"q": KARMA}).text
    assert (
        ">Foundational ID</option>"
        in web.get("/operator/search", params={"q": KARMA, "lang": "en"}).text
    )


def test_offer_page_shows_the_qr_code_and_the_pin_that_work(
    client: TestClient, admin_web: tuple[TestClient, str]
) -> None:
    web, csrf = admin_web
    response = web.post(
        "/operator/offers",
        data={"csrf_token": csrf, "type": "foundational-id", "cid": KARMA, "pin": "on"},
    )
    text = assert_page(
        response,
        200,
        "Offer ready: Foundational ID",
        f"CID {KARMA}",
        "Tell the citizen this PIN; do not write it on the same paper as the QR code",
        "(UTC+06:00)",
        "about 10 minutes from now",
    )
    link = unescape(re.search(r'id="offer-link"[^>]*value="([^"]+)"', response.text).group(1))  # type: ignore[union-attr]
    pin = re.search(r'id="offer-pin"[^>]*>(\d+)<', response.text).group(1)  # type: ignore[union-attr]
    assert len(pin) == 6
    assert f"PIN: {' '.join(pin)}" in text
    offer_url = parse_qs(urlsplit(link).query)["credential_offer_uri"][0]
    offer_id = offer_url.rsplit("/", 1)[1]
    src = re.search(r'<img class="qr" id="offer-qr" src="([^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    assert src == f"/offers/{offer_id}/qr.png"
    image = client.get(src)
    assert image.headers["content-type"] == "image/png"
    assert decode_qr_image(image.content) == [link]

    entry = audit(client)[0]
    assert entry["action"] == "offer.create"
    assert entry["actor"].startswith("key:")
    assert entry["detail"] == {"type": "foundational-id", "subject": KARMA, "tx_code": True}
    assert entry["target"] in text

    # What the page shows is what the wallet needs: the PIN opens this offer.
    received = WalletClient(client, issuer=ISSUER).receive(link, tx_code=pin)
    assert len(received.credentials) == 1


def test_offer_without_pin_and_for_a_business(
    client: TestClient, admin_web: tuple[TestClient, str]
) -> None:
    web, csrf = admin_web
    no_pin = web.post(
        "/operator/offers", data={"csrf_token": csrf, "type": "permanent-address", "cid": KARMA}
    )
    text = assert_page(no_pin, 200, "Permanent address", "Whoever scans this code first")
    assert 'id="offer-pin"' not in no_pin.text
    assert "Tell the citizen this PIN" not in text
    assert audit(client)[0]["detail"]["tx_code"] is False

    business = web.post(
        "/operator/offers",
        data={
            "csrf_token": csrf,
            "type": "business-licence",
            "licence_number": KARMA_LICENCE.lower(),
            "pin": "on",
        },
    )
    assert_page(
        business, 200, "Business licence", f"Licence {KARMA_LICENCE}", "Tell the citizen this PIN"
    )
    assert audit(client)[0]["detail"] == {
        "type": "business-licence",
        "subject": KARMA_LICENCE,
        "tx_code": True,
    }


# --- credentials and status ----------------------------------------------------------------


def change(web: TestClient, csrf: str, credential_id: str, action: str, reason: str) -> Any:
    confirm = web.get(f"/operator/credentials/{credential_id}/{action}")
    assert_page(confirm, 200, "this credential?", "Reason (kept in the audit log)")
    return web.post(
        f"/operator/credentials/{credential_id}/{action}",
        data={"csrf_token": csrf, "reason": reason},
    )


def test_suspend_reinstate_revoke_show_in_the_list_and_the_audit_log(
    client: TestClient, admin_web: tuple[TestClient, str]
) -> None:
    credential_id = issue_credential(client)
    web, csrf = admin_web
    row = re.compile(rf'<tr id="row-{credential_id}">.*?</tr>', re.S)

    def listed() -> str:
        page = web.get("/operator/credentials", params={"subject": KARMA})
        assert_page(page, 200, "1 credential for 11512003456")
        return text_of(row.search(page.text).group(0))  # type: ignore[union-attr]

    assert "Valid" in listed()
    assert "Suspend" in listed()
    assert "Reinstate" not in listed()
    done = change(web, csrf, credential_id, "suspend", "phone reported lost")
    assert done.status_code == 303
    assert done.headers["location"] == f"/operator/credentials?subject={KARMA}"
    assert_page(
        web.get(done.headers["location"]), 200, "Foundational ID for 11512003456 is now suspended."
    )
    assert "Suspended" in listed()
    assert "Reinstate" in listed()
    assert status_of(client, credential_id) == "suspended"

    assert change(web, csrf, credential_id, "reinstate", "phone found").status_code == 303
    assert "Valid" in listed()
    assert change(web, csrf, credential_id, "revoke", "citizen asked").status_code == 303
    assert "Revoked" in listed()
    assert "No change possible" in listed()
    assert status_of(client, credential_id) == "revoked"

    # Revoked stays revoked: the confirmation page says so, and a forced POST gets a 409 page.
    assert_page(
        web.get(f"/operator/credentials/{credential_id}/reinstate"), 200, "cannot be changed"
    )
    again = web.post(
        f"/operator/credentials/{credential_id}/reinstate",
        data={"csrf_token": csrf, "reason": "oops"},
    )
    assert_page(again, 409, "it is revoked", "issue a new one")

    log = assert_page(
        web.get("/operator/audit"),
        200,
        "Revoked a credential",
        "Reinstated a credential",
        "Suspended a credential",
        "Reason phone reported lost",
        "counter 3",
    )
    assert log.index("Revoked a credential") < log.index("Suspended a credential")  # newest first
    entries = [e for e in audit(client) if e["target"] == credential_id]
    assert [e["action"] for e in entries] == [
        "credential.revoke",
        "credential.reinstate",
        "credential.suspend",
    ]


def test_the_list_shows_which_offer_each_copy_came_from(
    client: TestClient, admin_web: tuple[TestClient, str]
) -> None:
    offer_ref, copies = collect_copies(client, 3)
    single_ref, [single] = collect_copies(client, 1)
    web, _ = admin_web
    page = web.get("/operator/credentials", params={"subject": KARMA})
    assert_page(page, 200, "4 credentials for 11512003456")
    for number, credential_id in enumerate(copies, start=1):
        row = re.search(rf'<tr id="row-{credential_id}">.*?</tr>', page.text, re.S)
        assert row, credential_id
        text = text_of(row.group(0))
        assert f"Copy {number} of 3 from offer {offer_ref[:12]}" in text
        assert f'title="{offer_ref}"' in row.group(0)
        for action in ("Suspend", "Revoke"):
            assert f"{action} all copies from this offer" in text
        assert f'href="/operator/offers/{offer_ref}/revoke"' in row.group(0)
        assert "Reinstate all copies" not in text
    only = re.search(rf'<tr id="row-{single}">.*?</tr>', page.text, re.S)
    assert only
    assert f"Copy 1 of 1 from offer {single_ref[:12]}" in text_of(only.group(0))
    assert "all copies" not in text_of(only.group(0))  # one copy: the single action is enough


def test_revoke_every_copy_from_an_offer_after_one_confirmation(
    client: TestClient, admin_web: tuple[TestClient, str]
) -> None:
    offer_ref, copies = collect_copies(client, 3)
    _, [other] = collect_copies(client, 1)
    web, csrf = admin_web
    confirm = web.get(f"/operator/offers/{offer_ref}/revoke")
    text = assert_page(
        confirm,
        200,
        "Revoke all copies from this offer?",
        f"Offer {offer_ref}",
        "Copies collected 3",
        "All 3 copies will be revoked.",
        "cannot be undone",
        "Reason (kept in the audit log)",
        "Yes, revoke all copies",
    )
    for number, credential_id in enumerate(copies, start=1):
        assert f"{number} of 3 {credential_id} Valid" in text
    before = len(audit(client))

    done = web.post(
        f"/operator/offers/{offer_ref}/revoke",
        data={"csrf_token": csrf, "reason": "Citizen reported the phone stolen"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/operator/credentials?subject={KARMA}"
    listing = web.get(done.headers["location"])
    assert_page(
        listing,
        200,
        f"Foundational ID for {KARMA} is now revoked. All 3 copies from offer "
        f"{offer_ref[:12]} changed.",
    )
    assert [status_of(client, c) for c in copies] == ["revoked"] * 3
    assert status_of(client, other) == "valid"
    assert "Revoke all copies" not in listing.text
    entries = audit(client)[: len(audit(client)) - before]
    assert sorted(e["target"] for e in entries) == sorted(copies)
    for entry in entries:
        assert entry["action"] == "credential.revoke"
        assert entry["detail"] == {
            "subject": KARMA,
            "type": "foundational-id",
            "reason": "Citizen reported the phone stolen",
        }

    # Nothing left to change: the page says so, and a forced POST gets a 409 page.
    assert_page(
        web.get(f"/operator/offers/{offer_ref}/suspend"),
        200,
        "None of these copies can be suspended now",
    )
    forced = web.post(
        f"/operator/offers/{offer_ref}/reinstate", data={"csrf_token": csrf, "reason": "oops"}
    )
    assert_page(forced, 409, "3 revoked", "nothing was changed")
    assert len(audit(client)) == before + 3


def test_only_some_copies_can_change(client: TestClient, admin_web: tuple[TestClient, str]) -> None:
    offer_ref, copies = collect_copies(client, 3)
    web, csrf = admin_web
    single = web.get(f"/operator/credentials/{copies[0]}/revoke")
    assert_page(
        single,
        200,
        "Revoke this credential?",
        f"Copy 1 of 3 from offer {offer_ref}",
        "holds 3 copies from this offer",
    )
    assert f'href="/operator/offers/{offer_ref}/revoke"' in single.text
    assert change(web, csrf, copies[0], "revoke", "this copy only").status_code == 303
    assert_page(
        web.get(f"/operator/offers/{offer_ref}/suspend"),
        200,
        "2 of the 3 copies will be suspended; the others cannot be suspended",
    )
    done = web.post(
        f"/operator/offers/{offer_ref}/suspend", data={"csrf_token": csrf, "reason": "phone lost"}
    )
    assert_page(
        web.get(done.headers["location"]),
        200,
        f"2 of the 3 copies of Foundational ID for {KARMA} from offer {offer_ref[:12]} are now "
        "suspended; the other one stays as it was.",
    )
    assert [status_of(client, c) for c in copies] == ["revoked", "suspended", "suspended"]


def test_a_page_status_change_is_audited_like_the_api_one(client: TestClient) -> None:
    by_page, by_api = issue_credential(client), issue_credential(client, DECHEN)
    web, csrf = signed_in(client, "revoke")
    assert change(web, csrf, by_page, "suspend", "lost phone").status_code == 303
    headers = {"Authorization": f"Bearer {new_key(client, 'revoke')}"}
    assert client.post(f"/api/v1/credentials/{by_api}/suspend", headers=headers).status_code == 200
    page_entry, api_entry = (
        next(e for e in audit(client) if e["target"] == target) for target in (by_page, by_api)
    )
    assert page_entry["action"] == api_entry["action"] == "credential.suspend"
    assert page_entry["detail"] == {**api_entry["detail"], "subject": KARMA, "reason": "lost phone"}
    assert api_entry["detail"]["subject"] == DECHEN


def test_credentials_are_paginated_and_filtered(
    client: TestClient, admin_web: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import issuer.web.routes.credentials as credentials_page

    monkeypatch.setattr(credentials_page, "PAGE_SIZE", 1)
    karma, dechen = issue_credential(client), issue_credential(client, DECHEN)
    web, _ = admin_web
    first = assert_page(
        web.get("/operator/credentials"), 200, "2 credentials", "Page 1 of 2", "Next page"
    )
    second = assert_page(web.get("/operator/credentials", params={"page": 2}), 200, "Page 2 of 2")
    assert {karma, dechen} == {c for c in (karma, dechen) if c in first or c in second}
    assert (karma in first) != (karma in second)
    only = assert_page(
        web.get("/operator/credentials", params={"subject": DECHEN}), 200, "1 credential for"
    )
    assert dechen in only
    assert karma not in only
    headers = {"Authorization": f"Bearer {new_key(client, 'admin')}"}
    api = client.get("/api/v1/credentials", params={"subject": DECHEN}, headers=headers).json()
    assert api["total"] == 1  # the count follows the filter, on the API too
    assert_page(
        web.get("/operator/credentials", params={"subject": "10711001234"}),
        200,
        "No credentials for",
    )


def test_audit_log_is_paginated(
    client: TestClient, admin_web: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import issuer.web.routes.audit as audit_page

    monkeypatch.setattr(audit_page, "PAGE_SIZE", 2)
    web, _ = admin_web
    for _ in range(2):
        create_offer(client, {"Authorization": f"Bearer {new_key(client, 'issue')}"})
    expected = [entry["target"] for entry in audit(client)]  # newest first
    assert len(expected) == 5
    shown = []
    for number in (1, 2, 3):
        page = web.get("/operator/audit", params={"page": number})
        assert_page(page, 200, "Times in UTC+06:00")
        assert ('rel="next"' in page.text) == (number < 3)
        assert ('rel="prev"' in page.text) == (number > 1)
        shown.append(re.findall(r'data-label="Record"><span class="mono">([^<]+)<', page.text))
    assert shown == [expected[0:2], expected[2:4], expected[4:5]]


# --- bad input -----------------------------------------------------------------------------


@pytest.fixture
def credential_id(client: TestClient) -> str:
    return issue_credential(client)


BAD_OFFERS = [
    ({"type": "passport", "cid": KARMA}, 400, "choose a credential from the list"),
    ({"type": "foundational-id", "cid": "1151200345"}, 400, "11-digit CID"),
    ({"type": "foundational-id", "cid": "11512003456 OR 1=1"}, 400, "11-digit CID"),
    ({"type": "foundational-id", "cid": "99999999999"}, 404, "no person with CID 99999999999"),
    ({"type": "foundational-id", "cid": KARMA, "pin": "maybe"}, 400, "PIN choice"),
    ({"type": "foundational-id", "cid": KARMA, "licence_number": KARMA_LICENCE}, 400, "11-digit"),
    ({"type": "business-licence", "cid": KARMA}, 400, "licence number"),
    ({"type": "business-licence", "licence_number": "BL-0000-00000"}, 404, "no business"),
    ({"type": "business-licence", "licence_number": "<script>"}, 400, "licence number"),
    ({"type": "foundational-id", "cid": KARMA, "admin": "1"}, 400, "unexpected field"),
]


def test_bad_offer_forms(client: TestClient, admin_web: tuple[TestClient, str]) -> None:
    # One app for all cases (each case is a separate request): keeps the suite fast.
    web, csrf = admin_web
    for fields, status, message in BAD_OFFERS:
        response = web.post("/operator/offers", data={"csrf_token": csrf, **fields})
        assert_page(response, status, message)
    assert not [e for e in audit(client) if e["action"] == "offer.create"]


def test_bad_sign_in_forms(client: TestClient) -> None:
    web = new_browser(client)
    token = csrf_of(web.get("/operator/sign-in").text)
    assert_page(
        web.post("/operator/sign-in", json={"api_key": "x"}), 400, "only accepts its own form"
    )
    for body in [
        f"csrf_token={token}&api_key=a&api_key=b",
        f"csrf_token={token}&password=x",
        "csrf_token=" + token + "&api_key=" + "k" * 9000,
    ]:
        response = web.post("/operator/sign-in", content=body, headers={"Content-Type": FORM})
        assert_page(response, 400)
    raw = web.post("/operator/sign-in", content=b"\xff\xfe=\xfa", headers={"Content-Type": FORM})
    assert_page(raw, 400, "could not be read")


def test_bad_status_change_forms(
    client: TestClient, admin_web: tuple[TestClient, str], credential_id: str
) -> None:
    web, csrf = admin_web
    path = f"/operator/credentials/{credential_id}"
    for reason, words in [
        ("", "write a short reason"),
        ("ok", "write a short reason"),
        ("x" * 201, "longer than 200"),
    ]:
        response = web.post(f"{path}/revoke", data={"csrf_token": csrf, "reason": reason})
        assert_page(response, 400, words, "Reason (kept in the audit log)")  # the form again
    assert_page(
        web.post(f"{path}/destroy", data={"csrf_token": csrf, "reason": "why not"}),
        404,
        "no such action",
    )
    assert_page(web.get(f"{path}/destroy"), 404, "no such action")
    assert_page(
        web.post(
            "/operator/credentials/cred_nope/revoke", data={"csrf_token": csrf, "reason": "lost"}
        ),
        404,
        "no credential",
    )
    assert_page(web.get("/operator/credentials/cred_nope/suspend"), 404, "no credential")
    assert status_of(client, credential_id) == "valid"

    offer_ref = client.app.state.runtime.operator.credentials.get(
        local_actor(), credential_id
    ).offer_ref  # type: ignore[attr-defined]
    for reason, words in [("", "write a short reason"), ("x" * 201, "longer than 200")]:
        response = web.post(
            f"/operator/offers/{offer_ref}/revoke", data={"csrf_token": csrf, "reason": reason}
        )
        assert_page(response, 400, words, "Revoke all copies from this offer?")
    for path in (f"/operator/offers/{offer_ref}/destroy", "/operator/offers/off_nope/revoke"):
        assert_page(web.get(path), 404)
        assert_page(web.post(path, data={"csrf_token": csrf, "reason": "lost phone"}), 404)
    assert_page(web.get("/operator/offers/off_0123456789abcdef/revoke"), 404, "no offer")
    uncollected = create_offer(client, {"Authorization": f"Bearer {new_key(client, 'issue')}"})
    assert_page(
        web.get(f"/operator/offers/{uncollected['offer_ref']}/revoke"),
        200,
        "No wallet has collected this offer yet",
    )
    assert_page(
        web.post(
            f"/operator/offers/{uncollected['offer_ref']}/revoke",
            data={"csrf_token": csrf, "reason": "lost phone"},
        ),
        409,
        "no credential has been issued from offer",
    )
    assert status_of(client, credential_id) == "valid"


BAD_ADDRESSES = [
    ("/operator/search", {"q": "x"}, 400, "at least 2 letters"),
    ("/operator/search", {"q": "n" * 101}, 400, "at least 2 letters"),
    ("/operator/credentials", {"subject": "Karma Wangmo"}, 400, "11-digit CID number"),
    ("/operator/credentials", {"subject": "' OR 1=1 --"}, 400, "11-digit CID number"),
    ("/operator/credentials", {"page": "0"}, 400, "page number"),
    ("/operator/credentials", {"page": "two"}, 400, "page number"),
    ("/operator/credentials", {"page": "99999999999999999999"}, 400, "page number"),
    ("/operator/audit", {"page": "-1"}, 400, "page number"),
    ("/operator/no-such-page", {}, 404, "no such page"),
    ("/operator/offers", {}, 405, "cannot be used that way"),
]


def test_bad_addresses_get_a_plain_page(admin_web: tuple[TestClient, str]) -> None:
    web, _ = admin_web
    for path, params, status, message in BAD_ADDRESSES:
        assert_page(web.get(path, params=params), status, message)
    assert web.get("/operator/offers").headers["allow"] == "POST"


def test_an_unexpected_failure_is_a_plain_page_without_details(
    settings: IssuerSettings, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings, clock=clock)
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        assert sign_in(client, new_key(client, "admin")).status_code == 303

        def broken(*_args: Any, **_kwargs: Any) -> None:
            raise RuntimeError("database password is hunter2")

        monkeypatch.setattr(app.state.runtime.operator.registry, "search", broken)
        response = client.get("/operator/search", params={"q": KARMA})
        assert_page(response, 500, "Something went wrong on the issuer's side", "IT staff")
        assert "hunter2" not in response.text
        assert "RuntimeError" not in response.text
        api = client.get("/api/v1/registry/search", params={"q": KARMA})
        assert api.status_code == 401  # the API's own handlers are untouched
        assert api.json()["error"] == "invalid_token"


def test_the_api_keeps_its_json_errors(client: TestClient) -> None:
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    assert client.get("/offers/nope/qr.png").headers["content-type"].startswith("application/json")


def test_static_files_and_security_headers(admin_web: tuple[TestClient, str]) -> None:
    web, _ = admin_web
    page = web.get("/operator/search")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    for link in re.findall(
        r'(?:href|src)="(/static/[^"]+)"', page.text + web.get("/operator/sign-in").text
    ):
        assert web.get(link).status_code == 200, link
    assert web.get("/static/issuer/operator.js").status_code == 200


@pytest.mark.postgres
def test_search_and_filtered_list_on_postgres(data_dir: Any, postgres_url: str) -> None:
    """Case-insensitive name search and escaped wildcards behave the same on PostgreSQL."""
    settings = make_settings(data_dir, database_url=postgres_url)
    with TestClient(create_app(settings)) as client:
        web, _ = signed_in(client, "admin")
        assert_page(web.get("/operator/search", params={"q": "wANGmo"}), 200, "Karma Wangmo")
        assert_page(web.get("/operator/search", params={"q": "1151"}), 200, "Karma Wangmo")
        for wildcard in ("%%", "__", "a%"):
            response = web.get("/operator/search", params={"q": wildcard})
            assert_page(response, 200, "No one in the registry matches")
        issue_credential(client, DECHEN)
        listed = web.get("/operator/credentials", params={"subject": DECHEN})
        assert_page(listed, 200, "1 credential for", "Valid")


def test_a_key_without_a_name_is_said_in_words(client: TestClient) -> None:
    web = new_browser(client)
    key = new_key(client, "issue", "")
    assert sign_in(web, key).status_code == 303
    words = text_of(web.get("/operator/search").text)
    key_id = key.split("_")[1]
    assert "Signed in as an API key" not in words
    assert f"Signed in with an API key that has no name (key {key_id} )" in words
    assert "drukid issuer apikey create --label NAME" in words


def test_operator_page_gives_a_sign_in_code(
    client: TestClient, admin_web: tuple[TestClient, str]
) -> None:
    web, csrf = admin_web
    assert "Give a sign-in code" in web.get("/operator/search", params={"q": KARMA}).text
    response = web.post("/operator/signin-codes", data={"csrf_token": csrf, "cid": KARMA})
    text = assert_page(response, 200, f"Sign-in code for CID {KARMA}", "It works once")
    code = re.search(r'<strong class="pin">([\d ]+)</strong>', response.text).group(1)  # type: ignore[union-attr]
    assert len(code.replace(" ", "")) == 8
    assert code in text
    entry = audit(client)[0]
    assert (entry["action"], entry["detail"]) == ("signin_code.create", {"cid": KARMA})
    assert code.replace(" ", "") not in str(entry)  # never the code itself
    stale = web.post("/operator/signin-codes", data={"csrf_token": "forged", "cid": KARMA})
    assert stale.status_code == 403  # the staff kit's stale-form refusal
