"""The ``drukid`` command itself: groups load lazily, ``--help`` is fast and says the truth,
and flags show no ``<bool>`` as if they took a value."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.core
from typer.testing import CliRunner

from drukid.cli import GROUPS, app, load

runner = CliRunner()
HEAVY = ("fastapi", "sqlalchemy", "sqlmodel", "uvicorn", "issuer", "wallet", "verifier", "alembic")


def _loaded_after(*argv: str, tmp_path: Path) -> set[str]:
    script = (
        "import json, sys\n"
        "from drukid.cli import app\n"
        "try:\n"
        f"    app({list(argv)!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "argv", [("--help",), (), ("did", "create", "--out", "k.jwk.json"), ("did", "--help")]
)
def test_help_and_did_create_load_no_service(argv: tuple[str, ...], tmp_path: Path) -> None:
    loaded = _loaded_after(*argv, tmp_path=tmp_path)
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_every_group_is_listed_with_its_own_summary() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for group in GROUPS:
        command = load(group)
        own = (command.help or "").strip().splitlines()[0]
        assert own == group.summary, group.name
        assert group.name in result.stdout


def test_a_group_runs_once_loaded() -> None:
    result = runner.invoke(app, ["wallet", "--help"])
    assert result.exit_code == 0
    assert "receive" in result.stdout
    assert runner.invoke(app, ["no-such-group"]).exit_code == 2


def _every_command(
    command: typer.core.TyperCommand, path: tuple[str, ...]
) -> list[tuple[str, ...]]:
    found = [path]
    if isinstance(command, typer.core.TyperGroup):
        for name, sub in command.commands.items():
            found.extend(_every_command(sub, (*path, name)))
    return found


def _all_paths() -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = [()]
    for group in GROUPS:
        paths.extend(_every_command(load(group), (group.name,)))
    return paths


@pytest.mark.parametrize("path", _all_paths(), ids=lambda path: " ".join(path) or "drukid")
def test_no_flag_shows_a_value_in_help(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.stdout
    assert "--help" in result.stdout


def test_the_benchmark_compares_with_the_interpreter() -> None:
    cli = importlib.import_module("benchmarks.cli")
    best = cli.time_commands(rounds=1)
    assert set(best) == {"python -c pass", "drukid --help", "drukid did create"}
    assert all(seconds > 0 for seconds in best.values())
