"""The runner with real subprocesses, in this process."""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path

import pytest

from orchestrator_tui.domain.enums import EventKind, RunStatus, TaskStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.runner import BackgroundRunner, LinesStored, Runner, RunSettled
from orchestrator_tui.services import Orchestrator

from .helpers import Receiver, alive, cli, fast_config, wait_for

S = TaskStatus
PY = sys.executable


def add(o: Orchestrator, key: str, argv: list[str], **kw: object) -> None:
    timeout = kw.pop("timeout", None)
    command = CommandSpec(argv=argv, timeout_seconds=timeout)  # type: ignore[arg-type]
    o.tasks.create(TaskSpec(key=key, title=f"task {key}", command=command, **kw))  # type: ignore[arg-type]


def serve(orch: Orchestrator, **kw: object) -> tuple[Runner, list[object]]:
    events: list[object] = []
    config = fast_config(**kw)
    runner = Runner(orch.as_actor(config.agent), config, events.append)
    runner.serve()
    return runner, events


def test_child_learns_its_task_run_and_database_and_outputs_are_stored(
    orch: Orchestrator,
) -> None:
    code = (
        "import os\n"
        "for name in ('TASK', 'RUN', 'ATTEMPT', 'ACTOR'):\n"
        "    print(name, os.environ['ORCHESTRATOR_TUI_' + name])\n"
        "print('::output answer=42')\n"
        "print('::output-uri https://example.invalid/pr/1')\n"
    )
    add(orch, "A", [PY, "-c", code])
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    lines = [line.text for line in orch.queries.log_lines(run.id)]
    assert lines[:4] == ["TASK A", f"RUN {run.id}", "ATTEMPT 1", "ACTOR test-runner"]
    assert run.outputs == {"answer": "42"}
    assert run.outputs_uri == "https://example.invalid/pr/1"
    assert orch.queries.get_task("A").status is S.DONE


def test_child_reports_progress_through_the_cli_into_the_same_database(
    orch: Orchestrator,
) -> None:
    add(orch, "A", ["orchestrator-tui", "task", "progress", "A", "40", "half way"])
    serve(orch)
    (entry,) = orch.queries.progress_for("A")
    assert (entry.percent, entry.message, entry.actor) == (40, "half way", "test-runner")


def test_a_script_the_child_runs_finds_orchestrator_tui_without_the_venv_on_path(
    orch: Orchestrator,
) -> None:
    """`orchestrator-tui task progress` from inside a shell script (or an agent's tool
    call) reaches this installation although its folder is not on PATH, as after
    the quick start, which never activates the virtual environment."""
    script = 'orchestrator-tui task progress "$ORCHESTRATOR_TUI_TASK" 40 nested'
    command = CommandSpec(argv=["sh", "-c", script], env={"PATH": "/usr/bin:/bin"})
    orch.tasks.create(TaskSpec(key="A", title="a script", command=command))
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    assert run.status is RunStatus.SUCCEEDED, [x.text for x in orch.queries.log_lines(run.id)]
    (entry,) = orch.queries.progress_for("A")
    assert (entry.percent, entry.message) == (40, "nested")


def test_retries_then_fails_with_exit_code_and_last_lines(orch: Orchestrator) -> None:
    code = "import sys\nfor i in range(30): print('line', i)\nsys.exit(4)"
    add(orch, "A", [PY, "-c", code], max_retries=2)
    _, events = serve(orch)
    runs = orch.queries.runs_for("A")
    assert [(r.attempt, r.status, r.exit_code) for r in runs] == [
        (1, RunStatus.FAILED, 4),
        (2, RunStatus.FAILED, 4),
        (3, RunStatus.FAILED, 4),
    ]
    assert all(r.line_count == 30 for r in runs)
    assert runs[-1].log_excerpt is not None
    assert runs[-1].log_excerpt.splitlines()[-1] == "line 29"
    task = orch.queries.get_task("A")
    assert task.status is S.FAILED
    reasons = [e.data.get("reason") for e in orch.queries.timeline("A") if "reason" in e.data]
    assert reasons[-1] == "exit code 4 after 3 attempts"
    settled = [e.settled for e in events if isinstance(e, RunSettled)]
    assert [s.task_status for s in settled] == [S.PENDING, S.PENDING, S.FAILED]


