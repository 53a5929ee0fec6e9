"""Questions agents ask people: one answer wins, the inbox is oldest first,
every question and answer is in the audit trail, and version-1 databases gain
the table keeping their rows."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrator_tui.domain.enums import EventKind, RunStatus, TaskStatus
from orchestrator_tui.domain.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from orchestrator_tui.domain.models import CommandSpec
from orchestrator_tui.services import Orchestrator, open_orchestrator
from orchestrator_tui.services.run_model import RunResult
from orchestrator_tui.store.schema import SCHEMA_VERSION

from .support import add, events_of, make_version_1, open_db


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)


def test_ask_then_answer_is_recorded_with_who_and_when(orch: Orchestrator) -> None:
    add(orch, "API")
    orch.tasks.start("API")
    bot = orch.as_actor("bot")
    asked = bot.questions.ask("API", "  Which database?  ")
    assert (asked.text, asked.asked_by, asked.is_open) == ("Which database?", "bot", True)
    assert orch.queries.list_tasks()[0].open_questions == 1
    answered = orch.questions.answer("API", "PostgreSQL")
    assert (answered.answer, answered.answered_by) == ("PostgreSQL", "alice")
    assert answered.answered_at is not None and answered.answered_at >= answered.asked_at
    assert orch.queries.list_tasks()[0].open_questions == 0
    trail = [(e.kind, e.actor, e.data) for e in events_of(orch, "API")][-2:]
    assert trail == [
        (
            EventKind.QUESTION_ASKED.value,
            "bot",
            {"question": asked.id, "message": "asked: Which database?"},
        ),
        (
            EventKind.QUESTION_ANSWERED.value,
            "alice",
            {"question": asked.id, "message": "answered: PostgreSQL"},
        ),
    ]
    timeline = [e.summary() for e in orch.queries.timeline("API")][-2:]
    assert timeline == ["asked: Which database?", "answered: PostgreSQL"]


def test_refusals_write_nothing(orch: Orchestrator) -> None:
    add(orch, "A")
    add(orch, "GONE")
    orch.tasks.transition("GONE", TaskStatus.CANCELLED)
    add(orch, "LOST")
    orch.tasks.start("LOST")
    orch.tasks.fail("LOST", "gave up")
    before = len(events_of(orch))
    with pytest.raises(ValidationFailed, match="a question needs some text"):
        orch.questions.ask("A", "   ")
    with pytest.raises(ValidationFailed, match="longer than"):
        orch.questions.ask("A", "x" * 10_001)
    with pytest.raises(InvalidTransition, match="GONE is cancelled"):
        orch.questions.ask("GONE", "still there?")
    with pytest.raises(InvalidTransition, match="LOST is failed: nobody is working on it"):
        orch.questions.ask("LOST", "why?")  # its questions closed when it failed
    with pytest.raises(NotFound, match="A has no open question"):
        orch.questions.answer("A", "yes")
    with pytest.raises(NotFound, match="no task 'NOPE'"):
        orch.questions.ask("NOPE", "hello?")
    assert len(events_of(orch)) == before


def test_two_people_answering_at_once_one_answer_wins(db_url: str) -> None:
    setup = open_db(db_url)
    add(setup, "A")
    question = setup.as_actor("bot").questions.ask("A", "ship it?")
    people = [open_db(db_url, actor) for actor in ("maria", "omar")]
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def answer(person: Orchestrator) -> None:
        barrier.wait()
        try:
            person.questions.answer("A", f"{person.actor} says yes", question.id)
            outcomes[person.actor] = "won"
        except Conflict as exc:
            outcomes[person.actor] = str(exc)

    threads = [threading.Thread(target=answer, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winner = setup.questions.get(question.id).answered_by
    loser = ({"maria", "omar"} - {winner}).pop()
    assert outcomes[winner] == "won"
    assert (
        outcomes[loser]
        == f"A's question {question.id} was already answered by {winner}; nothing was written"
    )
    answers = [e for e in events_of(setup, "A") if e.kind == EventKind.QUESTION_ANSWERED.value]
    assert [e.actor for e in answers] == [winner]
    for o in (setup, *people):
        o.close()


def test_answering_a_task_whose_question_was_just_answered_names_who_answered(
    orch: Orchestrator,
) -> None:
    add(orch, "A")
    question = orch.as_actor("bot").questions.ask("A", "ship it?")
    orch.as_actor("maria").questions.answer("A", "yes")
    before = len(events_of(orch))
    with pytest.raises(NotFound) as refused:
        orch.as_actor("omar").questions.answer("A", "no")
    assert str(refused.value) == (
        f"A has no open question (question {question.id} was answered by maria)"
    )
    assert len(events_of(orch)) == before


def test_work_no_runner_ran_is_shown_by_who_sent_it_for_approval(orch: Orchestrator) -> None:
    """An agent working through MCP (or a person) leaves no run: the inbox and
    `approvals` name who sent the task for approval, not nobody."""
    add(orch, "A", requires_approval=True)
    claude = orch.as_actor("claude")
    claude.tasks.start("A")
    claude.tasks.complete("A")
    (entry,) = orch.questions.inbox()
    assert entry.who == "claude"
    (waiting,) = orch.queries.waiting_approvals()
    assert waiting.ran_by == "claude"


def test_inbox_lists_questions_and_approvals_oldest_first(db_url: str) -> None:
    clock = Clock()
    orch = open_orchestrator(db_url, "alice", clock=clock)
    for key in ("REVIEW-OLD", "ASK-1", "REVIEW-NEW", "ASK-2"):
        add(orch, key, requires_approval=key.startswith("REVIEW"))
        orch.as_actor("worker").tasks.start(key)
    bot = orch.as_actor("bot")
    orch.as_actor("worker").tasks.complete("REVIEW-OLD")
    clock.tick()
    bot.questions.ask("ASK-1", "first question")
    clock.tick()
    orch.as_actor("worker").tasks.complete("REVIEW-NEW")
    clock.tick()
    bot.questions.ask("ASK-2", "second question")
    clock.tick()
    bot.questions.ask("ASK-1", "a follow-up")
    inbox = orch.questions.inbox()
    assert [(e.kind, e.key, e.text) for e in inbox] == [
        ("approval", "REVIEW-OLD", ""),
        ("question", "ASK-1", "first question"),
        ("approval", "REVIEW-NEW", ""),
        ("question", "ASK-2", "second question"),
        ("question", "ASK-1", "a follow-up"),
    ]
    # An approval carries the row the task list shows (the decision keys act on
    # it); a question is no task row.
    listed = {r.key: r for r in orch.queries.list_tasks()}
    assert [e.row for e in inbox] == [listed["REVIEW-OLD"], None, listed["REVIEW-NEW"], None, None]
    assert [q.text for q in orch.questions.open_questions()] == [
        "first question",
        "second question",
        "a follow-up",
    ]
    # Answering by key takes the task's oldest open question.
    assert orch.questions.answer("ASK-1", "yes").text == "first question"
    assert orch.questions.count_open() == 2 and orch.questions.count_open("ASK-1") == 1
    orch.close()


def test_wait_returns_the_answer_or_gives_up(orch: Orchestrator) -> None:
    add(orch, "A")
    question = orch.as_actor("bot").questions.ask("A", "ready?")
    naps: list[float] = []
    unanswered = orch.questions.wait(
        question.id, timeout=0.05, poll_seconds=0.01, sleep=naps.append
    )
    assert unanswered.is_open and naps and all(n <= 0.01 for n in naps)

    def answer_on_second_poll(_: float) -> None:
        if not orch.questions.get(question.id).answer:
            orch.questions.answer("A", "go ahead")

    answered = orch.questions.wait(question.id, timeout=None, sleep=answer_on_second_poll)
    assert answered.answer == "go ahead"


def test_version_1_database_gains_questions_keeping_rows(db_path: Path) -> None:
    orch = open_db(db_path)
    add(orch, "A")
    add(orch, "B", deps=["A"])
    orch.close()
    make_version_1(db_path)
    migrated = open_db(db_path)
    assert [t.key for t in migrated.queries.list_tasks()] == ["A", "B"]
    assert [b.key for b in migrated.queries.get_task("B").blockers] == ["A"]
    migrated.as_actor("bot").questions.ask("A", "works?")
    assert migrated.questions.count_open() == 1
    migrated.close()
    assert list(db_path.parent.glob(f"{db_path.name}.v1-*.bak"))
    with sqlite3.connect(db_path) as conn:
        version = conn.execute(
            "SELECT value FROM schema_meta WHERE key='schema_version'"
        ).fetchone()
    assert version == (str(SCHEMA_VERSION),)


def _end_by_hand(orch: Orchestrator, key: str) -> None:
    orch.tasks.complete(key)


def _fail_by_hand(orch: Orchestrator, key: str) -> None:
    orch.tasks.fail(key, "gave up")


def _cancel(orch: Orchestrator, key: str) -> None:
    orch.tasks.transition(key, TaskStatus.CANCELLED, reason="not needed")


def _reject(orch: Orchestrator, key: str) -> None:
    orch.tasks.complete(key)
    orch.as_actor("maria").approvals.reject(key, "wrong approach")


def _approve(orch: Orchestrator, key: str) -> None:
    orch.tasks.complete(key)
    orch.as_actor("maria").approvals.approve(key)


def _runner_fails_it(orch: Orchestrator, key: str) -> None:
    (run,) = [r for r in orch.queries.runs_for(key) if r.status is RunStatus.RUNNING]
    task_id = orch.queries.get_task(key).id
    orch.runs.finish("r1", [RunResult(run.id, task_id, RunStatus.FAILED, exit_code=3)])


def _cancel_its_run(orch: Orchestrator, key: str) -> None:
    orch.runs.cancel(key, "wrong branch")


ENDINGS = {
    "done": (_end_by_hand, TaskStatus.DONE),
    "failed by hand": (_fail_by_hand, TaskStatus.FAILED),
    "cancelled": (_cancel, TaskStatus.CANCELLED),
    "rejected": (_reject, TaskStatus.FAILED),
    "approved": (_approve, TaskStatus.DONE),
    "failed by its runner": (_runner_fails_it, TaskStatus.FAILED),
    "its run cancelled": (_cancel_its_run, TaskStatus.FAILED),
}


@pytest.mark.parametrize("ending", list(ENDINGS))
def test_a_task_whose_work_ends_closes_its_open_questions(orch: Orchestrator, ending: str) -> None:
    end, status = ENDINGS[ending]
    by_runner = "run" in ending
    add(orch, "A")
    add(
        orch,
        "B",
        command=CommandSpec(argv=["true"]) if by_runner else None,
        requires_approval=ending in ("rejected", "approved"),
    )
    orch.tasks.start("A")
    if by_runner:
        orch.runs.claim("r1", 30, key="B")
    else:
        orch.tasks.start("B")
    bot = orch.as_actor("bot")
    answered = bot.questions.ask("B", "first?")
    orch.questions.answer("B", "yes", answered.id)
    closing = bot.questions.ask("B", "which database?")
    other = bot.questions.ask("A", "still open?")
    before = len(events_of(orch))

    end(orch, "B")

    assert orch.queries.get_task("B").status is status
    # The inbox, the counts and the list no longer show it; the other task's stays.
    assert [(e.key, e.question_id) for e in orch.questions.inbox() if e.kind == "question"] == [
        ("A", other.id)
    ]
    assert orch.questions.count_open() == 1 and orch.questions.count_open("B") == 0
    assert {r.key: r.open_questions for r in orch.queries.list_tasks()} == {"A": 1, "B": 0}
    closed = orch.questions.get(closing.id)
    assert (closed.is_open, closed.is_closed, closed.answer, closed.answered_by) == (
        False,
        True,
        None,
        None,
    )
    assert orch.questions.get(answered.id).answer == "yes"  # an answer stays as it was
    closes = [e for e in events_of(orch, "B") if e.kind == EventKind.QUESTION_CLOSED.value]
    message = f"question {closing.id} closed unanswered: B is {status.value}"
    assert [e.data for e in closes] == [{"question": closing.id, "message": message}]
    assert len(events_of(orch)) > before
    assert message in [e.summary() for e in orch.queries.timeline("B")]

    # Answering it is refused in one line, and writes nothing.
    written = len(events_of(orch))
    with pytest.raises(InvalidTransition) as refused:
        orch.as_actor("omar").questions.answer("B", "PostgreSQL", closing.id)
    assert str(refused.value) == (
        f"B's question {closing.id} was closed when B ended (it is {status.value}): "
        "nobody waits for its answer; nothing was written"
    )
    with pytest.raises(NotFound) as nothing:
        orch.as_actor("omar").questions.answer("B", "PostgreSQL")
    assert str(nothing.value) == (
        f"B has no open question (question {closing.id} was closed unanswered when its work ended)"
    )
    assert len(events_of(orch)) == written
    assert orch.questions.get(closing.id).answer is None


@pytest.mark.parametrize(
    "move",
    ["block", "reset", "defer", "submit for approval", "changes requested", "retry"],
)
def test_a_task_whose_work_goes_on_keeps_its_questions_open(orch: Orchestrator, move: str) -> None:
    add(orch, "A", requires_approval=move in ("submit for approval", "changes requested"))
    if move == "retry":
        add(orch, "R", command=CommandSpec(argv=["true"]), max_retries=2)
        (claim,) = orch.runs.claim("r1", 30)
        key = "R"
    else:
        orch.tasks.start("A")
        key = "A"
    asked = orch.as_actor("bot").questions.ask(key, "which database?")
    if move == "block":
        orch.tasks.block("A", "waiting on ops")
    elif move == "reset":
        orch.tasks.reset("A")
    elif move == "defer":
        orch.tasks.reset("A")
        orch.tasks.transition("A", TaskStatus.DEFERRED)
    elif move == "submit for approval":
        orch.tasks.complete("A")
    elif move == "changes requested":
        orch.tasks.complete("A")
        orch.as_actor("maria").approvals.request_changes("A", "add tests")
    else:
        result = RunResult(claim.run_id, claim.task_id, RunStatus.FAILED, exit_code=1)
        (settled,) = orch.runs.finish("r1", [result])
        assert settled.task_status is TaskStatus.PENDING and settled.retry_at is not None
    assert orch.questions.get(asked.id).is_open
    assert [e.question_id for e in orch.questions.inbox() if e.kind == "question"] == [asked.id]
    assert not [e for e in events_of(orch) if e.kind == EventKind.QUESTION_CLOSED.value]


def test_a_person_waiting_on_a_question_is_told_it_closed(orch: Orchestrator) -> None:
    add(orch, "A")
    orch.tasks.start("A")
    asked = orch.as_actor("bot").questions.ask("A", "which database?")
    orch.tasks.transition("A", TaskStatus.CANCELLED)
    waited = orch.questions.wait(asked.id, timeout=5, sleep=lambda _: None)
    assert waited.is_closed and not waited.is_open
    assert orch.questions.closed_refusal(waited) == (
        f"A's question {asked.id} was closed when A ended (it is cancelled): "
        "nobody waits for its answer"
    )


@pytest.mark.parametrize("settled", [("answered_at", "closed_at"), ("answered_at",)])
def test_python_and_sql_say_a_question_is_open_by_one_list_of_columns(
    orch: Orchestrator, monkeypatch: pytest.MonkeyPatch, settled: tuple[str, ...]
) -> None:
    """`rules.QUESTION_SETTLED_COLUMNS` is the rule: a question view's `is_open` and
    the queries follow it alike (here even a changed one)."""
    from orchestrator_tui.domain import rules

    add(orch, "A")
    add(orch, "B")
    orch.tasks.start("A")
    orch.tasks.start("B")
    bot = orch.as_actor("bot")
    answered = bot.questions.ask("A", "first?")
    orch.questions.answer("A", "yes", answered.id)
    waiting = bot.questions.ask("A", "second?")
    closed = bot.questions.ask("B", "third?")
    orch.tasks.transition("B", TaskStatus.CANCELLED)
    monkeypatch.setattr(rules, "QUESTION_SETTLED_COLUMNS", settled)
    every = [orch.questions.get(q.id) for q in (answered, waiting, closed)]
    in_python = [q.id for q in every if q.is_open]
    in_sql = [q.id for q in orch.questions.open_questions()]
    assert in_python == in_sql == ([waiting.id] if len(settled) == 2 else [waiting.id, closed.id])
