"""What a settled run's task came to (`Settled.outcome`) is decided once: the
runner's summary counts it, `run` prints it and the hooks are told of it alike."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime
from types import SimpleNamespace

from orchestrator_tui.cli.run_cmds import _Console
from orchestrator_tui.domain.enums import RunStatus, TaskStatus
from orchestrator_tui.runner.core import Runner, RunnerSummary
from orchestrator_tui.runner.notify import payload_for
from orchestrator_tui.services.run_model import Outcome, Settled

#: The word `run` starts its line with, for each outcome the summary counts.
SAID = {
    Outcome.SUCCEEDED: "done",
    Outcome.AWAITING_APPROVAL: "review",
    Outcome.WAITING_FOR_ANSWERS: "asking",
    Outcome.FAILED: "failed",
    Outcome.RETRIED: "retry",
}


def _settled(status: TaskStatus | None, retry_at: datetime | None) -> Settled:
    return Settled(
        task_id=1,
        key="K-1",
        title="t",
        run_id=7,
        run_status=RunStatus.FAILED,
        task_status=status,
        reason="exit code 1",
        retry_at=retry_at,
    )


def test_every_outcome_is_a_count_of_the_runner_summary() -> None:
    fields = {f.name for f in dataclasses.fields(RunnerSummary)}
    assert {o.value for o in Outcome} <= fields
    assert set(SAID) == set(Outcome)


def test_the_summary_the_console_and_the_hooks_agree_on_every_outcome() -> None:
    due = datetime(2030, 1, 1, tzinfo=UTC)
    for status, retry_at in itertools.product([None, *TaskStatus], [None, due]):
        item = _settled(status, retry_at)
        summary = RunnerSummary()
        Runner._count(SimpleNamespace(summary=summary), item)  # type: ignore[arg-type]
        counted = {f: n for f, n in dataclasses.asdict(summary).items() if n and f != "lost"}
        line = _Console._settled(item)
        payload = payload_for(item, "runner-1")
        outcome = item.outcome
        if outcome is None:
            assert counted == {}, (status, retry_at)
        else:
            assert counted == {outcome.value: 1}, (status, retry_at)
            assert line.split()[0] == SAID[outcome], (status, retry_at, line)
        told = outcome in (Outcome.AWAITING_APPROVAL, Outcome.FAILED)
        assert (payload is not None) == told, (status, retry_at)
        if payload is not None:
            assert payload["event"] == outcome.value
        assert item.failed_for_good == (status is TaskStatus.FAILED)


def test_the_outcome_of_each_status() -> None:
    due = datetime(2030, 1, 1, tzinfo=UTC)
    assert _settled(None, None).outcome is None
    assert _settled(TaskStatus.DONE, None).outcome is Outcome.SUCCEEDED
    assert _settled(TaskStatus.AWAITING_APPROVAL, None).outcome is Outcome.AWAITING_APPROVAL
    assert _settled(TaskStatus.BLOCKED, None).outcome is Outcome.WAITING_FOR_ANSWERS
    assert _settled(TaskStatus.FAILED, None).outcome is Outcome.FAILED
    assert _settled(TaskStatus.PENDING, due).outcome is Outcome.RETRIED
    assert _settled(TaskStatus.PENDING, None).outcome is None  # handed back
