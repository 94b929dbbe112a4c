"""Service plumbing shared by the issuer, verifier and web wallet: QR codes, API keys,
database engines, HTTP error rendering and size limits, and settings rules.

Roles may import this package; it imports no role. (``drukid.cli`` and ``drukid.demo`` sit
above the roles and are the only modules that import them.)
"""
