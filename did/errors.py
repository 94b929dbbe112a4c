"""Errors raised by the ``did`` package.

Every error carries a stable machine-readable ``code`` and a human ``message``::

    core.errors.CodedError        shared base of every package's root (code, message, HTTP)
    DIDError                      root: ``except DIDError`` catches everything below
    ├── KeyFormatError            a key or JWK is malformed, unsupported or of the wrong kind
    ├── InvalidDIDError           DID / DID URL syntax, unsupported method, bad multibase
    ├── ResolutionError           the DID could not be resolved to a usable document / key
    └── FetchError                the SSRF-guarded HTTP fetcher refused or failed a request
"""

from __future__ import annotations

from core.errors import CodedError

__all__ = [
    "DIDError",
    "FetchError",
    "InvalidDIDError",
    "KeyFormatError",
    "ResolutionError",
]


class DIDError(CodedError):
    """Root of every error in :mod:`did`."""

    code = "did_error"


class KeyFormatError(DIDError):
    code = "invalid_key"


class InvalidDIDError(DIDError):
    code = "invalid_did"


class ResolutionError(DIDError):
    code = "did_resolution_failed"


class FetchError(DIDError):
    """Network refusals and failures. Codes: ``fetch_insecure_scheme``, ``fetch_blocked_address``,
    ``fetch_timeout``, ``fetch_too_large``, ``fetch_too_many_redirects``, ``fetch_http_status``
    (``upstream_status`` holds the HTTP status the remote server answered),
    ``fetch_redirect_refused``, ``fetch_invalid_url``, ``fetch_invalid_json`` and
    ``fetch_failed``. ``not_sent``: the request certainly never left this machine (no
    connection was made: refused, unresolvable host, connect timeout), so whatever it carried
    did not arrive."""

    code = "fetch_failed"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        upstream_status: int | None = None,
        not_sent: bool = False,
    ) -> None:
        super().__init__(message, code=code)
        self.upstream_status = upstream_status
        self.not_sent = not_sent
