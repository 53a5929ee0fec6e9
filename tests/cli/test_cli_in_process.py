"""Error reporting of the CLI entry point, called in-process (cheap cases that
need no separate interpreter)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator_tui.cli import main


def run(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "--as", "alice", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_errors_are_one_printable_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    hostile = "\x1b]52;c;aGk=\x07\x1b[2Jkey"
    code, out, err = run(capsys, db, "task", "show", hostile)
    assert code == 3 and out == ""
    assert "\x1b" not in err and "\x07" not in err and err.count("\n") == 1

    context = tmp_path / "ctx.yaml"
    context.write_text("a: [1,\nb: 2\n")
    run(capsys, db, "task", "add", "t", "--key", "T")
    code, _, err = run(capsys, db, "task", "context", "T", "--set", str(context))
    assert code == 7 and err.count("\n") == 1
    assert err.startswith("error: shared context is not valid YAML:") and "line" in err

    code, _, err = run(capsys, db, "task", "edit", "T", "--phase", "0")
    assert (code, err) == (
        7,
        "error: invalid input: phase: Input should be greater than or equal to 1\n",
    )


@pytest.mark.parametrize(
    "words",
    [["--run"], ["tui", "--run"], ["--run", "tui"], ["--as", "bob", "--run"]],
)
def test_run_opens_the_tui_with_its_runner_with_or_without_tui(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, words: list[str]
) -> None:
    import orchestrator_tui.app as app_module

    opened: list[dict[str, object]] = []
    monkeypatch.setattr(app_module, "run_app", lambda **kw: opened.append(kw) or 0)
    assert main(["--db", str(tmp_path / "x.db"), *words]) == 0
    assert len(opened) == 1 and opened[0]["run"] is True


def test_demo_shows_where_its_database_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import orchestrator_tui.app as app_module

    opened: list[dict[str, object]] = []
    monkeypatch.setattr(app_module, "run_app", lambda **kw: opened.append(kw) or 0)
    assert main(["demo", "--no-run", "--dir", str(tmp_path)]) == 0
    assert opened[0]["full_path"] is True and opened[0]["db_url"] == str(tmp_path / "demo.db")
    assert str(tmp_path / "demo.db") in capsys.readouterr().out
