"""Run records: claim with lease, finish, retry, reclaim, cancel (no subprocesses)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from orchestrator_tui.domain.enums import EventKind, RunStatus, TaskStatus
from orchestrator_tui.domain.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
)
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.services.runs import RetryPolicy, RunResult
from orchestrator_tui.store.tables import Task

S = TaskStatus
T = Task.__table__.c
T0 = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
CMD = CommandSpec(argv=["true"])


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runner(db_url: str, clock: Clock) -> Iterator[Orchestrator]:
    o = open_orchestrator(db_url, "runner-a", clock)
    yield o
    o.close()


def add(o: Orchestrator, key: str, **kw: object) -> None:
    kw.setdefault("command", CMD)
    o.tasks.create(TaskSpec(key=key, title=key, **kw))  # type: ignore[arg-type]


def kinds(o: Orchestrator, key: str) -> list[str]:
    return [e.kind for e in o.queries.timeline(key)]


def test_claims_come_by_priority_then_age_and_an_unknown_word_ranks_as_medium(
    runner: Orchestrator,
) -> None:
    """Claimed one priority word at a time, the order is still the rank's (then the
    oldest first), across every limit; a word the rules do not know (written into
    the database by hand) takes medium's rank among the medium tasks."""
    for key, priority in [("A", "low"), ("B", "critical"), ("C", "medium"), ("F", "medium")]:
        add(runner, key, priority=priority)
    add(runner, "D", priority="medium")
    add(runner, "E", priority="high")
    add(runner, "G", priority="medium")
    with runner.db.write() as conn:  # one word after every known one, one between two
        for key, word in (("F", "urgent?"), ("G", "elevated")):
            conn.execute(Task.__table__.update().where(T.key == key).values(priority=word))
    taken = [[c.key for c in runner.runs.claim("r", 30, limit=2)] for _ in range(5)]
    assert taken == [["B", "E"], ["C", "F"], ["D", "G"], ["A"], []]


def test_claim_takes_only_ready_tasks_with_commands_and_writes_the_lease(
    runner: Orchestrator, clock: Clock
) -> None:
    add(runner, "A")
    add(runner, "B", depends_on=["A"])
    add(runner, "NOCMD", command=None)
    add(runner, "HUMAN", agent_type="human")
    add(runner, "TESTS", agent_type="testing")
    claims = runner.runs.claim("owner-1", 30, limit=10, agent_types=["coding"])
    assert [c.key for c in claims] == ["A"]
    a = runner.queries.get_task("A")
    assert a.status is S.IN_PROGRESS and a.attempts == 1
    with runner.db.read() as conn:
        owner, expires = conn.execute(
            select(T.lease_owner, T.lease_expires_at).where(T.key == "A")
        ).one()
    assert owner == "owner-1"
    assert expires == T0 + timedelta(seconds=30)
    (run,) = runner.queries.runs_for("A")
    assert run.status is RunStatus.RUNNING and run.agent == "runner-a" and run.attempt == 1
    assert kinds(runner, "A")[-2:] == [EventKind.STATUS_CHANGED, EventKind.RUN_STARTED]
    # the default types serve testing too, never human work
    assert [c.key for c in runner.runs.claim("owner-1", 30, limit=10)] == ["TESTS"]


def test_two_claims_never_share_a_task(runner: Orchestrator) -> None:
    add(runner, "A")
    first = runner.runs.claim("owner-1", 30)
    second = runner.runs.claim("owner-2", 30)
    assert [c.key for c in first] == ["A"] and second == []


def test_success_completes_or_awaits_approval_and_unblocks(runner: Orchestrator) -> None:
    add(runner, "A")
    add(runner, "GATE", requires_approval=True)
    add(runner, "B", depends_on=["A"])
    claims = {c.key: c for c in runner.runs.claim("o", 30, limit=5)}
    results = [
        RunResult(c.run_id, c.task_id, RunStatus.SUCCEEDED, exit_code=0, outputs={"n": "1"})
        for c in claims.values()
    ]
    settled = {s.key: s for s in runner.runs.finish("o", results)}
    assert settled["A"].task_status is S.DONE
    assert settled["GATE"].task_status is S.AWAITING_APPROVAL
    with runner.db.read() as conn:
        leases = conn.execute(select(T.lease_owner, T.lease_expires_at).where(T.key != "B"))
        assert set(leases) == {(None, None)}  # the runner let go of what it finished
    assert runner.queries.get_task("B").readiness.value == "ready"
    assert EventKind.UNBLOCKED in kinds(runner, "B")
    (run,) = runner.queries.runs_for("A")
    assert run.status is RunStatus.SUCCEEDED and run.outputs == {"n": "1"}
    assert run.ended_at is not None


