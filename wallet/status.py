"""The status of the credentials the wallet holds (draft-ietf-oauth-status-list-21 §8.3), as the
citizen needs it before walking to a counter: valid, suspended or revoked, and since when.

Each batch copy of a credential carries its own ``status`` reference (HAIP: its own index, so
status checks cannot link the copies); a credential is revoked when any copy is, suspended when
any copy is, and valid when every copy's list says so. The lists are fetched, verified with the
issuer's key (found as when receiving: JWT VC Issuer Metadata, or the issuer's DID) and read by
the shared :class:`credentials.status_check.StatusChecker`.

What the wallet keeps (:class:`StatusRecord`, in the sealed catalog entry of the credential):
the last status a verified list gave and that list's ``iat`` ("as of"), when the wallet last
tried, and why that try failed. A try that could not reach the issuer keeps the last known
status (the citizen sees "valid as of T; last checked U: the issuer could not be reached"). A
list that was obtained but failed its checks (bad signature, wrong ``sub``, expired, unsigned)
makes the status ``unknown``: a forged list can never make a credential look valid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from credentials.errors import CredentialError
from credentials.issuer_keys import (
    DIDKeyResolver,
    FirstMatchResolver,
    MetadataKeyResolver,
    X5CKeyResolver,
    has_x5c,
)
from credentials.jose import JWS
from credentials.status_check import StatusChecker, StatusOutcome
from credentials.status_list import StatusReference
from did.fetch import Fetcher
from did.keys import PublicKey
from did.resolver import Resolver
from wallet.trust import Trust

__all__ = [
    "CHECKED_STATES",
    "HeldCredential",
    "StatusRecord",
    "StatusText",
    "check_held",
    "check_references",
    "describe_status",
    "issuer_key_lookup",
    "no_answer",
]

# The statuses a verified list can give a held credential, in the words the wallet uses
# ("invalid" in §7.1 is what people call revoked). "none": no status list, cannot be revoked.
CHECKED_STATES = ("valid", "suspended", "revoked", "none")
_FROM_LIST = {"valid": "valid", "invalid": "revoked", "suspended": "suspended"}
# Causes that mean "the issuer could not be reached" (keep the last known status), as opposed
# to "a list was obtained and refused" (status unknown).
_UNREACHABLE = frozenset(
    {
        "fetch_timeout",
        "fetch_failed",
        "fetch_http_status",
        "status_list_offline",
        "issuer_metadata_unavailable",
    }
)
_JSON = "application/json"


@dataclass(frozen=True, slots=True)
class StatusRecord:
    """What the wallet last learned about one credential's status.

    ``known``: the last status a verified list gave (one of :data:`CHECKED_STATES`), ``None``
    before any list could be used. ``as_of``: that list's ``iat``. ``checked_at``: the wallet's
    last try. ``problem``: why that try gave no answer (an error code), ``None`` when it did.
    ``refused``: the problem is a list that failed its checks, not an unreachable issuer."""

    known: str | None
    as_of: int | None
    checked_at: int
    problem: str | None = None
    refused: bool = False

    @property
    def current(self) -> str:
        """What to rely on now: the last known status, or ``unknown``."""
        if self.known is None or self.refused:
            return "unknown"
        return self.known

    def to_json(self) -> dict[str, Any]:
        return {
            "known": self.known,
            "as_of": self.as_of,
            "checked_at": self.checked_at,
            "problem": self.problem,
            "refused": self.refused,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StatusRecord:
        known = data["known"]
        if known is not None and known not in CHECKED_STATES:
            raise ValueError("unknown status in the wallet index")
        return cls(
            known=known,
            as_of=data["as_of"],
            checked_at=int(data["checked_at"]),
            problem=data.get("problem"),
            refused=bool(data.get("refused", False)),
        )


def _combine(
    outcomes: Sequence[StatusOutcome],
) -> tuple[str | None, int | None, StatusOutcome | None]:
    """(status, as of, first failed outcome) over a credential's copies."""
    failed = next((o for o in outcomes if o.status not in _FROM_LIST), None)
    statuses = {_FROM_LIST.get(o.status) for o in outcomes}
    as_of = min((o.checked_at for o in outcomes if o.checked_at is not None), default=None)
    for bad in ("revoked", "suspended"):
        if bad in statuses:  # one copy is enough: the issuer meant the credential
            return bad, as_of, None
    if failed is not None:
        return None, None, failed
    return "valid", as_of, None


