"""Alembic's entry point for the verifier's revisions (see :mod:`servicekit.migrations`)."""

from __future__ import annotations

from servicekit.migrations import run_env

run_env()
