"""A clock that tests move by hand (``clock.now += 60``)."""

from __future__ import annotations

__all__ = ["Clock"]


class Clock:
    def __init__(self, now: int) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now
