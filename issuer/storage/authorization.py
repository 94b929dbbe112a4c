"""Repositories of the authorization code flow (split from :mod:`issuer.storage.repos`, same
rules): pushed requests and their browser sessions, grants, codes, refresh tokens, the replay
store and sign-in codes. Every at-most-once change is one conditional ``UPDATE`` (or, for the
replay store, one ``INSERT`` that the primary key refuses a second time) whose row count says
whether this caller won, in every worker."""

from __future__ import annotations

from sqlalchemy import and_, delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from issuer.storage.models import (
    AccessTokenRow,
    AuthorizationCodeRow,
    GrantRow,
    ParRequestRow,
    RefreshTokenRow,
    ReplayRow,
    SignInCodeRow,
)
from issuer.storage.repos import Repository
from servicekit.statements import rowcount

__all__ = ["Grants", "ParRequests", "RefreshTokens", "Replays", "SignInCodes"]


class Replays(Repository):
    def add(self, key_hash: str, *, kind: str, expires_at: int) -> bool:
        """Record a ``jti``; False when it was seen before (here or in another worker). Runs in
        a savepoint so the caller's unit of work survives the refusal."""
        try:
            with self.s.begin_nested():
                self.s.add(ReplayRow(key_hash=key_hash, kind=kind, expires_at=expires_at))
                self.s.flush()
        except IntegrityError:
            return False
        return True

    def purge(self, *, before: int) -> int:
        return rowcount(self.s.execute(delete(ReplayRow).where(col(ReplayRow.expires_at) < before)))


class ParRequests(Repository):
    def add(self, row: ParRequestRow) -> None:
        self.s.add(row)

    def get(self, ref: str, *, fresh: bool = False) -> ParRequestRow | None:
        return self.s.get(ParRequestRow, ref, populate_existing=fresh)

    def by_request_uri_hash(self, request_uri_hash: str) -> ParRequestRow | None:
        return self.s.exec(
            select(ParRequestRow).where(ParRequestRow.request_uri_hash == request_uri_hash)
        ).first()

    def bind_browser(self, ref: str, *, browser_hash: str, csrf_token: str) -> bool:
        """The first visit binds the request to this browser; True only for that visit."""
        result = self.s.execute(
            update(ParRequestRow)
            .where(and_(col(ParRequestRow.ref) == ref, col(ParRequestRow.browser_hash).is_(None)))
            .values(browser_hash=browser_hash, csrf_token=csrf_token)
        )
        return rowcount(result) == 1

    def authenticate(self, ref: str, *, kind: str, subject: str, method: str, now: int) -> bool:
        result = self.s.execute(
            update(ParRequestRow)
            .where(
                and_(
                    col(ParRequestRow.ref) == ref,
                    col(ParRequestRow.used_at).is_(None),
                    col(ParRequestRow.subject_id).is_(None),
                )
            )
            .values(
                subject_kind=kind, subject_id=subject, signin_method=method, authenticated_at=now
            )
        )
        return rowcount(result) == 1

    def fail_signin(self, ref: str) -> None:
        self.s.execute(
            update(ParRequestRow)
            .where(col(ParRequestRow.ref) == ref)
            .values(failed_signins=col(ParRequestRow.failed_signins) + 1)
        )

    def use(self, ref: str, *, now: int) -> bool:
        result = self.s.execute(
            update(ParRequestRow)
            .where(and_(col(ParRequestRow.ref) == ref, col(ParRequestRow.used_at).is_(None)))
            .values(used_at=now)
        )
        return rowcount(result) == 1

    def purge(self, *, before: int) -> int:
        return rowcount(
            self.s.execute(delete(ParRequestRow).where(col(ParRequestRow.expires_at) < before))
        )


