"""Deferred issuance as the wallet sees it (OpenID4VCI 1.0 §8.3, §9): the 202 answer, the
deferred endpoint's answers, and when to ask again.

* 202 from the credential endpoint: ``transaction_id`` and ``interval`` (seconds, positive).
* The deferred endpoint: 200 with the credentials (as §8.3); still waiting: 202 (§9.2) or
  ``400 issuance_pending`` (drafts, and the drukid issuer); ``invalid_transaction_id`` or
  ``credential_request_denied``: stop asking (§9.3: "SHOULD stop"). drukid's ``code`` tells
  a denial (``issuance_denied``) from an unknown, used or expired transaction.
* When to ask again (:func:`next_poll_at`): never before ``interval`` ("the minimum amount of
  time ... SHOULD wait"), doubling with each unanswered try, capped at six hours, with up to a
  quarter of random jitter so wallets that asked together do not come back together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from wallet.errors import ReceiveError
from wallet.network import describe_error

__all__ = [
    "MAX_POLL_DELAY",
    "Accepted",
    "check_still_waiting",
    "next_poll_at",
    "parse_accepted",
]

MAX_POLL_DELAY = 6 * 3600
MAX_INTERVAL = 86400


@dataclass(frozen=True, slots=True)
class Accepted:
    """§8.3 202: the issuer will decide later."""

    transaction_id: str = field(repr=False)
    interval: int


def parse_accepted(body: object) -> Accepted:
    transaction_id = body.get("transaction_id") if isinstance(body, Mapping) else None
    interval = body.get("interval") if isinstance(body, Mapping) else None
    if not isinstance(transaction_id, str) or not transaction_id or len(transaction_id) > 500:
        raise ReceiveError(
            "the issuer will issue later but sent no transaction id", code="issuer_rejected"
        )
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise ReceiveError(
            "the issuer will issue later but did not say when to ask again",
            code="issuer_rejected",
        )
    return Accepted(transaction_id, min(interval, MAX_INTERVAL))


def next_poll_at(now: int, *, interval: int, attempt: int, jitter: float) -> int:
    """When to ask again after ``attempt`` unanswered tries (0 = the first wait);
    ``jitter`` in [0, 1) comes from the caller's randomness."""
    base = min(MAX_POLL_DELAY, max(1, interval) * (1 << min(max(attempt, 0), 20)))
    delay = base + int(base * 0.25 * min(max(jitter, 0.0), 1.0))
    return now + max(interval, min(delay, MAX_POLL_DELAY + MAX_POLL_DELAY // 4))


def check_still_waiting(status: int, body: object) -> None:
    """A deferred endpoint answer that is not 200: return when the issuer is still deciding
    (ask again later); otherwise raise the reason to stop asking."""
    error = body.get("error") if isinstance(body, Mapping) else None
    code = body.get("code") if isinstance(body, Mapping) else None
    if status == 202 or (status == 400 and error == "issuance_pending"):
        return
    if code == "issuance_denied" or error == "credential_request_denied":
        raise ReceiveError(
            "the agency decided not to issue this credential", code="issuance_denied"
        )
    if error == "invalid_transaction_id":
        raise ReceiveError(
            f"the issuer no longer knows this request ({describe_error(body)})",
            code="issuance_expired",
        )
    raise ReceiveError(
        f"the issuer refused to issue ({describe_error(body)})", code="issuer_rejected"
    )
