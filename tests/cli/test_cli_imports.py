"""What the commands agents call in a loop import: the reads never load SQLAlchemy,
sqlmodel, Textual or pydantic, text and JSON alike (start-up time is most of a
command's time); nothing on the command line loads Textual.
Structural checks, not timings."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from orchestrator_tui.cli import COMMAND_MODULES, OWN_WORDS, build_parser

from .conftest import Cli
from .support import run_in_process

pytestmark = pytest.mark.sqlite_only  # the fast reads are of a SQLite file

PROBE = """
import contextlib, io, json, sys
from orchestrator_tui.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    code = main(sys.argv[1:])
heavy = ("textual", "sqlmodel", "sqlalchemy", "sqlalchemy.orm", "pydantic")
loaded = [m for m in heavy if m in sys.modules]
print(json.dumps({"code": code, "out": out.getvalue(), "loaded": loaded}))
"""

READS = [
    ["task", "next"],
    ["task", "next", "--json"],
    ["task", "show", "A-2"],
    ["task", "show", "A-2", "--json"],
    ["task", "show", "A-4"],
    ["task", "show", "A-4", "--json"],
    ["task", "show", "A-5"],  # an agent's: its profile's timeout, from no models
    ["task", "show", "A-5", "--json"],
    ["task", "list"],
    ["task", "list", "--ready", "--sort", "priority", "--json"],
]


def _probe(db: Path, argv: list[str]) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, "--db", str(db), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={"ORCHESTRATOR_TUI_ACTOR": "alice", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def filled(cli: Cli) -> Cli:
    cli.ok("task", "add", "first", "--key", "A-1")
    cli.ok("task", "add", "second", "--key", "A-2", "--priority", "high")
    cli.ok("task", "progress", "A-2", "30", "warming up")  # before it waits: then refused
    cli.ok("task", "depend", "A-2", "A-1")
    cli.ok("task", "add", "third", "--key", "A-3", "--description", "two\nlines")
    cli.ok(
        "task", "add", "fourth", "--key", "A-4", "--depends-on", "A-3", "--estimate", "2.5",
        "--requires-approval", "--criterion", "it works", "--assignee", "bob",
        "--", "echo", "hi there",
    )  # fmt: skip
    cli.ok("task", "add", "fifth", "--key", "A-5", "--agent", "claude", "--model", "opus")
    cli.ok("task", "start", "A-3")
    cli.ok("task", "done", "A-3", "--summary", "finished early")
    cli.ok("task", "note", "A-2", "my note")
    return cli


@pytest.mark.parametrize("argv", READS, ids=" ".join)
def test_reads_load_no_database_layer_and_say_the_same(filled: Cli, argv: list[str]) -> None:
    probed = _probe(filled.db, argv)
    assert probed["code"] == 0
    # Text and JSON alike, a task's included (with its whole command), are printed
    # from plain rows.
    assert probed["loaded"] == []
    # The services, asked the same thing, print the same thing.
    with mock.patch("orchestrator_tui.store.quick_reads.open_reads", return_value=None):
        full = run_in_process(["--db", str(filled.db), *argv], env=filled.env)
    assert full.code == 0 and full.err == ""
    assert probed["out"] == full.out
    assert "A-" in full.out


def test_writes_and_refusals_load_no_textual(filled: Cli) -> None:
    for argv in (["task", "progress", "A-1", "50"], ["task", "start", "A-1"]):
        probed = _probe(filled.db, argv)
        assert probed["code"] == 0
        assert "textual" not in probed["loaded"]
    # An unknown key goes to the services, which name the nearest ones.
    proc = subprocess.run(
        [sys.executable, "-m", "orchestrator_tui", "--db", str(filled.db), "task", "show", "A-9"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3 and proc.stdout == ""
    assert proc.stderr.startswith("error: no task 'A-9'; did you mean")


def _commands(parser: argparse.ArgumentParser) -> dict[str, object]:
    """Every command and subcommand a parser knows, with its options."""
    found: dict[str, object] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                options = sorted(o for a in sub._actions for o in a.option_strings)
                found[name] = (options, _commands(sub))
    return found


def test_a_parser_for_one_command_parses_it_as_the_whole_parser_does() -> None:
    whole = _commands(build_parser())
    for word, spec in whole.items():
        assert _commands(build_parser([word]))[word] == spec, word
        assert _commands(build_parser(["--db", "x.db", word, "--json"]))[word] == spec, word
    # The modules loaded only for their own words add exactly those words.
    for module, words in OWN_WORDS.items():
        assert module in COMMAND_MODULES
        others = set(_commands(build_parser(["task"])))
        assert not words & others
        assert words <= set(whole)
    assert set(whole) - set(_commands(build_parser(["task"]))) == set().union(*OWN_WORDS.values())


def test_an_option_value_taken_for_a_command_still_parses_as_the_whole_parser(
    filled: Cli,
) -> None:
    """`--d FILE` (argparse's abbreviation of --db) puts FILE where a command's name
    would be: the parser built for the words it found rebuilds every subcommand."""
    short = run_in_process(["--d", str(filled.db), "task", "show", "A-4"], env=filled.env)
    whole = run_in_process(["--db", str(filled.db), "task", "show", "A-4"], env=filled.env)
    assert short.code == whole.code == 0
    assert short.out == whole.out
    assert "command    echo 'hi there'" in short.out  # its arguments told apart
    typo = run_in_process(["--d", str(filled.db), "task", "shwo", "A-4"], env=filled.env)
    assert typo.code == 2 and "invalid choice: 'shwo'" in typo.err and "'show'" in typo.err


def _task_group(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub.choices["task"]


def test_a_parser_for_one_subcommand_builds_it_as_the_whole_parser_does() -> None:
    whole = _commands(build_parser())["task"][1]  # type: ignore[index]
    assert {"next", "show", "list", "runs", "ask"} <= set(whole)
    for name, spec in whole.items():
        built = _commands(build_parser(["--db", "x.db", "task", name, "KEY"]))["task"]
        assert built[1][name] == spec, name  # type: ignore[index]
    # Only the one named is built (argparse's time); the others are named with their
    # help, so `task --help` and its errors read the same.
    one = _commands(build_parser(["task", "next"]))["task"][1]  # type: ignore[index]
    assert set(one) == set(whole) and one["list"] == ([], {}) and one["next"] == whole["next"]
    assert (
        _task_group(build_parser(["task", "next"])).format_help()
        == _task_group(build_parser()).format_help()
    )


WRITE_PROBE = """
import contextlib, io, json, sys
from orchestrator_tui.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(sys.argv[1:])
unused = ("orchestrator_tui.services.plans", "orchestrator_tui.services.agent_runs",
          "orchestrator_tui.services.workspaces", "orchestrator_tui.services.dashboard")
print(json.dumps({"code": code, "loaded": [m for m in unused if m in sys.modules]}))
"""


def test_a_status_change_imports_only_the_services_it_uses(filled: Cli) -> None:
    """A write loads the database layer, but not the plan loader, the agents' runs,
    the workspaces or the dashboard: services are made when first used."""
    proc = subprocess.run(
        [sys.executable, "-c", WRITE_PROBE, "--db", str(filled.db), "task", "start", "A-1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"ORCHESTRATOR_TUI_ACTOR": "alice", "PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"code": 0, "loaded": []}
    assert filled.ok("task", "show", "A-1", "--json").json()["status"] == "in_progress"


def test_a_status_change_or_progress_loads_no_pydantic_sqlmodel_or_orm_and_records_events(
    filled: Cli,
) -> None:
    """A status change printed as text goes through the one writer (the Core tables,
    the moves and their events) without the pydantic views, sqlmodel or the ORM;
    it says and writes what the full path does."""
    start = _probe(filled.db, ["task", "start", "A-1", "--reason", "on it"])
    assert start == {"code": 0, "out": "A-1 start ok: now in progress\n", "loaded": ["sqlalchemy"]}
    filled.ok("task", "start", "A-4")
    done = _probe(filled.db, ["task", "done", "A-4", "--summary", "all good"])
    assert done["out"] == "A-4 finished: now awaiting approval\n" and done["code"] == 0
    assert done["loaded"] == ["sqlalchemy"]
    # Refused (A-2 waits for A-1): the same one-line error and exit code, nothing written.
    refused = run_in_process(["--db", str(filled.db), "task", "start", "A-2"], env=filled.env)
    assert (refused.code, refused.out) == (4, "")
    assert refused.err == (
        "error: A-2 waits on unfinished dependencies: A-1; "
        "force the start with a reason to override\n"
    )
    shown = filled.ok("task", "show", "A-1", "--json").json()
    assert shown["status"] == "in_progress"
    moved = [e for e in shown["timeline"] if e["kind"] == "status_changed"]
    assert [(e["actor"], e["data"]["from"], e["data"]["to"]) for e in moved] == [
        ("alice", "pending", "in_progress")
    ]
    assert moved[0]["data"]["reason"] == "on it"
    assert filled.ok("task", "show", "A-2", "--json").json()["status"] == "pending"
    assert filled.ok("task", "show", "A-4", "--json").json()["status"] == "awaiting_approval"
    # A progress report from an agent's loop, likewise (no YAML or pydantic either).
    progress = _probe(filled.db, ["task", "progress", "A-1", "40", "half way"])
    assert progress == {"code": 0, "out": "A-1: progress 40%\n", "loaded": ["sqlalchemy"]}
    shown = filled.ok("task", "show", "A-1", "--json").json()
    assert shown["progress"] == 40
    assert [(p["percent"], p["message"]) for p in shown["progress_history"]][-1] == (40, "half way")
    assert shown["timeline"][-1]["kind"] == "progress"
    # --json still answers with the task's whole view, as every front door does.
    back = filled.ok("task", "reset", "A-1", "--json").json()
    assert back["key"] == "A-1" and back["status"] == "pending" and "blockers" in back