def test_many_lines_arrive_complete_in_order_in_few_batches(orch: Orchestrator) -> None:
    add(orch, "A", [PY, "-c", "for i in range(20000): print(i)"])
    _, events = serve(orch)
    (run,) = orch.queries.runs_for("A")
    texts = [line.text for line in orch.queries.log_lines(run.id, limit=30000)]
    assert texts == [str(i) for i in range(20000)]
    stored = [e for e in events if isinstance(e, LinesStored)]
    assert sum(e.count for e in stored) == 20000
    assert len(stored) < 200  # batched, not a message per line


def test_timeout_kills_a_child_ignoring_sigterm_and_fails_the_task(orch: Orchestrator) -> None:
    code = (
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('stubborn', flush=True)\ntime.sleep(60)"
    )
    add(orch, "A", [PY, "-c", code], timeout=1.0, max_retries=3)
    serve(orch)
    (run,) = orch.queries.runs_for("A")
    assert run.status is RunStatus.TIMED_OUT
    assert run.exit_code == -9
    task = orch.queries.get_task("A")
    assert task.status is S.FAILED
    assert orch.queries.timeline("A")[-1].data["reason"] == "timed out after 1s"


def test_requires_approval_notifies_the_webhook_and_the_command(
    orch: Orchestrator, receiver: Receiver, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox.json"
    hook = [PY, "-c", f"import sys; open({str(inbox)!r}, 'a').write(sys.stdin.read() + '\\n')"]
    add(
        orch,
        "GATE",
        [PY, "-c", "print('::output-uri https://example.invalid/pr/9')"],
        requires_approval=True,
    )
    add(orch, "BAD", [PY, "-c", "print('boom'); raise SystemExit(2)"])
    serve(orch, webhook=receiver.url, notify_cmd=hook)
    by_task = {p["task"]: p for p in receiver.payloads}
    assert set(by_task) == {"GATE", "BAD"}
    gate = by_task["GATE"]
    assert gate["event"] == "awaiting_approval" and gate["status"] == "awaiting_approval"
    assert gate["outputs_uri"] == "https://example.invalid/pr/9"
    assert gate["text"] == "Task GATE awaiting approval: https://example.invalid/pr/9"
    bad = by_task["BAD"]
    assert bad["event"] == "failed" and bad["exit_code"] == 2 and bad["log_excerpt"] == "boom"
    from_command = [json.loads(line) for line in inbox.read_text().splitlines()]
    assert {p["task"] for p in from_command} == {"GATE", "BAD"}


def test_failing_hooks_are_logged_and_never_stop_the_runner(
    orch: Orchestrator, caplog: pytest.LogCaptureFixture
) -> None:
    for key in ("A", "B"):
        add(orch, key, ["true"], requires_approval=True)
    caplog.set_level(logging.WARNING)
    serve(orch, notify_cmd=[PY, "-c", "raise SystemExit(9)"], webhook="http://127.0.0.1:9/x")
    assert orch.queries.get_task("A").status is S.AWAITING_APPROVAL
    assert orch.queries.get_task("B").status is S.AWAITING_APPROVAL
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "notify command" in messages and "exited 9" in messages
    assert "webhook http://127.0.0.1:9/x failed" in messages


def test_cancel_from_the_cli_kills_the_child_and_fails_the_task(
    orch: Orchestrator, db_url: str
) -> None:
    add(orch, "A", [PY, "-c", "import time; print('up', flush=True); time.sleep(60)"])
    thread = threading.Thread(target=serve, args=(orch,), kwargs={"lease_seconds": 30})
    thread.start()
    wait_for(lambda: orch.queries.runs_for("A") and orch.queries.runs_for("A")[0].line_count)
    done = cli(db_url, "task", "cancel-run", "A", "--reason", "wrong branch")
    assert done.code == 0, done.err
    thread.join(30)
    assert not thread.is_alive()
    (run,) = orch.queries.runs_for("A")
    assert run.status is RunStatus.CANCELLED
    assert run.error == "run cancelled by alice: wrong branch"
    assert run.exit_code == -15  # the runner killed it and added the exit code
    assert orch.queries.get_task("A").status is S.FAILED


def test_a_person_cancelling_the_task_also_stops_its_child(orch: Orchestrator) -> None:
    add(orch, "A", [PY, "-c", "import time; print('up', flush=True); time.sleep(60)"])
    thread = threading.Thread(target=serve, args=(orch,), kwargs={"lease_seconds": 30})
    thread.start()
    wait_for(lambda: orch.queries.runs_for("A") and orch.queries.runs_for("A")[0].line_count)
    orch.as_actor("alice").tasks.transition("A", S.CANCELLED, reason="not needed")
    thread.join(30)
    assert not thread.is_alive()
    (run,) = orch.queries.runs_for("A")
    assert run.status is RunStatus.CANCELLED and run.exit_code == -15
    assert orch.queries.get_task("A").status is S.CANCELLED


def test_background_runner_runs_a_selected_task_on_demand_and_stops(
    orch: Orchestrator, db_url: str
) -> None:
    add(orch, "READY", ["true"])
    add(orch, "LONG", [PY, "-c", "import time; print('up', flush=True); time.sleep(60)"])
    events: list[object] = []
    bg = BackgroundRunner(db_url, fast_config(auto=False, until_idle=False), events.append)
    claim = bg.run_task("LONG").result(30)  # starts the thread as needed
    assert claim.key == "LONG" and bg.active_keys() == ["LONG"]
    wait_for(lambda: orch.queries.runs_for("LONG")[0].line_count)
    assert orch.queries.get_task("READY").status is S.PENDING  # not claimed by itself
    bg.stop("closing the app")
    assert bg.join(30)
    summary = bg.finished.result(1)
    assert summary.stop_reason == "closing the app"
    # stopped children hand their tasks back
    assert orch.queries.get_task("LONG").status is S.PENDING
    (run,) = orch.queries.runs_for("LONG")
    assert run.status is RunStatus.CANCELLED
    assert any(isinstance(e, RunSettled) for e in events)


def test_background_cancel_is_recorded_as_the_person(orch: Orchestrator, db_url: str) -> None:
    add(orch, "LONG", [PY, "-c", "import time; print('up', flush=True); time.sleep(60)"])
    bg = BackgroundRunner(db_url, fast_config(auto=False, until_idle=False))
    bg.run_task("LONG").result(30)
    view = bg.cancel_run("LONG", actor="alice").result(30)
    assert (view.cancel_requested, view.state) == ("run cancelled by alice", "stopping")
    wait_for(lambda: not bg.active_keys())
    (closed,) = orch.queries.runs_for("LONG")
    assert closed.status is RunStatus.CANCELLED  # once it is gone
    assert closed.error == "run cancelled by alice"  # the runner closed it with the reason
    bg.stop()
    assert bg.join(30)
    events = orch.queries.timeline("LONG")
    assert [e.actor for e in events if e.kind == EventKind.STATUS_CHANGED][-1] == "alice"
    assert orch.queries.runs_for("LONG")[0].exit_code == -15


def test_a_run_taken_away_while_it_ran_is_a_persons_stop_not_a_loss(orch: Orchestrator) -> None:
    add(orch, "A", [PY, "-c", "import time; print('up', flush=True); time.sleep(60)"])
    served: list[Runner] = []

    def run() -> None:
        served.append(serve(orch, lease_seconds=30)[0])

    thread = threading.Thread(target=run)
    thread.start()
    wait_for(lambda: orch.queries.runs_for("A") and orch.queries.runs_for("A")[0].line_count)
    orch.as_actor("alice").tasks.transition("A", S.BLOCKED, reason="not like this")
    thread.join(30)
    assert not thread.is_alive()
    summary = served[0].summary
    assert (summary.lost, summary.succeeded, summary.failed, summary.retried) == (0, 0, 0, 0)
    assert (summary.stopped_by_person, summary.stopped_by) == (1, ["alice"])


@pytest.mark.parametrize(
    ("take_away", "why"),
    [
        (
            lambda o: o.tasks.transition("A", S.BLOCKED, reason="not like this"),
            "alice moved A to blocked while it ran: not like this",
        ),
        (lambda o: o.tasks.reset("A"), "alice moved A to pending while it ran"),
        (lambda o: o.runs.cancel("A", "wrong branch"), "run cancelled by alice: wrong branch"),
    ],
    ids=["block", "reset", "cancel-run"],
)
def test_a_run_taken_away_says_who_took_it_and_how(orch: Orchestrator, take_away, why) -> None:
    """The run's error (the log pane, `task runs`) and the runner's line name the
    person and the move, instead of a guess at what happened."""
    from orchestrator_tui.cli.run_cmds import _Console

    add(orch, "A", [PY, "-c", "import time; print('up', flush=True); time.sleep(60)"])
    served: list[tuple[Runner, list[object]]] = []
    thread = threading.Thread(target=lambda: served.append(serve(orch, lease_seconds=30)))
    thread.start()
    wait_for(lambda: orch.queries.runs_for("A") and orch.queries.runs_for("A")[0].line_count)
    take_away(orch.as_actor("alice"))
    wait_for(lambda: orch.queries.runs_for("A")[0].status is RunStatus.CANCELLED)
    orch.as_actor("alice").tasks.transition("A", S.CANCELLED)  # nothing more to run
    thread.join(30)
    assert not thread.is_alive()
    run = orch.queries.runs_for("A")[0]
    assert run.error == why
    (settled,) = [
        e.settled for e in served[0][1] if isinstance(e, RunSettled) and e.settled.run_id == run.id
    ]
    assert _Console._settled(settled) == f"stopped A run {run.id}: {why}"
    assert (served[0][0].summary.lost, served[0][0].summary.stopped_by) == (0, ["alice"])


def test_a_reclaimed_run_of_a_dead_runner_counts_as_lost(orch: Orchestrator) -> None:
    add(orch, "A", [PY, "-c", "print('second try')"], max_retries=1)
    orch.runs.claim("dead-owner", 0.01, key="A")  # its runner died: the lease runs out
    wait_for(lambda: orch.processes.expired())
    runner, _ = serve(orch, lease_seconds=1.0)
    summary = runner.summary
    assert (summary.lost, summary.retried, summary.succeeded) == (1, 1, 1)
    first, second = orch.queries.runs_for("A")
    assert (first.status, second.status) == (RunStatus.LOST, RunStatus.SUCCEEDED)


def _finished_at(orch: Orchestrator, key: str) -> object:
    (event,) = [e for e in orch.queries.timeline(key) if e.kind == EventKind.RUN_FINISHED]
    return event.created_at


def test_runs_ending_close_together_are_settled_in_one_round(orch: Orchestrator) -> None:
    """Commands ending a few tenths of a second apart, inside the gathering window,
    are settled by one transaction (their events share its time); a command still
    running when the window closes does not hold the others back."""
    for key, seconds in (("A", 0), ("B", 0.1), ("C", 0.2), ("SLOW", 3)):
        add(orch, key, ["sleep", str(seconds)])
    serve(orch, max_parallel=4, gather_seconds=1.0)
    together = {_finished_at(orch, key) for key in ("A", "B", "C")}
    assert len(together) == 1
    (settled_at,) = together
    assert (_finished_at(orch, "SLOW") - settled_at).total_seconds() > 1.5  # type: ignore[operator]
    assert all(orch.queries.get_task(k).status is S.DONE for k in ("A", "B", "C", "SLOW"))


def test_a_broken_reactor_fails_its_runs_with_the_reason_and_frees_their_slots(
    orch: Orchestrator, monkeypatch: pytest.MonkeyPatch
) -> None:
    sleeper = [PY, "-c", "import time; print('up', flush=True); time.sleep(60)"]
    add(orch, "A", sleeper, priority="critical")
    add(orch, "B", sleeper, priority="critical")
    add(orch, "LATER", [PY, "-c", "print('ran after')"], priority="low")
    runner = Runner(orch.as_actor("test-runner"), fast_config(max_parallel=2, lease_seconds=30))
    thread = threading.Thread(target=runner.serve, daemon=True)
    thread.start()
    try:

        def both_up() -> bool:
            runs = [r for k in "AB" for r in orch.queries.runs_for(k)]
            return len(runs) == 2 and all(r.line_count for r in runs)

        wait_for(both_up, what="A and B running")
        pids = [a.supervisor.pid for a in list(runner._active.values())]
        assert len(pids) == 2 and all(pids)
        broken_reactor = runner._reactor
        assert broken_reactor is not None

        def broken() -> bool:
            raise OSError("selector gone")

        monkeypatch.setattr(broken_reactor, "_drain", broken)  # this reactor's loop alone
        broken_reactor.poke()
        thread.join(30)
        assert not thread.is_alive()  # no slot left held: the runner went idle
    finally:
        runner.stop()
    reason = "runner error: the reactor watching the children failed (OSError: selector gone)"
    for key in "AB":
        (run,) = orch.queries.runs_for(key)
        assert (run.status, run.error, run.exit_code) == (RunStatus.FAILED, reason, -9)
        assert orch.queries.get_task(key).status is S.FAILED
    assert not any(alive(pid or 0) for pid in pids)  # killed, not left running
    assert runner.summary.failed == 2 and runner.summary.succeeded == 1
    (later,) = orch.queries.runs_for("LATER")  # started on a fresh reactor
    assert later.status is RunStatus.SUCCEEDED
