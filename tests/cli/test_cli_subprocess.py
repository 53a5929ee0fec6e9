"""One real subprocess per command family: the installed entry point, argv as the
shell passes it, real stdin/stdout/stderr pipes and the process's exit status.

Everything else about the commands is tested in-process (tests/cli/test_cli.py),
which runs the same `main` without paying an interpreter start-up per command."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from .conftest import Cli


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_db_family_seeds_a_new_file(real_cli: Cli) -> None:
    assert "from demo_plan.yaml: 40 tasks" in real_cli.ok("db", "seed").out
    assert rows(real_cli.db, "SELECT COUNT(*) FROM tasks") == [(40,)]


def test_task_family_argv_stdin_and_exit_status(real_cli: Cli) -> None:
    added = real_cli.ok("task", "add", "Build", "--key", "API-1", "--", "python", "-c", "print(1)")
    assert added.out == f"API-1 added: now pending\ncreated a new database at {real_cli.db}\n"
    ((command,),) = rows(real_cli.db, "SELECT command FROM tasks WHERE key = 'API-1'")
    assert json.loads(str(command))["argv"] == ["python", "-c", "print(1)"]
    real_cli.ok("task", "note", "API-1", "-", stdin="# Notes\nfrom a pipe\n")
    assert rows(real_cli.db, "SELECT body FROM notes") == [("# Notes\nfrom a pipe\n",)]

    assert real_cli.fails(3, "task", "start", "API-11") == (
        "error: no task 'API-11'; did you mean API-1?"
    )
    assert real_cli.fails(2, "task", "start") == (
        "error: the following arguments are required: key"
        " (see `orchestrator-tui task start --help`)"
    )


def test_approvals_stats_and_agent_families(real_cli: Cli) -> None:
    real_cli.ok("db", "init")  # read commands never create a database
    assert real_cli.ok("approvals").out == "nothing is awaiting approval\n"
    assert real_cli.ok("stats", "--json").json()["total"] == 0
    assert real_cli.ok("agent", "register", "ada").out == "agent ada registered (coding)\n"
    assert rows(real_cli.db, "SELECT name FROM agents") == [("ada",)]
