"""The wallet's one table of plain words: every documented code has its next step, a page
gets the page's words and the code's status, and nothing falls back to the generic hint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wallet.errors import (
    NetworkError,
    ReceiveError,
    StorageError,
    VaultError,
    WalletError,
    hint_for,
)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "readme" / "wallet.md"
GENERIC = hint_for("no_such_code")


def documented_codes() -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### Error codes", 1)[1].split("###", 1)[0]
    return re.findall(r"`([a-z_]+)`", section.split("Each comes with")[0])


def test_the_readme_lists_the_codes() -> None:
    # 36 before X.509: issuer_certificate_*, verifier_certificate_invalid, trust_root_*
    # + 9 for asking an issuer, + 2 deferred (issue #12); + passphrase_needed, file_not_found,
    # qr_unreadable (issue #14)
    assert len(documented_codes()) == 57


@pytest.mark.parametrize("code", documented_codes())
def test_every_documented_code_has_its_own_next_step(code: str) -> None:
    assert hint_for(code) != GENERIC
    error = WalletError("something", code=code)
    assert error.hint == hint_for(code)
    assert error.page_hint  # a page always has words to show


def test_a_page_gets_the_page_words_and_the_code_status() -> None:
    missing = StorageError("no such credential", code="credential_not_found")
    assert "'drukid wallet list'" in missing.hint  # the command line names the command
    assert missing.page_hint == "Go to 'My credentials' to see what your wallet holds."
    assert missing.status == 404
    wrong = VaultError("not right", code="wrong_passphrase")
    assert "Caps Lock" in wrong.page_hint
    assert "Caps Lock" not in wrong.hint
    assert wrong.status == 400
    # Without page words the page shows the hint, including one given for this raise.
    given = ReceiveError("refused", code="issuer_rejected", hint="Check the code.")
    assert (given.hint, given.page_hint) == ("Check the code.", "Check the code.")


def test_network_errors_are_bad_gateways_and_a_timeout_a_gateway_timeout() -> None:
    assert NetworkError("down").status == 502
    assert NetworkError("down", code="network_refused").status == 502
    assert NetworkError("slow", code="network_timeout").status == 504
    assert ReceiveError("too big", code="photo_too_large", hint="Smaller.").status == 413
