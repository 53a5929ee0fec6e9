"""Refusals a user meets on the command line: each says why in one line, exits
with the code the README's table gives, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Cli


def test_feedback_rates_only_finished_work(cli: Cli) -> None:
    cli.ok("task", "add", "a", "--key", "API-1")
    error = cli.fails(4, "task", "feedback", "API-1", "--quality", "5", "--timeliness", "4")
    assert error == "error: API-1 is pending: only finished (done) work can be rated"
    assert cli.count("SELECT COUNT(*) FROM feedback") == 0
    cli.ok("task", "start", "API-1")
    cli.ok("task", "done", "API-1")
    cli.ok("task", "feedback", "API-1", "--quality", "5", "--timeliness", "4")
    assert cli.count("SELECT COUNT(*) FROM feedback") == 1


def test_db_reset_without_yes_is_a_usage_error(cli: Cli) -> None:
    cli.ok("task", "add", "a", "--key", "API-1")
    error = cli.fails(2, "db", "reset")
    assert error == "error: reset deletes every row; run again with --yes to confirm"
    assert cli.count("SELECT COUNT(*) FROM tasks") == 1


@pytest.mark.parametrize(
    ("command", "target"),
    [
        (("export",), "missing/tasks.json"),
        (("export", "--format", "backlog"), "missing/project"),
        (("db", "backup"), "missing/copy.db"),
    ],
)
def test_writing_into_a_missing_folder_is_refused(
    cli: Cli, tmp_path: Path, command: tuple[str, ...], target: str
) -> None:
    """As cp, sqlite3 .backup and pg_dump -f do: no folder is created unasked."""
    if command[0] == "db" and cli.db is None:
        pytest.skip("backup copies SQLite files")
    cli.ok("task", "add", "a", "--key", "API-1")
    place = tmp_path / target
    error = cli.fails(3, *command, str(place))
    missing = tmp_path / "missing"
    assert error == f"error: no folder {missing}; create it first, then run again"
    assert not missing.exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--seconds", "-1"),
        ("--lines", "-3"),
        ("--ask-timeout", "-5"),
        ("--seconds", "nan"),
        ("--fail-chance", "2"),
        ("--fail-chance", "-0.5"),
        ("--fail-chance", "nan"),
    ],
)
def test_the_simulated_agent_refuses_negative_times_and_counts(
    cli: Cli, option: str, value: str
) -> None:
    error = cli.fails(2, "simulate", option, value)
    assert error.startswith(f"error: argument {option}: must be"), error
