"""What the web wallet keeps in memory: browser sessions, each unlocked one holding its own open
:class:`~wallet.holder.Wallet`, and the offers and requests waiting for the citizen.

A session ends when the citizen locks the wallet, after ``session_idle_seconds`` without a page
being used, after ``session_max_seconds`` in any case, and when the server stops; ending it
closes the wallet (the data key leaves memory with it). :meth:`WebSessions.sweep` runs every few
seconds, so an idle wallet locks even when nobody opens another page.

Nothing here reaches the browser: the cookie carries only a random session id, and pending
offers (their pre-authorized code is a bearer secret) and requests are found by a random ticket
that is useless outside the session that made it.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from servicekit.sessions import Session, SessionStore
from wallet.consent import ConsentSummary
from wallet.errors import VaultError, WalletError
from wallet.holder import PresentationOutcome, PresentationSession, Wallet
from wallet.oid4vci.authorization import PendingAuthorization
from wallet.oid4vci.offer import CredentialOffer
from wallet.views import CredentialView, PendingView

__all__ = [
    "MAX_PENDING",
    "OpenWallet",
    "PendingOffer",
    "PendingPresentation",
    "TooManyTries",
    "UnlockGuard",
    "WalletLocked",
    "WebSessions",
    "wallet_of",
]

# Offers or requests one session keeps open at a time; the oldest is forgotten first.
MAX_PENDING = 8
_WALLET = "wallet"
T = TypeVar("T")


class WalletLocked(Exception):
    """The session has no open wallet (never unlocked, locked, or timed out)."""


@dataclass
class PendingOffer:
    offer: CredentialOffer | None = field(repr=False)  # None once received
    received: tuple[CredentialView, ...] | None = None
    waiting: tuple[PendingView, ...] = ()  # those the agency will approve first


@dataclass
class PendingPresentation:
    consent: ConsentSummary
    session: PresentationSession | None = field(default=None, repr=False)
    outcome: PresentationOutcome | None = None
    error: WalletError | None = None


class OpenWallet:
    """An unlocked wallet inside one browser session. One request at a time uses it; closing
    it while a request runs (the idle sweep, another tab's lock button) never blocks: the
    request that holds it closes it on the way out."""

    def __init__(self, wallet: Wallet) -> None:
        self._wallet = wallet
        self._lock = threading.Lock()
        self._closing = False
        self._closed = False
        self.offers: dict[str, PendingOffer] = {}
        self.presentations: dict[str, PendingPresentation] = {}
        # Sign-ins at an agency's page (the authorization code flow), by their ``state``.
        self.authorizations: dict[str, PendingAuthorization] = {}

    @contextmanager
    def use(self) -> Iterator[Wallet]:
        try:
            with self._lock:
                if self._closing:
                    raise WalletLocked
                yield self._wallet
        finally:
            if self._closing:
                self._close_if_idle()

    def close(self) -> None:
        self._closing = True
        self._close_if_idle()

    @property
    def closed(self) -> bool:
        return self._closed

    def _close_if_idle(self) -> None:
        if self._lock.acquire(blocking=False):
            try:
                if not self._closed:
                    self._closed = True
                    self.offers.clear()
                    self.presentations.clear()
                    self.authorizations.clear()
                    self._wallet.close()
            finally:
                self._lock.release()

    def add_offer(self, pending: PendingOffer) -> str:
        return _add(self.offers, pending)

    def add_presentation(self, pending: PendingPresentation) -> str:
        return _add(self.presentations, pending)


def _add(table: dict[str, T], item: T) -> str:
    ticket = secrets.token_urlsafe(12)
    table[ticket] = item
    while len(table) > MAX_PENDING:
        del table[next(iter(table))]
    return ticket


class WebSessions:
    """Browser sessions (:class:`servicekit.sessions.SessionStore`) that own open wallets."""

    def __init__(
        self, *, idle_seconds: float, max_seconds: float, clock: Callable[[], float]
    ) -> None:
        self._store = SessionStore(
            idle_seconds=idle_seconds,
            absolute_seconds=max_seconds,
            clock=clock,
            on_expire=self._ended,
        )

    def start(self, opened: OpenWallet | None = None) -> Session:
        """A new session: anonymous (it only carries a CSRF token for the unlock form), or
        holding ``opened``. A fresh id on unlock, so an id seen before unlocking is worthless."""
        return self._store.create(**({_WALLET: opened} if opened is not None else {}))

    def get(self, session_id: str | None) -> Session | None:
        return self._store.get(session_id)

    def end(self, session_id: str | None) -> None:
        self._store.drop(session_id)

    def end_all(self) -> None:
        self._store.drop_all()

    def sweep(self) -> int:
        """End every idle or too old session (closing its wallet); return how many."""
        return self._store.sweep()

    @property
    def open_wallets(self) -> int:
        return sum(1 for s in self._store.snapshot() if s.data.get(_WALLET) is not None)

    def _ended(self, session: Session) -> None:
        opened = session.data.get(_WALLET)
        if isinstance(opened, OpenWallet):
            opened.close()


def wallet_of(session: Session | None) -> OpenWallet:
    opened = session.data.get(_WALLET) if session is not None else None
    if not isinstance(opened, OpenWallet) or opened.closed:
        raise WalletLocked
    return opened


class UnlockGuard:
    """Slows down passphrase guessing. The KDF already costs ~0.5 s per try; tries run one at a
    time, and after ``free_tries`` wrong passphrases in a row each further try must wait
    ``pause`` seconds. A correct passphrase resets the count."""

    def __init__(
        self, clock: Callable[[], float], *, free_tries: int = 5, pause: float = 30.0
    ) -> None:
        self._clock = clock
        self._free = free_tries
        self._pause = pause
        self._failures = 0
        self._next_try = 0.0
        self.lock = threading.Lock()

    def wait_seconds(self) -> int:
        """Seconds until the next try is allowed (0: now)."""
        left = self._next_try - self._clock()
        return max(0, int(left + 0.999))

    def failed(self) -> None:
        self._failures += 1
        if self._failures >= self._free:
            self._next_try = self._clock() + self._pause

    def succeeded(self) -> None:
        self._failures = 0
        self._next_try = 0.0

    def attempt(self, try_it: Callable[[], T]) -> T:
        """One passphrase try: ``try_it`` runs alone (parallel guesses gain nothing) and its
        result is returned; a ``wrong_passphrase`` counts towards the pause, a success resets
        it. While paused nothing runs: :class:`TooManyTries` says how long to wait."""
        wait = self.wait_seconds()
        if wait:
            raise TooManyTries(wait)
        with self.lock:
            try:
                result = try_it()
            except VaultError as exc:
                if exc.code == "wrong_passphrase":
                    self.failed()
                raise
            self.succeeded()
        return result


class TooManyTries(Exception):
    """Too many wrong passphrases in a row: the next try is allowed in ``wait`` seconds."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"wait {wait} s")
        self.wait = wait
