"""Webhook signatures (no storage, no network): what a relying party's receiver needs.

Header ``Drukid-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`` over the
*exact* bytes sent, with the relying party's own webhook secret. Receivers recompute it, compare
in constant time and refuse timestamps older than a few minutes (replay);
:func:`verify_webhook_signature` does all three. Kept apart from the delivery machinery so that
a bank backend checking signatures does not import the verifier's database layer.
"""

from __future__ import annotations

import hashlib
import hmac

from verifier.errors import VerificationError

__all__ = ["DEFAULT_TOLERANCE", "SIGNATURE_HEADER", "sign_webhook", "verify_webhook_signature"]

SIGNATURE_HEADER = "Drukid-Signature"
DEFAULT_TOLERANCE = 300


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign_webhook(body: bytes, secret: str, *, timestamp: int) -> str:
    """The ``Drukid-Signature`` header value for ``body``."""
    return f"t={timestamp},v1={_mac(secret, timestamp, body)}"


def verify_webhook_signature(
    body: bytes, header: str, secret: str, *, now: int, tolerance: int = DEFAULT_TOLERANCE
) -> None:
    """For receivers: raise :class:`VerificationError` (``webhook_signature_invalid``) unless
    ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds of ``now``."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp = fields.get("t", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        raise VerificationError("webhook timestamp missing or too old", code="webhook_stale")
    expected = _mac(secret, int(timestamp), body)
    if not hmac.compare_digest(expected, fields.get("v1", "")):
        raise VerificationError(
            "webhook signature does not match", code="webhook_signature_invalid"
        )