def test_failure_retries_with_backoff_then_fails_with_exit_code(
    runner: Orchestrator, clock: Clock
) -> None:
    add(runner, "A", max_retries=2)
    policy = RetryPolicy(base_seconds=10, max_seconds=15)
    delays = []
    for attempt in (1, 2, 3):
        (claim,) = runner.runs.claim("o", 30)
        assert claim.attempt == attempt
        res = RunResult(claim.run_id, claim.task_id, RunStatus.FAILED, exit_code=3, error=None)
        res.log_excerpt = "last words"
        (s,) = runner.runs.finish("o", [res], policy)
        if attempt < 3:
            assert s.task_status is S.PENDING and s.retry_at is not None
            delays.append((s.retry_at - clock.now).total_seconds())
            assert runner.runs.claim("o", 30) == []  # not before the backoff
            clock.advance(delays[-1])
    assert delays == [10, 15]
    assert s.task_status is S.FAILED and s.failed_for_good
    assert s.reason == "exit code 3 after 3 attempts"
    task = runner.queries.get_task("A")
    assert task.status is S.FAILED
    last = runner.queries.runs_for("A")[-1]
    assert last.exit_code == 3 and last.log_excerpt == "last words"


def test_a_timeout_fails_at_once_and_a_fresh_round_starts_counting_again(
    runner: Orchestrator,
) -> None:
    add(runner, "A", max_retries=3)
    (claim,) = runner.runs.claim("o", 30)
    res = RunResult(claim.run_id, claim.task_id, RunStatus.TIMED_OUT, error="timed out after 2s")
    (s,) = runner.runs.finish("o", [res])
    assert s.task_status is S.FAILED and s.reason == "timed out after 2s"
    # a person asks for it again: the retry budget starts over, the runs count on
    (again,) = runner.runs.claim("o", 30, key="A")
    assert runner.queries.get_task("A").attempts == 1
    assert again.attempt == 2
    assert [r.attempt for r in runner.queries.runs_for("A")] == [1, 2]


def test_runs_count_up_across_a_reset_and_requested_changes(runner: Orchestrator) -> None:
    """The ATTEMPT a person reads (`task runs`, the run list) is the task's run number."""
    add(runner, "A", requires_approval=True)
    reviewer = runner.as_actor("bob")
    (first,) = runner.runs.claim("o", 30)
    runner.runs.finish("o", [RunResult(first.run_id, first.task_id, RunStatus.SUCCEEDED)])
    reviewer.approvals.request_changes("A", "smaller, please")
    (second,) = runner.runs.claim("o", 30)
    runner.runs.finish("o", [RunResult(second.run_id, second.task_id, RunStatus.FAILED)])
    reviewer.tasks.transition("A", S.PENDING)  # reset
    (third,) = runner.runs.claim("o", 30)
    assert (first.attempt, second.attempt, third.attempt) == (1, 2, 3)
    assert [r.attempt for r in runner.queries.runs_for("A")] == [1, 2, 3]
    started = [e.data["attempt"] for e in runner.queries.timeline("A") if e.kind == "run_started"]
    assert started == [1, 2, 3]


def test_a_runner_that_lost_its_lease_cannot_complete_the_task(
    runner: Orchestrator, clock: Clock, db_url: str
) -> None:
    add(runner, "A", max_retries=1)
    (claim,) = runner.runs.claim("dead-owner", 5)
    clock.advance(6)
    other = open_orchestrator(db_url, "runner-b", clock)
    (lost,) = other.runs.reclaim_expired(RetryPolicy(0, 0))
    assert lost.run_status is RunStatus.LOST and lost.task_status is S.PENDING
    assert "lease of dead-owner expired" in lost.reason
    assert EventKind.RUN_LOST in kinds(other, "A")
    # the old runner finally reports success: nothing happens to the task
    ok = RunResult(claim.run_id, claim.task_id, RunStatus.SUCCEEDED, exit_code=0)
    (late,) = runner.runs.finish("dead-owner", [ok])
    assert late.task_status is None
    assert runner.queries.get_task("A").status is S.PENDING
    (run,) = runner.queries.runs_for("A")
    assert run.status is RunStatus.LOST and run.exit_code == 0
    # the retry is claimable by the living runner; once more lost, it fails for good
    (retry,) = other.runs.claim("runner-b-owner", 5)
    assert retry.attempt == 2
    clock.advance(6)
    (final,) = other.runs.reclaim_expired()
    assert final.task_status is S.FAILED
    other.close()


