"""What a relying party accepts: the verification policy.

Safe by default (STYLE.md): key binding is required, the leeway is bounded (RFC 9901 §7.3 and
STANDARDS.md "Clocks": 60–300 s), the legacy ``vc+sd-jwt`` type is refused, an unreachable
status list rejects the credential, and keys are looked up only by the mechanisms listed.
Anything that weakens a check is a parameter named for the risk and off by default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from credentials.clock import DEFAULT_LEEWAY, check_leeway
from credentials.jose import SIGNING_ALGORITHMS
from credentials.sd_jwt import DEFAULT_KB_MAX_AGE, MAX_SD_JWT_BYTES

__all__ = [
    "KEY_MECHANISMS",
    "MAX_KB_MAX_AGE",
    "STATUS_POLICIES",
    "KeyMechanism",
    "Policy",
    "StatusPolicy",
]

StatusPolicy = Literal["reject", "accept_unknown"]
STATUS_POLICIES: tuple[StatusPolicy, ...] = ("reject", "accept_unknown")
# "pinned": keys recorded in the trust registry or bundle (works offline);
# "metadata": JWT VC Issuer Metadata (draft-ietf-oauth-sd-jwt-vc-25 §4);
# "did": the issuer is a DID and its document names the key;
# "x5c": the issuer-signed JWT's certificate chain, validated to a certificate authority the
# trust data lists for the credential's type (HAIP 1.0 §6.1.1). {"x5c"} alone is HAIP-only.
KeyMechanism = Literal["pinned", "metadata", "did", "x5c"]
KEY_MECHANISMS: tuple[KeyMechanism, ...] = ("pinned", "metadata", "did", "x5c")
MAX_KB_MAX_AGE = 3600


def _frozen(values: Iterable[str] | None) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


@dataclass(frozen=True, slots=True)
class Policy:
    """The checks one verification applies. Immutable; build a new one to change it.

    ``accepted_vcts``: credential types this relying party accepts at all (``None``: whatever
    the trust registry trusts the issuer for). ``status_policy``: what to do when the status list
    cannot be obtained — ``reject`` (default) or ``accept_unknown`` (the result then says
    "status unknown as of T"). ``require_status``: refuse credentials that carry no status
    reference (so cannot be revoked). ``status_max_age``: the oldest status list (by its
    ``iat``) this check accepts; a cached list older than that is fetched again instead of
    being trusted until its ``ttl`` runs out (the templates' freshness, docs/offline-qr.md §6).
    """

    require_key_binding: bool = True
    leeway: int = DEFAULT_LEEWAY
    kb_max_age: int = DEFAULT_KB_MAX_AGE
    status_policy: StatusPolicy = "reject"
    require_status: bool = False
    accepted_vcts: frozenset[str] | None = None
    allow_legacy_typ: bool = False
    key_mechanisms: frozenset[KeyMechanism] = field(
        default_factory=lambda: frozenset(KEY_MECHANISMS)
    )
    algorithms: frozenset[str] = SIGNING_ALGORITHMS
    max_presentation_bytes: int = MAX_SD_JWT_BYTES
    status_max_age: int | None = None

    def __post_init__(self) -> None:
        check_leeway(self.leeway)
        if isinstance(self.kb_max_age, bool) or not 0 < self.kb_max_age <= MAX_KB_MAX_AGE:
            raise ValueError(f"kb_max_age must be 1 to {MAX_KB_MAX_AGE} seconds")
        if self.status_policy not in STATUS_POLICIES:
            raise ValueError(f"status_policy must be one of {STATUS_POLICIES}")
        mechanisms = frozenset(self.key_mechanisms)
        if not mechanisms or not mechanisms.issubset(KEY_MECHANISMS):
            raise ValueError(f"key_mechanisms must be a non-empty subset of {KEY_MECHANISMS}")
        algorithms = frozenset(self.algorithms)
        if not algorithms or not algorithms.issubset(SIGNING_ALGORITHMS):
            raise ValueError(
                f"algorithms must be a non-empty subset of {sorted(SIGNING_ALGORITHMS)}"
            )
        if not 0 < self.max_presentation_bytes <= MAX_SD_JWT_BYTES:
            raise ValueError(f"max_presentation_bytes must be 1 to {MAX_SD_JWT_BYTES}")
        if self.status_max_age is not None and not self.status_max_age > 0:
            raise ValueError("status_max_age must be a positive number of seconds")
        object.__setattr__(self, "key_mechanisms", mechanisms)
        object.__setattr__(self, "algorithms", algorithms)
        object.__setattr__(self, "accepted_vcts", _frozen(self.accepted_vcts))
