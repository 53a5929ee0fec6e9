"""Starting children with the program looked up once: the same child as Popen's
own lookup gives, the program found on the child's PATH, and a remembered
program that moved."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from orchestrator_tui.runner.process import run_once
from orchestrator_tui.runner.spawn import ProgramPaths, spawn

PY = sys.executable


def _script(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"#!/bin/sh\necho {text}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_child_keeps_its_argv_and_runs_in_a_session_of_its_own(tmp_path: Path) -> None:
    code = "import os, sys; print(sys.argv[1], os.getpid() == os.getpgid(0) == os.getsid(0))"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "py-here").symlink_to(PY)
    env = dict(os.environ, PATH=str(bin_dir))
    proc = spawn(["py-here", "-c", code, "as-written"], env)
    out, _ = proc.communicate()
    assert proc.returncode == 0
    assert out.decode().split() == ["as-written", "True"]
    assert proc.args == ["py-here", "-c", code, "as-written"]


def test_sigpipe_is_back_to_its_default_in_the_child() -> None:
    # `cat` is exec'd directly: its ignored signals are what it inherited.
    outcome, lines = run_once(["cat", "/proc/self/status"], watched=True)
    assert outcome.exit_code == 0
    (ignored,) = [t.split()[1] for _, t, _ in lines if t.startswith("SigIgn:")]
    assert int(ignored, 16) & (1 << (13 - 1)) == 0  # SIGPIPE is 13


def test_an_inheritable_descriptor_of_the_runner_does_not_reach_the_child() -> None:
    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, True)
    try:
        code = (
            f"import os\ntry:\n    os.fstat({write_end}); print('open')\n"
            "except OSError:\n    print('closed')"
        )
        outcome, lines = run_once([PY, "-c", code], watched=True)
    finally:
        os.close(read_end)
        os.close(write_end)
    assert outcome.exit_code == 0
    assert [t for _, t, _ in lines] == ["closed"]


def test_the_program_is_found_on_the_childs_path_not_ours(tmp_path: Path) -> None:
    _script(tmp_path / "bin", "only-here", "found")
    env = dict(os.environ, PATH=str(tmp_path / "bin"))
    outcome, lines = run_once(["only-here"], env=env, watched=True)
    assert outcome.exit_code == 0, outcome
    assert [t for _, t, _ in lines] == ["found"]
    outcome, _ = run_once(["only-here"], watched=True)  # not on our PATH
    assert outcome.spawn_error is not None
    assert outcome.spawn_error.startswith("cannot start 'only-here': no such program")


def test_a_remembered_program_that_is_gone_is_looked_up_again(tmp_path: Path) -> None:
    first = _script(tmp_path / "a", "tool", "first")
    _script(tmp_path / "b", "tool", "second")
    env = dict(os.environ, PATH=f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}")
    _, lines = run_once(["tool"], env=env, watched=True)
    assert [t for _, t, _ in lines] == ["first"]
    first.unlink()
    outcome, lines = run_once(["tool"], env=env, watched=True)
    assert outcome.exit_code == 0, outcome
    assert [t for _, t, _ in lines] == ["second"]


def test_a_program_found_is_remembered_only_for_a_while(tmp_path: Path) -> None:
    _script(tmp_path / "b", "tool", "second")
    path = f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}"
    programs = ProgramPaths(seconds=0.0)
    assert programs.find("tool", path) == str(tmp_path / "b" / "tool")
    _script(tmp_path / "a", "tool", "first")  # installed earlier on the PATH
    assert programs.find("tool", path) == str(tmp_path / "a" / "tool")
    remembering = ProgramPaths(seconds=60.0)
    assert remembering.find("tool", path) == str(tmp_path / "a" / "tool")


@pytest.mark.parametrize("entry", ["", "relative/bin"])
def test_a_relative_path_entry_is_left_to_popen(entry: str, tmp_path: Path) -> None:
    assert ProgramPaths().find("sh", f"{entry}{os.pathsep}/bin") is None


def test_children_without_input_read_an_empty_stdin_one_after_another() -> None:
    code = "import sys; print(repr(sys.stdin.buffer.read()), sys.stdin.isatty())"
    for _ in range(3):  # the one /dev/null descriptor stays open and unread
        out, lines = run_once([PY, "-c", code])
        assert out.exit_code == 0
        assert [text for _, text, _ in lines] == ["b'' False"]
