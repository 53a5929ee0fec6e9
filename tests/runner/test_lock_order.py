"""On PostgreSQL, writers touching a task and its run never deadlock: a person
cancelling a run while its runner finishes it, or stores what it spent, waits for
the runner instead of one of the two being refused as "locked by another process"."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, text, update

from orchestrator_tui.domain.enums import EventKind
from orchestrator_tui.domain.errors import DatabaseLocked
from orchestrator_tui.domain.models import CommandSpec, TaskSpec
from orchestrator_tui.services import Orchestrator, open_orchestrator, run_batch
from orchestrator_tui.services.base import record_event
from orchestrator_tui.services.run_model import Claim
from orchestrator_tui.store.tables import Question, Run

R = Run.__table__.c


@pytest.fixture
def people(db_url: str) -> Iterator[tuple[Orchestrator, Orchestrator, Claim]]:
    runner = open_orchestrator(db_url, "runner-a")
    alice = open_orchestrator(db_url, "alice")
    runner.tasks.create(TaskSpec(key="A", title="A", command=CommandSpec(argv=["true"])))
    (claim,) = runner.runs.claim("runner-a", 30, 1)
    yield runner, alice, claim
    for o in (runner, alice):
        o.close()


def _acts_meanwhile(
    runner: Orchestrator,
    before: Callable[[Connection], object],
    act: Callable[[], object],
    after: Callable[[Connection], object],
) -> object:
    """In one runner transaction: `before`, then `act` in another thread, which runs
    until it waits for a lock, then `after`; what `act` returned or raised."""
    outcome: list[object] = []

    def acting() -> None:
        try:
            outcome.append(act())
        except Exception as exc:  # the test reports what the person saw
            outcome.append(exc)

    with runner.db.write() as conn:
        before(conn)
        other = threading.Thread(target=acting)
        other.start()
        deadline = time.monotonic() + 10
        while not _someone_waits_for_a_lock(runner) and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.2)  # the other transaction goes as far as it can
        after(conn)
    other.join(30)
    assert not other.is_alive()
    (result,) = outcome
    return result


def _someone_waits_for_a_lock(o: Orchestrator) -> bool:
    with o.db.read() as conn:
        return bool(conn.execute(text("SELECT count(*) FROM pg_locks WHERE NOT granted")).scalar())


@pytest.mark.postgres_only
@pytest.mark.parametrize("act", ["cancel", "close_cancelled"])
def test_cancelling_while_the_runner_finishes_waits_instead_of_deadlocking(
    people: tuple[Orchestrator, Orchestrator, Claim], act: str
) -> None:
    runner, alice, claim = people
    if act == "close_cancelled":
        alice.runs.cancel("A", "wrong branch")  # the run is now stopping
    acts: dict[str, Callable[[], Any]] = {
        "cancel": lambda: alice.runs.cancel("A", "wrong branch"),
        "close_cancelled": lambda: alice.runs.close_cancelled(claim.run_id),
    }
    result = _acts_meanwhile(
        runner,
        # The finish locks the task first, then closes its run (`RunService._finish`).
        lambda conn: run_batch.finishing(conn, [claim.run_id]),
        acts[act],
        lambda conn: conn.execute(
            update(Run.__table__).where(R.id == claim.run_id).values(exit_code=0)
        ),
    )
    assert not isinstance(result, Exception), result


@pytest.mark.postgres_only
def test_an_event_written_after_a_run_update_never_waits_for_a_locked_task(
    people: tuple[Orchestrator, Orchestrator, Claim],
) -> None:
    """Storing what a run spent updates the run, then writes an event naming its
    task: that reference must not wait for a person who locked the task and now
    waits for the run."""
    runner, alice, claim = people
    alice.runs.cancel("A", "wrong branch")
    result = _acts_meanwhile(
        runner,
        lambda conn: conn.execute(
            update(Run.__table__).where(R.id == claim.run_id).values(summary="spent")
        ),
        lambda: alice.runs.close_cancelled(claim.run_id),
        lambda conn: record_event(
            conn, runner.runs.ctx, EventKind.AGENT_USAGE, claim.task_id, run_id=claim.run_id
        ),
    )
    assert not isinstance(result, Exception), result


@pytest.mark.postgres_only
def test_a_deadlock_the_server_ends_is_called_one(db_url: str) -> None:
    """Two writers each holding what the other waits for: the one the server stops
    is told so, not that another process held the database too long."""
    o = open_orchestrator(db_url, "setup")
    for key in ("A", "B"):
        o.tasks.create(TaskSpec(key=key, title=key))
    both_hold = threading.Barrier(2)
    outcomes: list[str] = []

    def write(first: str, second: str) -> None:
        try:
            with o.db.write() as conn:
                lock = "UPDATE tasks SET title = title WHERE key = :k"
                conn.execute(text(lock), {"k": first})
                both_hold.wait(10)
                conn.execute(text(lock), {"k": second})
            outcomes.append("written")
        except DatabaseLocked as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=write, args=pair) for pair in (("A", "B"), ("B", "A"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    stopped = [text for text in outcomes if text != "written"]
    assert len(outcomes) == 2 and len(stopped) == 1
    assert stopped[0].endswith(
        "this write and another waited for each other, and the server stopped this one "
        "(nothing was written); try again"
    )
    o.close()


@pytest.mark.postgres_only
def test_answering_while_the_runner_finishes_waits_instead_of_deadlocking(
    people: tuple[Orchestrator, Orchestrator, Claim],
) -> None:
    """A finish locks the task, then its move closes the task's open questions; an
    answer takes the task first too, so it waits for the finish."""
    runner, alice, claim = people
    question = runner.questions.ask("A", "Which branch?")
    Q = Question.__table__.c
    result = _acts_meanwhile(
        runner,
        lambda conn: run_batch.finishing(conn, [claim.run_id]),
        lambda: alice.questions.answer("A", "main", question.id),
        lambda conn: conn.execute(
            update(Question.__table__).where(Q.id == question.id).values(asked_at=Q.asked_at)
        ),
    )
    assert not isinstance(result, Exception), result
