"""A plain TUI start is read without argparse (it is not imported before the
first frame), the same way the full parser reads it; anything else goes to the
full parser."""

from __future__ import annotations

import subprocess
import sys

import pytest

from orchestrator_tui.cli import build_parser, tui_start


@pytest.mark.parametrize(
    "words",
    [
        [],
        ["tui"],
        ["--db", "x.db"],
        ["--db=x.db", "--as", "bob", "--run"],
        ["tui", "--as=ann", "--json", "--db", "a.db", "--db", "b.db"],
        ["tui", "--db=", "--run"],
        ["--db=-odd.db"],
        ["--run", "tui"],
        ["--run", "tui", "--run"],
    ],
)
def test_a_plain_start_reads_as_the_full_parser_reads_it(words):
    options = tui_start(words)
    assert options is not None
    args = build_parser(words).parse_args(words)
    assert options["db"] == getattr(args, "db", None)
    assert options["actor"] == getattr(args, "actor", None)
    assert options["run"] == getattr(args, "open_runner", False)
    assert options["json"] == getattr(args, "json", False)


@pytest.mark.parametrize("words", [["--run"], ["tui", "--run"], ["--run", "tui"]])
def test_run_before_or_after_tui_starts_the_runner(words):
    # `--run tui` opened the TUI without its runner through the full parser (the
    # subcommand's own `--run`, left out, overwrote the one given before it).
    assert build_parser(words).parse_args(words).open_runner is True
    assert tui_start(words) == {"db": None, "actor": None, "json": False, "run": True}


@pytest.mark.parametrize(
    "words",
    [
        ["--d", "x.db"],  # an abbreviation
        ["--db"],  # a missing value
        ["--db", "--run"],
        ["tui", "tui"],
        ["list"],
        ["--run=yes"],
        ["--verbose"],
    ],
)
def test_anything_else_is_left_to_the_full_parser(words):
    assert tui_start(words) is None


def test_the_cli_module_leaves_argparse_and_json_unloaded():
    code = (
        "import sys, orchestrator_tui.cli; print(sorted({'argparse', 'json'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "words",
    [
        ["--db", "{dir}/t.db"],
        ["--db", "{dir}/t.db", "--run"],
        ["tui", "--db", "{dir}/t.db"],
        ["--db={dir}/t.db", "tui", "--as", "bob"],  # the full parser's way in
        ["demo", "--no-run", "--dir", "{dir}/demo"],
    ],
)
def test_the_tui_without_a_terminal_is_refused_before_anything_is_written(tmp_path, words):
    """From a script or cron (stdin not a terminal) Textual would spin a core on an
    endless end-of-file: refused in one line, exit 2, no database or demo made."""
    argv = [w.replace("{dir}", str(tmp_path)) for w in words]
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator_tui", *argv],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr == (
        "error: the TUI needs a terminal (stdin and stderr are not one: it reads keys "
        "from stdin and draws on stderr); scripts use the other commands\n"
    )
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("words", "refusal"),
    [
        (
            ["--run", "task", "list"],
            "error: --run opens the TUI with its runner started; `task` does not open "
            "the TUI (`orchestrator-tui run` runs tasks without it)\n",
        ),
        (
            ["--run", "stats"],
            "error: --run opens the TUI with its runner started; `stats` does not open "
            "the TUI (`orchestrator-tui run` runs tasks without it)\n",
        ),
        (["--run", "demo", "--no-run"], "error: --run and --no-run contradict each other\n"),
    ],
)
def test_run_before_a_command_that_opens_no_tui_is_refused(tmp_path, words, refusal):
    """It was silently ignored: `--run task list` listed and ran nothing."""
    from .support import run_in_process

    done = run_in_process(["--db", str(tmp_path / "o.db"), *words])
    assert (done.code, done.out, done.err) == (2, "", refusal)


def test_a_run_id_after_a_command_is_not_taken_for_the_tui_runner(tmp_path):
    from .support import run_in_process

    db = str(tmp_path / "o.db")
    assert run_in_process(["--db", db, "db", "init"]).code == 0
    done = run_in_process(["--db", db, "task", "logs", "NOPE", "--run", "3"])
    assert done.code == 3 and "no task 'NOPE'" in done.err