def test_the_reaper_stops_exactly_the_runs_a_reclaim_takes(
    runner: Orchestrator, clock: Clock
) -> None:
    """`processes.expired` (whose processes to stop) and `reclaim_expired` (which
    tasks to take back) read one rule of an expired lease."""
    for key in "ABCD":
        add(runner, key)
    runner.runs.claim("short", 5, limit=2)  # A, B
    runner.runs.claim("long", 50, limit=1)  # C
    runner.tasks.transition("B", S.PENDING, reason="taken back by hand")
    for seconds in (0, 6, 60):
        clock.advance(seconds)
        stopping = {p.key for p in runner.processes.expired()}
        reclaimed = {s.key for s in runner.runs.reclaim_expired()}
        assert stopping == reclaimed, seconds
    assert stopping == {"C"}


def test_renew_extends_only_held_leases(runner: Orchestrator, clock: Clock) -> None:
    add(runner, "A")
    add(runner, "B")
    a, b = runner.runs.claim("o", 5, limit=2)
    runner.tasks.transition("B", S.CANCELLED, reason="not needed")
    clock.advance(4)
    assert runner.runs.renew("o", 5) == {a.task_id}
    clock.advance(4)  # 8s after the claim, 4s after the renewal
    assert runner.runs.reclaim_expired() == []
    assert runner.runs.held("o", [a.task_id, b.task_id]) == {a.task_id}


def test_cancel_fails_the_task_and_the_run_stays_open_until_its_processes_are_gone(
    runner: Orchestrator, db_url: str
) -> None:
    add(runner, "A", max_retries=5)
    (claim,) = runner.runs.claim("o", 30)
    person = runner.as_actor("alice")
    view = person.runs.cancel("A", "wrong branch")
    assert view.status is RunStatus.RUNNING  # its process may still run
    # who asked, in a column of its own: the run has not ended, so it has no error
    assert (view.cancel_requested, view.error) == ("run cancelled by alice: wrong branch", None)
    assert view.state_text == "stopping (run cancelled by alice: wrong branch)"
    task = runner.queries.get_task("A")
    assert task.status is S.FAILED
    assert runner.runs.held("o", [claim.task_id]) == set()
    with pytest.raises(NotFound):
        person.runs.cancel("A")
    person.tasks.transition("A", S.PENDING, reason="try again")
    assert runner.runs.claim("other", 30) == []  # not while the old attempt may run
    closed = person.runs.close_cancelled(claim.run_id)  # its processes are known gone
    assert (closed.status, closed.error) == (RunStatus.CANCELLED, view.cancel_requested)
    assert closed.cancel_requested == view.cancel_requested  # kept once closed
    assert kinds(runner, "A")[-2:] == ["status_changed", "run_finished"]
    assert [c.key for c in runner.runs.claim("other", 30)] == ["A"]


def test_on_demand_claims_refuse_what_cannot_run(runner: Orchestrator) -> None:
    add(runner, "A")
    add(runner, "B", depends_on=["A"])
    add(runner, "NOCMD", command=None)
    # the row's own refusal (the run key's), not a start's: a run cannot be forced
    with pytest.raises(InvalidTransition) as refused:
        runner.runs.claim("o", 30, key="B")
    assert str(refused.value) == "B waits on 1 unfinished blocking dependency"
    with pytest.raises(InvalidTransition):
        runner.runs.claim("o", 30, key="NOCMD")
    runner.runs.claim("o", 30, key="A")
    with pytest.raises(InvalidTransition):
        runner.runs.claim("o", 30, key="A")


def test_outlook_sees_ready_work_scheduled_retries_and_live_leases(
    runner: Orchestrator, clock: Clock
) -> None:
    add(runner, "A", max_retries=1)
    assert runner.runs.outlook().ready == 1
    (claim,) = runner.runs.claim("o", 30)
    assert runner.runs.outlook().leased == 1 and not runner.runs.outlook().idle
    res = RunResult(claim.run_id, claim.task_id, RunStatus.FAILED, exit_code=1)
    runner.runs.finish("o", [res], RetryPolicy(60, 60))
    outlook = runner.runs.outlook()
    assert outlook.ready == 0 and outlook.next_retry_at == T0 + timedelta(seconds=60)
    clock.advance(60)
    assert runner.runs.outlook().ready == 1


def test_log_lines_are_stored_in_order(runner: Orchestrator) -> None:
    add(runner, "A")
    (claim,) = runner.runs.claim("o", 30)
    rows = [(claim.run_id, i, "stdout" if i % 2 else "stderr", f"line {i}", T0) for i in range(5)]
    runner.runs.append_lines(rows)
    lines = runner.queries.log_lines(claim.run_id)
    assert [(line.seq, line.stream.value, line.text) for line in lines] == [
        (i, "stdout" if i % 2 else "stderr", f"line {i}") for i in range(5)
    ]


