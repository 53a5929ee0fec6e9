"""The command line: every command, --json on every read, --as, exit codes, and
nothing half-written on errors.

The `cli` fixture calls the entry point in this process with the same argv,
environment and stdin a subprocess would get; test_cli_subprocess.py runs one
real process per command family. The services underneath are tested in depth
in tests/core."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from orchestrator_tui.domain.models import TaskSpec
from orchestrator_tui.services import open_orchestrator
from orchestrator_tui.store.schema import SCHEMA_VERSION

from .conftest import Cli


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


@pytest.mark.sqlite_only  # backs the file up
def test_db_commands_and_the_demo_seed(cli: Cli, tmp_path: Path) -> None:
    assert f"created (schema version {SCHEMA_VERSION})" in cli.ok("db", "init").out
    assert "from demo_plan.yaml: 40 tasks" in cli.ok("db", "seed").out

    tasks = cli.ok("task", "list", "--json").json()
    assert len(tasks) >= 40 and len({t["phase"] for t in tasks}) >= 3
    assert {"key", "title", "status", "readiness", "priority"} <= set(tasks[0])
    assert {"awaiting_approval", "failed", "done", "pending"} <= {t["status"] for t in tasks}

    status = cli.ok("db", "status", "--json").json()
    assert status["schema_version"] == SCHEMA_VERSION and status["tables"]["tasks"] == len(tasks)
    assert sum(status["tasks_by_status"].values()) == len(tasks)
    assert cli.ok("db", "validate", "--json").json() == {"ok": True, "problems": []}

    dest = tmp_path / "copy.db"
    assert cli.ok("db", "backup", str(dest)).out == f"backed up to {dest}\n"
    assert count(dest, "SELECT COUNT(*) FROM tasks") == len(tasks)

    assert "--yes" in cli.fails(2, "db", "reset")
    assert cli.count("SELECT COUNT(*) FROM tasks") == len(tasks)
    assert cli.ok("db", "reset", "--yes").out.endswith("every table emptied and recreated\n")
    assert cli.count("SELECT COUNT(*) FROM tasks") == 0

    bad = tmp_path / "bad.yaml"
    bad.write_text("tasks:\n  - {key: A, title: a}\n  - {key: B, title: b, priority: asap}\n")
    line = cli.fails(7, "db", "seed", "--plan", str(bad))
    assert f"{bad}: tasks[1] (B).priority:" in line
    assert cli.count("SELECT COUNT(*) FROM tasks") == 0
    text = cli.ok("db", "status").out
    assert f"schema version  {SCHEMA_VERSION}" in text and "tasks           none" in text


def test_task_lifecycle(cli: Cli, tmp_path: Path) -> None:
    added = cli.ok(
        "task", "add", "Design the API", "--key", "API-1", "--priority", "high",
        "--estimate", "4", "--criterion", "reviewed", "--tag", "api", "--json",
    ).json()  # fmt: skip
    assert (added["key"], added["priority"], added["estimated_hours"]) == ("API-1", "high", 4.0)
    assert added["success_criteria"] == ["reviewed"] and added["tags"] == ["api"]
    assert cli.ok(
        "task", "add", "Build it", "--key", "API-2", "--depends-on", "API-1",
        "--requires-approval", "--", "python", "-c", "print('a; rm -rf /')",
    ).out == "API-2 added: now pending\n"  # fmt: skip
    assert cli.ok("task", "edit", "API-2", "--title", "Build the API", "--phase", "2").out == (
        "API-2 edited: now pending\n"
    )
    shown = cli.ok("task", "show", "API-2", "--json").json()
    assert shown["command"]["argv"] == ["python", "-c", "print('a; rm -rf /')"]
    assert (shown["title"], shown["phase"], shown["readiness"]) == ("Build the API", 2, "waiting")
    assert shown["blockers"][0]["key"] == "API-1"
    assert {"timeline", "approvals", "progress_history", "notes", "context"} <= set(shown)
    text = cli.ok("task", "show", "API-2").out
    assert "waits for  API-1 (pending)" in text and "approval   required" in text
    assert cli.ok("task", "next", "--json").json()["key"] == "API-1"
    listed = cli.ok("task", "list", "--ready").out.splitlines()
    assert listed[0].split() == ["KEY", "STATUS", "READY", "PRIORITY", "ASSIGNEE", "PROG", "TITLE"]
    assert [line.split()[0] for line in listed[1:]] == ["API-1"]

    cli.ok("task", "start", "API-1")
    assert cli.ok("task", "done", "API-1", "--summary", "drafted").out == (
        "API-1 finished: now done\n"
    )
    cli.ok("task", "start", "API-2", "--as", "ada")
    cli.ok("task", "progress", "API-2", "60", "most endpoints", "--as", "ada")
    cli.ok("task", "note", "API-2", "-", "--as", "ada", stdin="# Notes\nuse cursor paging\n")
    context = tmp_path / "ctx.yaml"
    context.write_text("base_url: /v2\nretries: 3\n")
    cli.ok("task", "context", "API-2", "--set", str(context))
    assert cli.ok("task", "context", "API-2", "--json").json() == {"base_url": "/v2", "retries": 3}
    cli.ok("task", "join", "API-2", "qa-bot", "--role", "tester")
    report = {"agent_name": "ada", "status": "completed", "progress": 100, "summary": "all"}
    submitted = cli.ok("task", "report", "API-2", "-", "--json", stdin=json.dumps(report))
    assert submitted.json()["status"] == "awaiting_approval"
    assert [w["key"] for w in cli.ok("approvals", "--json").json()] == ["API-2"]

    assert "ada worked on API-2" in cli.fails(4, "task", "approve", "API-2", "--as", "ada")
    rejected = cli.ok("task", "reject", "API-2", "--comment", "no tests", "--as", "bob")
    assert rejected.out == "API-2 rejected: now failed\n"
    cli.ok("task", "start", "API-2", "--as", "ada")
    cli.ok("task", "done", "API-2", "--as", "ada")
    cli.ok("task", "approve", "API-2", "--comment", "good", "--as", "bob")
    cli.ok("task", "feedback", "API-2", "--quality", "5", "--timeliness", "4", "--notes", "nice")

    full = cli.ok("task", "show", "API-2", "--json").json()
    assert [(a["decision"], a["actor"]) for a in full["approvals"]] == [
        ("rejected", "bob"),
        ("approved", "bob"),
    ]
    assert full["progress_history"][0]["percent"] == 60
    assert "use cursor paging" in full["notes"][0]["body"]
    assert full["context"] == "base_url: /v2\nretries: 3\n"
    timeline = cli.ok("task", "timeline", "API-2", "--json").json()
    kinds = {e["kind"] for e in timeline}
    assert kinds >= {
        "task_created", "task_edited", "status_changed", "progress", "note", "context",
        "participant_joined", "approval_requested", "rejected", "approved", "feedback",
    }  # fmt: skip
    assert {e["actor"] for e in timeline} == {"alice", "ada", "bob"}


def test_finished_work_awaiting_approval_shows_100_percent(cli: Cli) -> None:
    """Finished by a person (`task done`) or an agent's report (`task report`), work
    waiting for approval is complete, as done work is; sent back, rejected or undone it
    is not."""
    for key in ("A", "B", "C"):
        cli.ok("task", "add", f"task {key}", "--key", key, "--requires-approval")
        cli.ok("task", "start", key)
        cli.ok("task", "progress", key, "40", "halfway")
    cli.ok("task", "done", "A")
    report = {"agent_name": "ada", "status": "completed", "summary": "all"}
    cli.ok("task", "report", "B", "-", stdin=json.dumps(report))
    cli.ok("task", "done", "C")

    def progress() -> list[tuple[str, str, int]]:
        listed = cli.ok("task", "list", "--json").json()
        return [(t["key"], t["status"], t["progress"]) for t in listed]

    assert progress() == [
        ("A", "awaiting_approval", 100),
        ("B", "awaiting_approval", 100),
        ("C", "awaiting_approval", 100),
    ]
    assert "progress 100%" in cli.ok("task", "show", "B").out
    cli.ok("task", "approve", "A", "--as", "bob")
    cli.ok("task", "request-changes", "B", "--comment", "tests", "--as", "bob")
    cli.ok("task", "undo")  # C's done, the last move made as this actor
    assert progress() == [("A", "done", 100), ("B", "pending", 0), ("C", "in_progress", 40)]
    # A progress below 100% would contradict it: refused, from a report or not, and a
    # report saying so writes nothing (its progress used to overwrite the 100% finishing sets).
    cli.ok("task", "add", "task D", "--key", "D")
    cli.ok("task", "start", "D")
    before = cli.ok("task", "timeline", "D", "--json").json()
    report = {"agent_name": "ada", "status": "completed", "progress": 60, "summary": "all"}
    assert cli.fails(4, "task", "report", "D", "-", stdin=json.dumps(report)) == (
        "error: after this report D is done: finished work shows 100%, not 60%"
    )
    assert cli.ok("task", "timeline", "D", "--json").json() == before
    assert cli.fails(4, "task", "progress", "A", "50") == (
        "error: A is done: finished work shows 100%, not 50%"
    )
    cli.ok("task", "progress", "A", "100", "checked")
    cli.ok("task", "report", "D", "-", stdin=json.dumps({**report, "progress": 100}))
    assert cli.ok("task", "show", "D", "--json").json()["progress"] == 100


def test_status_verbs_undo_dependencies_and_stats(cli: Cli) -> None:
    orch = open_orchestrator(cli.url, "setup")  # state made in-process, to save start-ups
    orch.tasks.create(TaskSpec(key="API-1", title="a", status="done"))
    orch.tasks.create(TaskSpec(key="API-2", title="b", status="done", depends_on=["API-1"]))
    orch.tasks.create(TaskSpec(key="DOC", title="Docs"))
    orch.close()
    for verb, status in (
        ("block", "blocked"),
        ("reset", "pending"),
        ("defer", "deferred"),
        ("cancel", "cancelled"),
    ):
        assert cli.ok("task", verb, "DOC", "--reason", "r").out == f"DOC {verb} ok: now {status}\n"
    cli.ok("task", "reset", "DOC")
    cli.ok("task", "start", "DOC")
    assert cli.ok("task", "fail", "DOC", "--reason", "crash").out == "DOC fail ok: now failed\n"
    assert cli.ok("task", "undo", "--json").json()["status"] == "in_progress"

    assert cli.ok("task", "depend", "DOC", "API-2", "--type", "enables").out == (
        "DOC now waits for API-2\n"
    )
    deps = cli.ok("task", "deps", "API-2", "--json").json()
    assert [c["key"] for c in deps["downstream"]["children"]] == ["DOC"]
    assert [c["key"] for c in deps["upstream"]["children"]] == ["API-1"]
    assert cli.ok("task", "undepend", "DOC", "API-2").out == "DOC no longer waits for API-2\n"
    stats = cli.ok("stats", "--json").json()
    assert stats["total"] == 3 and stats["by_status"]["done"] == 2
    assert stats["by_status"]["in_progress"] == 1


def test_agents_and_who_is_acting(cli: Cli) -> None:
    reg = cli.ok(
        "agent", "register", "ada", "--type", "testing", "--capability", "pytest", "--json"
    ).json()
    assert (reg["name"], reg["agent_type"], reg["capabilities"]) == ("ada", "testing", ["pytest"])
    assert cli.ok("agent", "heartbeat", "ada").out == "agent ada: heartbeat recorded\n"
    assert [a["name"] for a in cli.ok("agent", "list", "--json").json()] == ["ada"]
    assert "no agent 'bob'" in cli.fails(3, "agent", "heartbeat", "bob")

    cli.ok("--as", "carol", "task", "add", "x", "--key", "X")  # --as before the command
    cli.env["ORCHESTRATOR_TUI_ACTOR"] = "dave"
    cli.ok("task", "start", "X")
    actors = [e["actor"] for e in cli.ok("task", "timeline", "X", "--json").json()]
    assert actors == ["carol", "dave"]
    cli.ok("--as", "   ", "task", "progress", "X", "10")  # a blank name is no name
    cli.ok("--as", " erin ", "task", "progress", "X", "20")
    actors = [e["actor"] for e in cli.ok("task", "timeline", "X", "--json").json()]
    assert actors[-2:] == ["dave", "erin"]


@pytest.mark.sqlite_only  # holds the file's write lock
def test_exit_codes_and_nothing_half_written(cli: Cli) -> None:
    cli.ok("task", "add", "a", "--key", "API-1")
    cli.ok("task", "add", "b", "--key", "API-2", "--depends-on", "API-1")

    assert cli.fails(3, "task", "start", "API-11") == (
        "error: no task 'API-11'; did you mean API-1, API-2?"
    )
    assert "cannot mark it done" in cli.fails(4, "task", "done", "API-1")
    assert "waits on unfinished dependencies: API-1" in cli.fails(4, "task", "start", "API-2")
    assert "needs a reason" in cli.fails(7, "task", "start", "API-2", "--force")
    assert cli.fails(5, "task", "depend", "API-1", "API-2") == (
        "error: dependency cycle: API-1 -> API-2 -> API-1"
    )
    cli.fails(7, "task", "progress", "API-1", "120")
    assert cli.fails(4, "task", "progress", "API-2", "10") == (  # it cannot start yet
        "error: API-2 waits for API-1 and cannot start: progress is recorded once it can"
    )
    assert cli.fails(7, "task", "add", "c", "--key", "bad key").startswith(
        "error: invalid input: key: String should match pattern"
    )
    hostile = "!!python/object/apply:os.system [ls]"
    cli.fails(7, "task", "context", "API-1", "--set", "-", stdin=hostile)
    assert cli.fails(2, "task", "start") == (
        "error: the following arguments are required: key"
        " (see `orchestrator-tui task start --help`)"
    )
    assert cli.fails(2, "task", "list", "--status", "bogus").startswith(
        "error: argument --status: invalid choice: 'bogus'"
    )
    unrecognized = cli.fails(2, "task", "show", "API-1", "extra\x1b]0;title\x07")
    assert unrecognized.startswith("error: unrecognized arguments: extra")
    assert "\x1b" not in unrecognized and "\x07" not in unrecognized
    assert cli.fails(2, "bogus").startswith("error: argument COMMAND: invalid choice: 'bogus'")
    assert cli.fails(2, "task", "list", "--limit", "-1").startswith(
        "error: argument --limit: must be 0 or more, not -1"
    )
    for option, value, said in [
        ("--max-parallel", "0", "must be 1 or more, not 0"),
        ("--lease-seconds", "-3", "must be a number of seconds above 0, not -3"),
        ("--poll-seconds", "nan", "must be a number of seconds above 0, not nan"),
        ("--kill-grace", "-1", "must be a number of seconds, 0 or more, not -1"),
        ("--retry-backoff", "inf", "must be a number of seconds, 0 or more, not inf"),
    ]:
        assert cli.fails(2, "run", "--until-idle", option, value).startswith(
            f"error: argument {option}: {said}"
        )
    assert cli.fails(2, "task", "show", "API-1", "--", "ls") == (
        "error: only `task add` and `task edit` take a command after --"
    )
    assert cli.count("SELECT COUNT(*) FROM task_dependencies") == 1
    assert cli.count("SELECT COUNT(*) FROM progress") == 0

    holder = sqlite3.connect(cli.db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        cli.env["ORCHESTRATOR_TUI_BUSY_TIMEOUT_MS"] = "300"
        line = cli.fails(6, "task", "start", "API-1")
        assert line == (
            f"error: database sqlite:///{cli.db} is locked by another process; "
            "gave up waiting (nothing was written)"
        )
        assert len(cli.ok("task", "list", "--json").json()) == 2  # readers are not held up
        # What is wrong with the input is said before waiting for the lock.
        assert cli.fails(7, "task", "note", "API-1", "  ") == "error: a note needs some text"
    finally:
        holder.rollback()
        holder.close()
    assert cli.ok("task", "start", "API-1", "--json").json()["status"] == "in_progress"

    with sqlite3.connect(cli.db) as conn:
        conn.execute(
            "UPDATE schema_meta SET value = ? WHERE key = 'schema_version'", (SCHEMA_VERSION + 1,)
        )
    newer = f"schema version {SCHEMA_VERSION + 1}, newer than this program's {SCHEMA_VERSION}"
    assert newer in cli.fails(8, "task", "list")


def test_writes_asked_for_json_print_json_and_never_prose(cli: Cli, tmp_path: Path) -> None:
    init = cli.ok("db", "init", "--json").json()
    assert init["schema_version"] >= 1
    if cli.db is not None:  # a new file (the PostgreSQL fixture's database has its tables)
        assert init["created"] is True
    assert cli.ok("db", "init", "--json").json()["created"] is False
    cli.ok("task", "add", "Design", "--key", "A")
    cli.ok("task", "add", "Build", "--key", "B")
    cli.ok("agent", "register", "ada")
    task_verbs = [
        ("task", "progress", "A", "40", "drafted"),
        ("task", "note", "A", "a note"),
        ("task", "context", "A", "--set", "-"),
        ("task", "join", "A", "ada"),
        ("task", "depend", "B", "A"),
        ("task", "undepend", "B", "A"),
    ]
    for verb in task_verbs:
        shown = cli.ok(*verb, "--json", stdin="k: v\n").json()
        assert shown["key"] == verb[2], verb
    assert cli.ok("task", "show", "A", "--json").json()["progress"] == 40
    cli.ok("task", "start", "A")
    cli.ok("task", "done", "A")
    rated = cli.ok("task", "feedback", "A", "--quality", "5", "--timeliness", "4", "--json")
    assert rated.json()["key"] == "A"
    assert cli.ok("agent", "heartbeat", "ada", "--json").json()["name"] == "ada"
    if cli.db is not None:  # SQLite files only
        copy = tmp_path / "copy.db"
        assert cli.ok("db", "backup", str(copy), "--json").json() == {"backup": str(copy)}
    assert cli.ok("db", "reset", "--yes", "--json").json()["reset"] is True


def test_options_taking_seconds_or_counts_refuse_bad_values_as_usage_errors(cli: Cli) -> None:
    """A value out of range for an option is a usage error (exit 2) at the argument,
    before any command runs, whichever command takes it."""
    cli.ok("task", "add", "a", "--key", "API-1")
    for args, option, said in [
        (("task", "add", "b"), "--timeout", "must be a number of seconds above 0, not -5"),
        (("task", "add", "b"), "--timeout", "must be a number of seconds above 0, not 0"),
        (("task", "edit", "API-1"), "--timeout", "must be a number of seconds above 0, not nan"),
        (("task", "add", "b"), "--max-retries", "must be 0 or more, not -1"),
        (("task", "edit", "API-1"), "--max-retries", "must be 0 or more, not -2"),
        (
            ("import", "plan.yaml", "--watch"),
            "--interval",
            "must be a number of seconds above 0, not 0",
        ),
    ]:
        value = said.rsplit(" ", 1)[1]
        assert cli.fails(2, *args, option, value).startswith(f"error: argument {option}: {said}")
    assert [t["key"] for t in cli.ok("task", "list", "--json").json()] == ["API-1"]
    assert cli.ok("task", "show", "API-1", "--json").json()["command"] is None


def test_help_lists_every_exit_code_the_readme_documents(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import re

    from orchestrator_tui.cli import main

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Exit codes", 1)[1].split("\n\n", 2)[1]
    documented = [int(c) for c in re.findall(r"^\| (\d+) \|", table, re.M)]
    with pytest.raises(SystemExit):
        main(["--help"])
    epilog = capsys.readouterr().out.split("exit codes:", 1)[1]
    listed = [int(c) for c in re.findall(r"^  (\d+)  ", epilog, re.M)]
    assert listed == documented


def test_seeding_a_plan_again_says_it_changed_nothing(cli: Cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("name: p\ntasks:\n  - {key: A, title: first}\n  - {key: B, title: second}\n")
    first = cli.ok("db", "seed", "--plan", str(plan)).out
    assert "from plan.yaml: 2 tasks, 0 dependencies, 0 runs, 0 log lines (2 added," in first
    again = cli.ok("db", "seed", "--plan", str(plan)).out
    assert again.endswith("(0 added, 0 changed, 2 unchanged)\n")


def test_stale_heartbeats_read_as_ages_like_the_dashboard(cli: Cli) -> None:
    from datetime import UTC, datetime, timedelta

    cli.ok("agent", "register", "ada")
    then = datetime.now(UTC) - timedelta(hours=2, seconds=16)
    past = open_orchestrator(cli.url, "ada", clock=lambda: then)
    try:
        past.agents.heartbeat("ada")
    finally:
        past.close()
    assert "agent      ada (coding) heartbeat 2h ago\n" in cli.ok("stats").out
    listed = cli.ok("agent", "list").out.splitlines()
    assert listed[1].split()[3:5] == ["2h", "ago"], listed
