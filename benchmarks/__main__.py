"""``python -m benchmarks [name ...]`` — run benchmarks and print their ratios."""

from __future__ import annotations

import importlib
import sys

from benchmarks._timing import machine

BENCHMARKS = ("sd_jwt_verify",)


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
