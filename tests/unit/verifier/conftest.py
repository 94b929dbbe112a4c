from __future__ import annotations

from collections.abc import Iterator

import pytest

from credentials.status_check import StatusChecker
from credentials.status_list import STATUS_LIST_MEDIA_TYPE
from did.fetch import Fetcher
from tests.support.fake_issuer import NOW, FakeIssuer
from tests.support.fake_wallet import FakeWallet
from verifier.keys import IssuerKeys
from verifier.policy import Policy
from verifier.trust import TrustRegistry

AUD = "decentralized_identifier:did:web:bank.example.bt"
NONCE = "n-0S6_WzA2Mj-kyc"


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


@pytest.fixture
def wallet() -> FakeWallet:
    return FakeWallet()


@pytest.fixture
def fetcher(issuer: FakeIssuer) -> Iterator[Fetcher]:
    with Fetcher(transport=issuer.transport()) as fetcher:
        yield fetcher


@pytest.fixture
def keys(fetcher: Fetcher) -> IssuerKeys:
    return IssuerKeys(fetcher=fetcher)


@pytest.fixture
def status(fetcher: Fetcher) -> StatusChecker:
    return StatusChecker(fetch=fetcher.content_getter(accept=STATUS_LIST_MEDIA_TYPE))


@pytest.fixture
def trust(issuer: FakeIssuer) -> TrustRegistry:
    return TrustRegistry.from_json({"issuers": [issuer.trusted_entry()]})


@pytest.fixture
def policy() -> Policy:
    return Policy()


__all__ = ["AUD", "NONCE", "NOW"]
