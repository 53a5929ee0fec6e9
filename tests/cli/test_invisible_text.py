"""Bidi overrides and zero-width characters reach the terminal only as visible
escapes: in `task list`, `task show` and `task logs`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestrator_tui.cli import main
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services import open_orchestrator

TITLE = "invoice\u202etxt.exe\u200b"
SHOWN = "invoice\\u202etxt.exe\\u200b"
HIDDEN = ("\u202e", "\u200b", "\u2067", "\ufeff")


def run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> str:
    capsys.readouterr()
    assert main(["--db", str(db), *args]) == 0
    out = capsys.readouterr().out
    for char in HIDDEN:
        assert char not in out
    return out


def test_titles_and_log_lines_show_invisible_characters_as_escapes(capsys, tmp_path):
    db = tmp_path / "cli.db"
    orch = open_orchestrator(str(db), "alice")
    orch.tasks.create(TaskSpec(key="B", title=TITLE, command=CommandSpec(argv=["true"])))
    (claim,) = orch.runs.claim("runner/1", 30, key="B")
    at = datetime.now(UTC)
    orch.runs.append_lines([(claim.run_id, 0, "stdout", "rm -rf /\u2067 # harmless\ufeff", at)])
    orch.close()

    assert SHOWN in run(capsys, db, "task", "list")
    assert SHOWN in run(capsys, db, "task", "show", "B")
    assert "rm -rf /\\u2067 # harmless\\ufeff" in run(capsys, db, "task", "logs", "B")


def test_diff_lines_show_invisible_characters_as_escapes():
    """`task diff` and the review pane show a diff's exact bytes: a bidi override in a
    changed line must not reorder what the reviewer reads."""
    from orchestrator_tui.domain.text import visible
    from orchestrator_tui.ui.widgets.diff_view import build_document

    line = "+ok = user\u202e # nimda\u200b"
    assert visible(line) == "+ok = user\\u202e # nimda\\u200b"
    document = build_document(f"diff --git a/x b/x\n{line}\n\ttab\n")
    assert "+ok = user\\u202e # nimda\\u200b" in document.lines
    assert "\ttab" in document.lines  # a line with nothing to escape is kept as it is


def test_a_change_summary_headline_neutralises_its_branch_and_base():
    """The base branch comes from a plan file: its escapes never reach a terminal."""
    from orchestrator_tui.domain.workspace import ChangeSummary

    summary = ChangeSummary(
        run_id=1, task_key="A", attempt=1, repo="/r", base="main\x1b]52;c;aGk=\x07\u202e",
        branch="orch/a", worktree="/w", base_commit="0" * 40, head_commit="1" * 40,
        committed=None, files=[], added=0, removed=0, diff_bytes=0, verify=[],
    )  # fmt: skip
    assert summary.headline() == "A run 1 (attempt 1): orch/a against main\\u202e: no changes"
