"""Checking a credential's status with Token Status List: the shared checker lives in
:mod:`drukid.common.status_check` (the wallet uses it too); the verifier's names stay here."""

from __future__ import annotations

from drukid.common.status_check import (
    DEFAULT_STATUS_TTL,
    MAX_STATUS_CACHE_TTL,
    StatusChecker,
    StatusOutcome,
)

__all__ = [
    "DEFAULT_STATUS_TTL",
    "MAX_STATUS_CACHE_TTL",
    "StatusChecker",
    "StatusOutcome",
]
