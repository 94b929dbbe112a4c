"""Credential formats shared by every role: JOSE, SD-JWT (RFC 9901), SD-JWT VC, Token Status
List, DCQL, SD-JWT VC Type Metadata and X.509 trust (credentials.x509). Pure logic: no web
framework, no database, no clock."""

from credentials.errors import (
    CredentialError,
    DCQLError,
    IssuerKeyError,
    JOSEError,
    KeyBindingError,
    MalformedError,
    SDJWTError,
    StatusListError,
    TypeMetadataError,
    ValidityError,
    X509Error,
)

__all__ = [
    "CredentialError",
    "DCQLError",
    "IssuerKeyError",
    "JOSEError",
    "KeyBindingError",
    "MalformedError",
    "SDJWTError",
    "StatusListError",
    "TypeMetadataError",
    "ValidityError",
    "X509Error",
]
