"""The one error base every drukid error stands on.

A :class:`CodedError` carries what every consumer of an error needs, so nothing has to guess
with ``getattr``:

* ``code``: the stable machine-readable code (a class default, or given per raise); a public
  contract that CLIs print, services return and tests assert;
* ``message``: what went wrong, for developers and logs (never a secret);
* ``status`` and ``error``: the HTTP status and the registered OAuth / OpenID ``error`` value
  it renders as when it crosses an HTTP boundary (RFC 6749 §5.2 shape, which OpenID4VCI and
  OpenID4VP reuse); ``error`` ``None`` means the code itself;
* ``headers``: response headers that go with it (``WWW-Authenticate``, ``Retry-After``);
* :attr:`plain` and :attr:`hint`: the same failure in plain words for a person, and what they
  can do next. Each role keeps one table of plain words and overrides these two.

Each package roots its own tree on it (``DIDError``, ``CredentialError``, ``IssuerError``,
``WalletError``, ``VerificationError``); :meth:`to_json` is how every service renders one.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["CodedError"]


class CodedError(Exception):
    """Code, message, HTTP rendering and plain words (see the module docstring)."""

    code: str = "error"
    status: int = 400
    error: str | None = None
    hint: str | None = None  # what the person can do next, when there is something to say

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.headers: dict[str, str] | None = dict(headers) if headers else None

    @property
    def oauth_error(self) -> str:
        """The registered ``error`` value this renders as (the code when none is set)."""
        return self.error or self.code

    @property
    def plain(self) -> str:
        """What happened, in plain words for a person (roles override with their table)."""
        return self.message

    def to_json(self) -> dict[str, str]:
        """The RFC 6749 §5.2 body plus drukid's stable ``code``."""
        return {"error": self.oauth_error, "error_description": self.message, "code": self.code}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
