"""What the web wallet's pages show, from what the library returns: a credential's details with
which ones the citizen may keep hidden, and the notice after asking the issuers about status.

Pure functions of the library's views (:mod:`wallet.views`); no request, no session.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from wallet.views import CredentialView

__all__ = ["CARD_CLAIMS", "DetailRow", "detail_rows", "status_summary"]

# On a card: the first few details in the order the issuer's type metadata lists them.
CARD_CLAIMS = 3


@dataclass(frozen=True, slots=True)
class DetailRow:
    label: str
    value: str
    you_choose: bool  # can stay hidden when sharing (selectively disclosable)


def detail_rows(view: CredentialView) -> list[DetailRow]:
    return [
        DetailRow(
            claim.label,
            claim.value,
            any(claim.path[: len(p)] == p for p in view.hidden_by_default),
        )
        for claim in view.claims
    ]


def status_summary(views: Sequence[CredentialView]) -> tuple[str, str]:
    """The notice after a check, and its kind (``ok``, or ``warn`` when anything needs care)."""
    counts = Counter(view.status_text.word.lower() for view in views)
    said = ", ".join(f"{count} {word}" for word, count in sorted(counts.items()))
    count = "1 credential" if len(views) == 1 else f"{len(views)} credentials"
    text = f"Asked the issuers about {count}: {said}."
    unreachable = sum(1 for v in views if v.status is not None and v.status.problem)
    if unreachable:
        text += (
            f" {unreachable} could not be checked now; each card shows the last known status "
            "and when it was checked. Try again when you are online."
        )
    calm = not unreachable and set(counts) <= {"valid", "cannot be revoked"}
    return text, "ok" if calm else "warn"
