"""The agency operator pages, served by the issuer under ``/operator``.

Agency staff sign in with an operator API key, find a person or business in the registry, make
a credential offer (QR code + PIN to hand over), see issued credentials and suspend, reinstate
or revoke them, and read the audit log. Server-rendered Jinja2 pages on the shared drukid page
kit and the staff-pages kit (:mod:`servicekit.staff`); a little optional JavaScript; no CDN
and no build step. Routes only parse, call the same :class:`~issuer.operator.Operator`
operations as the operator API (same roles, same audit entries) and render.
"""

from __future__ import annotations

from issuer.web.app import install_pages

__all__ = ["install_pages"]
