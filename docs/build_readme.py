"""Assemble README.md from the sections in docs/readme/ (one file per area, in file-name order
given by ORDER below). ``python docs/build_readme.py`` rewrites README.md;
``--check`` exits 1 when README.md is out of date (the test suite runs that check)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ROOT / "docs" / "readme"
ORDER = (
    "00-intro.md",
    "did.md",
    "05-sd-jwt.md",
    "credentials-formats.md",
    "pki.md",
    "issuer.md",
    "issuer-operator-page.md",
    "wallet.md",
    "wallet-web.md",
    "verifier.md",
    "interop.md",
    "90-security.md",
    "91-scale.md",
    "92-benchmarks.md",
    "95-development.md",
)
NOTICE = "<!-- Generated from docs/readme/*.md by docs/build_readme.py; edit those files. -->\n"


def _anchor(title: str) -> str:
    return re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")


def build() -> str:
    parts = [(SECTIONS / name).read_text(encoding="utf-8").strip() for name in ORDER]
    missing = sorted(p.name for p in SECTIONS.glob("*.md") if p.name not in ORDER)
    if missing:
        raise SystemExit(f"docs/readme has sections not in ORDER: {', '.join(missing)}")
    intro, rest = parts[0], parts[1:]
    titles = [
        line[3:]
        for part in (intro.partition("\n## Architecture")[2], *rest)
        for line in part.splitlines()
        if line.startswith("## ")
    ]
    titles.insert(0, "Architecture")
    toc = "## Contents\n\n" + "\n".join(f"- [{t}](#{_anchor(t)})" for t in titles)
    # Title and the two commands first; the contents follow the quick start.
    head, _, tail = intro.partition("\n## Architecture")
    return NOTICE + "\n\n".join([head.strip(), toc, "## Architecture" + tail, *rest]) + "\n"


def main(argv: list[str]) -> int:
    text = build()
    target = ROOT / "README.md"
    if "--check" in argv:
        if target.read_text(encoding="utf-8") != text:
            print("README.md is out of date: run python docs/build_readme.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
