"""What a teller page can refuse: a plain message, what to do next, and the HTTP status.

The page handlers render :class:`PageProblem` as an HTML page; :class:`SignInRequired` sends
the browser to the sign-in form with a short reason. Service errors
(:class:`verifier.errors.VerificationError`) are turned into a :class:`PageProblem` by
:func:`verifier.web.views.problem_for`.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["PageProblem", "SignInRequired"]


class PageProblem(Exception):
    """A refusal shown as a page: ``message`` says what happened, ``what_to_do`` what next."""

    def __init__(
        self,
        status: int,
        message: str,
        what_to_do: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.what_to_do = what_to_do
        self.headers = dict(headers or {})


class SignInRequired(Exception):
    """No usable session; ``reason`` (``ended``, ``key_revoked``) is explained on the form."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason or "sign in")
        self.reason = reason
