"""The staff-pages kit: what the issuer's operator pages and the verifier's teller pages share.

Staff sign in with an API key; the kit keeps the session (:mod:`servicekit.sessions`: the key's
id on the server, a random id in an ``HttpOnly``, ``SameSite=Strict`` cookie; in the database
with :mod:`servicekit.page_state` so that every worker shares it), throttles failed sign-ins,
checks every form's CSRF token, reads forms, and answers every refusal under
the role's prefix with a problem page in the role's words. The role gives a
:class:`~servicekit.staff.site.StaffSite` (prefix, cookies, words) and an ``identify``
function (what the session's key stands for now).

* :mod:`~servicekit.staff.site` — :class:`StaffSite` and :class:`StaffWords`
* :mod:`~servicekit.staff.visits` — :class:`SignedIn` (the role's visit extends it),
  :class:`SignInRequired`
* :mod:`~servicekit.staff.signin` — the throttle and the sign-in form's double-submit token
* :mod:`~servicekit.staff.forms` — url-encoded forms, each field once
* :mod:`~servicekit.staff.pages` — :class:`StaffPages`: sessions, forms, rendering, problem
  pages, the 413 page for :class:`~servicekit.http.BodySizeLimitMiddleware`, assembly
* ``templates/staff/`` — ``layout.html`` (menu and sign-out), ``problem.html``,
  ``macros.html`` (the sign-in form); the problem type and the error-page handlers all pages
  share are in :mod:`servicekit.pages`.

The same ``web/`` layout in every role (``issuer/web``, ``verifier/web``, ``wallet/web``)::

    __init__.py   re-exports the one entry point of app.py
    app.py        assembly: builds the pages object, includes routes/, mounts the static
                  files, installs the error pages (install_pages(app, settings, ...); the
                  wallet, which is only pages, has create_app(settings, ...) around it)
    deps.py       the Annotated dependencies routes take (the pages object, who is signed in
                  or which wallet is unlocked) and what they stand for
    routes/       one APIRouter per area, relative to the pages' prefix; each route parses,
                  calls one service operation, renders
    views.py      service results into what templates show: pure functions of values
    words.py      the role's plain words: what the kit says for it, and its own refusals
    forms.py      reading and checking what was typed or uploaded
    templates/<pages>/ and static/

plus what only one role needs: the web wallet, which is not staff pages, has its own renderer
(pages.py), its sessions that own open wallets (state.py) and its ASGI guards (guard.py).
Only app.py imports routes/, and no route imports another; routes import deps, views, words
and forms, none of which imports a route or app.py, so there is no import cycle.
"""

from __future__ import annotations

from servicekit.staff.forms import MAX_FORM_BYTES, Form
from servicekit.staff.pages import NO_STORE, TITLES, StaffPages
from servicekit.staff.signin import SignInLimiter, SignInThrottle, client_address
from servicekit.staff.site import StaffSite, StaffWords
from servicekit.staff.visits import SignedIn, SignInRequired

__all__ = [
    "MAX_FORM_BYTES",
    "NO_STORE",
    "TITLES",
    "Form",
    "SignInLimiter",
    "SignInRequired",
    "SignInThrottle",
    "SignedIn",
    "StaffPages",
    "StaffSite",
    "StaffWords",
    "client_address",
]
