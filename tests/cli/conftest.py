from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> object:
        import json

        return json.loads(self.out)


class Cli:
    """Runs `python -m orchestrator_tui --db <file> ...` as a real subprocess."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ORCHESTRATOR_TUI")}
        self.env["ORCHESTRATOR_TUI_ACTOR"] = "alice"

    def __call__(
        self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "orchestrator_tui", "--db", str(self.db), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=120,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

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
        if not self.db.exists():
            return 0
        with sqlite3.connect(self.db) as conn:
            return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "cli.db")
