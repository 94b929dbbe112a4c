"""`drukid demo --once`: the journey a newcomer sees first must keep working end to end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from drukid.cli import app

pytestmark = [pytest.mark.network, pytest.mark.slow]


def test_demo_walks_the_whole_journey(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--once", "--no-qr", "--data-dir", str(tmp_path)], catch_exceptions=False
    )
    out = result.stdout
    assert result.exit_code == 0, out
    steps = [
        "1. The civil registry issues a Foundational ID",
        "2. Karma's wallet receives it",
        "3. A bank asks for name, CID and 'over 18'",
        "4. The wallet explains the request in plain words",
        "5. The bank sees the verified result",
        "6. The registry revokes the credential",
        "7. The bank checks again",
    ]
    positions = [out.index(step) for step in steps]
    assert positions == sorted(positions)
    assert "stays hidden:" in out
    assert "Date of birth" in out.split("stays hidden:", 1)[1].split("\n\n", 1)[0]
    assert "✔ Verified" in out
    # Every one-time copy the wallet collected is revoked by one call for the offer.
    words = " ".join(out.split())  # the console wraps long lines
    received = re.search(r"(\d+) one-time copies", words)
    revoked = re.search(r"(\d+) copies from offer off_[0-9a-f]{16} revoked in one step", words)
    assert received, out
    assert revoked, out
    assert revoked.group(1) == received.group(1) != "1"
    assert "This credential has been revoked by its issuer." in out
    assert "Journey complete." in out
    # The citizen's own wallet learns it too, from the same signed status list.
    assert "Karma's wallet asks the registry about its credentials" in words
    assert re.search(r"Foundational ID: Revoked as of ", words), words
    assert "Contact the issuer for a new one." in words
    assert (tmp_path / "wallet").exists()
