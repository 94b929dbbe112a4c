"""Token Status Lists on the issuer's side (draft-ietf-oauth-status-list-21): the rules
(:mod:`issuer.status.rules`: entries, transitions, when to re-sign; plain code) and the stored
lists (:mod:`issuer.status.lists`: allocation for new credentials, the signed tokens verifiers
fetch). The format itself is :mod:`credentials.status_list`."""

from issuer.status.lists import StatusLists
from issuer.status.rules import (
    BITS,
    MAX_DRAWS,
    STATUS_NAMES,
    Transition,
    build_status_list,
    choose_index,
    choose_indexes,
    explain_refused,
    explain_refused_all,
    needs_resign,
    transition,
)

__all__ = [
    "BITS",
    "MAX_DRAWS",
    "STATUS_NAMES",
    "StatusLists",
    "Transition",
    "build_status_list",
    "choose_index",
    "choose_indexes",
    "explain_refused",
    "explain_refused_all",
    "needs_resign",
    "transition",
]
