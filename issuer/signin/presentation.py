"""Method (b) of the citizen's sign-in (issue #12 §6.2): the Foundational ID the wallet already
holds, presented over OpenID4VP to the agency's own drukid verifier, through the verifier's
documented relying-party API, as any bank uses it. The issuer never imports ``verifier/``.

The narrow interface is :class:`PresentationVerifier`: ``start`` asks the verifier for a
same-device request that returns the citizen's browser to the agency's page with the
``response_code`` in the query (the verifier's ``response_code_in: query`` option, for a return
page served without script); ``result`` fetches the outcome with that single-use code. The
verifier did the cryptography (issuer chain, status, key binding, nonce and audience); the issuer
re-checks the meaning in :func:`signed_in_cid` (verified, the expected type, a trusted issuer,
status valid, fresh, a CID). :class:`VerifierRP` is the HTTP client over the SSRF-safe fetcher.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from did.errors import DIDError
from did.fetch import Fetcher
from issuer.errors import IssuerError

__all__ = [
    "FoundationalIdResult",
    "PresentationVerifier",
    "StartedPresentation",
    "VerifierRP",
    "signed_in_cid",
]


@dataclass(frozen=True, slots=True)
class StartedPresentation:
    request_id: str
    wallet_link: str  # openid4vp://…: opened on this phone, or shown as a QR code
    expires_at: int


@dataclass(frozen=True, slots=True)
class FoundationalIdResult:
    status: str  # verified | rejected | pending | expired
    vct: str | None
    issuer: str | None
    claims: Mapping[str, Any]
    credential_status: str | None
    completed_at: int | None
    error_code: str | None


class PresentationVerifier(Protocol):
    def start(self, *, return_url: str) -> StartedPresentation: ...

    def result(self, request_id: str, *, response_code: str) -> FoundationalIdResult: ...


def _unavailable(exc: Exception | None = None) -> IssuerError:
    detail = f" ({exc.code})" if isinstance(exc, DIDError) else ""
    return IssuerError(
        f"The agency's verifier did not answer{detail}. Use a sign-in code instead.",
        code="verifier_unavailable",
    )


class VerifierRP:
    """The verifier's relying-party API (``/api/v1/requests``) with the agency's own API key."""

    def __init__(self, fetcher: Fetcher, *, url: str, api_key: str, template: str) -> None:
        self._fetcher = fetcher
        self._url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self._template = template

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        try:
            response = self._fetcher.request(
                method, self._url + path, json=body, headers=self._headers, follow_redirects=False
            )
            data = response.json()
        except DIDError as exc:
            raise _unavailable(exc) from exc
        if response.status >= 500 or not isinstance(data, dict):
            raise _unavailable()
        return response.status, data

    def start(self, *, return_url: str) -> StartedPresentation:
        status, data = self._call(
            "POST",
            "/api/v1/requests",
            {
                "template": self._template,
                "same_device": True,
                "redirect_uri": return_url,
                "response_code_in": "query",
            },
        )
        link, ident, expires = data.get("uri"), data.get("id"), data.get("expires_at")
        if status != 201 or not isinstance(link, str) or not isinstance(ident, str):
            raise _unavailable()
        return StartedPresentation(ident, link, expires if isinstance(expires, int) else 0)

    def result(self, request_id: str, *, response_code: str) -> FoundationalIdResult:
        status, data = self._call(
            "GET", f"/api/v1/requests/{request_id}?response_code={response_code}"
        )
        if status != 200:
            return FoundationalIdResult("rejected", None, None, {}, None, None, str(status))
        found = data.get("credentials", {}).get("national_id") or [{}]
        first = found[0] if isinstance(found, list) and isinstance(found[0], dict) else {}
        error = data.get("error")
        return FoundationalIdResult(
            status=str(data.get("status")),
            vct=first.get("vct"),
            issuer=first.get("issuer"),
            claims=first.get("claims") or {},
            credential_status=first.get("status"),
            completed_at=data.get("completed_at"),
            error_code=error.get("code") if isinstance(error, dict) else None,
        )


def _refused(code: str, message: str) -> IssuerError:
    return IssuerError(message, code=code)


def signed_in_cid(
    result: FoundationalIdResult,
    *,
    expected_vct: str,
    trusted_issuers: Collection[str],
    now: int,
    max_age: int,
) -> str:
    """The CID of a verified, fresh Foundational ID from a trusted issuer, or a refusal."""
    if result.status != "verified":
        raise _refused(
            "fid_presentation_rejected",
            "Your national ID was not accepted. Try again, or use a sign-in code.",
        )
    if result.vct != expected_vct:
        raise _refused("fid_wrong_type", "That was not a national ID (Foundational ID).")
    if result.issuer not in trusted_issuers:
        raise _refused("fid_untrusted_issuer", "That national ID is not from an issuer we trust.")
    if result.credential_status not in ("valid", None):
        raise _refused("fid_presentation_rejected", "That national ID is revoked or suspended.")
    if result.completed_at is None or now - result.completed_at > max_age:
        raise _refused("fid_result_stale", "The sign-in took too long. Please start again.")
    cid = result.claims.get("cid")
    if not isinstance(cid, str) or not cid:
        raise _refused("fid_presentation_rejected", "The national ID did not share your CID.")
    return cid
