"""The bank teller pages served by the verifier at ``/teller``: a desk signs in with its
relying-party API key, chooses what to ask for, shows the QR code to the customer and reads
the result in plain words. Server-rendered (Jinja2, the shared ``drukid`` page kit), working
without JavaScript and without internet access."""

from __future__ import annotations

from verifier.web.pages import install_teller_pages

__all__ = ["install_teller_pages"]
