"""Offline trust bundles can carry every status list: the issuer lists its lists at
``/status`` and ``discover_issuer`` records them (docs/dev/contracts.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from credentials.clock import system_time
from did.fetch import Fetcher, FetchPolicy
from drukid.demo import DEMO_CITIZEN_CID, start_stack
from verifier.keys import IssuerKeys
from verifier.onboarding import discover_issuer
from wallet.holder import Wallet
from wallet.vault import ScryptParams

pytestmark = [pytest.mark.network, pytest.mark.slow]


def test_discovery_records_the_issuers_status_lists(tmp_path: Path) -> None:
    stack = start_stack(tmp_path, ports=(0, 0, 0))
    try:
        headers = {"Authorization": f"Bearer {stack.issuer_key}"}
        with httpx.Client(base_url=stack.issuer_url, headers=headers, timeout=30) as registry:
            assert registry.get("/status").json()["status_lists"] == []  # nothing issued yet
            offer = registry.post(
                "/api/v1/offers",
                json={"credential_configuration_id": "foundational-id", "cid": DEMO_CITIZEN_CID},
            ).json()
            settings = stack.wallet_settings(tmp_path / "w")  # trusts the development root
            with Wallet.create(
                tmp_path / "w" / "wallet.db", "passphrase 1234", settings=settings,
                kdf=ScryptParams(n=2**4),
            ) as wallet:  # fmt: skip
                wallet.receive(wallet.load_offer(offer["offer_uri"]))
            listed: list[str] = registry.get("/status").json()["status_lists"]
        assert len(listed) == 1
        assert listed[0].startswith(f"{stack.issuer_url}/status/")
        policy = FetchPolicy(allow_http=True, allow_private=True)
        with Fetcher(policy) as fetcher:
            keys = IssuerKeys(fetcher=fetcher, allow_http=True)
            entry = discover_issuer(stack.issuer_url, keys=keys, now=system_time())
            assert entry.status_lists == tuple(listed)
            # An explicit list is kept; duplicates collapse.
            again = discover_issuer(
                stack.issuer_url, keys=keys, now=system_time(), status_lists=(listed[0],)
            )
            assert again.status_lists == tuple(listed)
    finally:
        stack.stop()


class _Keys:
    def __init__(self, listing: Any) -> None:
        self.listing = listing

    def fetch_json(self, url: str, *, now: int) -> Any:
        return self.listing


@pytest.mark.parametrize(
    "listing",
    [
        {
            "credential_issuer": "https://other.example",
            "status_lists": ["https://i.example/status/a"],
        },
        {"credential_issuer": "https://i.example", "status_lists": ["https://evil.example/s/1"]},
        {"credential_issuer": "https://i.example", "status_lists": "https://i.example/status/a"},
        ["https://i.example/status/a"],
    ],
)
def test_a_listing_cannot_point_the_verifier_elsewhere(listing: Any) -> None:
    from verifier.onboarding import _published_status_lists

    assert _published_status_lists("https://i.example", _Keys(listing), 0) == ()  # type: ignore[arg-type]
