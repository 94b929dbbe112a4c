"""Credential formats shared by every role: JOSE, SD-JWT (RFC 9901), SD-JWT VC, Token Status
List, DCQL and SD-JWT VC Type Metadata. Pure logic: no web framework, no database, no clock."""

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
]
