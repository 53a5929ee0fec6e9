"""`task diff KEY [--run N] [--stat] [--json]`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.runner import Runner
from orchestrator_tui.services import Orchestrator

from ..runner.helpers import cli, fast_config
from .gitrepo import make_repo

HOSTILE = "evil \x1b]52;c;SGVsbG8=\x07 and [@click=app.quit]x [/]\n"


def run_task(orch: Orchestrator, tmp_path: Path, code: str) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    command = CommandSpec(
        argv=[sys.executable, "-c", code],
        workspace={"repo": str(repo), "root": str(tmp_path / "wt")},
    )
    orch.tasks.create(TaskSpec(key="A", title="edit", command=command, requires_approval=True))
    Runner(orch.as_actor("r"), fast_config()).serve()


def test_diff_stat_and_json(orch: Orchestrator, db_url: str, tmp_path: Path, capsys: Any) -> None:
    code = f"open('a.txt', 'w').write('two\\n'); open('b.txt', 'w').write({HOSTILE!r})"
    run_task(orch, tmp_path, code)
    (run,) = orch.queries.runs_for("A")

    r = cli(db_url, "task", "diff", "A")
    code_, out, _ = r.code, r.out, r.err
    assert code_ == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"A run {run.id} (attempt 1): task/A against main, ")
    assert lines[0].endswith(": 2 files, +2 -1")
    assert "  +1 -1  a.txt" in lines and "  +1 -0  b.txt" in lines
    assert "-one" in lines and "+two" in lines
    assert "+evil \\x1b]52;c;SGVsbG8=\\x07 and [@click=app.quit]x [/]" in lines
    assert "\x1b" not in out and "\x07" not in out

    r = cli(db_url, "task", "diff", "A", "--stat", "--run", str(run.id))
    code_, out, _ = r.code, r.out, r.err
    assert code_ == 0 and "+two" not in out and "  +1 -1  a.txt" in out

    r = cli(db_url, "task", "diff", "A", "--json")
    code_, out, _ = r.code, r.out, r.err
    data = json.loads(out)
    assert data["files"][0] == {"path": "a.txt", "added": 1, "removed": 1, "binary": False}
    assert data["no_changes"] is False and "+two" in data["diff"]
    assert HOSTILE.strip() in data["diff"]  # JSON keeps the bytes (escaped by JSON itself)


def test_no_changes_and_unknown(
    orch: Orchestrator, db_url: str, tmp_path: Path, capsys: Any
) -> None:
    run_task(orch, tmp_path, "pass")
    r = cli(db_url, "task", "diff", "A")
    code_, out, _ = r.code, r.out, r.err
    assert code_ == 0 and out.strip().endswith("task/A against main: no changes")
    r = cli(db_url, "task", "diff", "A", "--run", "99")
    code_, out, _ = r.code, r.out, r.err
    assert code_ == 3
    orch.tasks.create(TaskSpec(key="B", title="plain"))
    r = cli(db_url, "task", "diff", "B")
    assert r.code == 3 and r.out == ""  # an error, not a result: stderr, one line
    assert r.err == (
        "error: B: no workspace changes recorded (the task has no workspace or never ran)\n"
    )
    r = cli(db_url, "task", "diff", "B", "--json")
    assert r.code == 3 and r.out == ""  # nothing that a JSON reader would take for data
    r = cli(db_url, "task", "diff", "NOPE")
    assert r.code == 3 and r.err.startswith("error: no task 'NOPE'")


def test_approving_a_conflict_from_the_cli_exits_4_and_writes_nothing(
    orch: Orchestrator, db_url: str, tmp_path: Path, capsys: Any
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    for key in ("A", "B"):
        command = CommandSpec(
            argv=[sys.executable, "-c", f"open('a.txt', 'w').write('{key}')"],
            workspace={"repo": str(repo), "root": str(tmp_path / "wt"), "on_approve": "merge"},
        )
        orch.tasks.create(TaskSpec(key=key, title=key, command=command, requires_approval=True))
    Runner(orch.as_actor("r"), fast_config(max_parallel=2)).serve()
    approved = cli(db_url, "task", "approve", "A")
    assert (approved.code, approved.out) == (
        0,
        "A approved: now done\n  fast-forwarded main to task/A\n",
    )
    r = cli(db_url, "task", "approve", "B")
    code_, _out, err = r.code, r.out, r.err
    assert code_ == 4
    assert "B stays awaiting approval: merging task/B into main conflicts in a.txt" in err
    assert orch.queries.get_task("B").status.value == "awaiting_approval"
    assert orch.queries.approvals_for("B") == []


def test_odd_file_names_are_shown_escaped(
    orch: Orchestrator, db_url: str, tmp_path: Path, capsys: Any
) -> None:
    run_task(orch, tmp_path, "open('odd\\x1b]0;title\\x07[@click=x].txt', 'w').write('x\\n')")
    r = cli(db_url, "task", "diff", "A")
    code_, out, _ = r.code, r.out, r.err
    assert code_ == 0
    assert "  +1 -0  odd\\x1b]0;title\\x07[@click=x].txt" in out.splitlines()
    assert "\x1b" not in out and "\x07" not in out


def test_approving_says_a_branch_left_for_a_person_was_not_merged(
    orch: Orchestrator, db_url: str, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo", {"a.txt": "one\n"})
    command = CommandSpec(
        argv=[sys.executable, "-c", "open('a.txt', 'w').write('two')"],
        workspace={"repo": str(repo), "root": str(tmp_path / "wt")},  # on_approve: none
    )
    orch.tasks.create(TaskSpec(key="A", title="A", command=command, requires_approval=True))
    Runner(orch.as_actor("r"), fast_config()).serve()
    approved = cli(db_url, "task", "approve", "A")
    assert approved.out == (
        "A approved: now done\n"
        "  nothing merged: on_approve is none, so branch task/A stays for a person\n"
    )