def check_references(
    references: Sequence[StatusReference],
    *,
    checker: StatusChecker,
    key_for: Callable[[JWS], PublicKey],
    iss: str,
    now: int,
    previous: StatusRecord | None,
    leeway: int = 60,
    failed: dict[tuple[str, str], StatusOutcome] | None = None,
) -> StatusRecord:
    """Check every copy's reference and fold the answers into a new :class:`StatusRecord`.

    ``failed`` (shared across the credentials of one check) remembers the lists that could not
    be used, so an unreachable issuer costs one timeout per list, not one per copy."""
    if not references:
        return StatusRecord("none", now, now)
    failed = {} if failed is None else failed
    outcomes: list[StatusOutcome] = []
    for reference in references:
        # Only a list that could not be used is remembered (per issuer and list): one odd
        # entry on a good list says nothing about the other entries on it.
        outcome = failed.get((iss, reference.uri))
        if outcome is None:
            try:
                outcome = checker.check(reference, iss=iss, key_for=key_for, now=now, leeway=leeway)
            except CredentialError as exc:  # an index outside a genuine list: this copy only
                outcome = StatusOutcome("unknown", None, "none", exc.message, exc.code)
            else:
                if outcome.status == "unknown":
                    failed[(iss, reference.uri)] = outcome
        outcomes.append(outcome)
    status, as_of, problem = _combine(outcomes)
    if problem is None:
        if previous is not None and _older(as_of, previous):
            # An older list than the one already seen (a stale cache on the way): no newer
            # answer, so the newer one stands; "as of" never goes back in time.
            return replace(previous, checked_at=now, problem=None, refused=False)
        return StatusRecord(status, as_of, now)
    cause = problem.cause or "status_unknown"
    return no_answer(previous, now, cause, refused=cause not in _UNREACHABLE)


def _older(as_of: int | None, previous: StatusRecord) -> bool:
    return (
        as_of is not None
        and previous.known is not None
        and previous.as_of is not None
        and as_of < previous.as_of
    )


def no_answer(
    previous: StatusRecord | None, now: int, cause: str, *, refused: bool
) -> StatusRecord:
    """A try that gave no status: the last known one stays, with why this try failed.
    ``refused``: something was obtained and failed its checks (the status is then unknown)."""
    if previous is None:
        return StatusRecord(None, None, now, cause, refused)
    return replace(previous, checked_at=now, problem=cause, refused=refused)


class HeldCredential(Protocol):
    """What a status check needs to know of a held credential (a catalog entry is one)."""

    @property
    def id(self) -> str: ...

    @property
    def iss(self) -> str: ...

    @property
    def status(self) -> StatusRecord | None: ...


def check_held(
    held: Sequence[HeldCredential],
    *,
    references: Callable[[str], Sequence[StatusReference]],
    checker: StatusChecker,
    key_lookup: Callable[[str], Callable[[JWS], PublicKey]],
    now: int,
) -> dict[str, StatusRecord]:
    """A new :class:`StatusRecord` for each of ``held``. ``references(id)`` gives a
    credential's references (a :class:`CredentialError` for one this version refuses: that
    credential alone reads unknown); ``key_lookup(iss)`` finds an issuer's list key."""
    records: dict[str, StatusRecord] = {}
    found: dict[str, Sequence[StatusReference]] = {}
    for credential in held:
        try:
            found[credential.id] = references(credential.id)
        except CredentialError as exc:  # this credential's own reference is unusable
            records[credential.id] = no_answer(credential.status, now, exc.code, refused=True)
    failed: dict[tuple[str, str], StatusOutcome] = {}
    for credential in held:
        if credential.id not in found:
            continue
        records[credential.id] = check_references(
            found[credential.id],
            checker=checker,
            key_for=key_lookup(credential.iss),
            iss=credential.iss,
            now=now,
            previous=credential.status,
            failed=failed,
        )
    return records


