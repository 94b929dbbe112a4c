"""Who acts: the three roles and their permissions, the :class:`Actor` (an API key, or the
local administrator), and signing in with an API key (:class:`SignIn`)."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from typing import Literal

from issuer.context import IssuerContext
from issuer.errors import ForbiddenError, UnauthorizedError
from issuer.storage.models import ApiKeyRow
from issuer.storage.repos import ApiKeys
from servicekit.apikeys import parse_api_key, verify_secret

__all__ = ["PERMISSIONS", "ROLES", "Actor", "Role", "SignIn", "local_actor"]

Role = Literal["issue", "revoke", "admin"]
ROLES: tuple[Role, ...] = ("issue", "revoke", "admin")
PERMISSIONS: dict[str, frozenset[str]] = {
    "issue": frozenset({"offers:create", "registry:read", "credentials:read", "approvals:decide"}),
    "revoke": frozenset({"credentials:read", "credentials:status"}),
    "admin": frozenset(
        {
            "offers:create",
            "registry:read",
            "registry:write",
            "credentials:read",
            "credentials:status",
            "approvals:decide",
            "keys:manage",
            "apikeys:manage",
            "audit:read",
        }
    ),
}


@dataclass(frozen=True, slots=True)
class Actor:
    id: str  # "key:<key id>" or "local:<os user>"
    role: Role
    label: str = field(default="", compare=False)  # the API key's label, for screens only

    def require(self, permission: str) -> None:
        if permission not in PERMISSIONS[self.role]:
            raise ForbiddenError(
                f"an API key with role {self.role!r} may not do this ({permission}); ask an "
                "administrator for a key with the right role",
                code="role_forbidden",
            )


def local_actor() -> Actor:
    """Whoever runs the CLI on the issuer's own data directory has full control of it."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return Actor(f"local:{user}"[:64], "admin")


class SignIn:
    """The :class:`Actor` of an operator API key."""

    def __init__(self, context: IssuerContext) -> None:
        self.context = context

    def authenticate(self, token: str | None) -> Actor:
        if not token:
            raise UnauthorizedError(
                "this endpoint needs an operator API key: 'Authorization: Bearer drk_...'",
                code="missing_api_key",
            )
        parsed = parse_api_key(token)
        if parsed is None:
            raise UnauthorizedError("the API key is malformed", code="invalid_api_key")
        key_id, secret = parsed
        with self.context.session() as s:
            row = ApiKeys(s).get(key_id)
        if row is None or not verify_secret(secret, row.secret_hash):
            raise UnauthorizedError("the API key is not valid", code="invalid_api_key")
        return _key_actor(row)

    def actor_for_key(self, key_id: str) -> Actor:
        """The actor of an API key that already signed in (a browser session keeps the key id,
        never the key): looked up again on every request, so revoking the key or changing its
        role takes effect at once."""
        with self.context.session() as s:
            row = ApiKeys(s).get(key_id)
        if row is None:
            raise UnauthorizedError("the API key is not valid", code="invalid_api_key")
        return _key_actor(row)


def _key_actor(row: ApiKeyRow) -> Actor:
    if row.revoked_at is not None:
        raise UnauthorizedError("the API key was revoked", code="api_key_revoked")
    role = next((r for r in ROLES if r == row.role), None)
    if role is None:
        raise UnauthorizedError("the API key has an unknown role", code="invalid_api_key")
    return Actor(f"key:{row.key_id}", role, row.label)
