"""Timing helpers. Subject and baseline run in alternating rounds and each keeps its best
round, so a noisy neighbour or a frequency change hits both alike; ratios are what we report."""

from __future__ import annotations

import gc
import os
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Measurement", "compare", "machine", "measure"]


@dataclass(frozen=True)
class Measurement:
    name: str
    seconds_per_op: float

    @property
    def ops_per_second(self) -> float:
        return 1.0 / self.seconds_per_op

    def line(self) -> str:
        return (
            f"{self.name:<56} {self.ops_per_second:>10,.0f} ops/s"
            f"  {self.seconds_per_op * 1e6:>10.1f} µs/op"
        )


def _round(fn: Callable[[], object], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def compare(
    named: list[tuple[str, Callable[[], object]]], *, number: int = 200, rounds: int = 15
) -> list[Measurement]:
    """Best-of-``rounds`` per function, the functions alternating round by round."""
    for _, fn in named:
        for _ in range(max(5, number // 10)):
            fn()  # warm caches and lazy imports
    best = [float("inf")] * len(named)
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for index, (_, fn) in enumerate(named):
                best[index] = min(best[index], _round(fn, number))
    finally:
        if enabled:
            gc.enable()
    return [Measurement(name, seconds) for (name, _), seconds in zip(named, best, strict=True)]


def measure(name: str, fn: Callable[[], object], *, number: int = 200) -> Measurement:
    return compare([(name, fn)], number=number)[0]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"
