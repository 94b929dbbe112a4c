"""The wallet's credentials against a request's DCQL query (OpenID4VP 1.0 §6), and which of a
credential's copies to show.

Matching reads the catalog only (type, issuer and decoded claims of every credential), so no
record is decrypted until the citizen has seen what would be shared. Among the credentials that
match, one the issuer revoked or suspended is chosen only when nothing else matches. Among a
credential's copies (batch issuance, each with its own key), a copy nobody has seen comes first,
so two verifiers cannot tell that they met the same person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from credentials.dcql import SD_JWT_VC_FORMAT, Candidate, CredentialMatch, DCQLQuery, DCQLResult
from credentials.dcql import evaluate as evaluate_dcql
from wallet.storage.catalog import Catalog, CopyState, CredentialEntry

__all__ = ["Matcher", "best_match", "choose_copy", "mark_shown"]

# A credential the issuer revoked or suspended only when nothing else matches.
_STANDING = {"suspended": 1, "revoked": 2}


class Matcher:
    """DCQL over the stored, unexpired credentials. The candidate list is built once per
    catalog version (10,000 credentials are not re-listed for every request) and rebuilt when
    a listed credential expires."""

    def __init__(self) -> None:
        # (catalog generation, valid until: the next expiry among the listed, candidates)
        self._cached: tuple[int, int | None, list[Candidate]] | None = None

    def candidates(self, catalog: Catalog, now: int) -> list[Candidate]:
        """The DCQL candidates: every credential not expired at ``now``."""
        cached = self._cached
        if (
            cached is not None
            and cached[0] == catalog.generation
            and (cached[1] is None or now < cached[1])
        ):
            return cached[2]
        unexpired = [
            entry
            for entry in catalog.credentials.values()
            if entry.expires_at is None or entry.expires_at > now
        ]
        built = [
            Candidate(entry.id, SD_JWT_VC_FORMAT, entry.vct, entry.claims) for entry in unexpired
        ]
        expiries = [entry.expires_at for entry in unexpired if entry.expires_at is not None]
        self._cached = (catalog.generation, min(expiries, default=None), built)
        return built

    def match(self, catalog: Catalog, query: DCQLQuery, *, now: int) -> DCQLResult:
        return evaluate_dcql(query, self.candidates(catalog, now))


def best_match(
    matches: Iterable[CredentialMatch], catalog: Catalog, client_id: str, taken: set[str]
) -> CredentialMatch:
    """The credential to show for one query: in good standing, with a copy this verifier (or
    anyone) has not seen, received most recently."""

    def rank(match: CredentialMatch) -> tuple[int, int, int]:
        entry = catalog.credentials[match.candidate.ref]
        copy = choose_copy(entry, client_id, taken)
        freshness = 0 if not copy.shown_to else 1 if client_id not in copy.shown_to else 2
        standing = _STANDING.get(entry.status.known or "", 0) if entry.status else 0
        return standing, freshness, -entry.received_at

    return min(matches, key=rank)


def choose_copy(entry: CredentialEntry, client_id: str, taken: set[str]) -> CopyState:
    """A copy nobody has seen; else one this verifier has not seen; else the least shown."""
    copies = [c for c in entry.copies if c.copy_id not in taken] or list(entry.copies)
    fresh = [c for c in copies if not c.shown_to]
    if fresh:
        return fresh[0]
    unseen = [c for c in copies if client_id not in c.shown_to]
    return min(unseen or copies, key=lambda c: len(c.shown_to))


def mark_shown(entry: CredentialEntry, copy_id: str, client_id: str) -> CredentialEntry:
    """``entry`` with copy ``copy_id`` recorded as shown to ``client_id``."""
    copies = tuple(
        replace(c, shown_to=(*c.shown_to, client_id))
        if c.copy_id == copy_id and client_id not in c.shown_to
        else c
        for c in entry.copies
    )
    return replace(entry, copies=copies)
