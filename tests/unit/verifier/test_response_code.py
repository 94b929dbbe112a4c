"""OpenID4VP §8.2 / §14.3 response codes: creation, single use and expiry."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from servicekit.database import create_db_engine
from verifier.errors import ServiceError
from verifier.oid4vp.response_code import (
    RESPONSE_CODE_BYTES,
    check_response_code,
    create_response_code,
    redirect_with_response_code,
    response_code_digest,
)
from verifier.storage.models import RequestRecord
from verifier.storage.repos import Requests, create_schema

NOW = 1_800_000_000


def test_a_new_code_is_random_and_only_its_digest_is_kept() -> None:
    asked: list[int] = []

    def token(size: int) -> str:
        asked.append(size)
        return "c0de"

    code = create_response_code(token)
    assert asked == [RESPONSE_CODE_BYTES]
    assert RESPONSE_CODE_BYTES * 8 >= 128
    assert code.value == "c0de"
    assert code.digest == response_code_digest("c0de") != "c0de"
    assert len(code.digest) == 64
    assert create_response_code().value != create_response_code().value
    assert (
        redirect_with_response_code("https://bank.example.bt/done", code)
        == "https://bank.example.bt/done#response_code=c0de"
    )


def test_the_issued_code_opens_the_result_while_it_is_kept() -> None:
    code = create_response_code()
    found = check_response_code(
        code.value, digest=code.digest, used=False, expires_at=NOW + 1, now=NOW
    )
    assert found == code.digest


@pytest.mark.parametrize(
    ("presented", "used", "expires_at", "issued"),
    [
        ("wrong", False, NOW + 60, True),  # not the code that was issued
        ("right", True, NOW + 60, True),  # already used
        ("right", False, NOW, True),  # the result is no longer kept
        ("right", False, None, True),  # no result to open
        ("right", False, NOW + 60, False),  # no code was issued (a cross-device request)
    ],
)
def test_a_wrong_used_or_expired_code_is_refused(
    presented: str, used: bool, expires_at: int | None, issued: bool
) -> None:
    digest = response_code_digest("right") if issued else None
    with pytest.raises(ServiceError) as refused:
        check_response_code(presented, digest=digest, used=used, expires_at=expires_at, now=NOW)
    assert refused.value.code == "invalid_response_code"
    assert refused.value.status == 403


def test_consuming_a_code_is_single_use_and_ends_with_the_result(tmp_path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'verifier.db'}")
    create_schema(engine)
    code = create_response_code()
    with Session(engine) as session:
        for request_id, kept_until in (("kept", NOW + 60), ("gone", NOW)):
            Requests(session).add(
                RequestRecord(
                    id=request_id,
                    rp_key_id="rp",
                    dcql_query="{}",
                    purpose="test",
                    response_mode="direct_post",
                    client_id="redirect_uri:https://verifier.example.bt",
                    nonce=f"nonce-{request_id}",
                    state=f"state-{request_id}",
                    status="verified",
                    created_at=NOW - 10,
                    expires_at=NOW + 300,
                    response_code_hash=code.digest,
                    result_expires_at=kept_until,
                )
            )
        session.commit()
        requests = Requests(session)
        assert not requests.use_response_code("kept", response_code_digest("wrong"), now=NOW)
        assert requests.use_response_code("kept", code.digest, now=NOW)
        assert not requests.use_response_code("kept", code.digest, now=NOW)  # single use
        assert not requests.use_response_code("gone", code.digest, now=NOW)  # expired
    engine.dispose()
