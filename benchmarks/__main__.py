"""``python -m benchmarks [name ...]`` — run benchmarks and print their ratios."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

from benchmarks._timing import machine

# Every public module in this folder with a report() function is a benchmark.
BENCHMARKS = tuple(
    sorted(
        info.name
        for info in pkgutil.iter_modules([str(Path(__file__).parent)])
        if not info.name.startswith("_")
    )
)


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    print(f"machine: {machine()}\n")
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(module.report())
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
