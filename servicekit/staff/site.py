"""What a role tells the staff-pages kit: where its pages live, its cookies, and its words.

The kit's behaviour is the same for every role; only these differ. :class:`StaffWords` is the
role's table of plain words for everything the kit itself refuses or says (a form that is not
the page's own, a stale form, an unknown address, a body too large, why the sign-in form is
shown); the role's own refusals stay with its routes and forms.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from servicekit.pages import PageProblem, PageWords

__all__ = ["StaffSite", "StaffWords"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffWords(PageWords):
    """:class:`~servicekit.pages.PageWords` and the refusals of the kit's form reader, the
    413 page, and the notes on the sign-in form (by reason: ``ended``, ``signed_out``,
    ``key_revoked``)."""

    not_a_form: PageProblem  # not application/x-www-form-urlencoded
    form_too_long: PageProblem
    form_unreadable: PageProblem  # not UTF-8, not name=value pairs, too many fields
    unexpected_field: PageProblem  # a field the form does not have, or one sent twice
    too_large: Callable[[int], PageProblem]  # a body over the service's cap (in bytes)
    sign_in_notes: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class StaffSite:
    """One role's staff pages, named ``name`` (``operator``, ``teller``).

    They live under ``/<name>``; templates are ``<name>/<template>`` with the layout
    ``<name>/layout.html``. The session cookie ``drukid_<name>`` is scoped to ``/<name>``; the
    sign-in form is shown at ``/<name><sign_in_page>`` and its double-submit cookie
    ``drukid_<name>_sign_in`` is scoped there (kept ``sign_in_token_seconds`` when given, else
    for the browser session).
    """

    name: str
    words: StaffWords
    sign_in_page: str = ""
    max_form_fields: int = 12
    sign_in_token_seconds: int | None = None

    @property
    def prefix(self) -> str:
        return f"/{self.name}"

    @property
    def session_cookie(self) -> str:
        return f"drukid_{self.name}"

    @property
    def sign_in_cookie(self) -> str:
        return f"drukid_{self.name}_sign_in"
