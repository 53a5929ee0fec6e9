"""Error reporting of the CLI entry point: one printable line, whatever the input."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from orchestrator_tui.cli import main

from .conftest import Cli


def test_errors_are_one_printable_line(cli: Cli, tmp_path: Path) -> None:
    hostile = "\x1b]52;c;aGk=\x07\x1b[2Jkey"
    shown = cli("task", "show", hostile)
    assert shown.code == 3 and shown.out == ""
    assert "\x1b" not in shown.err and "\x07" not in shown.err and shown.err.count("\n") == 1

    context = tmp_path / "ctx.yaml"
    context.write_text("a: [1,\nb: 2\n")
    cli("task", "add", "t", "--key", "T")
    bad_yaml = cli("task", "context", "T", "--set", str(context))
    assert bad_yaml.code == 7 and bad_yaml.err.count("\n") == 1
    assert bad_yaml.err.startswith("error: shared context is not valid YAML:")
    assert "line" in bad_yaml.err

    bad_phase = cli("task", "edit", "T", "--phase", "0")
    assert (bad_phase.code, bad_phase.err) == (
        7,
        "error: invalid input: phase: Input should be greater than or equal to 1\n",
    )


def test_in_process_calls_keep_the_process_contract(cli: Cli) -> None:
    """What the `cli` fixture promises: argparse exits become codes, and a command
    that installs signal handlers (`run`) leaves the test process as it was."""
    version = cli("--version")
    assert (version.code, version.out) == (0, "orchestrator-tui 0.1.0\n")
    assert cli("db", "init").code == 0
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    ran = cli("run", "--until-idle", "--poll-seconds", "0.01")
    assert ran.code == 0 and "idle: 0 started" in ran.out, ran.err
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


@pytest.mark.parametrize(
    "words",
    [["--run"], ["tui", "--run"], ["--run", "tui"], ["--as", "bob", "--run"]],
)
@pytest.mark.usefixtures("a_terminal")
def test_run_opens_the_tui_with_its_runner_with_or_without_tui(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, words: list[str]
) -> None:
    import orchestrator_tui.app as app_module

    opened: list[dict[str, object]] = []
    monkeypatch.setattr(app_module, "run_app", lambda **kw: opened.append(kw) or 0)
    assert main(["--db", str(tmp_path / "x.db"), *words]) == 0
    assert len(opened) == 1 and opened[0]["run"] is True


@pytest.mark.usefixtures("a_terminal")
def test_demo_shows_where_its_database_is(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import orchestrator_tui.app as app_module

    opened: list[dict[str, object]] = []
    monkeypatch.setattr(app_module, "run_app", lambda **kw: opened.append(kw) or 0)
    assert main(["demo", "--no-run", "--dir", str(tmp_path)]) == 0
    assert opened[0]["full_path"] is True and opened[0]["db_url"] == str(tmp_path / "demo.db")
    assert str(tmp_path / "demo.db") in capsys.readouterr().out
