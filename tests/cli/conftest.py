from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from orchestrator_tui.store.engine import sqlite_path

from ..databases import Databases
from .support import Result, run_in_process, run_subprocess


class Cli:
    """Runs `orchestrator-tui --db <url> ...`: in this process by default, or as
    `python -m orchestrator_tui` in a real subprocess (`real=True`)."""

    def __init__(self, url: str, real: bool = False) -> None:
        self.url = url
        self.db = sqlite_path(url)  # the file, on SQLite
        self.real = real
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_TUI")}
        self.env["ORCHESTRATOR_TUI_ACTOR"] = "alice"

    def __call__(
        self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        run = run_subprocess if self.real else run_in_process
        return run(["--db", self.url, *args], stdin=stdin, env={**self.env, **(env or {})})

    def ok(self, *args: str, stdin: str | None = None) -> Result:
        result = self(*args, stdin=stdin)
        assert result.code == 0, f"{args}: exit {result.code}: {result.err}"
        assert result.err == ""
        return result

    def fails(self, code: int, *args: str, stdin: str | None = None) -> str:
        """Run a command that must fail with `code` and one `error:` line on stderr."""
        before = self.events()
        result = self(*args, stdin=stdin)
        assert result.code == code, f"{args}: exit {result.code}, wanted {code}: {result.err}"
        assert result.out == ""
        lines = result.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), result.err
        assert self.events() == before, "a refused command wrote something"
        return lines[0]

    def events(self) -> int:
        if self.db is not None and not self.db.exists():
            return 0
        try:
            return self.count("SELECT COUNT(*) FROM events")
        except DBAPIError:  # no events table yet
            return 0

    def count(self, sql: str) -> int:
        """One number read straight from the database (SQLite or PostgreSQL)."""
        engine = create_engine(self.url)
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql)).scalar_one())
        finally:
            engine.dispose()


@pytest.fixture
def cli(databases: Databases) -> Cli:
    """The CLI called in this process (same argv, exit codes, stdout and stderr),
    on each backend."""
    return Cli(databases.url("cli"))


@pytest.fixture
def real_cli(tmp_path: Path) -> Cli:
    """The CLI as a real subprocess (slow: one test per command family)."""
    return Cli(f"sqlite:///{tmp_path / 'cli.db'}", real=True)
