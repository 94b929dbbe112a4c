"""The bank teller pages served by the verifier at ``/teller``: a desk signs in with its
relying-party API key, chooses what to ask for, shows the QR code to the customer and reads
the result in plain words. Server-rendered (Jinja2, the shared ``drukid`` page kit and the
staff-pages kit :mod:`servicekit.staff`), working without JavaScript and without internet
access."""

from __future__ import annotations

from verifier.web.app import install_pages

__all__ = ["install_pages"]
