"""Results as the relying party polls them: ``pending``, ``verified`` (with the verified
disclosed claims), ``rejected`` (with the reason in plain words) or ``expired``
(:func:`verifier.service.records.result_view`).

A same-device result is released only against its response code (OpenID4VP §14.3; the rules
are :mod:`verifier.oid4vp.response_code`): without one the view says the result is withheld;
with the right one it is shown, once.
"""

from __future__ import annotations

from typing import Any

from verifier.oid4vp.response_code import check_response_code, invalid_response_code
from verifier.service.context import ServiceContext
from verifier.service.records import open_request, result_view
from verifier.service.retention import Retention
from verifier.storage.repos import Requests

__all__ = ["PresentationResults"]


class PresentationResults:
    def __init__(self, context: ServiceContext, *, retention: Retention) -> None:
        self.context = context
        self.retention = retention

    def view(
        self, rp_key_id: str, request_id: str, *, response_code: str | None = None
    ) -> dict[str, Any]:
        """The request of ``rp_key_id`` and its result (see the module docstring)."""
        self.retention.prune_on_access()
        now = self.context.clock()
        with self.context.session() as session:
            record = open_request(session, request_id, rp_key_id)
            view = result_view(record, now=now, context=self.context)
            if record.same_device and record.status == "verified":
                if response_code is None:
                    view.pop("credentials", None)
                    view.pop("claims", None)
                    view["result_withheld"] = "same-device request: pass ?response_code="
                else:
                    digest = check_response_code(
                        response_code,
                        digest=record.response_code_hash,
                        used=record.response_code_used,
                        expires_at=record.result_expires_at,
                        now=now,
                    )
                    if not Requests(session).use_response_code(record.id, digest, now=now):
                        raise invalid_response_code()  # another fetch used it a moment ago
                    session.commit()
        return view