def issuer_key_lookup(
    fetcher: Fetcher,
    iss: str,
    *,
    resolver: Resolver | None = None,
    trust: Trust | None = None,
    now: int = 0,
) -> Callable[[JWS], PublicKey]:
    """The key of the credential issuer ``iss`` for its status list tokens, found as when
    receiving: the token's ``x5c`` validated to the wallet's trust store at ``now`` (its
    certificate must name ``iss``; HAIP 1.0 §6.1), the issuer's DID (through ``resolver``, by
    default one over ``fetcher``), or JWT VC Issuer Metadata (``http`` only in development)."""

    def fetch_json(url: str) -> Any:
        return fetcher.get(url, accept=_JSON).json()

    lookup = FirstMatchResolver(
        did=DIDKeyResolver(resolver or Resolver(fetcher=fetcher)),
        metadata=MetadataKeyResolver(fetch_json, allow_insecure_http=fetcher.policy.allow_http),
    )

    def key_for(jws: JWS) -> PublicKey:
        # The list is the credential issuer's own statement: look its key up as that issuer's,
        # whatever the token says (the checker compares a stated iss with the credential's).
        if has_x5c(jws):
            return X5CKeyResolver(
                trust.anchors if trust else (),
                time=now,
                crls=trust.crls if trust else (),
                iss=iss,
                check_vct=False,
                allow_insecure_http=trust.development if trust else False,
            )(jws)
        return lookup(replace(jws, payload={**jws.payload, "iss": iss}))

    return key_for


@dataclass(frozen=True, slots=True)
class StatusText:
    """A status for people: ``word`` ("Revoked"), ``kind`` (for styling: valid, suspended,
    revoked, unknown, unchecked, none), ``as_of`` ("as of …" or ""), ``note`` (plain words)."""

    word: str
    kind: str
    as_of: str
    note: str


_WORDS = {
    "valid": ("Valid", "The issuer has not revoked or suspended it."),
    "suspended": (
        "Suspended",
        "The issuer has suspended it for now: services will refuse it until the issuer "
        "reinstates it. Contact the issuer.",
    ),
    "revoked": (
        "Revoked",
        "The issuer has revoked it: services will refuse it. Contact the issuer for a new one.",
    ),
    "none": ("Cannot be revoked", "The issuer publishes no status for this credential."),
}


def describe_status(record: StatusRecord | None, format_time: Callable[[int], str]) -> StatusText:
    """The words the command line and the web wallet show for ``record``."""
    if record is None:
        return StatusText(
            "Not checked yet", "unchecked", "", "Check the status to learn whether it is valid."
        )
    checked = f"last checked {format_time(record.checked_at)}"
    if record.current == "unknown":
        why = (
            "the issuer's status list failed the wallet's checks"
            if record.refused
            else "the issuer could not be reached"
        )
        note = f"Unknown: {why}."
        if record.known is not None and record.as_of is not None:
            word = _WORDS[record.known][0]
            note += f" Last known: {word.lower()} as of {format_time(record.as_of)}."
        return StatusText("Unknown", "unknown", checked, note)
    word, note = _WORDS[record.current]
    as_of = "" if record.current == "none" else f"as of {format_time(record.as_of or 0)}"
    if record.problem is not None:
        note = (
            f"{note} The issuer could not be reached when checked at "
            f"{format_time(record.checked_at)}, so this is the last known status."
        )
    return StatusText(word, record.current, as_of, note)
