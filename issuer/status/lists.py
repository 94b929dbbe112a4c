"""The issuer's status lists (draft-ietf-oauth-status-list-21) as stored state: a random entry
for each new credential (§6.1), a new list when one is nearly full, and each list served as a
signed ``statuslist+jwt`` (§5.1), re-signed only when :func:`issuer.status.rules.needs_resign`
says so. The list arithmetic itself is pure (:mod:`issuer.status.rules`).
"""

from __future__ import annotations

import logging
from functools import partial

from sqlmodel import Session

from credentials.status_list import create_status_list_token
from issuer.context import IssuerContext
from issuer.errors import IssuerError, NotFoundError
from issuer.keys import SigningKeys
from issuer.status.rules import BITS, build_status_list, choose_indexes, needs_resign
from issuer.storage import repos
from issuer.storage.models import StatusListRow

__all__ = ["StatusLists"]

log = logging.getLogger(__name__)


class StatusLists:
    """Status list entries for new credentials, and the signed lists verifiers fetch."""

    def __init__(self, context: IssuerContext, *, signing: SigningKeys) -> None:
        self.context = context
        self.signing = signing

    def allocate(self, s: Session, now: int, count: int = 1) -> list[tuple[str, int]]:
        """``count`` distinct random free entries ``(list id, index)`` for a batch of new
        credentials, in ``s`` (the caller's unit of work; a clash with a concurrent draw fails
        the insert of the credential rows): one open-list lookup and one query per round of
        draws for the whole batch."""
        lists = repos.StatusLists(s)
        positions: list[tuple[str, int]] = []
        for _ in range(4):
            row = lists.newest_open() or self._open(s, lists, now)
            list_id = row.id
            found = choose_indexes(
                row.size,
                count - len(positions),
                partial(lists.taken_among, list_id),
                randbelow=self.context.randbelow,
            )
            positions += [(list_id, idx) for idx in found]
            if len(positions) == count:
                return positions
            lists.close(list_id)
            log.info("closed status list %s: it is nearly full", list_id)
        raise IssuerError("no status list entry could be allocated", code="status_list_full")

    def _open(self, s: Session, lists: repos.StatusLists, now: int) -> StatusListRow:
        row = StatusListRow(
            id=self.context.random_bytes(8).hex(),
            size=self.context.settings.status_list_size,
            bits=BITS,
            created_at=now,
        )
        lists.add(row)
        s.flush()
        log.info("opened status list %s (%d entries)", row.id, row.size)
        return row

    def uri(self, list_id: str) -> str:
        return f"{self.context.issuer_url}/status/{list_id}"

    def uris(self) -> list[str]:
        """Every list this issuer serves: verifiers preparing to work offline fetch them all
        (a trust bundle carries them), not only those their customers happened to show."""
        with self.context.session() as s:
            return [self.uri(list_id) for list_id in repos.StatusLists(s).ids()]

    def token(self, list_id: str) -> str:
        """The signed ``statuslist+jwt`` for a list, re-signed only when needed."""
        context = self.context
        now = context.clock()
        if not list_id.isalnum() or len(list_id) > 32:
            raise NotFoundError("there is no such status list", code="unknown_status_list")
        with context.session() as s:
            lists = repos.StatusLists(s)
            row = lists.get(list_id)
            if row is None:
                raise NotFoundError("there is no such status list", code="unknown_status_list")
            signer = self.signing.signer(s)
            kid, key = signer.kid, signer.key
            ttl = context.settings.status_list_ttl
            if (
                not needs_resign(
                    token=row.token,
                    token_version=row.token_version,
                    version=row.version,
                    token_kid=row.token_kid,
                    active_kid=kid,
                    token_exp=row.token_exp,
                    now=now,
                    ttl=ttl,
                )
                and row.token is not None
            ):
                return row.token
            version = row.version
            status_list = build_status_list(row.size, lists.entries(list_id), bits=row.bits)
            exp = now + context.settings.status_list_lifetime
            token = create_status_list_token(
                status_list,
                uri=self.uri(list_id),
                key=key,
                iat=now,
                exp=exp,
                ttl=ttl,
                kid=kid,
                iss=context.issuer_url,
                x5c=signer.x5c,
            )
            lists.store_token(list_id, token=token, version=version, kid=kid, exp=exp)
            s.commit()
        return token
