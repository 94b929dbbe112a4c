"""OpenID for Verifiable Credential Issuance 1.0 (Final, Sep 2025), pre-authorized code flow.

Pure spec logic: each module takes values and returns values, raising
:class:`issuer.errors.IssuerError` subclasses that carry the registered ``error`` value and HTTP
status. No web framework, no database, no clock of its own.
"""