class Grants(Repository):
    def add(self, row: GrantRow) -> None:
        self.s.add(row)

    def get(self, ref: str) -> GrantRow | None:
        return self.s.get(GrantRow, ref)

    def add_code(self, row: AuthorizationCodeRow) -> None:
        self.s.add(row)

    def code(self, code_hash: str) -> AuthorizationCodeRow | None:
        return self.s.get(AuthorizationCodeRow, code_hash)

    def use_code(self, code_hash: str, *, now: int) -> bool:
        result = self.s.execute(
            update(AuthorizationCodeRow)
            .where(
                and_(
                    col(AuthorizationCodeRow.code_hash) == code_hash,
                    col(AuthorizationCodeRow.used_at).is_(None),
                )
            )
            .values(used_at=now)
        )
        return rowcount(result) == 1

    def revoke(self, ref: str, *, reason: str, now: int) -> None:
        """End the grant and every access token issued for it (RFC 6749 §4.1.2: a replayed
        code SHOULD revoke what it gave; FAPI 2.0: a replayed refresh token too)."""
        self.s.execute(
            update(GrantRow)
            .where(and_(col(GrantRow.ref) == ref, col(GrantRow.revoked_at).is_(None)))
            .values(revoked_at=now, revoked_reason=reason)
        )
        self.s.execute(
            update(AccessTokenRow).where(col(AccessTokenRow.grant_ref) == ref).values(expires_at=0)
        )


class RefreshTokens(Repository):
    def add(self, row: RefreshTokenRow) -> None:
        self.s.add(row)

    def get(self, token_hash: str, *, fresh: bool = False) -> RefreshTokenRow | None:
        return self.s.get(RefreshTokenRow, token_hash, populate_existing=fresh)

    def rotate(self, token_hash: str, *, successor: str, previous: str | None, now: int) -> bool:
        """Point the token at its new successor, if its successor is still ``previous`` (a
        compare-and-swap: of two racing rotations exactly one wins)."""
        current = (
            col(RefreshTokenRow.successor_hash).is_(None)
            if previous is None
            else col(RefreshTokenRow.successor_hash) == previous
        )
        result = self.s.execute(
            update(RefreshTokenRow)
            .where(and_(col(RefreshTokenRow.token_hash) == token_hash, current))
            .values(successor_hash=successor, rotated_at=now)
        )
        return rowcount(result) == 1

    def delete(self, token_hash: str) -> None:
        self.s.execute(delete(RefreshTokenRow).where(col(RefreshTokenRow.token_hash) == token_hash))

    def revoke_grant(self, grant_ref: str) -> None:
        self.s.execute(
            update(RefreshTokenRow)
            .where(col(RefreshTokenRow.grant_ref) == grant_ref)
            .values(expires_at=0)
        )


class SignInCodes(Repository):
    def add(self, row: SignInCodeRow, *, now: int) -> None:
        """A new code burns the person's older live codes: one live code per CID."""
        self.s.execute(
            update(SignInCodeRow)
            .where(
                and_(
                    col(SignInCodeRow.cid) == row.cid,
                    col(SignInCodeRow.used_at).is_(None),
                    col(SignInCodeRow.burned_at).is_(None),
                )
            )
            .values(burned_at=now)
        )
        self.s.add(row)

    def live_for(self, cid: str, *, now: int) -> SignInCodeRow | None:
        return self.s.exec(
            select(SignInCodeRow).where(
                col(SignInCodeRow.cid) == cid,
                col(SignInCodeRow.used_at).is_(None),
                col(SignInCodeRow.burned_at).is_(None),
                col(SignInCodeRow.expires_at) > now,
            )
        ).first()

    def spend_attempt(self, ref: str, *, max_attempts: int) -> bool:
        result = self.s.execute(
            update(SignInCodeRow)
            .where(
                and_(
                    col(SignInCodeRow.ref) == ref,
                    col(SignInCodeRow.attempts) < max_attempts,
                    col(SignInCodeRow.used_at).is_(None),
                    col(SignInCodeRow.burned_at).is_(None),
                )
            )
            .values(attempts=col(SignInCodeRow.attempts) + 1)
        )
        return rowcount(result) == 1

    def use(self, ref: str, *, now: int) -> bool:
        result = self.s.execute(
            update(SignInCodeRow)
            .where(
                and_(
                    col(SignInCodeRow.ref) == ref,
                    col(SignInCodeRow.used_at).is_(None),
                    col(SignInCodeRow.burned_at).is_(None),
                    col(SignInCodeRow.expires_at) > now,
                )
            )
            .values(used_at=now)
        )
        return rowcount(result) == 1

    def burn(self, ref: str, *, now: int) -> None:
        self.s.execute(
            update(SignInCodeRow)
            .where(and_(col(SignInCodeRow.ref) == ref, col(SignInCodeRow.burned_at).is_(None)))
            .values(burned_at=now)
        )
