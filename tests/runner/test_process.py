"""Supervising one real child process: lines, streams, exit codes, timeouts, stop."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from orchestrator_tui.domain.enums import LogStream
from orchestrator_tui.runner.process import MAX_LINE_BYTES, Supervisor, resolve_argv, run_once

from .helpers import alive, wait_for

PY = sys.executable
OUT, ERR = LogStream.STDOUT, LogStream.STDERR


def py(code: str) -> list[str]:
    return [PY, "-c", code]


def test_lines_keep_order_stream_and_time_across_stdout_and_stderr() -> None:
    code = (
        "import sys, time\n"
        "for i in range(4):\n"
        "    print(f'out {i}', flush=True); time.sleep(0.03)\n"
        "    print(f'err {i}', file=sys.stderr, flush=True); time.sleep(0.03)\n"
    )
    outcome, lines = run_once(py(code))
    assert outcome.exit_code == 0
    assert [(s, t) for s, t, _ in lines] == [
        (OUT, "out 0"),
        (ERR, "err 0"),
        (OUT, "out 1"),
        (ERR, "err 1"),
        (OUT, "out 2"),
        (ERR, "err 2"),
        (OUT, "out 3"),
        (ERR, "err 3"),
    ]
    times = [at for _, _, at in lines]
    assert times == sorted(times)
    assert times[-1] > times[0]
    assert all(at.tzinfo is not None for at in times)


def test_exit_code_partial_last_line_crlf_and_bad_utf8() -> None:
    code = (
        "import sys\n"
        "sys.stdout.buffer.write(b'windows\\r\\nbad \\xff byte\\nno newline at end')\n"
        "sys.exit(7)\n"
    )
    outcome, lines = run_once(py(code))
    assert outcome.exit_code == 7
    assert [t for _, t, _ in lines] == ["windows", "bad \ufffd byte", "no newline at end"]


def test_a_very_long_line_is_stored_in_pieces() -> None:
    outcome, lines = run_once(py(f"print('x' * {MAX_LINE_BYTES * 2 + 10})"))
    assert outcome.exit_code == 0
    assert [len(t) for _, t, _ in lines] == [MAX_LINE_BYTES, MAX_LINE_BYTES, 10]


def test_outputs_and_uri_are_read_from_declared_lines_only() -> None:
    code = (
        "print('see https://example.invalid/not-this-one')\n"
        "print('::output files=3')\n"
        "print('\\x1b[32m::output colour=kept\\x1b[0m')\n"
        "print('::output-uri https://example.invalid/pr/7')\n"
        "print('::output files=4')\n"
    )
    outcome, _ = run_once(py(code))
    collector = outcome.collector
    assert collector.outputs == {"files": "4", "colour": "kept"}
    assert collector.outputs_uri == "https://example.invalid/pr/7"


def test_timeout_kills_a_child_that_ignores_sigterm_and_its_group(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    code = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        f"g = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
        f"signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)'])\n"
        f"open({str(marker)!r}, 'w').write(str(g.pid))\n"
        "print('started', flush=True)\n"
        "time.sleep(60)\n"
    )
    outcome, lines = run_once(py(code), timeout=1.0, kill_grace=0.3)
    assert outcome.timed_out
    assert outcome.exit_code == -9  # SIGTERM was ignored: SIGKILL ended it
    assert [t for _, t, _ in lines] == ["started"]
    grandchild = int(marker.read_text())
    wait_for(lambda: not alive(grandchild), timeout=10)  # SIGKILL lands asynchronously


def test_stop_terminates_gracefully_when_the_child_obeys_sigterm() -> None:
    sup_lines: list[str] = []
    started = threading.Event()

    def sink(batch: list[tuple[LogStream, str, object]]) -> None:
        sup_lines.extend(t for _, t, _ in batch)
        started.set()

    sup = Supervisor(py("import time; print('up', flush=True); time.sleep(60)"), sink=sink)
    result: list[object] = []
    thread = threading.Thread(target=lambda: result.append(sup.run()))
    thread.start()
    assert started.wait(10)
    sup.stop("cancelled by tester")
    thread.join(10)
    (outcome,) = result
    assert outcome.stopped == "cancelled by tester"  # type: ignore[attr-defined]
    assert outcome.exit_code == -15  # type: ignore[attr-defined]
    assert sup_lines == ["up"]


def test_leftover_background_process_does_not_hold_the_run_open(tmp_path: Path) -> None:
    outcome, lines = run_once(["sh", "-c", "sleep 60 & echo started"])
    assert outcome.exit_code == 0
    assert [t for _, t, _ in lines] == ["started"]
    assert outcome.duration_seconds < 30


def test_a_program_that_does_not_exist_is_reported_not_raised() -> None:
    outcome, lines = run_once(["no-such-program-anywhere"])
    assert outcome.spawn_error is not None
    assert "no-such-program-anywhere" in outcome.spawn_error
    assert outcome.exit_code is None and lines == []


def test_cwd_and_env_reach_the_child(tmp_path: Path) -> None:
    code = "import os; print(os.getcwd()); print(os.environ['GREETING'])"
    env = dict(os.environ, GREETING="hello")
    _, lines = run_once(py(code), cwd=str(tmp_path), env=env)
    assert [t for _, t, _ in lines] == [str(tmp_path.resolve()), "hello"]


def test_orchestrator_tui_resolves_to_this_installation() -> None:
    assert resolve_argv(["orchestrator-tui", "simulate", "--seed", "3"]) == [
        sys.executable,
        "-m",
        "orchestrator_tui",
        "simulate",
        "--seed",
        "3",
    ]
    assert resolve_argv(["echo", "orchestrator-tui"]) == ["echo", "orchestrator-tui"]


def test_a_missing_working_directory_is_named_not_the_program(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    outcome, lines = run_once(py("print('hi')"), cwd=str(missing))
    assert outcome.spawn_error == f"working directory {missing} does not exist"
    assert outcome.exit_code is None and lines == []
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    outcome, _ = run_once(py("print('hi')"), cwd=str(a_file))
    assert outcome.spawn_error == f"working directory {a_file} is not a directory"


def test_a_missing_program_says_it_is_not_found(tmp_path: Path) -> None:
    outcome, _ = run_once(["no-such-program-anywhere"], cwd=str(tmp_path))
    assert outcome.spawn_error is not None
    assert outcome.spawn_error.startswith(
        "cannot start 'no-such-program-anywhere': no such program"
    )