def test_one_round_settles_records_processes_and_claims_what_it_made_ready(
    runner: Orchestrator,
) -> None:
    from orchestrator_tui.services.run_processes import ProcessRecord

    add(runner, "A")
    add(runner, "B", depends_on=["A"])
    add(runner, "C", depends_on=["A"])
    (a,) = runner.runs.claim("o", 30, limit=5)
    spawned = [ProcessRecord(a.run_id, 4242, 4242, "here", "123")]
    result = RunResult(a.run_id, a.task_id, RunStatus.SUCCEEDED, exit_code=0)
    settled, claims = runner.runs.settle_and_claim("o", [result], None, spawned, 1, 30)
    assert [(s.key, s.task_status) for s in settled] == [("A", S.DONE)]
    assert [c.key for c in claims] == ["B"]  # freed by A in the same transaction
    assert runner.queries.get_task("B").status is S.IN_PROGRESS
    assert runner.queries.get_task("C").readiness.value == "ready"  # one slot only
    assert kinds(runner, "B")[-3:] == ["unblocked", "status_changed", "run_started"]
    process = runner.processes.of_run(a.run_id)
    assert (process.pid, process.pgid, process.host) == (4242, 4242, "here")
    # Nothing to settle and no slot: nothing is written.
    assert runner.runs.settle_and_claim("o", [], None, [], 0, 30) == ([], [])


def test_an_older_run_of_the_same_owner_cannot_decide_the_task_of_a_newer_one(
    runner: Orchestrator,
) -> None:
    add(runner, "A")
    (first,) = runner.runs.claim("o", 30)
    alice = runner.as_actor("alice")
    alice.runs.cancel("A", "wrong branch")
    alice.runs.close_cancelled(first.run_id)  # as `task cancel-run` does, before runner "o"
    alice.tasks.transition("A", S.PENDING, reason="try again")
    (second,) = runner.runs.claim("o", 30)  # the same runner takes it again
    stopped = RunResult(first.run_id, first.task_id, RunStatus.CANCELLED, exit_code=-15)
    (late,) = runner.runs.finish("o", [stopped])
    assert (late.task_status, late.reason) == (None, "run cancelled by alice: wrong branch")
    task = runner.queries.get_task("A")
    assert task.status is S.IN_PROGRESS  # still the second run's
    assert runner.runs.held("o", [first.task_id]) == {first.task_id}
    ok = RunResult(second.run_id, second.task_id, RunStatus.SUCCEEDED, exit_code=0)
    (decided,) = runner.runs.finish("o", [ok])
    assert decided.task_status is S.DONE
    runs = runner.queries.runs_for("A")
    assert [(r.status, r.exit_code) for r in runs] == [
        (RunStatus.CANCELLED, -15),
        (RunStatus.SUCCEEDED, 0),
    ]


def test_a_task_reset_while_its_run_is_open_is_claimed_only_after_the_run_closes(
    runner: Orchestrator,
) -> None:
    add(runner, "A")
    (first,) = runner.runs.claim("o", 30)
    runner.as_actor("alice").tasks.transition("A", S.PENDING, reason="try again")
    assert runner.runs.claim("other", 30) == []
    with pytest.raises(Conflict, match="still being stopped"):
        runner.runs.claim("other", 30, key="A")
    stopped = RunResult(first.run_id, first.task_id, RunStatus.CANCELLED, exit_code=-15)
    (late,) = runner.runs.finish("o", [stopped])  # its process is gone
    assert late.task_status is None and runner.queries.get_task("A").status is S.PENDING
    (second,) = runner.runs.claim("other", 30)
    assert second.key == "A" and second.run_id != first.run_id


def test_a_cancelled_run_closed_as_lost_keeps_who_cancelled_it(runner: Orchestrator) -> None:
    add(runner, "A")
    (claim,) = runner.runs.claim("o", 30)
    runner.as_actor("alice").runs.cancel("A", "wrong branch")
    # its runner died before stopping the processes; they are known gone now
    (settled,) = runner.runs.close_abandoned([claim.task_id])
    (run,) = runner.queries.runs_for("A")
    assert run.status is RunStatus.LOST and run.state == "lost"
    assert run.error is not None and run.error.startswith("run cancelled by alice: wrong branch")
    assert "its runner stopped before closing it" in run.error
    assert settled.reason == run.error
