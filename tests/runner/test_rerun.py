"""A task a person moves while its command runs: the old attempt is stopped and
closed without deciding the task, and the task runs again only once the old
attempt's processes are gone (never two attempts of one task at once)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator_tui.domain.enums import EventKind, RunStatus, TaskStatus
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.runner import Runner, RunnerSummary
from orchestrator_tui.services import Orchestrator

from .helpers import cli, fast_config, wait_for

S = TaskStatus


def attempt_script(marker: Path, flag: Path) -> list[str]:
    """The first attempt sleeps (taking half a second to stop when told to); any
    later one ends at once. Each writes `start RUN` and `end RUN` to `marker`."""
    script = f"""
        m={marker}; run=$ORCHESTRATOR_TUI_RUN
        echo "start $run" >> "$m"
        if [ ! -e {flag} ]; then
            : > {flag}
            trap 'sleep 0.5; echo "end $run" >> "$m"; exit 143' TERM
            sleep 60 &
            wait $!
        else
            sleep 0.2
        fi
        echo "end $run" >> "$m"
    """
    return ["sh", "-c", script]


def never_overlapping(marker: Path) -> list[str]:
    """The marker's lines, once each attempt's start and end are checked: at most
    one attempt alive at any time, and every attempt ended."""
    lines = marker.read_text().splitlines()
    alive: set[str] = set()
    for line in lines:
        what, run = line.split()
        if what == "start":
            assert not alive, f"run {run} started while run(s) {alive} still ran: {lines}"
            alive.add(run)
        else:
            alive.discard(run)
    assert not alive, f"run(s) {alive} never ended: {lines}"
    return lines


def one_after_the_other(orch: Orchestrator, marker: Path) -> tuple[Any, Any]:
    """Task A's two runs, once the marker shows the second started only after the
    first ended."""
    old, new = orch.queries.runs_for("A")
    assert never_overlapping(marker) == [
        f"start {old.id}",
        f"end {old.id}",
        f"start {new.id}",
        f"end {new.id}",
    ]
    return old, new


def reset(o: Orchestrator) -> None:
    o.tasks.transition("A", S.PENDING, reason="try again")


def cancel_then_reset(o: Orchestrator) -> None:
    o.runs.cancel("A", "wrong branch")
    o.tasks.transition("A", S.PENDING, reason="try again")


def cancel_run_then_reset_from_the_cli(o: Orchestrator) -> None:
    cancelled = cli(o.db.url, "task", "cancel-run", "A", "--reason", "wrong branch")
    assert cancelled.code == 0, cancelled.err
    reset = cli(o.db.url, "task", "reset", "A")
    assert reset.code == 0, reset.err


def block_then_unblock(o: Orchestrator) -> None:
    o.tasks.transition("A", S.BLOCKED, reason="waiting for a decision")
    o.tasks.transition("A", S.PENDING, reason="decided")


def done_then_reopen(o: Orchestrator) -> None:
    o.tasks.transition("A", S.DONE, reason="did it by hand")
    o.tasks.transition("A", S.PENDING, reason="not quite")


@pytest.mark.parametrize(
    "move",
    [
        reset,
        cancel_then_reset,
        cancel_run_then_reset_from_the_cli,
        block_then_unblock,
        done_then_reopen,
    ],
    ids=lambda f: f.__name__,
)
def test_a_task_moved_while_running_runs_again_only_after_the_old_attempt_is_gone(
    orch: Orchestrator, tmp_path: Path, move: Callable[[Orchestrator], None]
) -> None:
    marker, flag = tmp_path / "attempts.txt", tmp_path / "first-ran"
    command = CommandSpec(argv=attempt_script(marker, flag))
    orch.tasks.create(TaskSpec(key="A", title="moved while running", command=command))
    config = fast_config(lease_seconds=30, kill_grace_seconds=3, until_idle=False)
    runner = Runner(orch.as_actor(config.agent), config)
    summaries: list[RunnerSummary] = []
    thread = threading.Thread(target=lambda: summaries.append(runner.serve()))
    thread.start()
    try:
        wait_for(lambda: marker.exists() and marker.read_text().startswith("start"))
        move(orch.as_actor("alice"))
        wait_for(lambda: orch.queries.get_task("A").status is S.DONE)
    finally:
        runner.stop()
        thread.join(30)
    assert not thread.is_alive()

    first, second = one_after_the_other(orch, marker)
    # The old attempt is closed as stopped, with its exit code; the new one decides.
    assert first.status is RunStatus.CANCELLED and first.exit_code == 143
    assert second.status is RunStatus.SUCCEEDED and second.exit_code == 0
    assert orch.queries.get_task("A").status is S.DONE
    (summary,) = summaries
    assert (summary.started, summary.succeeded, summary.failed, summary.lost) == (2, 1, 0, 0)
    assert (summary.stopped_by_person, summary.stopped_by) == (1, ["alice"])

    # Only the person and the runner's claims and second run moved the task; the
    # first run's end is recorded on the run alone.
    timeline = orch.queries.timeline("A")
    runner_moves = [
        e.data["to"]
        for e in timeline
        if e.kind == EventKind.STATUS_CHANGED and e.actor == config.agent
    ]
    assert runner_moves == ["in_progress", "in_progress", "done"]
    finished = [e.data["message"] for e in timeline if e.kind == EventKind.RUN_FINISHED]
    assert finished[-1] == f"run {second.id} succeeded (exit 0)"
    assert f"run {second.id}" not in " ".join(finished[:-1])


class TwoRunners:
    """Runner `one` running the first attempt of task A (`attempt_script`), and
    runner `two` serving beside it, idle until the task is free again."""

    def __init__(self, orch: Orchestrator, marker: Path, flag: Path) -> None:
        self.marker = marker
        command = CommandSpec(argv=attempt_script(marker, flag))
        orch.tasks.create(TaskSpec(key="A", title="moved while running", command=command))
        config = fast_config(agent="one", lease_seconds=30, kill_grace_seconds=3)
        self.first = Runner(orch.as_actor("one"), config)
        config = fast_config(agent="two", lease_seconds=30, kill_grace_seconds=3, until_idle=False)
        self.second = Runner(orch.as_actor("two"), config)
        self.threads = [
            threading.Thread(target=runner.serve) for runner in (self.first, self.second)
        ]

    def start(self) -> None:
        self.threads[0].start()
        wait_for(lambda: self.marker.exists() and self.marker.read_text().startswith("start"))
        self.threads[1].start()

    def stop(self) -> None:
        self.first.stop()
        self.second.stop()
        for thread in self.threads:
            if thread.is_alive():
                thread.join(30)


@pytest.fixture
def two_runners(orch: Orchestrator, tmp_path: Path) -> Iterator[TwoRunners]:
    runners = TwoRunners(orch, tmp_path / "attempts.txt", tmp_path / "first-ran")
    try:
        runners.start()
        yield runners
    finally:
        runners.stop()


def test_another_runner_waits_for_the_old_attempt_of_a_task_moved_while_running(
    orch: Orchestrator, two_runners: TwoRunners
) -> None:
    reset(orch.as_actor("alice"))
    wait_for(lambda: orch.queries.get_task("A").status is S.DONE)
    two_runners.stop()
    old, new = one_after_the_other(orch, two_runners.marker)
    assert old.status is RunStatus.CANCELLED and new.status is RunStatus.SUCCEEDED


def test_a_run_a_plan_loaded_open_is_closed_saying_so(orch: Orchestrator) -> None:
    """No runner ever ran it (the demo's PAY-11, ada's run, is one): its closing says
    where it came from, not that a runner stopped after its task was moved."""
    from orchestrator_tui.services.plans import parse_plan

    run = {"agent": "ada", "status": "running", "started": "-25m", "log": "working..."}
    task = {"key": "A", "title": "a", "status": "in_progress", "updated": "-25m", "runs": [run]}
    orch.plans.load(parse_plan({"name": "p", "tasks": [task]}, "plan.yaml"), "plan.yaml")
    config = fast_config(agent="tidier", lease_seconds=0.3)
    summary = Runner(orch.as_actor("tidier"), config).serve()
    (closed,) = orch.queries.runs_for("A")
    assert closed.status is RunStatus.LOST
    assert closed.error == "it was loaded open (from a plan or an import) and no runner holds it"
    # Tidying the data is no loss of this runner's: `run` does not exit 10 for it.
    assert (summary.loaded_open, summary.lost) == (1, 0)


def test_a_run_left_open_by_a_runner_that_died_after_its_task_was_moved_is_closed(
    orch: Orchestrator, tmp_path: Path
) -> None:
    marker = tmp_path / "attempts.txt"
    argv = ["sh", "-c", f'echo "start $ORCHESTRATOR_TUI_RUN" >> {marker}; echo "end x" >> {marker}']
    orch.tasks.create(TaskSpec(key="A", title="orphaned run", command=CommandSpec(argv=argv)))
    (dead,) = orch.as_actor("dead").runs.claim("dead/1", 30)  # its runner never closes it
    orch.as_actor("alice").tasks.transition("A", S.PENDING, reason="try again")
    assert orch.runs.claim("other/1", 30) == []  # not while the old run may still run
    config = fast_config(agent="rescuer", lease_seconds=0.3)
    wait_for(lambda: orch.processes.expired(abandoned_after=config.lease_seconds))
    summary = Runner(orch.as_actor("rescuer"), config).serve()

    old, new = orch.queries.runs_for("A")
    assert old.id == dead.run_id and old.status is RunStatus.LOST
    assert old.error == "its runner stopped before closing it, after the task was moved"
    assert (new.agent, new.status) == ("rescuer", RunStatus.SUCCEEDED)
    assert marker.read_text().splitlines() == [f"start {new.id}", "end x"]
    assert orch.queries.get_task("A").status is S.DONE
    assert (summary.started, summary.succeeded, summary.lost) == (1, 1, 1)
    lost = [e for e in orch.queries.timeline("A") if e.kind == EventKind.RUN_LOST]
    assert [e.actor for e in lost] == ["rescuer"]


def test_a_task_reset_right_after_a_cancel_through_its_runner_waits_for_the_old_attempt(
    orch: Orchestrator, two_runners: TwoRunners
) -> None:
    """The TUI's cancel goes through its own runner, which stops the process; until
    it is gone no other runner may take the task again, even once it is reset."""
    two_runners.first.cancel("A", "alice", "wrong branch").result(10)
    reset(orch.as_actor("alice"))
    wait_for(lambda: orch.queries.get_task("A").status is S.DONE)
    two_runners.stop()
    old, new = one_after_the_other(orch, two_runners.marker)
    assert (old.status, old.error) == (RunStatus.CANCELLED, "run cancelled by alice: wrong branch")
    assert new.status is RunStatus.SUCCEEDED  # by whichever runner took it first
