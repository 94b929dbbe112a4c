"""The command line's start-up: ``drukid --help`` and ``drukid did create`` as whole processes,
against ``python -c pass`` (the interpreter's own start-up) in the same run.

A command-line tool answers ``--help`` and simple commands at once: ``drukid.cli`` imports a
group only when one of its commands runs, so neither of these loads FastAPI, SQLAlchemy or the
roles' services. Goal: ``drukid --help`` under 0.3 s of wall time on these machines. Each
process is timed wall-clock (what a person waits), best of the rounds, the three alternating.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["GOAL_HELP_SECONDS", "report", "time_commands"]

GOAL_HELP_SECONDS = 0.3


def _run(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def time_commands(rounds: int = 7) -> dict[str, float]:
    """Best wall time in seconds of each process over ``rounds`` alternating rounds."""
    drukid = [sys.executable, "-c", "from drukid.cli import main; main()"]
    best = {"python -c pass": float("inf"), "drukid --help": float("inf")}
    best["drukid did create"] = float("inf")
    with tempfile.TemporaryDirectory() as folder:
        for index in range(rounds):
            key = str(Path(folder) / f"key-{index}.jwk.json")
            times = {
                "python -c pass": _run([sys.executable, "-c", "pass"]),
                "drukid --help": _run([*drukid, "--help"]),
                "drukid did create": _run([*drukid, "did", "create", "--out", key]),
            }
            for name, seconds in times.items():
                best[name] = min(best[name], seconds)
    return best


def report() -> str:
    best = time_commands()
    base = best["python -c pass"]
    lines = ["CLI start-up (whole processes, wall time, best of 7)"]
    for name, seconds in best.items():
        lines.append(
            f"  {name:<22} {seconds * 1000:>8.0f} ms  {seconds / base:>5.1f}x python -c pass"
        )
    verdict = "met" if best["drukid --help"] < GOAL_HELP_SECONDS else "NOT met"
    lines.append(f"  goal: drukid --help under {GOAL_HELP_SECONDS} s: {verdict}")
    return "\n".join(lines)
