"""The agency's issuer: SD-JWT VCs over OpenID4VCI 1.0 (pre-authorized code flow), Token Status
Lists, an operator API and CLI, and bulk offers. See ``docs/readme/issuer.md``."""

from issuer.errors import IssuerError
from issuer.settings import IssuerSettings

__all__ = ["IssuerError", "IssuerSettings"]
